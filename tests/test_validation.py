"""Validation against history (experiments/validation/cases.py, VALIDATION.md).

Cases recorded as passing must keep passing (on two of the recorded seeds); cases recorded
as failing are marked xfail with the reason, not tuned until they pass.
"""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "experiments" / "validation"))
import cases  # noqa: E402

RECORD = json.loads((ROOT / "experiments" / "validation" / "results.json").read_text())


def test_validation_md_matches_the_recorded_results():
    text = (ROOT / "VALIDATION.md").read_text()
    for i, r in enumerate(RECORD["results"], 1):
        assert f"## {i}. {'PASS' if r['passed'] else 'FAIL'}: {r['fact']}" in text


@pytest.mark.slow
@pytest.mark.parametrize("i", range(len(cases.CASES)), ids=[c.__name__ for c in cases.CASES])
def test_case(i):
    record = RECORD["results"][i]
    if not record["passed"]:
        pytest.xfail(f"recorded as failing in VALIDATION.md: {record['criterion']}")
    result = cases.CASES[i](RECORD["seeds"][:2])
    assert result["passed"], result["measured"]
