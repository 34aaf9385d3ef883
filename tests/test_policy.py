"""Policy resolution (model/policy.py), with levels worked out by hand.

Order: built-in defaults -> [jurisdictions.default] -> a country's table -> a sub-region's
table -> policy rows in file order while start <= month < end; `set` replaces, `multiply`
scales (levels clipped to [0, 1]). On the region map XA-S belongs to country XA.
"""

import tempfile
from pathlib import Path

import numpy as np
import pytest

from model.policy import STRATEGIES, PolicySchedule
from model.scenario import JURISDICTION_DEFAULTS, Strategy, parse_scenario
from model.world.geography import load_map
from toy import write_regions


@pytest.fixture(scope="module")
def cmap():
    return load_map(write_regions(Path(tempfile.mkdtemp(prefix="regions"))))


def schedule(cmap, jurisdictions=None, policy=(), us_demand=1.0):
    sc = parse_scenario({"scenario": {"name": "p"}, "us_demand": us_demand,
                         "cartel": [{"name": "A", "sources": ["S"], "ports_of_entry": ["Port"]}],
                         "jurisdictions": jurisdictions or {}, "policy": list(policy)})
    return PolicySchedule(sc, cmap)


def level(cmap, settings, lever, code):
    return float(settings.levels[lever][cmap.jurisdiction_codes.index(code)])


def strategy(cmap, settings, code):
    return STRATEGIES[settings.strategy[cmap.jurisdiction_codes.index(code)]]


def test_built_in_defaults_everywhere(cmap):
    s = schedule(cmap).at(0)
    for code in ("US", "XA", "XA-S", "XB"):
        assert level(cmap, s, "corruption", code) == JURISDICTION_DEFAULTS["corruption"] == 0.3
        assert level(cmap, s, "migration_enforcement", code) == 0.1
        assert strategy(cmap, s, code) == Strategy.PATROL
    assert not s.cooperation[cmap.jurisdiction_codes.index("XA")]
    assert s.pool_units == {} and s.us_demand == 1.0


def test_default_then_country_then_region(cmap):
    s = schedule(cmap, {"default": {"corruption": 0.5, "trafficking_law": 0.2},
                        "XA": {"corruption": 0.7, "strategy": "static"},
                        "XA-S": {"corruption": 0.9}}).at(0)
    assert level(cmap, s, "corruption", "XB") == 0.5          # [jurisdictions.default]
    assert level(cmap, s, "corruption", "XA") == 0.7          # country over default
    assert level(cmap, s, "corruption", "XA-S") == 0.9        # region over its country
    assert level(cmap, s, "trafficking_law", "XA-S") == 0.2   # default where nobody overrides
    assert strategy(cmap, s, "XA-S") == Strategy.STATIC       # the country's, inherited
    assert strategy(cmap, s, "XB") == Strategy.PATROL


def test_region_wins_whatever_the_table_order(cmap):
    # the region's table written before its country's: the region still wins
    s = schedule(cmap, {"XA-S": {"corruption": 0.9}, "XA": {"corruption": 0.7}}).at(0)
    assert level(cmap, s, "corruption", "XA-S") == 0.9
    assert level(cmap, s, "corruption", "XA") == 0.7


def test_rows_apply_in_file_order_within_their_window(cmap):
    rows = [{"lever": "corruption", "target": ["XA"], "start": 2, "end": 6, "value": 0.6},
            {"lever": "corruption", "target": ["XA"], "start": 4, "operation": "multiply", "value": 0.5}]
    ps = schedule(cmap, {"XA": {"corruption": 0.8}}, rows)
    got = [level(cmap, ps.at(t), "corruption", "XA") for t in range(8)]
    #      base  base  set   set   set*0.5 set*0.5 base*0.5 (end=6 exclusive)
    assert got == pytest.approx([0.8, 0.8, 0.6, 0.6, 0.3, 0.3, 0.4, 0.4])
    # a country's row covers its sub-region, overriding the region's own table
    assert level(cmap, ps.at(2), "corruption", "XA-S") == 0.6
    assert level(cmap, ps.at(2), "corruption", "XB") == 0.3


def test_multiply_then_set_differs_from_set_then_multiply(cmap):
    a = [{"lever": "victim_services", "target": ["XB"], "value": 0.4},
         {"lever": "victim_services", "target": ["XB"], "operation": "multiply", "value": 2}]
    assert level(cmap, schedule(cmap, policy=a).at(0), "victim_services", "XB") == pytest.approx(0.8)
    b = a[::-1]            # multiply the default 0, then set: the later row wins
    assert level(cmap, schedule(cmap, policy=b).at(0), "victim_services", "XB") == pytest.approx(0.4)


