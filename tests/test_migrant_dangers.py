"""Migrants' dangers along the way, on the two-corridor toy, with outcomes worked out by hand.

A gang whose territory covers the whole toy at strength exactly 1 (growth 0, its floor and
cap its initial strength), so a migrant's territory is 1 everywhere and a rate is the
month's chance itself. No migration enforcement or detention, nobody smuggled at the
origin and no cartel plazas unless a test says so: the only thing that can happen to a
migrant on the road is the danger under test.
"""

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest

from model.agents import MigrantState
from model.corridor import CorridorModel
from model.metrics import migrants_by_country
from model.scenario import parse_scenario
from model.world.geography import load_map
from toy import write_two_corridors

SEED = 5
N = 2000     # migrant groups setting out in month 0
GANG = [{"name": "G", "home": "Source", "strength": 1, "radius_km": 2000, "growth": 0,
         "max_growth": 1, "min_strength": 1}]


@pytest.fixture(scope="module")
def cmap():
    return load_map(write_two_corridors(Path(tempfile.mkdtemp(prefix="dangers"))))


def scenario(jurisdictions=None, **migrants):
    jur = {"default": {"corruption": 0.0, "migration_enforcement": 0.0}}
    jur.update(jurisdictions or {})
    mg = {"people_per_agent": 1, "speed_km_per_step": 30, "smuggler_share": 0.0, "smuggler_response": 0.0,
          "detention": 0.0, "trafficking": 0.0, "cartel_territory": 0.0, "origins": [{"name": "Origin", "agents_per_step": N}]}
    return parse_scenario({
        "scenario": {"name": "dangers"},
        "routing": {"max_offshore_km": 0, "speed_km_per_step": 200},
        "detection": {"port_of_entry": 0.0, "coverage_radius_km": 1000},
        "cartel": [{"name": "A", "sources": ["Source"], "ports_of_entry": ["Port"], "shipments_per_step": 1}],
        "gang": GANG,
        "jurisdictions": jur,
        "migrants": mg | migrants,
    })


def run(sc, cmap, months):
    m = CorridorModel(sc, cmap, seed=SEED)
    for _ in range(months):
        m.step()
    return m, m.recorder.timeseries()


def total(ts, event):
    """An event's people over all countries, per month."""
    return ts[[c for c in ts.columns if c.startswith(f"migrants_{event}_")]].sum(axis=1)


def within_binomial(k, n, p, sigmas=4.0):
    return abs(k - n * p) <= sigmas * math.sqrt(n * p * (1 - p)) + 1e-9


@pytest.mark.parametrize("h", [0.0, 0.1, 0.35, 1.0])
def test_victimised_with_probability_h(cmap, h):
    # month 0: N migrants set out, each in territory 1 with kidnapping chance h
    m, ts = run(scenario(kidnapping=h, kidnap_months=12), cmap, 1)
    k = int(total(ts, "kidnapped").iloc[0])
    assert int(total(ts, "set_out").iloc[0]) == N
    if h == 0.0:
        assert k == 0
    elif h == 1.0:
        assert k == N
    else:
        assert within_binomial(k, N, h), (k, N * h)
    assert ts.migrants_kidnapped.iloc[0] == k          # held now


def test_trafficked_on_the_way_by_form_with_the_labour_share(cmap):
    # every migrant trafficked in month 0 (chance 1); labour with chance 0.55 each
    m, ts = run(scenario(trafficking_en_route=1.0, labour_share=0.55), cmap, 1)
    labour, sexual = int(total(ts, "trafficked_labour").iloc[0]), int(total(ts, "trafficked_sexual").iloc[0])
    assert labour + sexual == N == ts.migrants_trafficked.iloc[0]
    assert within_binomial(labour, N, 0.55)


def test_trafficking_law_scales_the_en_route_hazard(cmap):
    # chance 0.5 x (1 - 0.6 x 1) = 0.2
    law = {"default": {"corruption": 0.0, "migration_enforcement": 0.0, "trafficking_law": 1.0}}
    m, ts = run(scenario(law, trafficking_en_route=0.5, trafficking_law_effect=0.6), cmap, 1)
    assert within_binomial(int(ts.migrants_trafficked.iloc[0]), N, 0.2)


def test_kidnapped_are_held_then_released_or_sold(cmap):
    # kidnapped in month 0 (chance 1), held 2 months, released at the end of month 2;
    # with a sold share of 0.25, about a quarter are trafficked instead
    m, ts = run(scenario(kidnapping=1.0, kidnap_months=2, kidnap_trafficked_share=0.25), cmap, 3)
    assert ts.migrants_kidnapped.tolist() == [N, 2 * N, 2 * N]    # a cohort a month; the first leaves at month 2
    released = int(total(ts, "released").iloc[2])
    sold = int(ts.migrants_trafficked.iloc[2])
    assert released + sold == N and within_binomial(sold, N, 0.25)
    assert int(total(ts, "released").iloc[:2].sum()) == 0


