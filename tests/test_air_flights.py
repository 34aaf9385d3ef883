"""Flights landing by country (timeseries `air_flights_<CC>`), counted like `air_landings_<CC>`
(when the flight lands; a flight stopped on its hop never landed), on the mode toy map
(tests/toy.py, MODES): every load flies once, from the origin strip to Strip A (XA) or B (XB)."""

import tempfile
from pathlib import Path

import pytest

from model.corridor import CorridorModel
from model.scenario import parse_scenario
from model.world.geography import load_map
from toy import write_modes


@pytest.fixture(scope="module")
def cmap():
    return load_map(write_modes(Path(tempfile.mkdtemp(prefix="flights"))))


def run(cmap, k, tonnes=2.5, jurisdictions=None, blind=False, months=6):
    """k flights of `tonnes` a month from the origin strip, the sea closed, ports seize nothing."""
    seen = {"enforcement_awareness": 0, "seizure_risk": 0} if blind else {}
    sc = parse_scenario({
        "scenario": {"name": "flights"}, "routing": {"max_offshore_km": 0, **seen},
        "detection": {"port_of_entry": 0.0},
        "cartel": [{"name": "A", "sources": ["Origin"], "airstrips": ["Origin strip"],
                    "ports_of_entry": ["Port W", "Port E"], "shipments_per_step": k,
                    "tonnes_per_shipment": tonnes, "arms_per_tonne": 0}],
        "jurisdictions": {"default": {"corruption": 0.0}, **(jurisdictions or {})}})
    m = CorridorModel(sc, cmap, seed=5)
    for _ in range(months):
        m.step()
    return m.recorder.timeseries()


@pytest.mark.parametrize("k", [1, 3, 7])
def test_k_flights_a_month_count_k(cmap, k):
    ts = run(cmap, k)
    flights = ts.air_flights_XA + ts.air_flights_XB
    assert list(flights) == [k] * len(ts)                    # each load is one flight, landed the month it flew
    # flights, not tonnes: 2.5 t a load
    assert list(ts.air_landings_XA + ts.air_landings_XB) == pytest.approx([2.5 * k] * len(ts))
    assert (ts.air_flights_XO == 0).all() and (ts.air_flights_XN == 0).all()   # nothing lands there
    assert ts.air_flights_XA.dtype.kind == "i"


def test_stopped_flights_do_not_count(cmap):
    # blind cartels keep flying to XA, where each flight is stopped with chance 1 - e^-5:
    # flights counted there are exactly the loads landed there (tonnes / 2.5 t)
    ts = run(cmap, 10, jurisdictions={"XA": {"air_interdiction": 5}}, blind=True, months=12)
    assert (ts.air_flights_XA * 2.5 == ts.air_landings_XA).all()
    assert (ts.air_flights_XB * 2.5 == ts.air_landings_XB).all()
    assert ts.air_flights_XA.sum() <= 3                      # almost every flight to XA was stopped
    assert ts.air_flights_XB.sum() > 30                      # about half of the 120 fly to XB untouched
    seized_loads = ts.cocaine_seized.iloc[-1] / 2.5
    assert ts.air_flights_XA.sum() + ts.air_flights_XB.sum() + seized_loads == pytest.approx(120)
