"""The shipped scenarios hold the calibrated values of the shipped calibration (issue 16).

experiments/history/calibration/ is the result folder of `corridor calibrate
experiments/calibration.toml` (its run files left out); scenarios/baseline.toml, which every
scenario of the library extends, holds its central posterior point.
"""

import json
from pathlib import Path

import pytest

from model.runs.calibrate import load_calibration
from model.runs.posterior import central_draw, load_draws
from model.runs.sweep.experiment import dump, get_path
from model.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "experiments" / "history" / "calibration"
LIBRARY = sorted(p for p in (ROOT / "scenarios").glob("*.toml"))


def test_the_shipped_posterior_comes_from_the_shipped_calibration_file():
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    cal = load_calibration(ROOT / "experiments" / "calibration.toml")
    assert manifest["status"] == "complete"
    assert manifest["calibration_sha256"] == cal.sha256, "experiments/calibration.toml changed since the " \
        "shipped calibration ran: run it again and copy its folder to experiments/history/calibration"


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_scenario_holds_the_central_posterior_point(path):
    params, points = load_draws(SHIPPED)
    central = central_draw(params, points)
    data = dump(load_scenario(path)[0])
    for p in params:
        for dotted in ([p["path"]] if isinstance(p["path"], str) else p["path"]):
            assert float(get_path(data, dotted)) == pytest.approx(float(central[p["name"]]), rel=1e-3), (path.name, dotted)
