"""Arms and wildlife by route (summary `by_route`), counted by hand on a small loads table."""

import pandas as pd
import pytest

from model.runs.routes import commodity_routes


def loads(rows):
    cols = ["commodity", "volume", "unit", "step_finished", "outcome", "countries",
            "vector_eastern_pacific", "vector_western_caribbean", "vector_eastern_caribbean",
            "vector_mexico_overland"]
    return pd.DataFrame(rows, columns=cols)


def test_arms_and_wildlife_by_country_and_vector_in_the_window():
    t = loads([
        ("arms", 40, "firearms", 3, "delivered", "MX;GT", False, False, False, True),
        ("arms", 10, "firearms", 4, "seized", "MX", False, False, False, True),
        ("arms", 99, "firearms", 1, "delivered", "MX", False, False, False, True),     # before the window
        ("wildlife", 5, "specimens", 5, "delivered", "HN;GT;MX", False, True, False, False),
        ("cocaine", 2.0, "t", 3, "delivered", "MX", True, False, False, False),        # counted elsewhere
    ])
    r = commodity_routes(t, (2, 6))
    assert set(r) == {"arms", "wildlife"}
    arms = r["arms"]
    assert arms["unit"] == "firearms"
    assert (arms["finished"], arms["delivered"], arms["seized"]) == (50, 40, 10)
    assert arms["countries"] == {"MX": 50, "GT": 40}        # a load counts in every country it crossed
    assert arms["vectors"]["mexico_overland"] == 50 and arms["vectors"]["eastern_pacific"] == 0
    wl = r["wildlife"]
    assert wl["countries"] == {"HN": 5, "GT": 5, "MX": 5} and wl["vectors"]["western_caribbean"] == 5


@pytest.mark.parametrize("empty", [None, loads([])])
def test_no_loads_no_routes(empty):
    assert commodity_routes(empty, (0, 12)) == {}
