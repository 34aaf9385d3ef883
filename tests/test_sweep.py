"""Policy sweeps in this process and through the real CLI: seeds, files, resume, bad input, analysis."""

import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, corridor_cli
from model.runs import sweep
from model.runs.simulate import run_pair
from model.scenario import load_scenario, parse_scenario
from sweep_toy import write_toy_experiment


def files_state(folder):
    """mtime and hash of every run file: 'untouched' means both unchanged."""
    return {p.name: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted((folder / "runs").glob("*.parquet"))}


# ---------------------------------------------------------------- seeds and design

def test_seeds_and_ids_do_not_move_when_the_design_grows(tmp_path):
    small = sweep.build_design(sweep.load_experiment(write_toy_experiment(tmp_path / "a", replications=2)))
    big = sweep.build_design(sweep.load_experiment(write_toy_experiment(
        tmp_path / "b", replications=3, units=(4.0, 8.0, 12.0), decays=(0.1, 0.2, 0.3))))
    assert len(small.runs) == 2 * 2 * 2 and len(big.runs) == 3 * 3 * 3
    by_id = {r.run_id: r for r in big.runs}
    for r in small.runs:
        assert r.run_id in by_id, r.factors
        assert by_id[r.run_id].seed == r.seed and by_id[r.run_id].factors == r.factors
    seeds = [r.seed for r in big.runs]
    assert len(set(seeds)) == len(seeds) and all(0 <= s < 2**63 for s in seeds)
    # one root seed changes every run's seed but not its identity
    other = sweep.build_design(sweep.load_experiment(write_toy_experiment(tmp_path / "c", root_seed=12)))
    assert [r.run_id for r in other.runs] == [r.run_id for r in small.runs]
    assert not {r.seed for r in other.runs} & {r.seed for r in small.runs}


def test_whole_numbers_and_floats_name_the_same_run(tmp_path):
    a = sweep.build_design(sweep.load_experiment(write_toy_experiment(tmp_path / "a", units=(4, 12))))
    b = sweep.build_design(sweep.load_experiment(write_toy_experiment(tmp_path / "b", units=(4.0, 12.0))))
    assert [r.run_id for r in a.runs] == [r.run_id for r in b.runs]


def test_every_factor_value_reaches_the_scenario(tmp_path):
    design = sweep.build_design(sweep.load_experiment(write_toy_experiment(tmp_path)))
    for r in design.runs:
        sc = parse_scenario(r.scenario)
        assert sc.policy[0].value == r.factors["block_units"]
        assert sc.routing.risk_decay == r.factors["risk_decay"]
        assert sc.scenario.steps == 20          # the constant


def test_shipped_experiments_validate():
    for name, runs in (("smoke.toml", 8), ("balloon_sweep.toml", 50)):
        exp = sweep.load_experiment(ROOT / "experiments" / name)
        design = sweep.build_design(exp)
        assert len(design.runs) == runs
        assert {f.name for f in exp.factors} == {"mexico_enforcement", "regional_cooperation"}
        coop = next(r for r in design.runs if r.factors["regional_cooperation"])
        sc = parse_scenario(coop.scenario)
        assert sc.jurisdictions["GT"].cooperation is True and sc.jurisdictions["MX"].cooperation is True
        base, _ = load_scenario(exp.scenario_path)
        strong = max(design.runs, key=lambda r: r.factors["mexico_enforcement"])
        assert [p.value for p in parse_scenario(strong.scenario).policy] == \
            [strong.factors["mexico_enforcement"]] * len(base.policy)


# ---------------------------------------------------------------- a sweep through the CLI