def test_prosecutions_follow_identified_victims_at_the_rate(cmap):
    # trafficked in month 0; victim services and police everywhere identify them; each
    # identified victim's case is prosecuted with chance 0.23
    vs = {"default": {"corruption": 0.0, "migration_enforcement": 0.0, "victim_services": 1.0},
          "XW": {"enforcement_units": 6, "strategy": "static"}}
    m, ts = run(scenario(vs, trafficking_en_route=1.0, rescue=1.0, prosecution_rate=0.23), cmap, 6)
    identified = int(total(ts, "identified").sum())
    prosecuted = int(total(ts, "prosecuted").sum())
    assert identified == int(total(ts, "rescued").sum()) == ts.migrants_rescued.iloc[-1] > 500
    assert within_binomial(prosecuted, identified, 0.23)


def test_extortion_is_counted_not_a_state(cmap):
    m, ts = run(scenario(extortion=0.3), cmap, 1)
    assert within_binomial(int(total(ts, "extorted").iloc[0]), N, 0.3)
    assert ts.migrants_travelling.iloc[0] == N


def test_enforcement_turns_direct_migrants_to_smugglers_on_the_way(cmap):
    # full migration enforcement, no detention: every direct migrant switches in month 0
    me = {"default": {"corruption": 0.0, "migration_enforcement": 1.0}}
    m, _ = run(scenario(me, smuggler_switch=1.0), cmap, 1)
    assert m.migration.table.smuggled[:N].all()
    m, _ = run(scenario(me, smuggler_switch=0.0), cmap, 1)
    assert not m.migration.table.smuggled[:N].any()


def mixed(cmap, months=24):
    vs = {"default": {"corruption": 0.0, "migration_enforcement": 0.3, "victim_services": 0.5},
          "XW": {"enforcement_units": 6, "strategy": "static"}}
    sc = scenario(vs, kidnapping=0.05, kidnap_months=2, kidnap_trafficked_share=0.3, trafficking_en_route=0.03,
                  extortion=0.2, smuggler_switch=0.2, detention=0.1, trafficking=0.05, smuggler_share=0.3,
                  people_per_agent=7, origins=[{"name": "Origin", "agents_per_step": 40}])
    return run(sc, cmap, months)


def test_every_person_is_in_exactly_one_state_each_month(cmap):
    m, ts = mixed(cmap)
    states = ts[[f"migrants_{s.name.lower()}" for s in MigrantState]].sum(axis=1)
    assert (states == total(ts, "set_out").cumsum()).all()
    assert (ts.migrants_kidnapped > 0).any() and (ts.migrants_returned.iloc[-1] > 0)
    # travelling people per country add up to the travelling state
    assert (total(ts, "on_road") == ts.migrants_travelling).all()


def test_journeys_table_agrees_with_the_timeseries(cmap):
    m, ts = mixed(cmap)
    j = m.recorder.journey_table()
    assert len(j) == m.migrants_spawned() == 40 * 24
    assert (j.people == 7).all()
    last = ts.iloc[-1]
    for s in MigrantState:
        name = s.name.lower()
        assert j.people[j.outcome == name].sum() == last[f"migrants_{name}"], name
    assert j.kidnapped.sum() * 7 == total(ts, "kidnapped").sum()
    assert j.extorted.sum() * 7 == total(ts, "extorted").sum()
    assert j.prosecuted.sum() * 7 == total(ts, "prosecuted").sum()
    assert (j.groupby("step_set_out").size() == 40).all()
    assert j.countries.str.len().gt(0).all()
    ended = j[j.outcome.isin(["arrived", "returned", "rescued"])]
    assert (ended.step >= ended.step_set_out).all()


def test_by_country_block_sums_the_monthly_columns(cmap):
    m, ts = mixed(cmap, 14)
    block = migrants_by_country(ts)
    kid = sum(v.get("kidnapped", 0) for years in block.values() for v in years.values())
    assert kid == total(ts, "kidnapped").sum()
    assert set(next(iter(block.values()))) == {"year 0", "year 1"}


def test_defaults_add_no_danger(cmap):
    sc = scenario(smuggler_share=0.5, trafficking=0.2)
    m, ts = run(sc, cmap, 6)
    for e in ("kidnapped", "extorted", "released"):
        assert total(ts, e).sum() == 0
    assert np.isin(m.migration.table.form[:m.migration.table.n], [0, 1, 2]).all()
