"""The live workshop dashboard: the corridor map, flow shares and policy levers in a browser.

Built on Mesa's SolaraViz pieces (`mesa.visualization`), as Mesa users expect: the sidebar
holds Reset / Play / Step and the "Model Parameters" card with the policy levers, without
SolaraViz's developer controls (render interval, threads, page tabs, "Time"). The levers act
live (the model rebuilds its policy schedule on the next month) and a Reset starts month 0
again with them. Start it with `corridor dashboard [SCENARIO] [--port N]`, which runs
`solara run model.outputs.dashboard` with the scenario in ``CORRIDOR_DASHBOARD_SCENARIO``.

This module holds the Solara page; the model and its levers are in `dashboard_model.py`,
the figures in `dashboard_figures.py`. The simulation core never imports any of them.
"""

from __future__ import annotations

import threading

import solara
from matplotlib.figure import Figure
from mesa.visualization import Slider
from mesa.visualization.solara_viz import ModelController, ModelCreator
from mesa.visualization.utils import update_counter

from model.corridor import CorridorModel
from model.outputs.dashboard_figures import counters, draw_map, draw_series
from model.outputs.dashboard_model import (CORRIDOR, DashboardModel, base_corruption, load_once, months_done,
                                           scenario_path)
from model.outputs.style import country_name


def _levers_key(model) -> tuple:
    return (id(model), months_done(model), tuple(sorted(model.levers.items())))


def snapshot(model: CorridorModel) -> tuple[Figure, Figure, dict[str, str]]:
    """Map, charts and counters of one and the same month.

    Drawn under the model's lock: while Play runs, the next month is stepped in another thread,
    and counters read after the charts were drawn showed a month the charts did not yet have.
    """
    lock = getattr(model, "_lock", None) or threading.Lock()
    with lock:
        return draw_map(model), draw_series(model), counters(model)


@solara.component
def CorridorMapView(fig: Figure, key: list):
    with solara.Column(classes=["corridor-map"]):
        solara.FigureMatplotlib(fig, format="png", dependencies=key)


@solara.component
def CountersView(values: dict[str, str], levers: dict):
    with solara.Row(classes=["corridor-counters"], style={"flex-wrap": "wrap", "gap": "6px"}):
        for label, value in values.items():
            with solara.Card(margin=0, style={"min-width": "150px", "padding": "4px 10px"}):
                solara.Text(label, classes=["counter-label"])
                solara.Text(value, classes=["counter-value", f"counter-{label.split()[-1].lower()}"])
    solara.Text(_lever_text(levers), classes=["counter-levers"])


@solara.component
def SeriesView(fig: Figure, values: dict[str, str], levers: dict, key: list):
    """Counters above the time series: what the room reads out, then how it got there."""
    with solara.Column(classes=["corridor-series"]):
        CountersView(values, levers)
        solara.FigureMatplotlib(fig, format="png", dependencies=key)


def _lever_text(lv: dict) -> str:
    return (f"In force: Mexico enforcement x{lv['mexico_enforcement']:g}, "
            f"cooperation {'on' if lv['cooperation'] else 'off'}, "
            f"corruption in {country_name(lv['corruption_country'])} {lv['corruption']:.2f}, "
            f"US demand x{lv['us_demand']:g}")


CSS = """
.corridor-counters .counter-label { display: block; font-size: 16px; color: #555; }
.corridor-counters .counter-value { display: block; font-size: 28px; font-weight: 600; color: #222; }
.corridor-counters .counter-levers { font-size: 15px; color: #333; }
.corridor-map img, .corridor-series img { width: 100%; height: auto; }
.v-slider + .v-messages, .v-label { font-size: 16px !important; }
"""


def lever_params(base, cmap, levers: dict[str, solara.Reactive]) -> dict:
    """SolaraViz model_params. Slider values are session reactives, so the page can apply a
    moved slider to the running model at once (Mesa alone applies them on Reset)."""
    codes = [c for c in CORRIDOR if c in cmap.country_codes]
    return {
        "scenario_path": str(base.path) if base.path else None,
        "mexico_enforcement": Slider("Mexico enforcement (x units)", levers["mexico_enforcement"],
                                     0.0, 5.0, 0.25, dtype=float),
        "cooperation": {"type": "Checkbox", "label": "Regional cooperation", "value": levers["cooperation"]},
        "corruption_country": {"type": "Select", "label": "Corruption in", "value": levers["corruption_country"],
                               "values": [country_name(c) for c in codes]},
        "corruption": Slider("Corruption (chance a unit is bribed)", levers["corruption"], 0.0, 1.0, 0.05,
                             dtype=float),
        "us_demand": Slider("US demand (x shipments)", levers["us_demand"], 0.25, 3.0, 0.25, dtype=float),
        "seed": base.scenario.seed,
    }


@solara.component
def CorridorDashboard(model: DashboardModel, levers: dict[str, solara.Reactive]):
    """The main area: the map beside the counters and charts; moved levers reach the model here."""
    values = {k: r.value for k, r in levers.items()}

    def apply():
        if model.set_levers(**values):
            update_counter.value += 1
    solara.use_effect(apply, [id(model), *values.values()])
    update_counter.get()
    key = [*_levers_key(model), update_counter.value]
    map_fig, series_fig, counts = solara.use_memo(lambda: snapshot(model), key)
    solara.Style(CSS)
    with solara.Columns([3, 2], classes=["corridor-dashboard"]):
        CorridorMapView(map_fig, key)
        # the levers as the sliders set them: the model takes them in the effect above, after this render
        SeriesView(series_fig, counts, model._levers(model.base_scenario, **values), key)


@solara.component
def Page():
    """One dashboard per browser session; the scenario is read once per server process."""
    base, cmap = load_once(str(scenario_path().resolve()))
    init = {"mexico_enforcement": 1.0, "cooperation": False, "corruption_country": country_name("GT"),
            "corruption": base_corruption(base, "GT"), "us_demand": 1.0}
    levers = {
        "mexico_enforcement": solara.use_reactive(init["mexico_enforcement"]),
        "cooperation": solara.use_reactive(init["cooperation"]),
        "corruption_country": solara.use_reactive(init["corruption_country"]),
        "corruption": solara.use_reactive(init["corruption"]),
        "us_demand": solara.use_reactive(init["us_demand"]),
    }
    model = solara.use_reactive(solara.use_memo(lambda: DashboardModel(scenario_path=str(base.path), **init), []))
    params = solara.use_reactive({})
    # Mesa's controller reads these as reactives (its annotations say plain values will do)
    interval, every, threads = solara.use_reactive(300), solara.use_reactive(1), solara.use_reactive(False)
    # Mesa's SolaraViz layout, without its developer controls (render interval, threads, page
    # tabs, "Time: 0.0"): the audience sees Reset / Play / Step and the levers only
    with solara.AppBar():
        solara.AppBarTitle(f"Corridor: {base.scenario.name} (live)")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            ModelController(model, model_parameters=params, play_interval=interval, render_interval=every,
                            use_threads=threads)
        with solara.Card("Model Parameters"):
            ModelCreator(model, lever_params(base, cmap, levers), model_parameters=params)
    CorridorDashboard(model.value, levers)

