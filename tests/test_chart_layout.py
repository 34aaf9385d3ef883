"""What a reader sees: nothing cut off or drawn over, and an undefined outcome shown as missing.

Layout is checked on the figures as saved (matplotlib's own text extents against the
figure's box); a NaN outcome in a sweep must never read as "influence 0".
"""

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from conftest import SCENARIOS, corridor_cli  # noqa: E402
from sweep_toy import write_toy_experiment  # noqa: E402

LONG = "displacement.ratio"        # the longest outcome label: "flow gained elsewhere per unit lost ..."


def outside_texts(fig) -> list[str]:
    """Drawn texts whose box leaves the figure (one pixel of tolerance): the figure's own texts
    and legends one by one, each axes with everything it draws (titles, labels, tick labels)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    W, H = fig.bbox.width, fig.bbox.height
    items = [(repr(t.get_text()), t.get_window_extent(renderer)) for t in fig.texts
             if t.get_visible() and t.get_text().strip()]
    items += [(f"legend {[t.get_text() for t in leg.get_texts()]}", leg.get_window_extent(renderer))
              for leg in fig.legends]
    items += [(f"axes {ax.get_title(loc='left') or ax.get_title()!r} / {ax.get_xlabel()!r} / {ax.get_ylabel()!r}",
               ax.get_tightbbox(renderer)) for ax in fig.axes if ax.get_visible()]
    return [f"{name} at x {bb.x0:.0f}..{bb.x1:.0f} of {W:.0f}, y {bb.y0:.0f}..{bb.y1:.0f} of {H:.0f}"
            for name, bb in items if bb.x0 < -1 or bb.y0 < -1 or bb.x1 > W + 1 or bb.y1 > H + 1]


@pytest.fixture(scope="module")
def sweep_df():
    rows = [{"run_id": f"r{m}{c}{r}", "mexico_enforcement": m, "regional_cooperation": c, "replicate": r,
             "seed": r, LONG: np.nan if m == 1.0 else 0.5 * m - c + 0.1 * r}
            for m in (1.0, 2.0, 3.0) for c in (False, True) for r in range(3)]
    return pd.DataFrame(rows)


def test_sweep_chart_titles_and_labels_stay_inside_the_figure(sweep_df, tmp_path):
    from model.outputs.sweep_charts import lever_heatmap, response_curve, sensitivity_bars

    sub = sweep_df.dropna(subset=[LONG])
    figs = [response_curve(sub, "mexico_enforcement", LONG, group="regional_cooperation", lever_unit="x",
                           footer_line="Corridor model v0", out=tmp_path / "r.png", dpi=50),
            lever_heatmap(sub, "mexico_enforcement", "regional_cooperation", LONG,
                          footer_line="Corridor model v0", out=tmp_path / "h.png", dpi=50),
            sensitivity_bars(pd.Series({"mexico_enforcement": 0.4, "regional_cooperation": 0.9}), LONG,
                             "spread of the mean outcome across the factor's values (flow gained elsewhere "
                             "per unit lost in the targets (ratio))", footer_line="Corridor model v0",
                             out=tmp_path / "s.png", dpi=50)]
    for fig in figs:
        assert outside_texts(fig) == [], fig._suptitle.get_text()
        assert "responds" not in fig._suptitle.get_text() or "\n" in fig._suptitle.get_text()   # wrapped
        plt.close(fig)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, crackdown):
    from model.runs.results import write_results
    from model.runs.simulate import run_pair

    sc, cmap = crackdown
    out = tmp_path_factory.mktemp("layout") / "run"
    write_results(run_pair(sc, cmap, seed=11, steps=40), cmap, out, SCENARIOS / "mexico_crackdown.toml",
                  ["test"], 0.0, charts=False)
    return out


@pytest.mark.parametrize("chart", ["flow_share", "homicides"])
def test_panel_charts_footer_is_not_drawn_over_the_legend(run_folder, tmp_path, chart):
    from model.outputs.homicides import homicide_chart
    from model.outputs.series import flow_share_chart

    draw = {"flow_share": flow_share_chart, "homicides": homicide_chart}[chart]
    fig = draw(run_folder, out=tmp_path / f"{chart}.png", dpi=60)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    foot = next(t for t in fig.texts if "Corridor model" in t.get_text()).get_window_extent(r)
    (legend,) = fig.legends
    leg = legend.get_window_extent(r)
    assert foot.y1 <= leg.y0 or not foot.overlaps(leg), (foot, leg)
    # and the legend clears the panels' axis labels above it
    for ax in fig.axes:
        if ax.get_visible():
            assert not ax.get_tightbbox(r).overlaps(leg), ax.get_title(loc="left")
    assert outside_texts(fig) == []
    plt.close(fig)


# ---------------------------------------------------------------- an outcome undefined in some runs

def test_nan_outcome_bars_are_missing_not_zero():
    from model.outputs.sweep_charts import sensitivity_bars

    note = "n/a: outcome undefined (NaN) in 4 of 8 runs"
    fig = sensitivity_bars(pd.Series({"a_lever": 0.5, "b_lever": np.nan}), LONG, "index", note=note)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 1 and bars[0].get_width() == 0.5           # no (zero) bar for b_lever
    labels = [t.get_text() for t in ax.get_yticklabels()]
    missing = [t for t in ax.texts if t.get_gid() == "missing"]
    assert len(missing) == 1 and "missing" in missing[0].get_text()
    assert missing[0].get_position()[1] == labels.index("b lever")  # on b_lever's row
    assert "outcome undefined (NaN) in 4 of 8 runs" in ax.get_title(loc="left")
    plt.close(fig)


@pytest.fixture(scope="module")
def nan_sweep(tmp_path_factory):
    """A finished toy grid sweep whose displacement ratio is undefined when block_units is 4."""
    from model.runs import sweep

    base = tmp_path_factory.mktemp("nan_sweep")
    out = base / "out"
    sweep.run_sweep(write_toy_experiment(base / "exp", steps=8), out=out, workers=0, progress=False)
    s = pd.read_parquet(out / "summary.parquet")
    s.loc[s.block_units == 4.0, LONG] = np.nan
    s.to_parquet(out / "summary.parquet")
    return out, int(s[LONG].isna().sum()), len(s)


def test_analyze_reports_a_nan_outcome_as_missing(nan_sweep):
    out, k, n = nan_sweep
    r = corridor_cli("analyze", out)
    assert r.returncode == 0, r.stderr
    why = f"n/a: outcome undefined (NaN) in {k} of {n} runs"
    rows = [line for line in r.stdout.splitlines() if line.startswith(LONG)]
    assert len(rows) == 2 and all(why in line for line in rows), r.stdout   # one per factor table
    for f in ("block_units", "risk_decay"):
        t = pd.read_csv(out / "analysis" / f"effects_{f}.csv", index_col=0)
        assert np.isnan(t.loc[LONG, "range"]) and t.loc[LONG, "note"] == why
        assert np.isfinite(t.loc["cocaine.delivered", "range"])
    assert json.loads((out / "analysis" / "analysis.json").read_text())["undefined"] == {LONG: why}
    r = corridor_cli("analyze", out, "--method", "correlation", "--outcome", LONG)
    assert r.returncode == 0, r.stderr
    assert f"{LONG}: {why}" in r.stdout
    assert np.isnan(pd.read_csv(out / "analysis" / "correlation_spearman.csv", index_col=0)[LONG]).all()


def test_sensitivity_chart_of_a_nan_outcome_has_no_zero_bars(nan_sweep):
    from model.outputs.sweep_charts import sensitivity_bars, sensitivity_table

    out, k, n = nan_sweep
    manifest = json.loads((out / "manifest.json").read_text())
    idx, conf, measure, note = sensitivity_table(out, manifest, pd.read_parquet(out / "summary.parquet"), LONG)
    assert idx.isna().all() and note == f"n/a: outcome undefined (NaN) in {k} of {n} runs"
    fig = sensitivity_bars(idx, LONG, measure, conf, note=note)
    ax = fig.axes[0]
    assert not [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len([t for t in ax.texts if t.get_gid() == "missing"]) == len(idx)
    assert f"in {k} of {n} runs" in ax.get_title(loc="left")
    plt.close(fig)


def test_people_counts_read_without_a_scientific_offset():
    from model.outputs.series import people_tick

    assert people_tick(1_500_000) == "1.5 million" and people_tick(1_000_000) == "1 million"
    assert people_tick(500_000) == "500,000" and people_tick(0) == "0"
