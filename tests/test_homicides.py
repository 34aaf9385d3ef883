"""Homicides per country and their rate per 100,000 (model/homicides.py, MODEL.md §7.11):
hand-computable toys for each driver, and today's numbers unchanged."""

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.corridor import CorridorModel
from model.homicides import HomicideModel, Population, arms_by_country, rate_per_100k
from model.metrics import homicide_rates
from model.scenario import parse_scenario
from model.scenario.schema import Arms, Homicides
from model.violence import contested
from model.world import grid
from model.world.geography import load_map
from toy import write_two_corridors

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from update_golden import GOLDEN, golden_path, golden_summary  # noqa: E402

OFF = dict(contest=0.0, gang=0.0, crackdown=0.0, arms_elasticity=0.0)
POP = {"XW": [(2000, 1_000_000), (2010, 2_000_000)], "XE": [(2000, 500_000)]}


def test_population_interpolates_between_census_years_and_follows_the_trend_beyond():
    p = Population(POP)
    assert p.at("XW", 2005) == 1_500_000
    assert p.at("XW", 2012) == 2_200_000            # the 2000-2010 trend, continued
    assert p.at("XW", 1999) == 900_000
    assert p.at("XE", 2011) == 500_000              # one census: held flat
    assert p.at("XN", 2005) is None


def test_rate_per_100k_by_hand():
    # 100 homicides a month for a year in 3 million people: 1,200 / 3,000,000 x 100,000 = 40
    assert rate_per_100k(1200, 3_000_000) == 40.0
    months = [f"2004-{m:02d}" for m in range(1, 13)] + ["2005-01", "2005-02"]
    ts = pd.DataFrame({"step": range(14), "month": months, "homicides_XW": 100.0,
                       "population_XW": 3_000_000.0, "homicides_XE": 5.0})
    assert homicide_rates(ts) == {"XW": {"2004": 40.0}}   # 2005 is not whole; XE has no population


def toy_model(h: dict, arms: dict | None = None, shape=(3, 2), people=1_000_000):
    """Country 0 (XW) on every cell of a `shape` grid, `people` people in every year."""
    country = np.zeros(shape, np.int64)
    return HomicideModel(Homicides(deterministic=True, **h), Arms(**(arms or {})), country,
                         np.ones(shape, bool), ["XW"], Population({"XW": [(2000, people)]}), seed=1)


def test_with_every_driver_off_homicides_are_the_baseline_rate_times_population():
    m = toy_model(dict(OFF, baseline_rate=24.0))
    gang = np.ones((3, 2))
    contested = np.full((3, 2), 2.0)
    count, pop = m.month(2005.5, contested, gang, np.ones((3, 2)))
    assert pop[0] == 1_000_000
    assert count[0] == pytest.approx(24.0 * 1_000_000 / 100_000 / 12)      # = 20 a month


def test_poisson_homicides_average_to_the_baseline_expectation():
    h = Homicides(**OFF, baseline_rate=24.0)
    shape = (3, 2)
    draws = []
    for seed in range(20):
        m = HomicideModel(h, Arms(), np.zeros(shape, np.int64), np.ones(shape, bool), ["XW"],
                          Population({"XW": [(2000, 1_000_000)]}), seed=seed)
        draws += [m.month(2005.5, np.zeros(shape), np.zeros(shape), np.zeros(shape))[0][0] for _ in range(30)]
    # 600 draws of Poisson(20): the mean's standard error is sqrt(20 / 600) = 0.18
    assert abs(np.mean(draws) - 20.0) < 4 * np.sqrt(20.0 / 600)


@pytest.mark.parametrize("elasticity", [0.3, 1.0])
def test_doubling_the_firearms_stock_multiplies_trafficking_homicides_by_two_to_the_elasticity(elasticity):
    shape = (3, 2)
    gang = np.zeros(shape)
    gang[0, 0] = 1.0
    h = dict(OFF, baseline_rate=0.0, gang=3.0, arms_elasticity=elasticity)
    arms = dict(legacy_per_100k=10_000.0)       # 7,200,000 people: 720,000 firearms already held
    # 7,200,000 people on 6 cells: 1,200,000 a cell, where 1 per 100,000 a year is 1 homicide a month
    before = toy_model(h, arms, people=7_200_000).month(2005.5, np.zeros(shape), gang, np.zeros(shape))[0][0]
    m = toy_model(h, arms, people=7_200_000)
    m.add_arms(np.array([720_000.0]))           # trafficked stock = legacy stock: total doubled
    after = m.month(2005.5, np.zeros(shape), gang, np.zeros(shape))[0][0]
    assert before == pytest.approx(3.0)
    assert after == pytest.approx(3.0 * 2 ** elasticity)


def test_the_stock_depreciates_and_is_replenished_by_deliveries():
    m = toy_model(OFF, dict(depreciation=0.1))
    m.add_arms(np.array([1000.0]))
    m.add_arms(np.array([500.0]))
    assert m.stock[0] == pytest.approx(1000 * 0.9 + 500)


