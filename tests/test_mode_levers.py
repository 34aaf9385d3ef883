"""Interdiction by mode and place (air, maritime, land levers) on a toy map, with outcomes
worked out by hand.

The toy (tests/toy.py, MODES): an origin airstrip on XO's coast flies to Strip A in XA or
Strip B in XB, placed symmetrically, each with a port straight north of it; boat sources
below each port cross two rows of XO's waters and two of XA's (or XB's), land on XA's (XB's)
coast and go two land cells north to the port. Ports seize nothing and nobody is bribed.
"""

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest

from model.corridor import CorridorModel
from model.errors import InputError
from model.scenario import parse_scenario
from model.world.geography import load_map
from toy import write_modes

SEED = 3


@pytest.fixture(scope="module")
def cmap():
    return load_map(write_modes(Path(tempfile.mkdtemp(prefix="modes"))))


def scenario(cartel, routing, jurisdictions=None, policy=(), detection=None):
    jur = {"default": {"corruption": 0.0}}
    jur.update(jurisdictions or {})
    return parse_scenario({"scenario": {"name": "modes"}, "routing": routing,
                           "detection": {"port_of_entry": 0.0, **(detection or {})},
                           "cartel": cartel, "jurisdictions": jur, "policy": list(policy)})


def flights(jurisdictions=None, policy=(), blind=False):
    """Ten flights of 1.2 t a month from the origin strip; the sea is closed. `blind`
    cartels gauge nothing and learn nothing (enforcement_awareness = seizure_risk = 0)."""
    cartel = [{"name": "A", "sources": ["Origin"], "airstrips": ["Origin strip"],
               "ports_of_entry": ["Port W", "Port E"], "shipments_per_step": 10, "arms_per_tonne": 0}]
    seen = {"enforcement_awareness": 0, "seizure_risk": 0} if blind else {}
    return scenario(cartel, {"max_offshore_km": 0, **seen},
                    jurisdictions, policy)


def boats(jurisdictions=None, policy=()):
    """Ten boats a month from each of Source W and Source E, on fixed routes (cartels gauge
    nothing and learn nothing: enforcement_awareness = seizure_risk = 0; flying costs 100/km),
    under two static naval units whose coverage spans the map (C = 2 everywhere)."""
    cartel = [{"name": n, "sources": [f"Source {n}"], "ports_of_entry": [f"Port {n}"],
               "shipments_per_step": 10, "arms_per_tonne": 0} for n in ("W", "E")]
    jur = {"XO": {"naval_units": 2, "strategy": "static"}, **(jurisdictions or {})}
    return scenario(cartel, {"max_offshore_km": 500, "air_cost_per_km": 100, "enforcement_awareness": 0,
                             "seizure_risk": 0}, jur, policy, {"coverage_radius_km": 1000})


def run(sc, cmap, months):
    m = CorridorModel(sc, cmap, seed=SEED)
    for _ in range(months):
        m.step()
    return m


def seizures_in(m, code, land: bool, months=slice(None)) -> float:
    """Seizure events in a jurisdiction's land cells (or its waters) over `months`."""
    cm = m.cmap
    s = m.recorder.cells()["seizures"][months].sum(axis=0)
    return float(s[(cm.jur == cm.jurisdiction_codes.index(code)) & (cm.land == land)].sum())


# ----- air ---------------------------------------------------------------------------
def test_air_interdiction_moves_flights_to_the_other_strip(cmap):
    # the two strips cost the same: with the lever off flights split about evenly. A hazard
    # of 5 per landing in XA, seen as 3 x 5 = 15 events/month, makes a flight there cost 50x
    # (the premium's cap): its route drops out and every flight lands in XB
    on = run(flights({"XA": {"air_interdiction": 5}}), cmap, 12).recorder.timeseries()
    off = run(flights(), cmap, 12).recorder.timeseries()
    total = 12 * 10 * 1.2
    assert off.air_landings_XA.sum() > 0.3 * total and off.air_landings_XB.sum() > 0.3 * total
    assert off.air_landings_XA.sum() + off.air_landings_XB.sum() == pytest.approx(total)
    assert on.air_landings_XA.sum() == 0.0
    assert on.air_landings_XB.sum() == pytest.approx(total)
    assert on.cocaine_delivered.iloc[-1] == pytest.approx(total) and on.cocaine_seized.iloc[-1] == 0


def test_air_interdiction_stops_flights_that_do_not_avoid_it(cmap):
    # blind cartels keep flying to XA: each flight there is stopped with
    # chance 1 - e^-5 = 99.3%, with no ground unit anywhere
    on = run(flights({"XA": {"air_interdiction": 5}}, blind=True), cmap, 12).recorder.timeseries()
    off = run(flights(blind=True), cmap, 12).recorder.timeseries()
    assert off.cocaine_seized.iloc[-1] == 0 and off.air_landings_XA.sum() > 40
    assert on.air_landings_XA.sum() <= 2 * 1.2                     # at most two flights got through
    assert on.air_landed_XA.sum() <= 2 * 1.2                       # the loads table agrees: stopped, not landed
    assert on.cocaine_seized.iloc[-1] > 40
    assert on.air_landings_XB.sum() > 40                           # XB's flights are untouched
    assert on.air_landings_XB.sum() + on.air_landings_XA.sum() + on.cocaine_seized.iloc[-1] == \
        pytest.approx(12 * 10 * 1.2)


