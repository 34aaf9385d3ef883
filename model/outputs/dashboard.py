"""The live workshop dashboard: the corridor map, flow shares and policy levers in a browser.

Built on Mesa's SolaraViz pieces (`mesa.visualization`), as Mesa users expect: the sidebar
holds Reset / Play / Step and the "Model Parameters" card with the policy levers, without
SolaraViz's developer controls (render interval, threads, page tabs, "Time"). The levers act
live (the model rebuilds its policy schedule on the next month) and a Reset starts month 0
again with them. Start it with `corridor dashboard [SCENARIO] [--port N]`, which runs
`solara run model.dashboard` with the scenario in ``CORRIDOR_DASHBOARD_SCENARIO``.

The simulation core never imports this module. `DashboardModel` is the thin factory
SolaraViz needs (it builds models from keyword parameters): it loads the scenario once per
process, deep-copies it per model, and adds the lever settings as policy rows in force
from month 0, so the shared scenario is never mutated.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
import solara
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mesa.visualization import Slider
from mesa.visualization.solara_viz import ModelController, ModelCreator
from mesa.visualization.utils import update_counter

from model.agents import EnforcementUnit, MigrantState
from model.outputs.charts import OKABE_ITO, country_name
from model.corridor import CorridorModel, month_label
from model.metrics import CENTRAL_AMERICA
from model.scenario import JURISDICTION_DEFAULTS, PolicyLever, load_scenario

SCENARIO_ENV = "CORRIDOR_DASHBOARD_SCENARIO"
DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
# countries a facilitator may pick for the corruption lever, and the ones that cooperate
CORRIDOR = ("MX", "GT", "BZ", "HN", "SV", "NI", "CR", "PA", "CO")
COOPERATING = CORRIDOR + ("US",)
FONT = 13                      # readable on a projector at the back of a room

SEA, LAND, BORDER = "#dde6ec", "#f4f2ea", "#8c8c8c"
FLOW_CMAP = "inferno_r"        # dark red/black = much cocaine, on light land
COVER_CMAP = "Blues"
ROLE_COLOURS = {"unit": "#0072B2", "bribed": "#D55E00", "migrant": "#009E73",
                "trafficked": "#CC0000", "gang": "#CC79A7"}


def scenario_path() -> Path:
    """The scenario the dashboard shows: $CORRIDOR_DASHBOARD_SCENARIO or the baseline."""
    return Path(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


@lru_cache(maxsize=4)
def _load(path: str):
    """Scenario and map, read once per process: a Reset must not re-read the 24k-cell map."""
    return load_scenario(path)


def base_corruption(scenario, code: str) -> float:
    """A country's corruption as the scenario sets it (before policy rows)."""
    j = scenario.jurisdictions
    for key in (code, "default"):
        if key in j and j[key].corruption is not None:
            return float(j[key].corruption)
    return float(JURISDICTION_DEFAULTS["corruption"])


def country_code(text: str) -> str:
    """A country code from a code or the name the dashboard shows ("Guatemala" -> "GT")."""
    for code in CORRIDOR + COOPERATING:
        if text in (code, country_name(code)):
            return code
    return text


def _plain(value):
    """Lever values arrive as plain values or as the sliders' solara.Reactive."""
    return value.value if isinstance(value, solara.Reactive) else value


