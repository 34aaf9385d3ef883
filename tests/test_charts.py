"""Charts: each function on a small saved result produces a valid image of the expected size,
and the figure carries the expected title, labels, legend entries and footer."""

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.legend  # noqa: E402,F401 - legends_over_maps looks for Legend artists
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import SCENARIOS, corridor_cli  # noqa: E402

from model import __version__  # noqa: E402

STEPS = 40


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory, crackdown):
    """mexico_crackdown for 40 months (the policy starts at 35) with its counterfactual, saved."""
    from model.runs.results import write_results
    from model.runs.simulate import run_pair

    sc, cmap = crackdown
    out = tmp_path_factory.mktemp("charts") / "run"
    result = run_pair(sc, cmap, seed=11, steps=STEPS)
    write_results(result, cmap, out, SCENARIOS / "mexico_crackdown.toml", ["test"], 0.0, charts=False)
    return out


@pytest.fixture(scope="session")
def run_data(run_folder, crackdown):
    from model.outputs.run_data import load_run
    return load_run(run_folder, crackdown[1])


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


def footer_of(fig) -> str:
    return next(t for t in fig.texts if "Corridor model" in t.get_text()).get_text()


def legend_texts(fig) -> list[str]:
    out = []
    for leg in fig.findobj(matplotlib.legend.Legend):
        out += [t.get_text() for t in leg.get_texts()]
    return out


def check_png(path, fig, dpi):
    img = mpimg.imread(path)
    w, h = fig.get_size_inches() * dpi
    assert img.ndim == 3 and img.shape[2] in (3, 4)
    assert abs(img.shape[1] - w) <= 2 and abs(img.shape[0] - h) <= 2


def test_route_density_map(run_folder, run_data, tmp_path):
    from model.outputs.maps import route_density_map

    fig = route_density_map(run_folder, out=tmp_path / "map.png", formats=("png", "svg"), dpi=60, run=run_data)
    check_png(tmp_path / "map.png", fig, 60)
    assert (tmp_path / "map.svg").read_text().lstrip().startswith("<?xml")
    assert fig._suptitle.get_text() == "Where cocaine went when the policy was applied: Mexico crackdown"
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles[:3] == ["Without the policy", "With the policy", "Change: purple = less cocaine, orange = more"]
    all_text = texts(fig)
    for name in ("Mexico", "Guatemala", "Honduras", "United States"):        # country names on the map
        assert name in all_text
    legends = legend_texts(fig)
    assert {"US border", "country border", "policy area (Mexico)", "Tijuana", "Matamoros"} <= set(legends)
    labels = [ax.get_xlabel() for ax in fig.axes]
    assert any(lab.startswith("cocaine passing through each 28 km cell") and "tonnes" in lab for lab in labels)
    assert any("change in cocaine passing (tonnes per cell)" == lab for lab in labels)
    foot = footer_of(fig)
    assert "mexico_crackdown" in foot and "seed 11" in foot and __version__ in foot
    assert not legends_over_maps(fig, titles[:3])
    plt.close(fig)