def test_in_process_sweep_writes_every_file_and_matches_run_pair(tmp_path):
    exp_path = write_toy_experiment(tmp_path / "exp")
    out = tmp_path / "out"
    r = corridor_cli("sweep", exp_path, "--workers", "0", "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "8 new, 0 already done, 0 failed" in r.stdout
    for name in ("manifest.json", "design.parquet", "summary.parquet", "timeseries.parquet"):
        assert (out / name).is_file(), name
    assert len(list((out / "runs").glob("r*.parquet"))) == 8 and not list((out / "failures").iterdir())
    assert not list(out.rglob(".*tmp*"))

    m = json.loads((out / "manifest.json").read_text())
    assert m["experiment_sha256"] == hashlib.sha256(exp_path.read_bytes()).hexdigest()
    assert m["counts"] == {"planned": 8, "design_rows": 8, "done": 8, "failed": 0}
    assert m["status"] == "complete" and m["sessions"][0]["backend"]["kind"] == "in-process"
    assert m["versions"]["mesa"].startswith("3.5") and "git_commit" in m and m["sessions"][0]["command"][1] == "sweep"

    summary = pq.read_table(out / "summary.parquet")
    s = summary.schema
    assert s.field("run_id").type == pa.string() and s.field("seed").type == pa.int64()
    assert s.field("replicate").type == pa.int32() and s.field("block_units").type == pa.float64()
    assert s.field("cocaine.delivered").type == pa.float64() and s.field("displacement.ratio").type == pa.float64()
    df = summary.to_pandas()
    assert len(df) == 8 and df.run_id.is_unique
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 8 * 20 and set(ts.columns) >= {"run_id", "step", "month", "cocaine_delivered", "transit_XE"}
    design = pd.read_parquet(out / "design.parquet")
    assert sorted(design.run_id) == sorted(df.run_id) and (design.seed.to_numpy() < 2**63).all()

    # the sweep's numbers are run_pair's numbers for that scenario and seed
    exp = sweep.load_experiment(exp_path)
    spec = sweep.build_design(exp).runs[5]
    sc, cmap = load_scenario(exp.scenario_path)
    direct = run_pair(parse_scenario(spec.scenario), cmap, spec.seed)
    row = df.set_index("run_id").loc[spec.run_id]
    assert row["seed"] == spec.seed and row["block_units"] == spec.factors["block_units"]
    assert row["cocaine.delivered"] == direct["summary"]["cocaine"]["delivered"]
    assert row["transit_share.XE"] == direct["summary"]["transit_share"]["XE"]
    mine = ts[ts.run_id == spec.run_id].reset_index(drop=True)
    np.testing.assert_array_equal(mine.cocaine_seized, direct["main"].timeseries.cocaine_seized)
    assert mine.month.tolist() == direct["main"].timeseries.month.tolist()


def test_resume_runs_only_what_is_missing_and_leaves_the_rest(tmp_path):
    exp_path = write_toy_experiment(tmp_path / "exp")
    out = tmp_path / "out"
    sweep.run_sweep(exp_path, out=out, workers=0, progress=False)
    before = files_state(out)
    lost = sorted(before)[:3]
    for name in lost:                      # as if the client died before writing them
        (out / "runs" / name).unlink()
    (out / "runs" / ".rdeadbeef.parquet.tmp-1").write_bytes(b"half")   # a write cut short
    r = corridor_cli("sweep", exp_path, "--workers", "0", "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "3 new, 5 already done" in r.stdout
    after = files_state(out)
    assert set(after) == set(before)
    assert all(after[n] == before[n] for n in before if n not in lost)
    assert not list((out / "runs").glob(".*"))
    assert len(json.loads((out / "manifest.json").read_text())["sessions"]) == 2
    # nothing left to do: a third run writes no run file
    r = corridor_cli("sweep", exp_path, "--workers", "0", "--out", out, "--quiet")
    assert r.returncode == 0 and "0 new, 8 already done" in r.stdout
    assert files_state(out) == after


def test_changed_experiment_is_refused_unless_fresh(tmp_path):
    exp_path = write_toy_experiment(tmp_path / "exp")
    out = tmp_path / "out"
    sweep.run_sweep(exp_path, out=out, workers=0, progress=False)
    first = pd.read_parquet(out / "summary.parquet").set_index("run_id")
    state = files_state(out)
    manifest = (out / "manifest.json").read_bytes()
    write_toy_experiment(tmp_path / "exp", units=(4.0, 8.0, 12.0))       # one more lever value
    r = corridor_cli("sweep", exp_path, "--workers", "0", "--out", out, "--quiet")
    assert r.returncode == 2
    assert "experiment file changed" in r.stderr and "--fresh" in r.stderr and "Traceback" not in r.stderr
    assert files_state(out) == state and (out / "manifest.json").read_bytes() == manifest

    r = corridor_cli("sweep", exp_path, "--workers", "0", "--out", out, "--quiet", "--fresh")
    assert r.returncode == 0, r.stderr
    assert "12 new, 0 already done" in r.stdout
    second = pd.read_parquet(out / "summary.parquet").set_index("run_id")
    # the runs both designs share have the same seed and the same numbers
    pd.testing.assert_frame_equal(second.loc[first.index], first, check_exact=True)


def test_compact_alone_rebuilds_the_tables(tmp_path):
    exp_path = write_toy_experiment(tmp_path / "exp", replications=1)
    out = tmp_path / "out"
    sweep.run_sweep(exp_path, out=out, workers=0, progress=False)
    summary = pd.read_parquet(out / "summary.parquet")
    (out / "summary.parquet").unlink()
    (out / "timeseries.parquet").unlink()
    r = corridor_cli("sweep", "compact", out)
    assert r.returncode == 0, r.stderr
    assert "4 of 4 runs" in r.stdout
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"), summary)
    r = corridor_cli("sweep", exp_path, "--compact-only", "--out", out)
    assert r.returncode == 0 and (out / "timeseries.parquet").is_file()


def test_failed_runs_are_recorded_with_traceback_and_retried(tmp_path):
    exp_path = write_toy_experiment(tmp_path / "exp", replications=1)
    out = tmp_path / "out"
    broken = sweep.load_experiment(exp_path)
    broken.timeseries = broken.timeseries + ["no_such_column"]   # every run fails on the worker side
    rep = sweep.run_sweep(exp_path, out=out, workers=0, progress=False, exp=broken)
    assert rep.failed == 4 and rep.ran == 0
    records = [json.loads(p.read_text()) for p in (out / "failures").glob("*.json")]
    assert len(records) == 4
    assert all("no_such_column" in r["error"] and "Traceback" in r["traceback"] and r["seed"] > 0 for r in records)
    assert len(pd.read_parquet(out / "summary.parquet")) == 0
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"
    rep = sweep.run_sweep(exp_path, out=out, workers=0, progress=False)
    assert rep.ran == 4 and rep.failed == 0 and not list((out / "failures").iterdir())


# ---------------------------------------------------------------- bad input: exit 2, nothing written

BAD_EXPERIMENTS = [
    # (change to the experiment text, field named in the message, words in the message)
    (lambda t: t.replace('"routing.risk_decay"', '"routing.risk_decy"'), "uncertainty[0].path",
     "did you mean risk_decay"),
    (lambda t: t.replace('"policy[0].value"', '"policy[3].value"'), "lever[0].path", "has 1 entry"),
    (lambda t: t.replace("values = [0.1, 0.3]", "values = [0.1, 1.5]"), "routing.risk_decay",
     "less than or equal to 1"),
    (lambda t: t.replace('"cocaine.*"', '"cocaine.deliverd"'), "outcomes.summary[0]", "did you mean cocaine.delivered"),
    (lambda t: t.replace('kind = "grid"', 'kind = "sobol"'), "design", "needs 'samples'"),
    (lambda t: t.replace("replications = 2", "replications = 2\nrepetitions = 3"), "experiment.repetitions",
     "unknown field"),
    (lambda t: t.replace("replications = 2", "replications = 0"), "experiment.replications", "greater than or equal"),
    (lambda t: t.replace('scenario = "toy.toml"', 'scenario = "nowhere.toml"'), "experiment.scenario", "not found"),
    (lambda t: t.replace('"scenario.steps" = 20', '"scenario.steps" = 20\n"routing.nope" = 1'), "constants.routing.nope",
     "no field 'nope'"),
    (lambda t: t.replace("[design]", "[design"), None, "malformed TOML"),
]


@pytest.mark.parametrize("change,field,words", BAD_EXPERIMENTS)
def test_bad_experiment_exits_2_and_writes_nothing(tmp_path, change, field, words):
    exp_path = write_toy_experiment(tmp_path / "exp")
    exp_path.write_text(change(exp_path.read_text()))
    out = tmp_path / "out"
    r = corridor_cli("sweep", exp_path, "--workers", "0", "--out", out)
    assert r.returncode == 2, r.stderr
    err = r.stderr.strip()
    assert err.startswith(f"corridor: error: {exp_path}") and "Traceback" not in err, err
    if field:
        assert f"field '{field}'" in err, err
    assert words in err, err
    assert not out.exists()


@pytest.mark.parametrize("flags,words", [
    (["--workers", "-1"], "expected workers (0 = in-process) at least 0, got -1"),
    (["--workers", "two"], "expected a whole number"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "cannot be combined"),
    (["--scheduler", "no-such-file.json"], "neither a scheduler file nor an address"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_flags_exit_2_and_write_nothing(tmp_path, flags, words):
    exp_path = write_toy_experiment(tmp_path / "exp")
    out = tmp_path / "out"
    r = corridor_cli("sweep", exp_path, "--out", out, *flags)
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not out.exists()


def test_a_folder_that_is_not_a_sweep_is_never_touched(tmp_path):
    exp_path = write_toy_experiment(tmp_path / "exp")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    for extra in ([], ["--fresh"]):
        r = corridor_cli("sweep", exp_path, "--workers", "0", "--out", out, *extra)
        assert r.returncode == 2 and "not a sweep result folder" in r.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


# ---------------------------------------------------------------- analysis

SAMPLED_FACTORS = """
[[lever]]
name = "block_units"
path = "policy[0].value"
low = 2.0
high = 14.0

[[uncertainty]]
name = "risk_decay"
path = "routing.risk_decay"
low = 0.05
high = 0.4

[[uncertainty]]
name = "strategy"
path = "jurisdictions.XW.strategy"
values = ["static", "hotspot"]
"""


@pytest.mark.parametrize("design,runs,table,columns", [
    ('kind = "sobol"\nsamples = 4', 4 * (3 + 2), "sobol_cocaine.delivered", ["S1", "ST"]),
    ('kind = "morris"\nsamples = 3\nlevels = 4', 3 * (3 + 1), "morris_cocaine.delivered", ["mu_star", "sigma"]),
    ('kind = "latin_hypercube"\nsamples = 10', 10, "correlation_spearman", ["cocaine.delivered"]),
])
def test_sampled_designs_run_and_analyze(tmp_path, design, runs, table, columns):
    exp_path = write_toy_experiment(tmp_path / "exp", design=design, factors=SAMPLED_FACTORS, replications=1,
                                    steps=12)
    out = tmp_path / "out"
    rep = sweep.run_sweep(exp_path, out=out, workers=0, progress=False)
    assert rep.failed == 0 and len(pd.read_parquet(out / "design.parquet")) == runs
    assert rep.planned <= runs          # Morris trajectories may revisit a point: it runs once
    r = corridor_cli("analyze", out, "--outcome", "cocaine.delivered")
    assert r.returncode == 0, r.stderr
    assert f"== {table}" in r.stdout
    csv = pd.read_csv(out / "analysis" / f"{table}.csv", index_col=0)
    assert set(columns) <= set(csv.columns)
    if "S1" in columns:
        assert list(csv.index) == ["block_units", "risk_decay", "strategy"]


def test_grid_analysis_effects_and_prim(tmp_path):
    exp_path = write_toy_experiment(tmp_path / "exp", steps=30)
    out = tmp_path / "out"
    sweep.run_sweep(exp_path, out=out, workers=0, progress=False)
    r = corridor_cli("analyze", out)
    assert r.returncode == 0, r.stderr
    effects = pd.read_csv(out / "analysis" / "effects_block_units.csv", index_col=0)
    assert list(effects.columns) == ["block_units=4.0", "block_units=12.0", "range"]
    r = corridor_cli("analyze", out, "--method", "sobol")
    assert r.returncode == 2 and "need a 'sobol' design" in r.stderr
    r = corridor_cli("analyze", out, "--outcome", "nope")
    assert r.returncode == 2 and "not an outcome of this sweep" in r.stderr
    r = corridor_cli("analyze", out, "--prim", "cocaine.delivered>>3")
    assert r.returncode == 2 and "expected OUTCOME>VALUE" in r.stderr
    import ema_workbench  # noqa: F401  (in the test extra: PRIM must run in CI, not be skipped)
    s = pd.read_parquet(out / "summary.parquet")
    values = sorted(set(s["transit_share.XE"]))
    assert len(values) > 1, "the toy sweep must give runs on both sides of the cut"
    cut = (values[0] + values[-1]) / 2
    r = corridor_cli("analyze", out, "--method", "none", "--prim", f"transit_share.XE>{cut}")
    assert r.returncode == 0, r.stderr
    assert "== prim_box" in r.stdout
    box = pd.read_csv(out / "analysis" / "prim_box.csv")
    assert len(box) >= 1 and set(box.factor) <= {"block_units", "risk_decay", "strategy"}, box
    assert (box["min"] <= box["max"]).all()


@pytest.mark.slow
def test_smoke_experiment_runs_on_the_real_map(tmp_path):
    out = tmp_path / "smoke"
    r = corridor_cli("sweep", ROOT / "experiments" / "smoke.toml", "--workers", "0", "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "8 new" in r.stdout
    s = pd.read_parquet(out / "summary.parquet")
    assert len(s) == 8 and (s["cocaine.shipped"] > 0).all()
    assert set(s.mexico_enforcement) == {1.0, 3.0} and set(s.regional_cooperation) == {False, True}
    r = corridor_cli("analyze", out, "--outcome", "central_america_share")
    assert r.returncode == 0, r.stderr
    assert "effects_regional_cooperation" in r.stdout
