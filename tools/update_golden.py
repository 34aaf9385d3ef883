"""Refresh the golden summaries in tests/golden/ on purpose.

Run this only when a change to the model is meant to change its numbers, then review the
diff of tests/golden/*.json in the commit like any other change:

    python tools/update_golden.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.runs.simulate import run_pair  # noqa: E402
from model.scenario import load_scenario  # noqa: E402

# (scenario file, seed, months): short enough for every test run, long enough to cover a policy change
GOLDEN = [("baseline.toml", 2004, 24), ("mexico_crackdown.toml", 2004, 48)]


def golden_summary(name: str, seed: int, steps: int) -> dict:
    sc, cmap = load_scenario(ROOT / "scenarios" / name)
    return json.loads(json.dumps(run_pair(sc, cmap, seed, steps)["summary"]))


def golden_path(name: str) -> Path:
    return ROOT / "tests" / "golden" / (Path(name).stem + ".json")


def main() -> None:
    for name, seed, steps in GOLDEN:
        s = golden_summary(name, seed, steps)
        golden_path(name).write_text(json.dumps({"seed": seed, "steps": steps, "summary": s}, indent=2) + "\n")
        print(f"wrote {golden_path(name).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
