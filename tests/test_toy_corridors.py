"""Hand-checkable toy corridors: block the cheap route, the flow must move, then come back."""

import numpy as np
import pytest

from model.corridor import CorridorModel
from model.world.geography import load_map
from model.scenario import parse_scenario
from toy import write_two_corridors


def toy_scenario(policy=(), steps=30, **extra):
    data = {
        "scenario": {"name": "toy", "steps": steps},
        # no boats: the water between the corridors is not routable
        "routing": {"max_offshore_km": 0, "speed_km_per_step": 200, "risk_decay": 0.3},
        "cartel": [{"name": "A", "sources": ["Source"], "ports_of_entry": ["Port"],
                    "shipments_per_step": 5, "arms_per_tonne": 0}],
        "jurisdictions": {"XW": {"strategy": "static"}},
        "policy": list(policy),
    }
    data.update(extra)
    return parse_scenario(data)


_MAP = {}


def toy_map_cache():
    if "map" not in _MAP:
        import tempfile
        from pathlib import Path
        _MAP["map"] = load_map(write_two_corridors(Path(tempfile.mkdtemp(prefix="toy"))))
    return _MAP["map"]


@pytest.fixture(scope="module")
def toy_map():
    return toy_map_cache()


def corridor_flows(model):
    """Cocaine passing the west column and the east column this month."""
    f = model.step_flow[0].reshape(model.cmap.shape)
    return f[0].sum(), f[-1].sum()


def test_unenforced_loads_take_the_short_west_corridor(toy_map):
    m = CorridorModel(toy_scenario(), toy_map, seed=3)
    for _ in range(10):
        m.step()
        west, east = corridor_flows(m)
        assert east == 0
    assert west > 0


def run_block(decay, awareness, steps=60, seed=3):
    block = {"lever": "enforcement_units", "target": ["XW"], "start": 5, "end": 15, "value": 12}
    sc = toy_scenario([block], steps=steps)
    sc.routing.risk_decay = decay
    sc.routing.enforcement_awareness = awareness
    m = CorridorModel(sc, toy_map_cache(), seed=seed)
    west, east = [], []
    for _ in range(steps):
        m.step()
        w, e = corridor_flows(m)
        west.append(w)
        east.append(e)
    return np.array(west), np.array(east)


def first_month_back_west(west, after=15):
    """First month after the block from which the west corridor carries every new load."""
    for t in range(after, len(west)):
        if west[t:].min() > 0:
            return t
    return None


def test_blocking_the_cheap_route_moves_flow_and_it_returns_after():
    west, east = run_block(decay=0.15, awareness=3.0)
    assert east[:5].sum() == 0                       # before: all west
    assert west[8:15].sum() == 0 and east[8:15].min() > 0   # during: all new loads go east
    assert east[40:].sum() == 0 and west[40:].min() > 0     # after: back west


def test_flow_returns_only_as_learned_risk_decays():
    # cartels that learn only from their own seizures (they cannot see enforcement)
    slow_w, slow_e = run_block(decay=0.05, awareness=0.0)
    fast_w, fast_e = run_block(decay=0.2, awareness=0.0)
    assert slow_e[8:15].min() > 0 and fast_e[8:15].sum() > 0
    slow_back, fast_back = first_month_back_west(slow_w), first_month_back_west(fast_w)
    assert fast_back is not None and slow_back is not None
    # perceived risk r decays as (1 - d)^t: the slow forgetter stays away for years
    assert slow_back - 15 >= 12 > fast_back - 15


def test_every_load_is_accounted_for_on_the_toy_map(toy_map):
    block = {"lever": "enforcement_units", "target": ["XW"], "start": 2, "end": 8, "value": 12}
    m = CorridorModel(toy_scenario([block], steps=12), toy_map, seed=11)
    for _ in range(12):
        m.step()
        np.testing.assert_allclose(m.invariant_gaps(), 0, atol=1e-9 * max(m.ledger.shipped.max(), 1))
    assert m.ledger.seized[0] > 0 and m.ledger.delivered[0] > 0
