"""Golden summaries: the model's numbers change only on purpose (tools/update_golden.py)."""

import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from update_golden import GOLDEN, golden_path, golden_summary  # noqa: E402


def assert_close(a, b, path="summary"):
    if isinstance(a, dict):
        assert set(a) == set(b), f"{path}: keys differ: {sorted(set(a) ^ set(b))}"
        for k in a:
            assert_close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), \
            f"{path}: {a} != golden {b}"
    else:
        assert a == b, f"{path}: {a} != golden {b}"


@pytest.mark.parametrize("name,seed,steps", GOLDEN)
def test_summary_matches_golden(name, seed, steps):
    stored = json.loads(golden_path(name).read_text())
    assert (stored["seed"], stored["steps"]) == (seed, steps)
    now = golden_summary(name, seed, steps)
    assert_close(now, stored["summary"])