def test_multiplied_levels_are_clipped_to_one(cmap):
    rows = [{"lever": "arms_control", "target": ["XB"], "value": 0.6},
            {"lever": "arms_control", "target": ["XB"], "operation": "multiply", "value": 3}]
    assert level(cmap, schedule(cmap, policy=rows).at(0), "arms_control", "XB") == 1.0


def test_unit_pools_from_tables_and_rows(cmap):
    rows = [{"lever": "enforcement_units", "target": ["XA"], "start": 1, "end": 3,
             "operation": "multiply", "value": 3},
            {"lever": "naval_units", "target": ["XB"], "start": 2, "value": 4.6}]
    ps = schedule(cmap, {"XA": {"enforcement_units": 5}, "XA-S": {"enforcement_units": 2}}, rows)
    # a country's row scales its regions' pools too; rounding to whole units comes last
    assert ps.pools == ["XA:land", "XB:sea", "XA-S:land"]
    assert ps.at(0).pool_units == {"XA:land": 5, "XA-S:land": 2, "XB:sea": 0}
    assert ps.at(1).pool_units == {"XA:land": 15, "XA-S:land": 6, "XB:sea": 0}
    assert ps.at(2).pool_units == {"XA:land": 15, "XA-S:land": 6, "XB:sea": 5}
    assert ps.at(3).pool_units == {"XA:land": 5, "XA-S:land": 2, "XB:sea": 5}


def test_strategy_cooperation_and_demand_rows(cmap):
    rows = [{"lever": "strategy", "target": ["XA-S"], "start": 1, "value": "hotspot"},
            {"lever": "cooperation", "target": ["XB"], "start": 1, "end": 2, "value": True},
            {"lever": "us_demand", "start": 1, "operation": "multiply", "value": 0.5}]
    ps = schedule(cmap, {"XA": {"strategy": "intelligence"}}, rows, us_demand=1.6)
    s0, s1, s2 = ps.at(0), ps.at(1), ps.at(2)
    assert strategy(cmap, s0, "XA-S") == Strategy.INTELLIGENCE
    assert strategy(cmap, s1, "XA-S") == Strategy.HOTSPOT
    assert strategy(cmap, s1, "XA") == Strategy.INTELLIGENCE
    xb = cmap.jurisdiction_codes.index("XB")
    assert [bool(s.cooperation[xb]) for s in (s0, s1, s2)] == [False, True, False]
    assert (s0.us_demand, s1.us_demand, s2.us_demand) == pytest.approx((1.6, 0.8, 0.8))
    assert s0.cooperation[cmap.jurisdiction_codes.index("INTL")]     # open waters, always


def test_months_with_the_same_rows_share_one_settings_object(cmap):
    ps = schedule(cmap, policy=[{"lever": "corruption", "target": ["XA"], "start": 3, "value": 0.0}])
    assert ps.at(0) is ps.at(2) and ps.at(3) is ps.at(50)
    assert ps.at(0) is not ps.at(3)
    assert np.array_equal(ps.at(0).levels["corruption"] == 0.3, np.ones(ps.n, bool))


def test_interdiction_levers_resolve_like_the_others(cmap):
    # neutral built-ins (multipliers 1, no air hazard); then default, country, region, rows;
    # multiplied values are clipped to the levers' own bounds [0, 10], not [0, 1]
    assert [level(cmap, schedule(cmap).at(0), k, "XB") for k in
            ("land_interdiction", "maritime_interdiction", "air_interdiction")] == [1.0, 1.0, 0.0]
    rows = [{"lever": "air_interdiction", "target": ["XA"], "start": 2, "end": 4, "operation": "multiply",
             "value": 3},
            {"lever": "maritime_interdiction", "target": ["XB"], "start": 3, "value": 2.5}]
    ps = schedule(cmap, {"default": {"air_interdiction": 0.5, "land_interdiction": 2},
                         "XA": {"air_interdiction": 2}, "XA-S": {"air_interdiction": 4}}, rows)
    s0, s2, s3, s4 = ps.at(0), ps.at(2), ps.at(3), ps.at(4)
    assert [level(cmap, s0, "air_interdiction", c) for c in ("XB", "XA", "XA-S")] == [0.5, 2.0, 4.0]
    assert [level(cmap, s2, "air_interdiction", c) for c in ("XB", "XA", "XA-S")] == [0.5, 6.0, 10.0]
    assert level(cmap, s4, "air_interdiction", "XA-S") == 4.0                 # end = 4 exclusive
    assert level(cmap, s0, "land_interdiction", "XA-S") == 2.0               # default where nobody overrides
    assert [level(cmap, s, "maritime_interdiction", "XB") for s in (s2, s3, s4)] == [1.0, 2.5, 2.5]
