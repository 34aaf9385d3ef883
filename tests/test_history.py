"""The historical replay (scenarios/history.toml) and the record (experiments/history/record.csv):
the scenario parses, its series cover 1996-2011 with a source per row, every policy row has a
source, the record's rows are well formed; a three-month run of the replay works."""

import csv
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from model.scenario import load_scenario
from model.scenario.series import calendar_year, read_series_csv

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "scenarios" / "history.toml"
RECORD = ROOT / "experiments" / "history" / "record.csv"
COLUMNS = ["id", "quantity", "place", "start", "end", "value", "low", "high", "unit", "use", "source", "note"]
# the quantities a record row may name, with their units and the places they take (issue 16's brief)
QUANTITIES = {
    "vector_share": ("share", {"eastern_pacific", "western_caribbean", "eastern_caribbean", "mexico_overland"}),
    "central_america_share": ("share", {"all"}),
    "central_america_seizure_share": ("share", {"all"}),
    "transit_share": ("share", None),
    "air_flights": ("flights", None),
    "homicide_rate": ("per 100,000 per year", None),
    "cocaine_delivered": ("t per year", {"all"}),
    "cocaine_shipped": ("t per year", {"all"}),
    "migrants_kidnapped": ("people", {"MX"}),
    "organisations": ("organisations", {"all"}),
}


@pytest.fixture(scope="module")
def replay():
    return load_scenario(HISTORY)


@pytest.fixture(scope="module")
def record():
    with RECORD.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_replay_runs_1996_to_2011_on_the_transit_zone_map(replay):
    sc, cmap = replay
    m = sc.scenario
    assert (m.start_month, m.steps) == ("1996-01", 192)
    assert (calendar_year(m.start_month, 0), calendar_year(m.start_month, m.steps - 1)) == (1996, 2011)
    assert cmap.path.name == "transit_zone.toml"
    assert len(sc.cartel) == 5                          # the baseline's world


def test_series_cover_every_year_and_every_row_has_a_source(replay):
    sc, _ = replay
    assert sorted(s.lever for s in sc.series) == ["supply", "us_demand"]
    for s in sc.series:
        assert sorted(s.values) == list(range(1996, 2012))
        path = HISTORY.parent / s.file
        read_series_csv(path, s.column)                 # raises if a row lacks its source
        rows = pd.read_csv(path, comment="#")
        assert rows.source.str.strip().str.len().gt(10).all()
        assert set(rows.kind) <= {"reported", "interpolated", "assumed", "lower_bound"}
        assert (rows["index"].round(3) == rows["index"]).all()
    demand = pd.read_csv(HISTORY.parent / "data" / "us_demand.csv", comment="#")
    production = pd.read_csv(HISTORY.parent / "data" / "production.csv", comment="#")
    # each index is its tonnes against 1999, the year the baseline's shipments describe
    assert (demand.consumption_t / 271).round(3).tolist() == demand["index"].tolist()
    assert (production.andean_t / 925).round(3).tolist() == production["index"].tolist()


def test_every_policy_row_has_a_source_and_falls_in_the_run(replay):
    sc, _ = replay
    assert len(sc.policy) >= 15
    for i, p in enumerate(sc.policy):
        assert p.source and len(p.source) > 20, f"policy[{i}] has no source"
        assert p.start < sc.scenario.steps
    starts = {p.start for p in sc.policy}
    # the recorded steps: Caribbean era (0), Plan Colombia 2000-07, Venezuela 2005-08, crackdown
    # 2006-12, Mérida/CARSI 2008-07, Honduras' coup 2009-07
    for month in (0, 54, 115, 131, 150, 162):
        assert month in starts
    # Mexico's kingpin removals as recorded: January 2008 to November 2010
    assert [p.start for p in sc.policy if p.lever == "kingpin_removal"] == [144, 153, 159, 167, 178]


def test_record_rows_are_well_formed(record):
    with RECORD.open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == COLUMNS
    ids = [r["id"] for r in record]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z0-9_]+", i) for i in ids)
    for r in record:
        unit, places = QUANTITIES[r["quantity"]]
        assert r["unit"] == unit, r["id"]
        assert r["place"] in places if places else re.fullmatch(r"[A-Z]{2}", r["place"]), r["id"]
        assert re.fullmatch(r"\d{4}-\d{2}", r["start"]) and re.fullmatch(r"\d{4}-\d{2}", r["end"])
        assert "1996-01" <= r["start"] <= r["end"] <= "2011-12", r["id"]     # inside the replay
        assert float(r["low"]) <= float(r["value"]) <= float(r["high"]), r["id"]
        assert float(r["low"]) < float(r["high"]), r["id"]
        assert r["use"] in ("calibration", "validation")
        assert len(r["source"]) > 20, r["id"]
    uses = {r["use"] for r in record}
    assert uses == {"calibration", "validation"}


def test_validation_cases_are_never_calibration_targets(record):
    # VALIDATION.md case 1 (Guatemala, Central America after the crackdown) is validation only
    for r in record:
        if "VALIDATION.md case" in r["note"]:
            assert r["use"] == "validation", r["id"]
    assert any("VALIDATION.md case 1" in r["note"] for r in record)


def test_a_short_run_of_the_replay(tmp_path, replay):
    sc, _ = replay
    out = tmp_path / "r"
    r = subprocess.run([sys.executable, "-m", "model.cli", "run", str(HISTORY), "--steps", "12", "--out", str(out),
                        "--no-counterfactual", "--no-charts", "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts.month.tolist() == [f"1996-{m:02d}" for m in range(1, 13)]
    # 1996: each cartel ships the whole part of 12 x shipments_per_step x min(demand 1.111, supply
    # 1.027) loads of 1.2 t (1.0 would give 432 loads, the uncapped demand 479)
    loads = sum(math.floor(12 * c.shipments_per_step * min(1.111, 1.027)) for c in sc.cartel)
    assert loads == 441
    assert ts.cocaine_shipped.iloc[-1] == pytest.approx(loads * 1.2)
    assert "air_flights_HN" in ts.columns
