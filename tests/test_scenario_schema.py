"""The scenario schema: bounds, units and clear errors, with property tests over inputs."""

import re

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


# ----- error messages name the file, the field and what was expected ---------------------
BAD = [
    ({"routing": {"risk_decay": 1.5}}, "routing.risk_decay", "less than or equal to 1", "1.5"),
    ({"routing": {"risk_decay": "high"}}, "routing.risk_decay", "valid number", "high"),
    ({"scenario": {"name": "t", "steps": 0}}, "scenario.steps", "greater than or equal to 1", "0"),
    ({"cartel": [{"name": "A", "sources": ["S"]}]}, "cartel[0].ports_of_entry", "required", None),
    ({"jurisdictions": {"GT": {"strategy": "everywhere"}}}, "jurisdictions.GT.strategy",
     "'patrol'", "everywhere"),
    ({"policy": [{"lever": "corruption", "target": ["MX"], "value": 3}]}, "policy[0]",
     "between 0 and 1", None),
    ({"policy": [{"lever": "bribes", "target": ["MX"], "value": 1}]}, "policy[0].lever",
     "'corruption'", "bribes"),
    ({"policy": [{"lever": "strategy", "target": ["MX"], "value": "hotspot", "start": 5, "end": 5}]},
     "policy[0]", "must be after start", None),
]


@pytest.mark.parametrize("part,field,expected,got", BAD, ids=[b[1] + ":" + b[2][:12] for b in BAD])
def test_error_names_file_field_and_expectation(part, field, expected, got):
    with pytest.raises(InputError) as e:
        parse_scenario(with_(**part), "bad.toml")
    msg = str(e.value)
    assert msg.startswith(f"bad.toml: field '{field}"), msg
    assert expected in msg, msg
    if got is not None:
        assert got in msg, msg


def _instance(path: str, value) -> tuple[dict, str]:
    """A minimal scenario dict with `value` at a parameter_table path, and the field it names."""
    field = path.replace("cartel[]", "cartel[0]").replace("<code>", "GT")
    data = with_()
    data["cartel"] = [dict(data["cartel"][0])]
    head, *rest = field.split(".")
    if head.startswith("cartel[0]"):
        data["cartel"][0][rest[0]] = value
    elif not rest:
        data[head] = value
    else:
        node = data.setdefault(head, {})
        node = dict(node)
        data[head] = node
        for key in rest[:-1]:
            node = node.setdefault(key, {})
        node[rest[-1]] = value
    return data, field


BOUNDED = [r for r in parameter_table()
           if "[]." not in r["parameter"].replace("cartel[].", "") and r["parameter"] != "scenario.seed"
           and not r["parameter"].startswith("policy")]


@settings(max_examples=80, deadline=None)
@given(row=st.sampled_from(BOUNDED), above=st.booleans(), by=st.integers(1, 1000))
def test_out_of_bound_numbers_are_named_with_their_bound(row, above, by):
    lim = row["limits"]
    whole = isinstance(row["default"], int) and not isinstance(row["default"], bool)
    if above:
        edge, word = (lim["le"], "less than or equal to") if "le" in lim else (lim["lt"], "less than")
        value = edge + by
    else:
        edge, word = (lim["ge"], "greater than or equal to") if "ge" in lim else (lim["gt"], "greater than")
        value = edge - by
    value = int(value) if whole else float(value)
    data, field = _instance(row["parameter"], value)
    with pytest.raises(InputError) as e:
        parse_scenario(data, "bounds.toml")
    msg = str(e.value)
    assert msg.startswith(f"bounds.toml: field '{field}'"), msg
    said = re.search(f"Input should be {word} ([-0-9.e+]+)", msg)
    assert said and float(said.group(1)) == edge, msg