class DashboardModel(CorridorModel):
    """A CorridorModel built from the dashboard's levers.

    Args:
        scenario_path: scenario TOML file (default: $CORRIDOR_DASHBOARD_SCENARIO or the baseline).
        mexico_enforcement: factor on Mexico's land and naval enforcement units (x).
        cooperation: all corridor countries join regional cooperation (units may cross borders).
        corruption_country: the country whose corruption `corruption` sets.
        corruption: chance a unit of that country is bribed in a month (0-1); None keeps the scenario's.
        us_demand: factor on shipments sent north (x).
        seed: random seed (default: the scenario's).
        rng: accepted for Mesa's SolaraViz, which may pass it; `seed` wins.
    """

    def __init__(self, scenario_path: str | Path | None = None, mexico_enforcement: float = 1.0,
                 cooperation: bool = False, corruption_country: str = "GT",
                 corruption: float | None = None, us_demand: float = 1.0,
                 seed: int | None = None, rng=None):
        path = Path(_plain(scenario_path) or globals()["scenario_path"]())
        base, cmap = _load(str(path.resolve()))
        self.base_scenario = base
        self.scenario_file = path
        self.levers = self._levers(base, mexico_enforcement, cooperation, corruption_country,
                                   corruption, us_demand)
        seed = _plain(seed)
        super().__init__(with_levers(base, cmap, self.levers), cmap,
                         seed=seed if seed is not None else (rng if isinstance(rng, int) else None))
        self._lock = threading.Lock()   # Play steps in a thread while a slider may move

    @staticmethod
    def _levers(base, mexico_enforcement, cooperation, corruption_country, corruption, us_demand) -> dict:
        country = country_code(str(_plain(corruption_country)))
        level = _plain(corruption)
        return {"mexico_enforcement": float(_plain(mexico_enforcement)),
                "cooperation": bool(_plain(cooperation)),
                "corruption_country": country,
                "corruption": base_corruption(base, country) if level is None else float(level),
                "us_demand": float(_plain(us_demand))}

    def set_levers(self, **changes) -> bool:
        """Apply lever values from next month on (live). Returns True if anything changed."""
        new = {**self.levers, **{k: _plain(v) for k, v in changes.items() if k in self.levers}}
        new = self._levers(self.base_scenario, **new)
        if new == self.levers:
            return False
        from model.policy import PolicySchedule
        with self._lock:
            self.levers = new
            self.config = with_levers(self.base_scenario, self.cmap, new)
            self.schedule = PolicySchedule(self.config, self.cmap)
            self._apply_settings(_months_done(self), force=True)   # the next month to simulate
        return True

    def step(self) -> None:
        with self._lock:
            super().step()
        if self.steps >= self.config.scenario.steps:
            self.running = False   # the scenario's last month: Play stops, Reset starts again


def with_levers(base, cmap, levers: dict):
    """A deep copy of the scenario with the levers as policy rows from month 0.

    The same rows are always present (a factor of 1 changes nothing), so the set of
    enforcement pools never changes when a lever moves during a run.
    """
    sc = base.model_copy(deep=True)
    codes = set(cmap.country_codes)
    factor = levers["mexico_enforcement"]
    rows = [PolicyLever(lever="us_demand", operation="multiply", value=levers["us_demand"])]
    if "MX" in codes:
        rows += [PolicyLever(lever="enforcement_units", target=["MX"], operation="multiply", value=factor),
                 PolicyLever(lever="naval_units", target=["MX"], operation="multiply", value=factor)]
    if levers["corruption_country"] in codes:
        rows.append(PolicyLever(lever="corruption", target=[levers["corruption_country"]],
                                value=levers["corruption"]))
    if levers["cooperation"]:
        rows.append(PolicyLever(lever="cooperation", target=[c for c in COOPERATING if c in codes],
                                value=True))
    sc.policy = list(sc.policy) + rows
    return sc


# ----- drawing (plain matplotlib; the Solara components below only wrap it) ----------------
_BASEMAPS: dict[int, tuple] = {}


def _basemap(cmap) -> np.ndarray:
    """RGB image [y, x] of sea, land and country borders, drawn once per map."""
    hit = _BASEMAPS.get(id(cmap))
    if hit is not None and hit[0] is cmap:
        return hit[1]
    land = cmap.land.T
    rgb = np.where(land[..., None], matplotlib.colors.to_rgb(LAND), matplotlib.colors.to_rgb(SEA))
    c = cmap.country.T
    edge = np.zeros_like(land)
    edge[:, 1:] |= c[:, 1:] != c[:, :-1]
    edge[1:, :] |= c[1:, :] != c[:-1, :]
    edge &= land
    rgb[edge] = matplotlib.colors.to_rgb(BORDER)
    _BASEMAPS.clear()
    _BASEMAPS[id(cmap)] = (cmap, rgb)
    return rgb


