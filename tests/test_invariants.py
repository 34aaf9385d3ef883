"""Nothing is created or lost: shipments and migrants are conserved at every step."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.agents import MigrantState
from model.corridor import CorridorModel
from test_toy_corridors import toy_map_cache, toy_scenario


def expected_spawned(sc, months: int) -> int:
    """Migrant agents the origins' rates give after `months` (fractions carried over), per origin."""
    return sum(int(o.agents_per_step * months + 1e-9) for o in sc.migrants.origins)


def check_step(m: CorridorModel, sc, months: int):
    L = m.ledger
    scale = max(L.shipped.max(), 1.0)
    np.testing.assert_allclose(m.invariant_gaps(), 0.0, atol=1e-9 * scale)
    assert (L.delivered >= 0).all() and (L.seized >= 0).all()
    # migrants: every agent ever spawned is in exactly one state
    counts = m.migrant_counts
    assert min(counts.values()) >= 0
    live = [a for a in m.migrants]
    assert sum(a.state == MigrantState.TRAVELLING for a in live) == counts[MigrantState.TRAVELLING]
    assert sum(a.state == MigrantState.TRAFFICKED for a in live) == counts[MigrantState.TRAFFICKED]
    # conservation: the states hold exactly the agents the origins' rates created, counted here
    spawned = expected_spawned(sc, months)
    assert sum(counts.values()) == spawned
    assert m.migrants_spawned() == spawned


def test_conservation_every_step_on_the_real_map(crackdown):
    sc, cmap = crackdown
    m = CorridorModel(sc, cmap, seed=7)
    for month in range(1, 49):
        m.step()
        check_step(m, sc, month)
    L = m.ledger
    assert L.delivered[0] > 0 and L.seized[0] > 0 and L.shipped[1] > 0 and L.shipped[2] > 0
    ts = m.recorder.timeseries()
    for c in ("cocaine", "arms", "wildlife"):
        gap = ts[f"{c}_shipped"] - ts[f"{c}_delivered"] - ts[f"{c}_seized"] - ts[f"{c}_in_transit"]
        assert np.abs(gap).max() <= 1e-9 * max(ts[f"{c}_shipped"].max(), 1)
    # month by month, in people: the states sum to the agents created so far x people per agent
    per = sc.migrants.people_per_agent
    states = ts[[f"migrants_{s.name.lower()}" for s in MigrantState]].sum(axis=1)
    assert states.tolist() == [expected_spawned(sc, t + 1) * per for t in range(48)]
    for end in ("arrived", "returned", "rescued"):      # journeys that ended stay ended
        assert (np.diff(ts[f"migrants_{end}"]) >= 0).all()
    # seizures by jurisdiction (INTL included) add up to the ledger's, month by month
    by_place = ts[[c for c in ts.columns if c.startswith("cocaine_seized_in_")]].sum(axis=1).cumsum()
    assert len(by_place) and np.abs(by_place - ts.cocaine_seized).max() <= 1e-9 * max(ts.cocaine_seized.max(), 1)
    # every finished load crossed at least one country, and no country more than all of them
    for col in ts.columns:
        if col.startswith("transit_"):
            assert (ts[col] <= ts.cocaine_completed + 1e-9).all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**63 - 1), units=st.integers(0, 30), start=st.integers(0, 10),
       speed=st.floats(50, 2000), shipments=st.integers(0, 12), decay=st.floats(0, 1))
def test_conservation_holds_for_any_toy_setting(seed, units, start, speed, shipments, decay):
    block = {"lever": "enforcement_units", "target": ["XW"], "start": start, "value": units}
    sc = toy_scenario([block], steps=15,
                      migrants={"origins": [{"name": "Origin", "agents_per_step": 1.5}]})
    sc.routing.speed_km_per_step = speed
    sc.routing.risk_decay = decay
    sc.cartel[0].shipments_per_step = shipments
    sc.cartel[0].arms_per_tonne = 10
    m = CorridorModel(sc, toy_map_cache(), seed=seed)
    for month in range(1, 16):
        m.step()
        check_step(m, sc, month)
    assert m.migrants_spawned() == 22        # 1.5 a month for 15 months, fractions carried over
