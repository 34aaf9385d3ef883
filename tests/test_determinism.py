"""Same scenario and seed, same numbers: in this process and in a fresh one."""

import json

import pandas as pd
from pandas.testing import assert_frame_equal

from conftest import SCENARIOS, corridor_cli
from model.runs.simulate import simulate


def test_same_seed_same_timeseries(crackdown):
    sc, cmap = crackdown
    a = simulate(sc, cmap, seed=42, steps=40).timeseries
    b = simulate(sc, cmap, seed=42, steps=40).timeseries
    assert_frame_equal(a, b, check_exact=True)


def test_different_seed_different_numbers(crackdown):
    sc, cmap = crackdown
    a = simulate(sc, cmap, seed=1, steps=40).timeseries
    b = simulate(sc, cmap, seed=2, steps=40).timeseries
    assert not a.equals(b)
    assert (a.cocaine_seized != b.cocaine_seized).any() or (a.migrants_arrived != b.migrants_arrived).any()


def test_fresh_process_gives_identical_results(tmp_path, crackdown):
    sc, cmap = crackdown
    here = simulate(sc, cmap, seed=99, steps=40).timeseries
    out = tmp_path / "run"
    r = corridor_cli("run", SCENARIOS / "mexico_crackdown.toml", "--seed", "99", "--steps", "40",
                     "--out", out, "--quiet", "--no-charts", "--no-counterfactual")
    assert r.returncode == 0, r.stderr
    there = pd.read_parquet(out / "timeseries.parquet")
    assert_frame_equal(here.reset_index(drop=True), there, check_exact=True)
    assert json.loads((out / "summary.json").read_text())["seed"] == 99
