"""`corridor calibrate`: the record's schema, observe(), recovery of known parameters, determinism, resume."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibrate_toy import HEADER, SMALL, TRUTH, write_toy_calibration
from model.errors import InputError
from model.runs.observe import ObservableError, columns_needed, observe
from model.runs.record import load_record

ROOT = Path(__file__).resolve().parents[1]
GOOD_ROW = "east_share,transit_share,XE,2004-01,2005-12,0.6,0.5,0.7,share,calibration,a source,\n"
FAST_RECORD = HEADER + GOOD_ROW + \
    "delivered,cocaine_delivered,all,2004-01,2005-12,80,70,90,t per year,calibration,a source,\n"


# --------------------------------------------------------------------------- record schema

@pytest.mark.parametrize("row, field, words", [
    ("x,transit_share,XE,2004-01,2005-12,0.6,0.5,0.7,t,calibration,s,\n", "unit", "'share'"),
    ("x,flows,XE,2004-01,2005-12,0.6,0.5,0.7,share,calibration,s,\n", "quantity", "vector_share"),
    ("x,transit_share,XE,2004-01,2005-12,0.9,0.5,0.7,share,calibration,s,\n", "value", "low <= value <= high"),
    ("x,transit_share,XE,2004-13,2005-12,0.6,0.5,0.7,share,calibration,s,\n", "start", "pattern"),
    ("x,transit_share,XE,2004-01,2005-12,0.6,0.5,0.7,share,target,s,\n", "use", "calibration"),
    ("x,transit_share,XE,2004-01,2005-12,0.6,0.5,0.7,share,calibration,,\n", "source", "at least 1"),
    ("x,vector_share,pacific,2004-01,2005-12,0.6,0.5,0.7,share,calibration,s,\n", "place", "eastern_pacific"),
    ("Bad-Id,transit_share,XE,2004-01,2005-12,0.6,0.5,0.7,share,calibration,s,\n", "id", "pattern"),
    ("x,guatemala_share_of_mexico_overland,all,2011-01,2011-12,0.9,0.8,1,share,calibration,s,\n", "use",
     "validation only"),
    ("east_share,transit_share,XE,2004-01,2004-12,0.6,0.5,0.7,share,calibration,s,\n", "id", "line 2"),
])
def test_record_rows_are_checked(tmp_path, row, field, words):
    p = tmp_path / "record.csv"
    p.write_text(HEADER + GOOD_ROW + row)
    with pytest.raises(InputError) as err:
        load_record(p)
    assert err.value.path == f"{p}:3" and err.value.field == field
    assert words in err.value.message


def test_record_header_and_good_rows(tmp_path):
    p = tmp_path / "record.csv"
    p.write_text("id,quantity,value\n")
    with pytest.raises(InputError, match="expected the header id,quantity,place"):
        load_record(p)
    p.write_text(FAST_RECORD)
    rows = load_record(p)
    assert [r.id for r in rows] == ["east_share", "delivered"] and rows[0].obs_sd == pytest.approx(0.05)


def test_cli_bad_files_exit_2(tmp_path):
    cal = write_toy_calibration(tmp_path, record=FAST_RECORD)
    cal.write_text(cal.read_text().replace("waves = 3", "wavez = 3"))
    r = subprocess.run([sys.executable, "-m", "model.cli", "calibrate", str(cal)], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{cal}: field 'calibration.wavez': unknown field" in r.stderr
    cal = write_toy_calibration(tmp_path, record=FAST_RECORD.replace("t per year", "tonnes"))
    r = subprocess.run([sys.executable, "-m", "model.cli", "calibrate", str(cal)], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{tmp_path / 'record.csv'}:3: field 'unit': 'cocaine_delivered' is measured in 't per year'" in r.stderr


def test_targets_never_validation_rows(tmp_path):
    from model.runs.calibrate import load_calibration

    record = FAST_RECORD + "later,transit_share,XE,2005-01,2005-12,0.6,0.5,0.7,share,validation,s,\n"
    cal = write_toy_calibration(tmp_path, record=record, extra='targets = { ids = ["east_share", "later"] }')
    with pytest.raises(InputError, match="'later' is a validation row"):
        load_calibration(cal)
    cal = write_toy_calibration(tmp_path, record=record, extra='targets = { quantities = ["transit_share"] }')
    assert [t.id for t in load_calibration(cal).targets] == ["east_share"]
    cal = write_toy_calibration(tmp_path, record=record.replace("2005-12,80", "2006-12,80"))
    with pytest.raises(InputError, match="outside the scenario's months 2004-01..2005-12"):
        load_calibration(cal)


# --------------------------------------------------------------------------- observe

def hand_made() -> pd.DataFrame:
    return pd.DataFrame({
        "step": [0, 1, 2, 3], "month": ["2006-11", "2006-12", "2007-01", "2007-02"],
        "cocaine_completed": [10.0, 20.0, 10.0, 0.0],
        "vector_eastern_pacific": [5.0, 5.0, 10.0, 0.0],
        "central_america_completed": [2.0, 4.0, 4.0, 0.0],
        "transit_GT": [1.0, 3.0, 6.0, 0.0],
        "air_flights_HN": [1.0, 0.0, 2.0, 4.0],
        "homicides_MX": [10.0, 20.0, 30.0, 40.0],
        "population_MX": [1e6, 1e6, 3e6, 3e6],
        "cocaine_delivered": [1.0, 3.0, 6.0, 10.0],
        "cocaine_shipped": [2.0, 5.0, 9.0, 14.0],
        "migrants_kidnapped_MX": [0.0, 50.0, 25.0, 0.0],
        "organisations": [5, 5, 7, 6],
    }).assign(**seized_in({"GT": [1.0, 2.0, 0.0, 0.0], "HN": [0.0, 1.0, 0.0, 0.0], "JM": [0.0, 1.0, 3.0, 0.0],
                             "MX": [9.0, 9.0, 9.0, 9.0], "INTL": [4.0, 4.0, 4.0, 4.0]}))


def seized_in(some: dict) -> dict:
    """cocaine_seized_in_<CC> for every Central American and Caribbean code (and any other given)."""
    from model.metrics import CARIBBEAN, CENTRAL_AMERICA
    codes = list(CENTRAL_AMERICA + CARIBBEAN) + [c for c in some if c not in CENTRAL_AMERICA + CARIBBEAN]
    return {f"cocaine_seized_in_{c}": some.get(c, [0.0] * 4) for c in codes}


def test_observe_hand_computed():
    ts = hand_made()
    assert observe(ts, "vector_share", "eastern_pacific", "2006-11", "2007-02") == pytest.approx(20 / 40)
    assert observe(ts, "central_america_share", "all", "2006-12", "2007-01") == pytest.approx(8 / 30)
    assert observe(ts, "transit_share", "GT", "2007-01", "2007-01") == pytest.approx(0.6)
    assert observe(ts, "transit_share", "GT", "2007-02", "2007-02") == 0.0          # nothing completed
    assert observe(ts, "air_flights", "HN", "2006-12", "2007-02") == 6.0
    # 20 + 30 homicides over 2 months at a mean 2 million people: 50 / 2e6 * 1e5 * 12 / 2 = 15 per 100,000 a year
    assert observe(ts, "homicide_rate", "MX", "2006-12", "2007-01") == pytest.approx(15.0)
    # cumulative ledgers: 10 - 1 t delivered in Dec..Feb (3 months) = 36 t a year; from the first month 10 t in 4
    assert observe(ts, "cocaine_delivered", "all", "2006-12", "2007-02") == pytest.approx(36.0)
    assert observe(ts, "cocaine_shipped", "all", "2006-11", "2007-02") == pytest.approx(42.0)
    assert observe(ts, "migrants_kidnapped", "MX", "2006-11", "2007-02") == 75.0
    # the most organisations in any month of the period, not the last month's (7 in January, 6 in February)
    assert observe(ts, "organisations", "all", "2006-11", "2006-12") == 5.0
    assert observe(ts, "organisations", "all", "2006-12", "2007-02") == 7.0
    # Central America's share of the seizures in Central America and the Caribbean (Mexico and the
    # open sea not counted): Dec-Jan GT 2 + HN 1 of GT 2 + HN 1 + JM 1 + JM 3 = 3 / 7; none in Feb
    assert observe(ts, "central_america_seizure_share", "all", "2006-12", "2007-01") == pytest.approx(3 / 7)
    assert observe(ts, "central_america_seizure_share", "all", "2006-11", "2006-11") == 1.0
    assert observe(ts, "central_america_seizure_share", "all", "2007-02", "2007-02") == 0.0


def test_observe_refuses_what_it_cannot_give():
    ts = hand_made()
    with pytest.raises(ObservableError, match="needs the column"):
        observe(ts, "air_flights", "GT", "2006-11", "2007-02")
    with pytest.raises(ObservableError, match="covers only 2006-11..2007-02"):
        observe(ts, "transit_share", "GT", "2006-01", "2007-02")
    with pytest.raises(ObservableError, match="unknown quantity"):
        observe(ts, "seizures", "GT", "2006-11", "2007-02")
    assert columns_needed([("transit_share", "GT"), ("central_america_share", "all")]) == \
        ["transit_GT", "cocaine_completed", "central_america_completed"]


# --------------------------------------------------------------------------- calibrating the toy

@pytest.mark.slow
def test_recovers_known_parameters(tmp_path):
    """Targets made by the model at known values: the truth stays non-implausible and the region shrinks."""
    from model.runs.calibrate import load_calibration, run_calibration

    cal = load_calibration(write_toy_calibration(tmp_path, waves=3, runs_per_wave=30))
    rep = run_calibration(cal, out=tmp_path / "out", workers=0, progress=False)
    post = pd.read_parquet(rep.folder / "posterior.parquet")
    assert rep.posterior_points >= 3
    for p in cal.parameters:
        lo, hi = post[p.name].min(), post[p.name].max()
        assert lo <= TRUTH[p.name] <= hi, (p.name, lo, hi)
        assert (hi - lo) < 0.5 * (p.high - p.low), (p.name, lo, hi)
    diag = json.loads((rep.folder / "diagnostics.json").read_text())
    assert [w["wave"] for w in diag["waves"]] == [1, 2, 3]
    assert diag["waves"][-1]["non_implausible_fraction_of_prior"] < 0.5
    for png in ("posterior_marginals.png", "predictive_check.png"):
        assert (rep.folder / png).stat().st_size > 10_000


# small_run (conftest.py): the SMALL toy calibration, run once for this file and test_posterior_commands.py


@pytest.mark.slow
def test_same_calibration_twice_is_identical(small_run, tmp_path):
    from model.runs.calibrate import load_calibration, run_calibration

    folder, _, rep = small_run
    cal = load_calibration(write_toy_calibration(tmp_path, record=(folder / "record.csv").read_text(), **SMALL))
    again = run_calibration(cal, out=tmp_path / "out", workers=0, progress=False)
    for name in ("posterior.parquet", "wave_1/results.parquet", "wave_2/design.parquet"):
        a = pd.read_parquet(rep.folder / name).drop(columns=["wall_seconds"], errors="ignore")
        b = pd.read_parquet(again.folder / name).drop(columns=["wall_seconds"], errors="ignore")
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.distributed
def test_local_cluster_gives_the_same_posterior(small_run, tmp_path):
    from model.runs.calibrate import load_calibration, run_calibration

    folder, _, rep = small_run
    cal = load_calibration(write_toy_calibration(tmp_path, record=(folder / "record.csv").read_text(), **SMALL))
    dist = run_calibration(cal, out=tmp_path / "out", workers=2, progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(rep.folder / "posterior.parquet"),
                                  pd.read_parquet(dist.folder / "posterior.parquet"))


@pytest.mark.slow
def test_resume_after_kill_9(small_run, tmp_path):
    """Killed mid-wave with SIGKILL: --resume runs only the missing runs and ends with the same posterior."""
    import os
    import signal
    import time

    from model.runs.calibrate import load_calibration, run_calibration

    folder, _, rep = small_run
    path = write_toy_calibration(tmp_path, record=(folder / "record.csv").read_text(), **SMALL)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "model.cli", "calibrate", str(path), "--workers", "0",
                             "--out", str(out), "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list((out / "wave_1" / "runs").glob("r*.parquet"))) < 3 and time.monotonic() < deadline:
        assert proc.poll() is None, "the calibration ended before it could be killed"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = {p.name: p.stat().st_mtime_ns for p in out.glob("wave_*/runs/r*.parquet")}
    assert 3 <= len(kept) < rep.runs and (out / ".lock").exists()
    cal = load_calibration(path)
    with pytest.raises(InputError, match="give --resume"):
        run_calibration(cal, out=out, workers=0, progress=False)
    again = run_calibration(cal, out=out, workers=0, progress=False, resume=True)
    assert again.ran == rep.runs - len(kept) and again.runs == rep.runs
    assert {n: t for n, t in ((p.name, p.stat().st_mtime_ns) for p in out.glob("wave_*/runs/r*.parquet"))
            if n in kept} == kept
    pd.testing.assert_frame_equal(pd.read_parquet(rep.folder / "posterior.parquet"),
                                  pd.read_parquet(out / "posterior.parquet"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "calibration" and manifest["status"] == "complete"
    assert len(manifest["sessions"]) == 2 and not (out / ".lock").exists()


@pytest.mark.slow
def test_resume_runs_only_what_is_missing(small_run, tmp_path):
    from model.runs.calibrate import run_calibration

    folder, cal, rep = small_run
    out = tmp_path / "out"
    shutil.copytree(rep.folder, out)
    with pytest.raises(InputError, match="give --resume"):
        run_calibration(cal, out=out, workers=0, progress=False)
    # as after kill -9 in wave 2: some of its run files, its results and the posterior are missing
    gone = sorted((out / "wave_2" / "runs").glob("r*.parquet"))[:3]
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "wave_1" / "runs").glob("r*.parquet")}
    for p in gone + [out / "wave_2" / "results.parquet", out / "posterior.parquet"]:
        p.unlink()
    again = run_calibration(cal, out=out, workers=0, progress=False, resume=True)
    assert again.ran == 3 and again.runs == rep.runs
    assert {p.name: p.stat().st_mtime_ns for p in (out / "wave_1" / "runs").glob("r*.parquet")} == kept
    pd.testing.assert_frame_equal(pd.read_parquet(rep.folder / "posterior.parquet"),
                                  pd.read_parquet(out / "posterior.parquet"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "calibration" and manifest["status"] == "complete"
    assert len(manifest["sessions"]) == 2
    assert np.isfinite(json.loads((out / "diagnostics.json").read_text())["waves"][0]["implausibility_max"])


@pytest.mark.slow
def test_a_resumed_wave_keeps_the_points_it_started_on(small_run, tmp_path, monkeypatch):
    """On another machine the refitted emulators may choose other points for the interrupted
    wave (their optimiser runs on that machine's BLAS); the wave still goes on with its own."""
    from model.runs.calibrate import run_calibration, runner

    folder, cal, rep = small_run
    out = tmp_path / "out"
    shutil.copytree(rep.folder, out)
    gone = sorted((out / "wave_2" / "runs").glob("r*.parquet"))[:3]
    for p in gone + [out / "wave_2" / "results.parquet", out / "posterior.parquet"]:
        p.unlink()
    chosen = runner.wave_design

    def elsewhere(cal, wave, emulators):
        u, how = chosen(cal, wave, emulators)
        return (1.0 - u if wave == 2 else u), how     # what another machine's emulators might pick

    monkeypatch.setattr(runner, "wave_design", elsewhere)
    again = run_calibration(cal, out=out, workers=0, progress=False, resume=True)
    assert again.ran == 3 and again.runs == rep.runs
    pd.testing.assert_frame_equal(pd.read_parquet(rep.folder / "wave_2" / "design.parquet"),
                                  pd.read_parquet(out / "wave_2" / "design.parquet"))
    assert "interrupted session" in json.loads((out / "diagnostics.json").read_text())["waves"][1]["design"]


# --------------------------------------------------------------------------- posterior draws

def test_spread_splits_into_parameter_and_seed_parts():
    from model.runs.posterior import spread

    df = pd.DataFrame({"draw": [0, 0, 1, 1], "x": [1.0, 3.0, 5.0, 7.0]})
    # total variance of 1, 3, 5, 7 is 5: draws' means 2 and 6 vary by 4, seeds within a draw by 1
    assert spread(df, "x") == pytest.approx({"total": 5.0, "parameter": 4.0, "seed": 1.0})


@pytest.mark.slow
def test_compare_over_posterior_draws(small_run, tmp_path, capsys):
    from model.cli.main import main

    folder, cal, rep = small_run
    post = pd.read_parquet(rep.folder / "posterior.parquet")
    assert post.point.nunique() >= 2
    code = main(["compare", str(folder / "toy.toml"), "--posterior", str(rep.folder), "--draws", "2",
                 "--replications", "2", "--out", str(tmp_path / "cmp"), "--quiet"])
    assert code == 0
    runs = pd.read_parquet(tmp_path / "cmp" / "runs.parquet")
    assert sorted(runs.draw.unique()) == [0, 1] and len(runs) == 4
    first = post.drop_duplicates("point").sort_values("point").iloc[0]
    assert runs[runs.draw == 0].units.iloc[0] == pytest.approx(first.units)
    out = capsys.readouterr().out
    assert "2 posterior draws x 2 paired seeds" in out and "comes from parameter uncertainty" in out


def test_small_record_has_every_quantity():
    from model.runs.observe import QUANTITIES

    rows = load_record(Path(__file__).parent / "data" / "record_small.csv")
    assert {r.quantity for r in rows} == set(QUANTITIES)
    assert {r.id: r.use for r in rows}["guatemala_2011"] == "validation"
    assert all(r.source for r in rows)
