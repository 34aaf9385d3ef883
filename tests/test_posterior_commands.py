"""`corridor run --posterior` and `corridor brief --posterior` on the toy calibration (small_run, conftest.py)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS, corridor_cli

from model.cli.main import main


def chosen_points(rep, draws: int) -> pd.DataFrame:
    """The posterior's distinct points, `draws` of them picked evenly in point order (by hand, not load_draws)."""
    points = pd.read_parquet(rep.folder / "posterior.parquet").drop_duplicates("point").sort_values("point")
    assert len(points) >= 3, "the toy posterior should have at least three points"
    idx = sorted({round(i * (len(points) - 1) / (draws - 1)) for i in range(draws)})
    return points.iloc[idx].reset_index(drop=True)


def test_run_over_posterior_draws(small_run, tmp_path, capsys):
    folder, cal, rep = small_run
    toy = folder / "toy.toml"
    assert main(["run", str(toy), "--out", str(tmp_path / "plain"), "--no-charts", "--quiet"]) == 0
    capsys.readouterr()
    out = tmp_path / "post"
    assert main(["run", str(toy), "--posterior", str(rep.folder), "--draws", "2", "--out", str(out),
                 "--no-charts", "--quiet"]) == 0
    printed = capsys.readouterr().out

    draws = pd.read_parquet(out / "posterior.parquet")
    expected = chosen_points(rep, 2)
    assert list(draws.draw) == [0, 1] and list(draws.point) == list(expected.point)
    for p in cal.parameters:                           # each row is the posterior's point, value for value
        np.testing.assert_allclose(draws[p.name], expected[p.name])
    assert (draws.seed == json.loads((out / "summary.json").read_text())["seed"]).all()
    # the draws differ in their parameters, so (on the same seed) in what they ship
    assert draws.shipped_t.nunique() == 2 and draws.displacement_ratio.notna().all()

    # the run's own outputs are those of the scenario as given
    plain = json.loads((tmp_path / "plain" / "summary.json").read_text())
    assert json.loads((out / "summary.json").read_text()) == plain
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["posterior"] == str(rep.folder) and manifest["draws"] == 2

    assert f"over 2 posterior draws of {rep.folder}" in printed
    med, lo, hi = draws.delivered_t.median(), draws.delivered_t.min(), draws.delivered_t.max()
    assert f"cocaine delivered, whole run: {med:.1f} t [{lo:.1f}, {hi:.1f}]" in printed
    assert "cannot be split" in printed and "`corridor compare SCENARIO --posterior DIR`" in printed


def test_run_over_posterior_without_counterfactual(small_run, tmp_path, capsys):
    folder, _, rep = small_run
    out = tmp_path / "post"
    assert main(["run", str(folder / "toy.toml"), "--posterior", str(rep.folder), "--draws", "3", "--out", str(out),
                 "--no-counterfactual", "--no-charts", "--quiet"]) == 0
    draws = pd.read_parquet(out / "posterior.parquet")
    assert len(draws) == 3 and "displacement_ratio" not in draws      # no counterfactual, no comparison
    assert "vs no policy" not in capsys.readouterr().out


@pytest.mark.slow          # 11 s: four toy pairs and the brief's charts
def test_brief_over_posterior_draws(small_run, tmp_path, capsys):
    pypdf = pytest.importorskip("pypdf")
    folder, _, rep = small_run
    pdf = tmp_path / "brief.pdf"
    assert main(["brief", str(folder / "toy.toml"), "--posterior", str(rep.folder), "--draws", "2",
                 "--replications", "2", "--out", str(pdf), "--quiet"]) == 0
    html = pdf.with_suffix(".html").read_text()
    assert f'<meta name="corridor-posterior" content="{rep.folder}">' in html
    assert '<meta name="corridor-draws" content="2">' in html
    assert "median across 2 posterior draws × 2 seeds" in html
    assert f"posterior draws of the calibration {rep.folder}" in html          # named in the method notes
    # one sentence on parameter vs seed per headline (all but the first bullet, which says what is compared)
    bullets = re.search(r"<ul>(.*?)</ul>", html, re.S).group(1).split("<li>")[1:]
    assert len(bullets) >= 6
    for b in bullets[1:]:
        assert ("comes from parameter uncertainty (between posterior draws)" in b
                and "from seed noise (within a draw)" in b) or "no spread to split" in b, b
    assert any("comes from parameter uncertainty" in b for b in bullets)
    assert "over 2 posterior draws × 2 seeds" in html
    reader = pypdf.PdfReader(pdf)
    assert reader.metadata["/Subject"] == f"posterior {rep.folder}; draws 2"
    first = " ".join(reader.pages[0].extract_text().split())
    assert "comes from parameter uncertainty (between posterior draws)" in first


@pytest.mark.parametrize("command", ["run", "brief"])
def test_draws_without_posterior_is_bad_input(command, tmp_path):
    out = tmp_path / ("brief.pdf" if command == "brief" else "run")
    r = corridor_cli(command, SCENARIOS / "mexico_crackdown.toml", "--draws", "3", "--out", out)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "'--draws'" in r.stderr and "goes with --posterior DIR" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists()