def legends_over_maps(fig, map_titles) -> list[str]:
    """Legends whose box overlaps a map panel: a key drawn over the sea hides routes."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    maps = [ax.get_window_extent(r) for ax in fig.axes if ax.get_title(loc="left") in map_titles]
    legends = [leg for ax in fig.axes for leg in ax.findobj(matplotlib.legend.Legend)]
    return [str([t.get_text() for t in leg.get_texts()][:2]) for leg in legends
            if any(leg.get_window_extent(r).overlaps(m) for m in maps)]


def test_route_density_map_without_counterfactual(tmp_path_factory, crackdown):
    from model.outputs.maps import route_density_map
    from model.runs.results import write_results
    from model.runs.simulate import run_pair

    sc, cmap = crackdown
    out = tmp_path_factory.mktemp("nocf") / "run"
    write_results(run_pair(sc, cmap, seed=3, steps=6, counterfactual=False), cmap, out,
                  SCENARIOS / "mexico_crackdown.toml", ["test"], 0.0, charts=False)
    fig = route_density_map(out, cmap)
    assert fig._suptitle.get_text().startswith("Where cocaine moves")
    assert sum(ax.get_title(loc="left") != "" for ax in fig.axes) == 1
    assert not legends_over_maps(fig, ["Cocaine routes"])
    plt.close(fig)


def test_flow_share_chart(run_folder, run_data, tmp_path):
    from model.outputs.series import flow_share_chart

    fig = flow_share_chart(run_folder, out=tmp_path / "share.png", dpi=50, run=run_data)
    check_png(tmp_path / "share.png", fig, 50)
    assert fig._suptitle.get_text() == "Share of cocaine loads crossing each country (6-month average)"
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert panels[0].get_title(loc="left") == "Mexico"
    assert "loads crossing (%)" in [ax.get_ylabel() for ax in panels]
    assert "year" in [ax.get_xlabel() for ax in panels]
    legends = legend_texts(fig)
    assert legends[:2] == ["with the policy", "without the policy"]
    assert any(t.startswith("policy in force (from 2006-12)") for t in legends)
    assert "seed 11" in footer_of(fig)
    plt.close(fig)


def test_displacement_bars(run_folder, run_data, tmp_path):
    from model.outputs.displacement import displacement_bars, displacement_table

    table = displacement_table(run_data)
    assert table.index[0] == "policy area" and table.iloc[0] < 0          # flow pushed out of Mexico
    fig = displacement_bars(out=tmp_path / "disp.png", dpi=50, run=run_data)
    check_png(tmp_path / "disp.png", fig, 50)
    ax = fig.axes[0]
    assert fig._suptitle.get_text() == "Cocaine pushed out of Mexico, and where it went"
    assert ax.get_xlabel() == "change in cocaine moved, against no policy (thousand tonne-km)"
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    # the policy area first, then one bar per place of the table (which places: the run's, not the test's)
    assert ticks[0] == "Mexico (policy area)" and len(ticks) == len(table) and len(ticks) >= 3
    assert set(legend_texts(fig)) == {"less cocaine", "more cocaine"}
    plt.close(fig)
    # several seeds: median bars with whiskers and a legend entry for the range
    rows = pd.DataFrame([table.to_numpy(), table.to_numpy() * 1.2], columns=table.index)
    fig = displacement_bars(table=rows, targeted=["MX"], footer_line="seeds 1, 2")
    assert "range over 2 seeds" in legend_texts(fig)
    plt.close(fig)


def test_outcome_dashboard(run_folder, run_data, tmp_path):
    from model.outputs.series import outcome_dashboard

    fig = outcome_dashboard(run_folder, out=tmp_path / "out.png", dpi=50, run=run_data)
    check_png(tmp_path / "out.png", fig, 50)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles[0] == "Cocaine delivered to the United States (running total)"
    assert titles[1] == "Cocaine seized (running total)"
    assert titles[2].startswith("Violent events by country")
    assert titles[3] == "Migrants by outcome at the end of the run"
    assert fig.axes[0].get_ylabel() == "tonnes (cumulative)"
    assert fig.axes[2].get_xlabel() == "violent events (count)"
    assert [t.get_text() for t in fig.axes[3].get_yticklabels()] == ["Arrived", "Trafficked", "Rescued", "Returned"]
    assert {"with the policy", "without the policy", "policy in force (from 2006-12)"} <= set(legend_texts(fig))
    plt.close(fig)


def test_homicide_chart_draws_the_runs_rates_beside_the_record(run_folder, run_data, tmp_path):
    """The lines are summary.json's homicide_rate (model.metrics.homicide_rates), with and
    without the policy; a record figure is a diamond with its range, and its country comes first."""
    from model.metrics import homicide_rates
    from model.outputs.homicides import homicide_chart

    record = {"GT": {"2006": (39.0, 35.0, 43.0)}, "MX": {"2099": (1.0, 0.0, 2.0)}}   # 2099: not in the run
    fig = homicide_chart(run_folder, out=tmp_path / "h.png", dpi=50, run=run_data, record=record)
    check_png(tmp_path / "h.png", fig, 50)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title(loc="left")]
    assert panels[0].get_title(loc="left") == "Guatemala"
    names = {ax.get_title(loc="left") for ax in panels}
    assert not names & {"United States", "Ecuador", "Colombia", "Venezuela", "Brazil"}   # partly on the map
    with_, without = homicide_rates(run_data.ts)["GT"], homicide_rates(run_data.cf_ts)["GT"]
    lines = {ln.get_label(): ln for ln in panels[0].get_lines()}
    assert list(lines["with the policy"].get_ydata()) == pytest.approx(list(with_.values()))
    assert list(lines["without the policy"].get_ydata()) == pytest.approx(list(without.values()))
    diamonds = [ln for ln in panels[0].get_lines() if ln.get_marker() == "D"]
    assert len(diamonds) == 1 and list(diamonds[0].get_ydata()) == [39.0]
    assert list(diamonds[0].get_xdata()) == [list(with_).index("2006")]
    assert not any(ln.get_marker() == "D" for ax in panels[1:] for ln in ax.get_lines())
    assert {"with the policy", "without the policy", "record: what happened (range)"} <= set(legend_texts(fig))
    assert panels[0].get_ylabel() == "homicides per 100,000 per year"
    plt.close(fig)


def test_the_charts_record_is_the_record_files_yearly_homicide_rows():
    from model.outputs.homicides import record_rates

    rates = record_rates()
    assert rates["MX"]["2006"] == (10.0, 8.0, 11.0) and rates["GT"]["2011"] == (39.0, 35.0, 43.0)
    assert all(len(y) == 4 for by_year in rates.values() for y in by_year)


def run_data_lost_forest(folder) -> bool:
    import json
    return json.loads((folder / "summary.json").read_text())["deforestation"]["forest_lost_ha"] > 0


def test_draw_run_charts_writes_every_chart(run_folder, crackdown, tmp_path):
    from model.outputs.run_charts import draw_run_charts

    written = draw_run_charts(run_folder, crackdown[1], formats=("png",), dpi=40, out_dir=tmp_path)
    # the crackdown extends the baseline, which records narco-deforestation: its map is drawn
    # when forest was lost in these 40 months (MODEL.md §7.19; at the calibrated air cost no
    # flight lands in forest in them, so it is not)
    forest = ["deforestation.png"] if run_data_lost_forest(run_folder) else []
    assert sorted(p.name for p in written) == sorted(forest + ["displacement.png", "flow_share.png", "homicides.png",
                                                               "outcomes.png", "route_density.png"])
    assert all(p.stat().st_size > 1000 for p in written)


def test_plot_cli_redraws_a_run_folder(run_folder, tmp_path):
    r = corridor_cli("plot", run_folder, "--format", "svg", "--format", "png", "--dpi", "50", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert {p.name for p in tmp_path.iterdir()} >= {"route_density.svg", "route_density.png", "outcomes.svg"}


def test_plot_cli_bad_folder_is_one_line_exit_2(tmp_path):
    r = corridor_cli("plot", tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "not recognised" in r.stderr


# -- sweep charts, on a synthetic sweep table -------------------------------------------


@pytest.fixture(scope="module")
def sweep_df():
    rng = np.random.default_rng(0)
    rows = []
    for m in (1.0, 2.0, 3.0):
        for c in (False, True):
            for r in range(3):
                rows.append({"mexico_enforcement": m, "regional_cooperation": c, "replicate": r, "seed": r,
                             "central_america_share": 0.3 + 0.1 * m - 0.05 * c + rng.normal(0, 0.02)})
    return pd.DataFrame(rows)


def test_response_curve(sweep_df, tmp_path):
    from model.outputs.sweep_charts import response_curve

    fig = response_curve(sweep_df, "mexico_enforcement", "central_america_share", group="regional_cooperation",
                         lever_unit="x", footer_line="Sweep 'toy' · Corridor model v0", out=tmp_path / "r.png", dpi=50)
    check_png(tmp_path / "r.png", fig, 50)
    ax = fig.axes[0]
    assert fig._suptitle.get_text() == "How share of loads crossing Central America responds to mexico enforcement"
    assert ax.get_xlabel() == "mexico enforcement (x)"
    assert ax.get_ylabel() == "share of loads crossing Central America (0–1)"
    assert set(legend_texts(fig)) == {"regional cooperation: no", "regional cooperation: yes", "range across seeds"}
    # the line is the mean over seeds at each lever value
    line = ax.get_lines()[0]
    expect = sweep_df[~sweep_df.regional_cooperation].groupby("mexico_enforcement").central_america_share.mean()
    np.testing.assert_allclose(line.get_ydata(), expect.to_numpy())
    assert footer_of(fig) == "Sweep 'toy' · Corridor model v0"
    plt.close(fig)


def test_lever_heatmap(sweep_df, tmp_path):
    from model.outputs.sweep_charts import lever_heatmap

    fig = lever_heatmap(sweep_df, "mexico_enforcement", "regional_cooperation", "central_america_share",
                        {"mexico_enforcement": "x"}, "Corridor model v0", tmp_path / "h.png", dpi=50)
    check_png(tmp_path / "h.png", fig, 50)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "mexico enforcement (x)" and ax.get_ylabel() == "regional cooperation"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["no", "yes"]
    assert fig.axes[1].get_ylabel() == "share of loads crossing Central America (0–1)"    # colour bar
    assert len([t for t in ax.texts]) == 6                                                    # one value per cell
    plt.close(fig)


def test_sensitivity_bars_sorted(tmp_path):
    from model.outputs.sweep_charts import sensitivity_bars

    idx = pd.Series({"a_lever": 0.1, "b_lever": 0.7, "c_lever": 0.3})
    fig = sensitivity_bars(idx, "cocaine.delivered", "total-effect Sobol index (0–1)",
                           conf=pd.Series({"a_lever": 0.02, "b_lever": 0.05, "c_lever": 0.04}),
                           footer_line="Corridor model v0", out=tmp_path / "s.png", dpi=50)
    check_png(tmp_path / "s.png", fig, 50)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][::-1] == ["b lever", "c lever", "a lever"]   # largest on top
    assert ax.get_xlabel() == "total-effect Sobol index (0–1)"
    assert fig._suptitle.get_text() == "What drives cocaine delivered to the US"
    assert legend_texts(fig) == ["95% confidence interval"]
    plt.close(fig)


def test_plot_cli_on_a_sweep_folder(tmp_path, sweep_df):
    folder = tmp_path / "sweep"
    folder.mkdir()
    df = sweep_df.assign(run_id=[f"r{i}" for i in range(len(sweep_df))])
    df.to_parquet(folder / "summary.parquet", index=False)
    (folder / "manifest.json").write_text(json.dumps({
        "experiment": "toy", "scenario_file": "toy.toml", "design": {"kind": "grid", "replications": 3, "root_seed": 5},
        "columns": {"factors": [{"name": "mexico_enforcement", "role": "lever", "unit": "x"},
                                {"name": "regional_cooperation", "role": "lever", "unit": None}],
                    "outcomes": ["central_america_share"]}}))
    r = corridor_cli("plot", folder, "--dpi", "50")
    assert r.returncode == 0, r.stderr
    names = {p.name for p in (folder / "charts").iterdir()}
    assert names == {"response_central_america_share_by_mexico_enforcement.png",
                     "heatmap_central_america_share.png", "sensitivity_central_america_share.png"}
    r = corridor_cli("plot", folder, "--outcome", "nope")
    assert r.returncode == 2 and "'--outcome'" in r.stderr