# ----- sea and land ------------------------------------------------------------------
# Cartel W's route: two sea edges in XO's waters, two in XA's, a landing on XA's coast (a sea
# edge), two land edges in XA, one into XN. Hazard per edge: sea 0.10 x 2 = 0.2, land
# 0.04 x 2 = 0.08, times the jurisdiction's multiplier. 36 months x 10 boats = 360 loads.
LOADS = 360
SURVIVE_XO = math.exp(-0.4)


def test_maritime_interdiction_raises_sea_seizures_in_its_waters_only(cmap):
    on = run(boats({"XA": {"maritime_interdiction": 3}}), cmap, 36)
    off = run(boats(), cmap, 36)
    # XA's waters: 360 e^-0.4 (1 - e^-0.4) = 80 without, 360 e^-0.4 (1 - e^-1.2) = 169 with
    assert 60 <= seizures_in(off, "XA", land=False) <= 100
    assert 145 <= seizures_in(on, "XA", land=False) <= 195
    assert LOADS * SURVIVE_XO * (1 - math.exp(-1.2)) == pytest.approx(168.6, abs=0.1)
    # XB's waters (cartel E) and XO's (before XA's) are the same map and hazard: about 80 and 2 x 118
    for code in ("XB", "XO"):
        assert seizures_in(on, code, land=False) == pytest.approx(seizures_in(off, code, land=False), rel=0.2)


def test_land_interdiction_raises_land_seizures_on_its_land_only(cmap):
    on = run(boats({"XA": {"land_interdiction": 5}}), cmap, 36)
    off = run(boats(), cmap, 36)
    # XA's land (landing 0.2, then two land edges 0.08 each, or 0.4 each with the lever):
    # 360 e^-0.8 (1 - e^-0.36) = 49 without, 360 e^-0.8 (1 - e^-1.0) = 102 with
    assert 30 <= seizures_in(off, "XA", land=True) <= 68
    assert 80 <= seizures_in(on, "XA", land=True) <= 125
    assert seizures_in(on, "XB", land=True) == pytest.approx(seizures_in(off, "XB", land=True), rel=0.35)
    # the sea comes first on every route, so no sea seizure changes in expectation
    for code in ("XA", "XB", "XO"):
        assert seizures_in(on, code, land=False) == pytest.approx(seizures_in(off, code, land=False), rel=0.2)


# ----- time windows ------------------------------------------------------------------
WINDOW = [("air_interdiction", 5.0), ("maritime_interdiction", 3.0), ("land_interdiction", 5.0)]


@pytest.mark.parametrize("lever,value", WINDOW)
def test_rows_switch_the_levers_on_and_off_in_time(cmap, lever, value):
    row = [{"lever": lever, "target": ["XA"], "start": 4, "end": 8, "value": value}]
    make = flights if lever == "air_interdiction" else boats
    on, off = run(make(policy=row), cmap, 12), run(make(), cmap, 12)
    ts, cf = on.recorder.timeseries(), off.recorder.timeseries()
    assert ts.iloc[:4].equals(cf.iloc[:4])                         # before the start: the counterfactual
    if lever == "air_interdiction":
        assert ts.air_landings_XA.iloc[4:8].sum() == 0.0           # in the window nobody flies to XA
        assert ts.air_landings_XA.iloc[8:].sum() > 0               # after it flights come back
        assert cf.air_landings_XA.iloc[4:8].sum() > 0
    else:
        land = lever == "land_interdiction"
        window = slice(4, 8)
        assert seizures_in(on, "XA", land, window) > seizures_in(off, "XA", land, window)


def test_interdiction_levels_are_bounded(cmap):
    with pytest.raises(InputError, match="between 0 and 10"):
        flights(policy=[{"lever": "air_interdiction", "target": ["XA"], "value": 11}])
    with pytest.raises(InputError, match="jurisdictions.XA.land_interdiction"):
        flights({"XA": {"land_interdiction": -1}})
    # multiplied levels are clipped to the bounds, like the 0-1 levels
    rows = [{"lever": "maritime_interdiction", "target": ["XA"], "value": 4},
            {"lever": "maritime_interdiction", "target": ["XA"], "operation": "multiply", "value": 5}]
    m = CorridorModel(boats(policy=rows), cmap, seed=SEED)
    xa = cmap.jur == cmap.jurisdiction_codes.index("XA")
    assert np.all(m.level("maritime_interdiction")[xa] == 10.0)
    assert np.all(m.level("maritime_interdiction")[~xa] == 1.0)


def test_what_cartels_gauge_follows_the_multipliers(cmap):
    # coverage 2 everywhere: each country's mean hazard is detection x multiplier x 2
    m = run(boats({"XA": {"maritime_interdiction": 3, "land_interdiction": 5}}), cmap, 1)
    k = m.known_hazard().reshape(cmap.shape)
    at = {name: cmap.feature(name).cell for name in ("Strip A", "Strip B", "Source W")}
    sea_xa, sea_xb = (at["Strip A"][0], at["Strip A"][1] - 2), (at["Strip B"][0], at["Strip B"][1] - 2)
    assert not cmap.land[sea_xa] and not cmap.land[sea_xb]
    assert k[sea_xa] == pytest.approx(0.10 * 3 * 2) and k[sea_xb] == pytest.approx(0.10 * 2)
    assert k[at["Strip A"]] == pytest.approx(0.04 * 5 * 2) and k[at["Strip B"]] == pytest.approx(0.04 * 2)
    # and flights: the air hazard where they land, each country's mean over its strips
    m = run(flights({"XA": {"air_interdiction": 5}}), cmap, 1)
    air = m.known_air_hazard().reshape(cmap.shape)
    assert air[at["Strip A"]] == 5.0 and air[at["Strip B"]] == 0.0 and air.sum() == 5.0
