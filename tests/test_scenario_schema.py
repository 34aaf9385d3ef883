"""The scenario schema: bounds, units and clear errors, with property tests over inputs."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.errors import InputError
from model.scenario import LEVERS, Scenario, parameter_table, parse_scenario

MIN = {"scenario": {"name": "t"}, "cartel": [{"name": "A", "sources": ["S"], "ports_of_entry": ["P"]}]}


def with_(**parts):
    d = {k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in MIN.items()}
    d.update(parts)
    return d


def test_every_numeric_parameter_declares_a_unit():
    rows = parameter_table()
    assert len(rows) > 40
    assert all(r["unit"] for r in rows)
    assert any("NarcoLogic" in r["source"] for r in rows)


@settings(max_examples=60, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=False, min_value=-10, max_value=10))
def test_corruption_in_bounds_accepted_out_of_bounds_named(value):
    data = with_(jurisdictions={"GT": {"corruption": value}})
    if 0 <= value <= 1:
        assert parse_scenario(data).jurisdictions["GT"].corruption == value
    else:
        with pytest.raises(InputError) as e:
            parse_scenario(data, "x.toml")
        assert "x.toml: field 'jurisdictions.GT.corruption'" in str(e.value)


@settings(max_examples=60, deadline=None)
@given(lever=st.sampled_from(LEVERS), start=st.integers(0, 50), length=st.integers(-5, 50),
       value=st.one_of(st.floats(-1, 5, allow_nan=False), st.booleans(), st.sampled_from(["hotspot", "nonsense"])))
def test_policy_rows_are_valid_or_rejected_with_their_index(lever, start, length, value):
    row = {"lever": lever, "target": [] if lever == "us_demand" else ["MX"], "start": start,
           "end": start + length, "value": value}
    try:
        sc = parse_scenario(with_(policy=[row]), "p.toml")
    except InputError as e:
        assert "field 'policy[0]" in str(e)
        return
    p = sc.policy[0]
    assert p.end > p.start
    if lever == "cooperation":
        assert isinstance(p.value, bool)
    elif lever == "strategy":
        assert p.value == "hotspot"
    else:
        assert not isinstance(p.value, (bool, str))


def test_unknown_field_is_named():
    with pytest.raises(InputError, match=r"field 'routing.speed': unknown field"):
        parse_scenario(with_(routing={"speed": 3}), "s.toml")


def test_counterfactual_drops_only_the_policy():
    sc = parse_scenario(with_(policy=[{"lever": "us_demand", "value": 0.5, "start": 3}]))
    cf = sc.without_policy()
    assert cf.policy == [] and sc.policy
    assert cf.model_dump(exclude={"policy"}) == sc.model_dump(exclude={"policy"})
    assert isinstance(cf, Scenario)
