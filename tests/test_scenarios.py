"""Every scenario file validates and runs a few months."""

import pytest

from conftest import SCENARIOS
from model.runs.simulate import run_pair
from model.scenario import load_scenario

FILES = sorted(SCENARIOS.glob("*.toml"))


def test_there_are_scenarios():
    names = {p.name for p in FILES}
    assert {"baseline.toml", "mexico_crackdown.toml"} <= names


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_validates_and_runs(path):
    sc, cmap = load_scenario(path)
    assert sc.scenario.sources, "a scenario cites where its figures come from"
    out = run_pair(sc, cmap, seed=sc.scenario.seed, steps=4)
    s = out["summary"]
    assert s["cocaine"]["shipped"] > 0
    assert abs(sum(s["cocaine"][k] for k in ("delivered", "seized", "in_transit")) - s["cocaine"]["shipped"]) < 1e-6