def _cell_lonlat(cmap, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xy = np.asarray(xy, float).reshape(-1, 2)
    return cmap.west + (xy[:, 0] + 0.5) * cmap.res, cmap.south + (xy[:, 1] + 0.5) * cmap.res


def draw_map(model: CorridorModel, fig: Figure | None = None) -> Figure:
    """The corridor this month: enforcement coverage, cocaine flow, plazas, gangs, units, migrants."""
    cm = model.cmap
    fig = fig or Figure(figsize=(9.5, 7.2), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    w, h = cm.shape
    extent = (cm.west, cm.west + w * cm.res, cm.south, cm.south + h * cm.res)
    ax.imshow(_basemap(cm), origin="lower", extent=extent, interpolation="nearest")
    cover = np.ma.masked_less_equal(model.grid.coverage.data.T, 0)
    if cover.count():
        ax.imshow(cover, origin="lower", extent=extent, cmap=COVER_CMAP, alpha=0.45,
                  vmin=0, vmax=max(3.0, float(cover.max())), interpolation="nearest")
    # gang territory (hatched) and cartel plazas (outlined): fields, not points
    lon = cm.west + (np.arange(w) + 0.5) * cm.res
    lat = cm.south + (np.arange(h) + 0.5) * cm.res
    gangs = model.grid.gang_strength.data.T
    if (gangs > 0).any():
        ax.contourf(lon, lat, (gangs > 0).astype(float), levels=[0.5, 1.5], colors="none",
                    hatches=["///"])
        ax.contour(lon, lat, (gangs > 0).astype(float), levels=[0.5], colors=ROLE_COLOURS["gang"],
                   linewidths=1.5)
    for c in model.cartels:
        plaza = c.plaza.reshape(cm.shape).T
        if plaza.max() >= 0.3:
            ax.contour(lon, lat, plaza, levels=[0.3], colors=OKABE_ITO[c.index % len(OKABE_ITO)],
                       linewidths=2.0)
    flow = np.ma.masked_less_equal(model.grid.cocaine_flow.data.T, 0)
    if flow.count():
        ax.imshow(flow, origin="lower", extent=extent, cmap=FLOW_CMAP, interpolation="nearest",
                  norm=matplotlib.colors.LogNorm(vmin=0.5, vmax=max(5.0, float(flow.max()))))
    units = list(model.agents_by_type.get(EnforcementUnit, []))
    if units:
        x, y = _cell_lonlat(cm, [u.cell.coordinate for u in units])
        bribed = np.array([u.bribed for u in units])
        ax.scatter(x[~bribed], y[~bribed], marker="^", s=28, c=ROLE_COLOURS["unit"], edgecolors="white",
                   linewidths=0.5, zorder=5)
        ax.scatter(x[bribed], y[bribed], marker="^", s=28, c=ROLE_COLOURS["bribed"], edgecolors="white",
                   linewidths=0.5, zorder=5)
    if model.migrants:
        x, y = _cell_lonlat(cm, [a.cell.coordinate for a in model.migrants])
        held = np.array([a.state == MigrantState.TRAFFICKED for a in model.migrants])
        ax.scatter(x[~held], y[~held], marker="o", s=14, c=ROLE_COLOURS["migrant"], zorder=6)
        ax.scatter(x[held], y[held], marker="X", s=40, c=ROLE_COLOURS["trafficked"], zorder=7)
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    ax.set_aspect("equal")
    ax.tick_params(labelsize=FONT - 3)
    ax.set_title(f"{_calendar(model)}: cocaine flow and enforcement", fontsize=FONT + 2, loc="left")
    handles = [
        Line2D([], [], marker="s", ls="", ms=11, color=matplotlib.colormaps[FLOW_CMAP](0.75),
               label="cocaine flow (t/month)"),
        Line2D([], [], marker="s", ls="", ms=11, color=matplotlib.colormaps[COVER_CMAP](0.6), alpha=0.6,
               label="enforcement coverage"),
        Line2D([], [], marker="^", ls="", ms=8, color=ROLE_COLOURS["unit"], label="enforcement unit"),
        Line2D([], [], marker="^", ls="", ms=8, color=ROLE_COLOURS["bribed"], label="bribed unit"),
        Line2D([], [], color=ROLE_COLOURS["gang"], lw=2, label="gang territory"),
        Line2D([], [], marker="o", ls="", ms=6, color=ROLE_COLOURS["migrant"], label="migrants"),
        Line2D([], [], marker="X", ls="", ms=8, color=ROLE_COLOURS["trafficked"], label="trafficked"),
    ]
    handles += [Line2D([], [], color=OKABE_ITO[c.index % len(OKABE_ITO)], lw=2.5, label=f"{c.name} plaza")
                for c in model.cartels]
    ax.legend(handles=handles, loc="lower left", fontsize=FONT - 2, framealpha=0.9, ncol=2)
    return fig


def shares(rows: list[dict], countries: list[str], smooth: int = 3) -> dict[str, np.ndarray]:
    """Share of finished cocaine loads crossing each country, month by month (rolling mean)."""
    done = np.array([r["cocaine_completed"] for r in rows], float)
    k = np.ones(smooth)
    tot = np.convolve(done, k)[:len(done)]
    out = {}
    for c in countries:
        v = np.array([r.get(f"transit_{c}", 0.0) for r in rows], float)
        out[c] = np.divide(np.convolve(v, k)[:len(v)], tot, out=np.zeros_like(tot), where=tot > 0)
    return out


def draw_series(model: CorridorModel, fig: Figure | None = None) -> Figure:
    """Flow share by country (top) and cumulative cocaine delivered and seized (bottom)."""
    fig = fig or Figure(figsize=(5.6, 6.2), dpi=110, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    rows = model.recorder.rows
    months = np.array([r["step"] for r in rows]) + 1
    countries = [c for c in ("MX", *CENTRAL_AMERICA) if c in model.cmap.country_codes]
    if rows:
        sh = shares(rows, countries)
        busy = sorted(countries, key=lambda c: -sh[c].sum())[:6]
        for i, c in enumerate(busy):
            top.plot(months, 100 * sh[c], lw=2.5, color=OKABE_ITO[i % len(OKABE_ITO)], label=country_name(c))
        top.legend(fontsize=FONT - 3, ncol=3, loc="upper left")   # above the 100% line
        bottom.plot(months, [r["cocaine_delivered"] for r in rows], lw=2.5, color=OKABE_ITO[5],
                    label="delivered to the US")
        bottom.plot(months, [r["cocaine_seized"] for r in rows], lw=2.5, color=OKABE_ITO[4], label="seized")
        bottom.legend(fontsize=FONT - 3, loc="upper left")
    top.set_ylim(0, 135)
    top.set_yticks([0, 25, 50, 75, 100])
    top.set_ylabel("% of cocaine crossing", fontsize=FONT - 1)
    top.set_title("Where the cocaine goes (3-month average)", fontsize=FONT + 1, loc="left")
    bottom.set_ylabel("tonnes (cumulative)", fontsize=FONT - 1)
    bottom.set_xlabel("month", fontsize=FONT - 1)
    bottom.set_title("Cocaine delivered and seized", fontsize=FONT + 1, loc="left")
    bottom.set_xlim(0, max(12, len(rows) + 1))
    for ax in (top, bottom):
        ax.tick_params(labelsize=FONT - 3)
        ax.grid(alpha=0.3)
    return fig


def _months_done(model) -> int:
    """Months simulated and recorded. Not `model.steps`: Mesa counts a step before running
    it, outside the model's lock, while the recorder's row is written inside it."""
    return len(model.recorder.rows)


def _calendar(model) -> str:
    """The month just simulated, as a calendar label (the start month before the first step)."""
    if _months_done(model) == 0:
        return f"start {month_label(model.config, 0)}"
    return month_label(model.config, _months_done(model) - 1)


def counters(model: CorridorModel) -> dict[str, str]:
    """The numbers the room reads out: month, tonnes, people trafficked and rescued."""
    people = model.config.migrants.people_per_agent
    mc = model.migrant_counts
    ever = mc[MigrantState.TRAFFICKED] + mc[MigrantState.RESCUED]   # the rescued were trafficked first
    L = model.ledger
    from model.flows import Commodity
    return {
        "Month": f"{_months_done(model)} of {model.config.scenario.steps}",
        "Calendar": _calendar(model),
        "Cocaine delivered": f"{float(L.delivered[Commodity.COCAINE]):,.0f} t",
        "Cocaine seized": f"{float(L.seized[Commodity.COCAINE]):,.0f} t",
        "Migrants trafficked": f"{ever * people:,.0f} people",
        "Migrants rescued": f"{mc[MigrantState.RESCUED] * people:,.0f} people",
    }


# ----- Solara components --------------------------------------------------------------------
def _levers_key(model) -> tuple:
    return (id(model), _months_done(model), tuple(sorted(model.levers.items())))


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
    base, cmap = _load(str(scenario_path().resolve()))
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