def test_contested_plazas_and_gang_territory_add_their_rate_per_cell():
    shape = (3, 2)
    contested = np.zeros(shape)
    contested[1, 1] = 2                      # three organisations' cocaine through one cell
    gang = np.zeros(shape)
    gang[2, 0] = 0.5
    # 1,200,000 people a cell: a rate of 1 per 100,000 a year is 1 homicide a month there
    m = toy_model(dict(OFF, baseline_rate=0.0, contest=1.5, gang=4.0), people=7_200_000)
    lam = m.expected(2005.5, contested, gang, np.zeros(shape))
    assert lam[1, 1] == pytest.approx(3.0) and lam[2, 0] == pytest.approx(2.0)
    assert lam.sum() == pytest.approx(5.0)


CROSS = grid.offsets(grid.disk(1.0, 1.0))     # a one-cell reach: the cell and its 4 neighbours


def flows_at(shape, *cells) -> np.ndarray:
    """One organisation per cell given, its cocaine through that cell only ([cartel, node])."""
    f = np.zeros((len(cells), shape[0] * shape[1]))
    for k, (x, y) in enumerate(cells):
        f[k, x * shape[1] + y] = 1.0
    return f


def test_plazas_with_a_reach_are_contested_where_they_overlap_not_only_where_routes_meet():
    shape = (7, 3)
    apart = flows_at(shape, (1, 1), (3, 1))        # two routes two cells apart: no cell shared
    assert contested(apart, shape).sum() == 0
    c = contested(apart, shape, CROSS)             # their plazas share the cell between them
    assert c[2, 1] == 1 and c.sum() == 1
    far = flows_at(shape, (1, 1), (4, 1))          # three cells apart: plazas do not touch
    assert contested(far, shape, CROSS).sum() == 0
    same = flows_at(shape, (1, 1), (1, 1), (1, 1))  # three organisations through one cell
    c = contested(same, shape, CROSS)
    assert c[1, 1] == 2 and c[0, 1] == 2 and c.sum() == 5 * 2


@settings(max_examples=40)
@given(st.lists(st.lists(st.booleans(), min_size=20, max_size=20), min_size=1, max_size=4))
def test_a_reach_only_adds_holders(rows):
    """An organisation holds every cell its cocaine passed, and more with a reach, so no cell
    is less contested with a reach than without, and every contest stays below the organisations."""
    shape = (5, 4)
    flows = np.array(rows, float)
    with_reach = contested(flows, shape, CROSS)
    assert (with_reach >= contested(flows, shape)).all()
    assert with_reach.max() <= max(len(rows) - 1, 0)


def two_countries(people_w: float, people_s: float) -> HomicideModel:
    """XW on the 6 cells of row x = 0..2 (3 x 2), XS on the 2 cells of x = 3: sizes and
    populations differ; the drivers below put the same share of each country's land in play."""
    country = np.zeros((4, 2), np.int64)
    country[3, :] = 1
    h = Homicides(deterministic=True, **dict(OFF, baseline_rate=5.0, contest=20.0, gang=10.0))
    pop = Population({"XW": [(2000, people_w)], "XS": [(2000, people_s)]})
    return HomicideModel(h, Arms(), country, np.ones((4, 2), bool), ["XW", "XS"], pop, seed=1)


def yearly_rates(m: HomicideModel, contested, gang) -> np.ndarray:
    count, pop = m.month(2005.5, contested, gang, np.zeros(contested.shape))
    return count * 12 / pop * 100_000


def test_a_small_country_with_the_same_drivers_per_resident_gets_the_same_rate():
    """Half of each country's land contested by one extra organisation and gang strength 0.3
    everywhere: 5 + 20 x 1/2 + 10 x 0.3 = 18 per 100,000 a year in both, though XS has 2 cells
    and 1% of XW's people. (As per-cell counts, XS's rate was 100 x 3 = 300 x XW's.)"""
    contested = np.zeros((4, 2))
    contested[0:3, 0] = 1                    # 3 of XW's 6 cells
    contested[3, 0] = 1                      # 1 of XS's 2 cells
    gang = np.full((4, 2), 0.3)
    rates = yearly_rates(two_countries(10_000_000, 100_000), contested, gang)
    assert rates == pytest.approx([18.0, 18.0])


@settings(max_examples=40, deadline=None)
@given(people_w=st.floats(1e3, 1e9), people_s=st.floats(1e3, 1e9),
       contested_cells=st.integers(0, 2), gang=st.floats(0, 5))
