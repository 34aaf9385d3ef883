"""Validation against history (experiments/validation/cases.py, VALIDATION.md).

Every case runs here. Which cases the model fails is written in this file, not read from
results.json (the generator rewrites that record, so reading it would let a regression plus a
regeneration stay green). A known failure is a strict xfail around the real assertion: if the
model starts to pass it, the test fails and the expectation (and VALIDATION.md) must be updated.

Two of the five recorded seeds (the last two) are used; on both, every case gives the verdict
recorded with all five (case 1 fails there on the Central America share, 0.191 and 0.267 < 2/3,
in the run of 2026-12-02 on the calibrated baseline; case 2 on active cells falling as budgets rise).
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "experiments" / "validation"))
import cases  # noqa: E402

from model.runs.seeds import replication_seeds  # noqa: E402

SEEDS = replication_seeds(cases.ROOT_SEED, 5)[3:5]

# case name -> why it fails (VALIDATION.md's measurement against its criterion); absent = passes
KNOWN_FAILURES = {
    "case_crackdown_moves_transit": "VALIDATION.md case 1: the share of loads crossing Central American "
                                    "land is 0.13-0.25 across seeds, not > 2/3 (via Guatemala 0.89 on average, not > 0.9)",
    "case_interdiction_spreads_routes": "VALIDATION.md case 2: active cells and route entropy fall "
                                        "(1244 -> 832 -> 698 cells) and seizures do not rise as budgets go x1, x2, x3",
}


def test_validation_md_says_what_this_test_expects():
    text = (ROOT / "VALIDATION.md").read_text()
    for i, case in enumerate(cases.CASES, 1):
        verdict = "FAIL" if case.__name__ in KNOWN_FAILURES else "PASS"
        assert f"## {i}. {verdict}: " in text, (case.__name__, verdict)


def _param(case):
    reason = KNOWN_FAILURES.get(case.__name__)
    marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)] if reason else []
    return pytest.param(case, id=case.__name__, marks=marks)


@pytest.mark.slow
@pytest.mark.parametrize("case", [_param(c) for c in cases.CASES])
def test_case(case):
    result = case(SEEDS)
    assert result["passed"], result["measured"]
