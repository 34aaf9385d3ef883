"""The model's structure: state exists before the first step, Mesa's counters and agent
registry are right, and every schema parameter moved out of the code is wired."""

from __future__ import annotations

import numpy as np
import pytest

import model.agents.migrant as migrant_module
from model.agents import Migrant, MigrantState
from model.agents.gang import Wildlife
from model.corridor import CorridorModel
from model.world.grid import centroid_cell, nearest_cell
from test_toy_corridors import toy_map_cache, toy_scenario

TOY_MAP = toy_map_cache()
ORIGIN = {"migrants": {"origins": [{"name": "Origin", "agents_per_step": 2.5}]}}
PATROLLED = {"XW": {"strategy": "static", "enforcement_units": 4}}


def toy(steps=0, **extra) -> CorridorModel:
    m = CorridorModel(toy_scenario(**extra), TOY_MAP, seed=3)
    for _ in range(steps):
        m.step()
    return m


def test_hazards_are_defined_on_a_fresh_model():
    m = toy(jurisdictions=PATROLLED)
    assert m.cell_hazard().shape == TOY_MAP.shape
    assert (m.cell_hazard() == 0).all()          # no month simulated: no coverage yet
    assert m.known_hazard().shape == (m.graph.n,)


def test_steps_is_the_month_counter():
    m = toy(steps=3)
    assert m.steps == 3
    assert m.recorder.timeseries().step.tolist() == [0, 1, 2]


def test_finished_migrants_leave_the_model_and_every_one_is_counted(monkeypatch):
    created = []
    init = Migrant.__init__

    def counting(self, model, row):
        created.append(row)
        init(self, model, row)

    monkeypatch.setattr(migrant_module.Migrant, "__init__", counting)
    m = toy(**ORIGIN)
    for month in range(1, 9):
        m.step()
        assert len(created) == int(2.5 * month)          # spawned, counted apart from the states
        counts = m.migrant_counts
        registered = list(m.agents_by_type.get(Migrant, []))
        on_road = counts[MigrantState.TRAVELLING] + counts[MigrantState.TRAFFICKED]
        assert len(registered) == on_road == len(m.migrants)
        assert all(a.on_road for a in registered)
        assert sum(counts.values()) == len(created) == m.migrants_spawned()
    finished = counts[MigrantState.ARRIVED] + counts[MigrantState.RETURNED] + counts[MigrantState.RESCUED]
    assert finished > 0 and finished == len(created) - len(registered)


def test_plaza_rate_zero_keeps_plazas_where_they_started():
    cartel = [{"name": "A", "sources": ["Source"], "ports_of_entry": ["Port"], "shipments_per_step": 5,
               "arms_per_tonne": 0, "plazas": ["XE"]}]
    start = toy(cartel=cartel).cartels[0].plaza.copy()
    fixed = toy(steps=4, cartel=cartel, routing={"max_offshore_km": 0, "speed_km_per_step": 200,
                                                 "plaza_rate": 0.0}).cartels[0].plaza
    moving = toy(steps=4, cartel=cartel).cartels[0].plaza
    assert np.array_equal(fixed, start)
    assert not np.array_equal(moving, start)


def test_route_logit_cut_drops_the_costlier_port():
    # a second port four hops east of the first: its best route costs ~30% more
    path = TOY_MAP.path.with_name("two_ports.toml")
    if not path.exists():
        path.write_text(TOY_MAP.path.read_text() + '\n[[feature]]\nkind = "port_of_entry"\n'
                        'name = "Port2"\nlat = 11.875\nlon = -97.875\n')
    from model.world.geography import load_map
    cmap = load_map(path)
    cartel = [{"name": "A", "sources": ["Source"], "ports_of_entry": ["Port", "Port2"],
               "shipments_per_step": 5, "arms_per_tonne": 0}]

    def routes(**routing):
        sc = toy_scenario(cartel=cartel, routing={"max_offshore_km": 0, **routing})
        m = CorridorModel(sc, cmap, seed=3)
        m.step()
        return len(m.cartels[0].routes)

    assert routes() == 2                       # default cut 12: both ports used
    assert routes(route_logit_cut=1.0) == 1    # only the cheaper port survives


@pytest.mark.parametrize("memory", [0.0, 1.0])
def test_enforcement_memories(memory):
    detection = {"seizure_memory": memory, "flow_memory": memory}
    m = toy(jurisdictions=PATROLLED, detection=detection)
    seizures, seen = [], []
    for _ in range(6):
        m.step()
        e = m.enforcement
        flow = m.step_flow[0].reshape(TOY_MAP.shape)
        seizures.append(m.step_seizures.copy())
        seen.append(flow * (e.coop | (e.coverage > 0)))
    assert sum(s.sum() for s in seizures) > 0
    # memory 0: only this month; memory 1: everything ever seen
    expect_s = seizures[-1] if memory == 0 else sum(seizures)
    expect_f = seen[-1] if memory == 0 else sum(seen)
    np.testing.assert_allclose(m.enforcement.recent_seizures, expect_s)
    np.testing.assert_allclose(m.enforcement.observed_flow, expect_f)


def test_gang_strength_stays_between_its_floor_and_cap():
    gang = [{"name": "G", "home": "XW", "strength": 2.0, "max_growth": 3.0, "min_strength": 0.25}]
    g = toy(gang=gang).gangs[0]
    g.settle(transit_tonnes=1e9, coverage_in_territory=0.0)
    assert g.strength == 6.0                   # 3 x initial strength
    g.settle(transit_tonnes=0.0, coverage_in_territory=1e12)
    assert g.strength == 0.5                   # 0.25 x initial strength


def test_smugglers_replan_every_smuggler_replan_months(monkeypatch):
    calls = []
    m = toy(migrants={"smuggler_replan_months": 3, "origins": ORIGIN["migrants"]["origins"]})
    real = m.migration.routes
    monkeypatch.setattr(m.migration, "routes", lambda *a: (calls.append(m.steps - 1), real(*a)))
    for _ in range(13):
        m.step()
    assert calls == [3, 6, 9, 12]


@pytest.mark.parametrize("every, months", [(12, [0, 12, 24]), (5, [0, 5, 10, 15, 20])])
def test_wildlife_replans_every_wildlife_replan_months(every, months):
    sc = toy_scenario(routing={"max_offshore_km": 0, "wildlife_replan_months": every},
                      gang=[{"name": "G", "home": "XW", "wildlife_per_step": 1.0}])
    m = CorridorModel(sc, TOY_MAP, seed=3)
    w: Wildlife = m.wildlife
    w.biodiversity = [0]                       # the toy map has none; the plan is stubbed
    plans = []
    w.plan = lambda r, seen: plans.append(month) or []
    for month in range(25):
        w.ship(month, "same policy", sc.routing, None, m.ledger)
    assert plans == months


def test_nearest_cell_and_centroid():
    mask = np.zeros((5, 4), bool)
    mask[[0, 4, 4], [0, 0, 3]] = True
    assert nearest_cell(mask, 3.6, 2.9) == (4, 3)
    assert nearest_cell(mask, 0.0, 0.0) == (0, 0)
    ring = np.ones((5, 5), bool)
    ring[1:4, 1:4] = False                     # the centre of mass (2, 2) lies outside the mask
    assert centroid_cell(ring) == (0, 2)       # the first of the four cells 2 away
