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


POLICY_FILES = [p for p in FILES if load_scenario(p)[0].policy]


@pytest.mark.slow
@pytest.mark.parametrize("path", POLICY_FILES, ids=[p.stem for p in POLICY_FILES])
def test_scenario_policy_changes_the_run_once_in_force(path):
    """Run to the first policy month + 4: identical to the counterfactual before it (same
    seed), different from it once the policy is in force. Four months because a lever that
    acts through seizure draws shows late: wildlife training's first extra seizure falls in
    the policy's fourth month."""
    sc, cmap = load_scenario(path)
    first = min(p.start for p in sc.policy)
    out = run_pair(sc, cmap, seed=sc.scenario.seed, steps=first + 4)
    ts, cf = out["main"].timeseries, out["counterfactual"].timeseries
    cols = [c for c in ts.columns if c not in ("step", "month")]
    before = ts.step < first
    assert ts.loc[before, cols].equals(cf.loc[before, cols]), "the policy acted before its start"
    changed = [c for c in cols if not ts.loc[~before, c].equals(cf.loc[~before, c])]
    assert changed, f"{path.name}: nothing differs from the counterfactual in months {first}-{first + 3}"
