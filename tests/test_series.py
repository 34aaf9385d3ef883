"""Yearly input series (model/scenario/series.py): US demand and production move every
cartel's shipments to exactly shipments_per_step x min(demand, supply), by calendar year.

The toy (tests/toy.py, TWO_CORRIDORS): one cartel, 5 loads of 1.2 t a month; runs start in
November 2000, so months 0-1 are 2000, months 2-13 are 2001.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from model.corridor import CorridorModel
from model.errors import InputError
from model.policy import PolicySchedule
from model.scenario import parse_scenario
from model.scenario.series import calendar_year
from model.world.geography import load_map
from toy import write_two_corridors

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def folder():
    return Path(tempfile.mkdtemp(prefix="series"))


@pytest.fixture(scope="module")
def cmap(folder):
    return load_map(write_two_corridors(folder))


def scenario(series=(), supply=None, policy=(), path=None, steps=12):
    data = {"scenario": {"name": "series", "start_month": "2000-11", "steps": steps},
            "routing": {"max_offshore_km": 0}, "detection": {"port_of_entry": 0.0},
            "cartel": [{"name": "A", "sources": ["Source"], "ports_of_entry": ["Port"],
                        "shipments_per_step": 5, "arms_per_tonne": 0}],
            "jurisdictions": {"default": {"corruption": 0.0}},
            "series": [dict(s) for s in series], "policy": list(policy)}
    if supply is not None:
        data["supply"] = supply
    return parse_scenario(data, path)


def shipped(sc, cmap, months=6):
    m = CorridorModel(sc, cmap, seed=4)
    for _ in range(months):
        m.step()
    return list(np.diff(m.recorder.timeseries().cocaine_shipped, prepend=0))


def test_calendar_year_of_a_month():
    assert [calendar_year("2000-11", k) for k in (0, 1, 2, 13, 14)] == [2000, 2000, 2001, 2001, 2002]
    assert calendar_year("1996-01", 191) == 2011          # the replay's last month


def test_demand_series_scales_shipments_by_year(cmap):
    # 2001 at x0.5: 2.5 loads a month, shipped whole with the fraction carried: 2, 3, 2, 3
    demand = {"lever": "us_demand", "values": {"2000": 1.0, "2001": 0.5}}
    assert shipped(scenario(), cmap) == pytest.approx([6.0] * 6)
    assert shipped(scenario([demand]), cmap) == pytest.approx([6, 6, 2.4, 3.6, 2.4, 3.6])


def test_supply_caps_demand_and_demand_binds_when_scarcer(cmap):
    supply = {"lever": "supply", "values": {"2000": 2.0, "2001": 0.4}}
    # 2000: min(1, 2) = 1, 5 loads; 2001: min(1, 0.4), 2 loads a month
    assert shipped(scenario([supply]), cmap) == pytest.approx([6, 6, 2.4, 2.4, 2.4, 2.4])
    demand = {"lever": "us_demand", "values": {"2000": 0.2, "2001": 0.6}}
    # 2000: min(0.2, 2) = 0.2, 1 load a month; 2001: min(0.6, 0.4) = 0.4, 2 loads
    assert shipped(scenario([supply, demand]), cmap) == pytest.approx([1.2, 1.2, 2.4, 2.4, 2.4, 2.4])
    # a top-level supply with no series caps every year; it multiplies a supply series
    assert shipped(scenario(supply=0.7), cmap) == pytest.approx([3.6, 4.8] * 3)      # 3.5 loads a month
    assert shipped(scenario([supply], supply=0.5), cmap) == pytest.approx([6, 6, 1.2, 1.2, 1.2, 1.2])


def test_policy_rows_on_us_demand_multiply_the_series(cmap):
    demand = {"lever": "us_demand", "values": {"2000": 0.8, "2001": 0.8}}
    rows = [{"lever": "us_demand", "start": 2, "operation": "multiply", "value": 0.5}]
    # 4 loads a month, then 0.8 x 0.5 = 0.4: 2 loads
    assert shipped(scenario([demand], policy=rows), cmap) == pytest.approx([4.8, 4.8, 2.4, 2.4, 2.4, 2.4])
    # the counterfactual keeps the series (they are the world, not an intervention)
    cf = scenario([demand], policy=rows).without_policy()
    assert shipped(cf, cmap) == pytest.approx([4.8] * 6)


@settings(max_examples=60, deadline=None)
@given(d=st.floats(0.01, 5), s=st.floats(0.01, 5), base=st.floats(0.1, 3), cap=st.none() | st.floats(0.1, 3))
def test_factor_is_min_of_demand_and_supply(cmap, d, s, base, cap):
    sc = scenario([{"lever": "us_demand", "values": {"2000": d, "2001": d}},
                   {"lever": "supply", "values": {"2000": s, "2001": s}}], supply=cap)
    sc.us_demand = base
    ps = PolicySchedule(sc, cmap)
    for month in (0, 5):
        assert ps.shipment_factor(month) == pytest.approx(min(base * d, (1.0 if cap is None else cap) * s))


def test_series_file_is_read_relative_to_the_scenario(folder, cmap):
    csv = folder / "data" / "demand.csv"
    csv.parent.mkdir(exist_ok=True)
    csv.write_text("# a comment line\nyear,index,source,note\n2000,1.0,Test 2000,\n2001,0.5,Test 2001,a note\n")
    sc = scenario([{"lever": "us_demand", "file": "data/demand.csv"}], path=folder / "s.toml")
    assert sc.series[0].values == {2000: 1.0, 2001: 0.5}
    assert shipped(sc, cmap) == pytest.approx([6, 6, 2.4, 3.6, 2.4, 3.6])


@pytest.mark.parametrize("text,field", [
    ("year,index,source\n2000,1.0,\n2001,1.0,S\n", "row 1 (year 2000).source"),
    ("year,index,source\n2000,x,S\n2001,1.0,S\n", "row 1 (year 2000).index"),
    ("year,value,source\n2000,1.0,S\n", "field 'index'"),
    ("year,index,source\n2000,1.0,S\n2000,1.0,S\n", "row 2 (year 2000).year"),
])
def test_bad_series_files_name_file_and_field(folder, text, field):
    bad = folder / "bad.csv"
    bad.write_text(text)
    with pytest.raises(InputError, match="bad.csv") as err:
        scenario([{"lever": "us_demand", "file": "bad.csv"}], path=folder / "s.toml")
    assert field in str(err.value)


def test_series_must_cover_the_run(folder):
    with pytest.raises(InputError, match=r"series\[0\] \(supply\) covers 2000-2000; the run spans 2000-2001"):
        scenario([{"lever": "supply", "values": {"2000": 1.0}}])
    with pytest.raises(InputError, match="years missing between 2000 and 2003"):
        scenario([{"lever": "supply", "values": {"2000": 1.0, "2003": 1.0}}])
    with pytest.raises(InputError, match="needs yearly values"):
        scenario([{"lever": "supply", "file": "nowhere.csv"}])     # built in code: no folder to read from


def test_cli_reports_a_bad_series_file_without_traceback(folder):
    (folder / "nosource.csv").write_text("year,index,source\n2000,1.0,\n2001,1.0,\n")
    toml = folder / "bad_series.toml"
    toml.write_text('[scenario]\nname = "bad"\nmap = "two_corridors.toml"\nstart_month = "2000-11"\nsteps = 12\n'
                    '[[cartel]]\nname = "A"\nsources = ["Source"]\nports_of_entry = ["Port"]\n'
                    '[[series]]\nlever = "us_demand"\nfile = "nosource.csv"\n')
    r = subprocess.run([sys.executable, "-m", "model.cli", "validate", str(toml)], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert "nosource.csv" in r.stderr and "every row names its source" in r.stderr
    assert "Traceback" not in r.stderr


def test_an_extending_scenario_elsewhere_keeps_the_parents_series(folder):
    # the series file is read relative to the file that names it, not the one extending it
    from model.scenario import parse_scenario, read_scenario_dict
    parent_dir, child_dir = folder / "parent", folder / "elsewhere" / "child"
    (parent_dir / "data").mkdir(parents=True, exist_ok=True)
    child_dir.mkdir(parents=True, exist_ok=True)
    (parent_dir / "data" / "d.csv").write_text("year,index,source\n2000,0.5,S\n2001,0.25,S\n")
    (parent_dir / "p.toml").write_text('[scenario]\nname = "p"\nstart_month = "2000-11"\nsteps = 12\n'
                                       '[[cartel]]\nname = "A"\nsources = ["Source"]\nports_of_entry = ["Port"]\n'
                                       '[[series]]\nlever = "us_demand"\nfile = "data/d.csv"\n')
    child = child_dir / "c.toml"
    child.write_text('[scenario]\nextends = "../../parent/p.toml"\nname = "c"\n')
    sc = parse_scenario(read_scenario_dict(child), child)
    assert sc.series[0].values == {2000: 0.5, 2001: 0.25}


def test_a_run_longer_than_the_series_is_refused_before_it_starts(folder):
    # history.toml's series end in 2011: --steps 200 would reach 2012
    r = subprocess.run([sys.executable, "-m", "model.cli", "run", str(ROOT / "scenarios" / "history.toml"),
                        "--steps", "200", "--out", str(folder / "long"), "--quiet"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "series[0]" in r.stderr and "spans 1996-2012" in r.stderr and "Traceback" not in r.stderr
    assert not (folder / "long" / "timeseries.parquet").exists()
