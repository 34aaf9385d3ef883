"""Each policy lever on a toy corridor: the same seed with the lever on and off, and an
outcome worked out by hand (exact where the toy allows it).

The toy (tests/toy.py, TWO_CORRIDORS): loads go from the source up the west corridor XW to
the port; XN holds both ends, XE the unused east corridor. Unless a test says otherwise
ports of entry seize nothing (detection.port_of_entry = 0) and nobody is bribed
(corruption 0), so every seizure is an enforcement unit's.
"""

import tempfile
from pathlib import Path

import numpy as np
import pytest

from model.agents import EnforcementUnit
from model.corridor import CorridorModel
from model.scenario import parse_scenario
from model.world.geography import load_map
from toy import write_two_corridors

SEED = 11


@pytest.fixture(scope="module")
def cmap():
    return load_map(write_two_corridors(Path(tempfile.mkdtemp(prefix="levers")), biodiversity=True))


def scenario(policy=(), jurisdictions=None, detection=None, migrants=None, gang=(), arms_per_tonne=0,
             us_demand=1.0):
    jur = {"default": {"corruption": 0.0}, "XW": {"enforcement_units": 6, "strategy": "static"}}
    jur.update(jurisdictions or {})
    return parse_scenario({
        "scenario": {"name": "levers"},
        "routing": {"max_offshore_km": 0, "speed_km_per_step": 200, "risk_decay": 0.3},
        "detection": {"port_of_entry": 0.0, **(detection or {})},
        "us_demand": us_demand,
        "cartel": [{"name": "A", "sources": ["Source"], "ports_of_entry": ["Port"],
                    "shipments_per_step": 5, "arms_per_tonne": arms_per_tonne}],
        "gang": list(gang),
        "jurisdictions": jur,
        "migrants": migrants or {},
        "policy": list(policy),
    })


def run(sc, cmap, months, watch=None):
    """Step `months`; returns the timeseries and, per month, what `watch(model)` gave."""
    m = CorridorModel(sc, cmap, seed=SEED)
    seen = []
    for _ in range(months):
        m.step()
        if watch:
            seen.append(watch(m))
    return m.recorder.timeseries(), seen


def on_off(cmap, months, rows, watch=None, **kw):
    return run(scenario(rows, **kw), cmap, months, watch), run(scenario((), **kw), cmap, months, watch)


def units_at(m):
    """Each enforcement unit's cell, by its Mesa id."""
    return {u.unique_id: u.cell.coordinate for u in m.agents_by_type.get(EnforcementUnit, [])}


def jurisdictions_of(cmap, cells):
    return {cmap.jurisdiction_codes[cmap.jur[x, y]] for x, y in cells}


def test_enforcement_units_field_exactly_the_number_set(cmap):
    rows = [{"lever": "enforcement_units", "target": ["XW"], "start": 2, "end": 5, "value": 9},
            {"lever": "enforcement_units", "target": ["XE"], "start": 3, "value": 4}]
    (ts, _), (cf, _) = on_off(cmap, 7, rows)
    assert ts.enforcement_units.tolist() == [6, 6, 9, 13, 13, 10, 10]   # 6 | 9 | 9 + 4 | 6 + 4
    assert cf.enforcement_units.tolist() == [6] * 7


def test_naval_units_field_exactly_the_number_set(cmap):
    # boats allowed on the water between the corridors: XW's 4 boats start there (open waters)
    rows = [{"lever": "naval_units", "target": ["XW"], "start": 1, "value": 4}]
    sc = scenario(rows, jurisdictions={"XW": {"enforcement_units": 0, "cooperation": True}})
    sc.routing.max_offshore_km = 500
    ts, seen = run(sc, cmap, 3, units_at)
    assert ts.enforcement_units.tolist() == [0, 4, 4]
    assert all(not cmap.land[x, y] for x, y in seen[-1].values())


def test_us_demand_scales_shipments_exactly(cmap):
    # 5 shipments of 1.2 t a month; x0.5 from month 2 gives 2.5 a month: 2, 3, 2, 3 (carried fraction)
    rows = [{"lever": "us_demand", "start": 2, "operation": "multiply", "value": 0.5}]
    (ts, _), (cf, _) = on_off(cmap, 6, rows)
    assert np.diff(cf.cocaine_shipped, prepend=0) == pytest.approx([6.0] * 6)
    assert np.diff(ts.cocaine_shipped, prepend=0) == pytest.approx([6, 6, 2.4, 3.6, 2.4, 3.6])


def test_corruption_one_bribes_every_unit_and_nothing_is_seized(cmap):
    rows = [{"lever": "corruption", "target": ["XW"], "value": 1.0}]
    (ts, _), (cf, _) = on_off(cmap, 12, rows)
    assert (ts.bribed_units == ts.enforcement_units).all() and ts.enforcement_units.min() == 6
    assert ts.cocaine_seized.max() == 0.0
    assert (cf.bribed_units == 0).all() and cf.cocaine_seized.iloc[-1] > 0


