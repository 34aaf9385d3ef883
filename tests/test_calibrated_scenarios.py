"""The shipped scenarios hold the calibrated values of the shipped calibration (issue 16).

experiments/history/calibration/ is the result folder of `corridor calibrate
experiments/calibration.toml` (its run files left out); scenarios/baseline.toml, which every
scenario of the library extends, holds its posterior point of least implausibility.
"""

import json
from pathlib import Path

import pytest

from model.runs.calibrate import load_calibration
from model.runs.posterior import best_draw, load_draws
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


def test_the_shipped_point_is_the_posterior_point_of_least_implausibility():
    """The shipped values are the best fit to the targets on the calibration's own runs
    (model.runs.posterior.best_draw), not a vector of medians that no run was judged at."""
    import pandas as pd

    post = pd.read_parquet(SHIPPED / "posterior.parquet")
    best = best_draw(SHIPPED)
    assert post.loc[post["point"] == best["point"], "implausibility"].max() == post["implausibility"].min()
    assert (post["implausibility"] <= load_calibration(ROOT / "experiments" / "calibration.toml").meta.cutoff).all()


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_scenario_holds_the_best_posterior_point(path):
    params, _ = load_draws(SHIPPED)
    central = best_draw(SHIPPED)
    data = dump(load_scenario(path)[0])
    for p in params:
        for dotted in ([p["path"]] if isinstance(p["path"], str) else p["path"]):
            assert float(get_path(data, dotted)) == pytest.approx(float(central[p["name"]]), rel=1e-3), (path.name, dotted)


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_scenario_takes_every_shipped_posterior_draw(path):
    """`--posterior experiments/history/calibration` works on the whole library: every draw's
    values pass each scenario's own bounds (at_draws validates them all before any run)."""
    from model.runs.posterior import at_draws

    sc, _ = load_scenario(path)
    posterior = load_draws(SHIPPED)
    drawn = at_draws(sc, posterior, path)
    assert len(drawn) == len(posterior[1]) > 0
    params = posterior[0]
    for draw, at in drawn[:3]:
        data = dump(at)
        for p in params:
            dotted = p["path"] if isinstance(p["path"], str) else p["path"][0]
            assert float(get_path(data, dotted)) == pytest.approx(float(draw[p["name"]]))


@pytest.mark.slow
def test_a_library_scenario_runs_over_the_shipped_posterior(tmp_path):
    import subprocess
    import sys

    import pandas as pd

    out = tmp_path / "r"
    r = subprocess.run([sys.executable, "-m", "model.cli", "run", str(ROOT / "scenarios" / "mexico_crackdown.toml"),
                        "--posterior", str(SHIPPED), "--draws", "2", "--steps", "12", "--out", str(out),
                        "--no-charts", "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    draws = pd.read_parquet(out / "posterior.parquet")
    assert len(draws) == 2 and draws.delivered_t.notna().all()
    assert "over 2 posterior draws" in r.stdout
