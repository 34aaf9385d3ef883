"""Organisations that split, ally and fight (§7.6), on the two-corridor toy.

The toy (tests/toy.py, TWO_CORRIDORS): every load goes from the source up the west
corridor XW to the port. Nobody enforces and ports seize nothing, so no cartel learns any
risk and a route's cost is its km x (land cost 1 + the gang fee on the cells it enters).
"""

import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from model.corridor import CorridorModel
from model.metrics import summarize
from model.scenario import load_scenario, parse_scenario
from model.violence import contested
from model.world.geography import load_map
from toy import write_two_corridors

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from update_golden import golden_path, golden_summary  # noqa: E402

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
from test_golden import assert_close  # noqa: E402

SEED = 7
FEE = 0.3


@pytest.fixture(scope="module")
def cmap():
    return load_map(write_two_corridors(Path(tempfile.mkdtemp(prefix="orgs"))))


def scenario(policy=(), organisations=None, alliances=None, gang=False, cartels=("A",)):
    gangs = [{"name": "G", "home": "XW", "radius_km": 2000, "fee_per_km": FEE, "growth": 0.0,
              "arrest_loss": 0.0}] if gang else []
    return parse_scenario({
        "scenario": {"name": "orgs"},
        "routing": {"max_offshore_km": 0, "speed_km_per_step": 200, "rival_plaza_fee": 0.0},
        "detection": {"port_of_entry": 0.0},
        "cartel": [{"name": n, "sources": ["Source"], "ports_of_entry": ["Port"], "plazas": ["XW"],
                    "shipments_per_step": 6 - 3 * i, "arms_per_tonne": 0} for i, n in enumerate(cartels)],
        "gang": gangs,
        "organisations": organisations or {},
        "alliances": alliances or {},
        "policy": list(policy),
    })


def removal(start=3, organisation="A"):
    return {"lever": "kingpin_removal", "target": ["XW"], "organisation": organisation, "start": start}


def run(sc, cmap, months, watch=None):
    m = CorridorModel(sc, cmap, seed=SEED)
    seen = []
    for _ in range(months):
        m.step()
        if watch:
            seen.append(watch(m))
    return m, seen


def test_split_makes_the_parents_plazas_contested(cmap):
    sc = scenario([removal(start=3)], organisations={"split_probability": 1.0, "successors": 2})
    xw = cmap.mask("XW")
    m, seen = run(sc, cmap, 8, lambda m: contested(m.step_flow_by_cartel, cmap.shape)[xw].sum())
    assert seen[:3] == [0, 0, 0]                 # one organisation: nobody to contest with
    assert all(s > 0 for s in seen[4:])          # parent and successors share the west corridor
    assert max(contested(m.step_flow_by_cartel, cmap.shape)[xw]) == 2     # three flows meet: 2 contests


@pytest.mark.parametrize("n", [1, 3])
def test_with_split_probability_one_organisations_is_one_plus_n(cmap, n):
    sc = scenario([removal(start=4)], organisations={"split_probability": 1.0, "successors": n})
    m, _ = run(sc, cmap, 7)
    ts = m.recorder.timeseries()
    assert list(ts.organisations) == [1] * 4 + [1 + n] * 3
    assert [c.name for c in m.cartels] == ["A"] + [f"A/{k}" for k in range(1, n + 1)]
    share = m.config.organisations.successor_share
    assert m.cartels[0].weight == pytest.approx(1 - share)
    assert sum(c.weight for c in m.cartels) == pytest.approx(1.0)     # shipments are divided, not created
    assert m.step_flow_by_cartel.shape[0] == 1 + n
    out = summarize(ts, m.recorder.cells(), (0, 7))
    assert out["organisations"] == {"start": 1, "end": 1 + n, "max": 1 + n}


def test_no_split_with_probability_zero_but_the_shock_stays(cmap):
    sc = scenario([removal(start=2)], organisations={"split_probability": 0.0})
    m, shocks = run(sc, cmap, 16, lambda m: m.kingpin_shock.copy())
    assert len(m.cartels) == 1
    xw = cmap.mask("XW")
    plaza = xw & (shocks[2] == 0.8)
    assert plaza.sum() == xw.sum()               # the whole initial plaza XW is where the removal hit
    assert all((s == 0).all() for s in shocks[:2])
    assert all((s[xw] == 0.8).all() for s in shocks[2:14])      # +80% for 12 months (months 2-13)
    assert (shocks[14] == 0).all()
    assert set(np.unique(shocks[2])) <= {0.0, 0.3, 0.8}
    assert (shocks[2] == 0.3).any() and not (shocks[8] == 0.3).any()   # +30% next door, for 6 months
    assert (shocks[7] == 0.3).any()


def allied_run(cmap, months, policy=()):
    sc = scenario(policy, gang=True, cartels=("A", "B"), organisations={"split_probability": 1.0},
                  alliances={"enabled": True, "form_months": 2, "ally_fee_factor": 0.0, "rival_fee_factor": 2.0,
                             "turf_war_months": 6})
    return run(sc, cmap, months, lambda m: (int(m.alliances.ally[0]), [c.routes[0].cost / c.routes[0].km
                                                                       for c in m.cartels[:2]]))


def test_allied_gang_waives_its_fee_for_its_ally_and_doubles_it_for_rivals(cmap):
    m, seen = allied_run(cmap, 4)
    # months 0 and 1: no alliance yet, both pay the fee on every land cell they enter
    assert seen[0][0] == -1 and seen[0][1] == pytest.approx([1 + FEE, 1 + FEE])
    # after two months of crossing, G allies with A (the larger flow); from month 2 A pays nothing
    assert seen[1][0] == 0
    assert seen[2][1] == pytest.approx([1.0, 1 + 2 * FEE])
    assert m.alliances.formed == 1


def test_alliance_breaks_on_split_with_a_turf_war(cmap):
    m, seen = allied_run(cmap, 8, [removal(start=4)])
    assert seen[3][0] == 0 and seen[4][0] == -1        # the split in month 4 ends it
    assert seen[4][1] == pytest.approx([1 + FEE, 1 + FEE])
    war = m.alliances.turf_war
    terr = m.gangs[0].territory
    assert (war[terr] == 1.0).all() and (war[~terr] == 0).all()
    assert m.alliances.war_until[0] == 4 + 6 and m.alliances.ally[0] == -1   # no new ally during the war


def test_same_seed_same_numbers(cmap):
    def once():
        m, _ = allied_run(cmap, 8, [removal(start=4)])
        return m.recorder.timeseries()
    a, b = once(), once()
    assert a.equals(b)


def test_kingpin_removal_is_an_event_not_a_level():
    with pytest.raises(Exception, match="organisation"):
        scenario([{"lever": "kingpin_removal", "target": ["XW"], "start": 1}])
    with pytest.raises(Exception, match="not a cartel"):
        scenario([removal(organisation="Nobody")])
    scenario([removal(organisation="A/2")])           # a successor may be named before it exists


def test_defaults_change_no_golden_value():
    """The baseline's golden summary, every value but the new organisations block."""
    stored = json.loads(golden_path("baseline.toml").read_text())
    now = golden_summary("baseline.toml", stored["seed"], stored["steps"])
    n = len(load_scenario(SCENARIOS / "baseline.toml")[0].cartel)        # no removals: the count stays
    assert now.pop("organisations") == {"start": n, "end": n, "max": n}
    stored["summary"].pop("organisations", None)
    assert_close(now, stored["summary"])
    assert math.isfinite(now["cocaine"]["delivered"])