def test_static_strategy_keeps_units_in_place(cmap):
    patrol = {"XW": {"enforcement_units": 6, "strategy": "patrol"}}
    rows = [{"lever": "strategy", "target": ["XW"], "start": 3, "value": "static"}]
    (_, on), (_, off) = on_off(cmap, 10, rows, units_at, jurisdictions=patrol)
    assert all(on[t] == on[2] for t in range(3, 10))          # from month 3 no unit moves
    assert on[1] != on[2]                                       # patrolling before it
    assert sum(off[t] != off[t - 1] for t in range(3, 10)) == 7  # patrol moves every month


def test_cooperation_lets_units_into_partners_only(cmap):
    patrol = {"XW": {"enforcement_units": 6, "strategy": "patrol"}, "XN": {"cooperation": True}}
    rows = [{"lever": "cooperation", "target": ["XW"], "value": True}]
    (_, on), (_, off) = on_off(cmap, 12, rows, units_at, jurisdictions=patrol)
    went_on = set().union(*(jurisdictions_of(cmap, u.values()) for u in on))
    went_off = set().union(*(jurisdictions_of(cmap, u.values()) for u in off))
    assert went_off == {"XW"}
    assert "XN" in went_on and went_on <= {"XW", "XN"}          # XE and the US do not cooperate


# Migrants: slow (a cell a month, about 14 months to the border), police coverage everywhere
# (one unit's radius spans the map), so hazards depend only on the lever.
WIDE = {"coverage_radius_km": 1000}
GANG = [{"name": "G", "home": "Source", "strength": 3, "radius_km": 2000}]


def migrants(**kw):
    return {"people_per_agent": 1, "speed_km_per_step": 30,
            "origins": [{"name": "Origin", "agents_per_step": 4}], **kw}


def test_migration_enforcement_returns_migrants(cmap):
    # direct route only; with no migration enforcement the detention hazard is exactly 0
    zero = {"default": {"corruption": 0.0, "migration_enforcement": 0.0}}
    rows = [{"lever": "migration_enforcement", "target": ["XW", "XN", "XE"], "value": 1.0}]
    (ts, _), (cf, _) = on_off(cmap, 20, rows, jurisdictions=zero, detection=WIDE,
                              migrants=migrants(smuggler_share=0.0, smuggler_response=0.0))
    assert cf.migrants_returned.max() == 0 and cf.migrants_arrived.iloc[-1] > 0
    assert ts.migrants_returned.iloc[-1] >= 10


def test_trafficking_law_fully_applied_stops_trafficking(cmap):
    # smugglers' route through gang territory; with the law's effect 1 the hazard is exactly 0
    rows = [{"lever": "trafficking_law", "target": ["XW", "XN", "XE"], "value": 1.0}]
    mg = migrants(smuggler_share=1.0, trafficking=0.5, trafficking_law_effect=1.0)
    (ts, _), (cf, _) = on_off(cmap, 12, rows, detection=WIDE, migrants=mg, gang=GANG)
    assert ts.migrants_trafficked.max() == 0 and ts.migrants_rescued.max() == 0
    assert cf.migrants_trafficked.iloc[-1] >= 10


def test_victim_services_rescue_victims(cmap):
    # without victim services the rescue hazard is exactly 0
    rows = [{"lever": "victim_services", "target": ["XW", "XN", "XE"], "value": 1.0}]
    mg = migrants(smuggler_share=1.0, trafficking=0.5)
    (ts, _), (cf, _) = on_off(cmap, 12, rows, detection=WIDE, migrants=mg, gang=GANG)
    assert cf.migrants_rescued.max() == 0 and cf.migrants_trafficked.iloc[-1] >= 10
    assert ts.migrants_rescued.iloc[-1] >= 10


def test_wildlife_training_seizes_more_wildlife(cmap):
    # detection of wildlife x(1 + 3 x training): a 4x hazard on the gang's wildlife route
    rows = [{"lever": "wildlife_training", "target": ["XW", "XN"], "value": 1.0}]
    gang = [{"name": "G", "home": "Source", "wildlife_per_step": 10}]
    (ts, _), (cf, _) = on_off(cmap, 36, rows, gang=gang)
    assert cf.wildlife_shipped.iloc[-1] == ts.wildlife_shipped.iloc[-1] == 360
    assert ts.wildlife_seized.iloc[-1] > 1.3 * cf.wildlife_seized.iloc[-1]


def test_arms_control_seizes_more_arms(cmap):
    # detection of arms x(1 + 2 x control): a 3x hazard on the arms' way south
    rows = [{"lever": "arms_control", "target": ["XW", "XN"], "value": 1.0}]
    (ts, _), (cf, _) = on_off(cmap, 24, rows, arms_per_tonne=10)
    assert ts.arms_shipped.iloc[-1] == cf.arms_shipped.iloc[-1]
    assert ts.arms_seized.iloc[-1] > 1.3 * cf.arms_seized.iloc[-1]