def test_a_countrys_rate_does_not_depend_on_its_population(people_w, people_s, contested_cells, gang):
    """The same share of land in play gives the same rate whatever the two populations."""
    contested = np.zeros((4, 2))
    contested[0:3, 0:contested_cells] = 1    # the same share of XW's land ...
    contested[3, 0:contested_cells] = 1      # ... as of XS's
    g = np.full((4, 2), gang)
    rates = yearly_rates(two_countries(people_w, people_s), contested, g)
    expected = 5.0 + 20.0 * contested_cells / 2 + 10.0 * gang
    assert rates == pytest.approx([expected, expected], rel=1e-9)


def test_a_crackdown_adds_homicides_in_proportion_to_the_rise_above_the_moving_baseline():
    shape = (3, 2)
    z = np.zeros(shape)
    m = toy_model(dict(OFF, baseline_rate=0.0, crackdown=12.0, crackdown_memory=0.25))
    assert m.month(2005.5, z, z, np.ones(shape))[0][0] == 0.0          # first month sets the baseline
    # coverage doubles: relative rise 1 -> 12 per 100,000 a year = 12 x 10 / 12 = 10 a month
    assert m.month(2005.5, z, z, np.full(shape, 2.0))[0][0] == pytest.approx(10.0)
    # the baseline closed a quarter of the gap (1 -> 1.25): rise 2 / 1.25 - 1 = 0.6
    assert m.month(2005.5, z, z, np.full(shape, 2.0))[0][0] == pytest.approx(6.0)


def test_the_shock_hook_raises_a_cell_by_its_share_and_decays():
    shape = (3, 2)
    m = toy_model(dict(OFF, baseline_rate=24.0, shock_decay=0.5))   # 20 a month over 6 cells
    m.shock[0, 0] += 0.8                       # a kingpin removed here: +80% (Lindo & Padilla-Romo)
    z = np.zeros(shape)
    assert m.expected(2005.5, z, z, z)[0, 0] == pytest.approx(20 / 6 * 1.8)
    assert m.expected(2005.5, z, z, z)[0, 0] == pytest.approx(20 / 6 * 1.4)


def test_delivered_firearms_go_to_the_crossed_countries_where_buyers_are():
    node_country = np.array([0, 0, 1, 1, 2])
    plaza = np.array([[1.0, 0.0, 0.0, 0.0, 0.0]])       # cartel 0 holds a plaza in country 0
    gang = np.array([0.0, 0.0, 0.5, 0.5, 0.0])          # a gang of strength 1 in country 1
    loads = [(0, 300.0, 0b011, 1), (0, 50.0, 0b100, 2)]  # the second crossed no buyer
    out = arms_by_country(loads, plaza, gang, node_country, 3)
    assert out == pytest.approx([150.0, 150.0, 50.0])


def toy_run(folder: Path, steps: int, homicides: dict, arms: dict | None = None, arms_per_tonne=0.0):
    write_two_corridors(folder)
    (folder / "pop.toml").write_text('[XW]\nanchors = [{ year = 2000, population = 1_200_000, source = "toy" }]\n')
    data = {"scenario": {"name": "toy", "steps": steps, "map": "two_corridors.toml"},
            "routing": {"max_offshore_km": 0, "speed_km_per_step": 200},
            "cartel": [{"name": "A", "sources": ["Source"], "ports_of_entry": ["Port"],
                        "shipments_per_step": 5, "arms_per_tonne": arms_per_tonne}],
            "homicides": {"population_file": "pop.toml", **homicides}, "arms": arms or {}}
    m = CorridorModel(parse_scenario(data, folder / "toy.toml"), load_map(folder / "two_corridors.toml"), seed=3)
    for _ in range(steps):
        m.step()
    return m.recorder.timeseries()


def test_a_run_records_homicides_and_population_by_country():
    ts = toy_run(Path(tempfile.mkdtemp(prefix="hom")), 6, dict(OFF, baseline_rate=12.0, deterministic=True))
    # 12 per 100,000 a year in 1,200,000 people = 144 a year, 12 a month; XE has no population
    assert ts.homicides_XW.tolist() == pytest.approx([12.0] * 6)
    assert "population_XW" in ts and "population_XE" not in ts
    assert (ts.homicides_XE == 0).all()


def test_the_independent_arms_flow_ships_its_yearly_volume_month_by_month():
    ts = toy_run(Path(tempfile.mkdtemp(prefix="hom")), 4, dict(OFF), dict(independent_per_year=1200.0))
    assert ts.arms_shipped.tolist() == pytest.approx([100.0, 200.0, 300.0, 400.0])


def without(d, key):
    return {k: without(v, key) for k, v in d.items() if k != key} if isinstance(d, dict) else d


@pytest.mark.parametrize("name,seed,steps", GOLDEN)
def test_todays_numbers_and_violence_are_unchanged(name, seed, steps):
    """Every golden number, violence by country included, is as before homicides existed:
    they draw from their own stream (the golden files gain `homicide_rate` when refreshed)."""
    stored = json.loads(golden_path(name).read_text())["summary"]
    now = json.loads(json.dumps(without(golden_summary(name, seed, steps), "homicide_rate")))
    assert now == without(stored, "homicide_rate")
