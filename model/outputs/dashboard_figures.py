"""What the dashboard draws each month: the corridor map, the time series and the counters.

Plain matplotlib `Figure`s (no pyplot, so no global state shared between browser sessions);
the Solara components in `dashboard.py` only wrap them.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from model.agents import EnforcementUnit, MigrantState
from model.corridor import CorridorModel, month_label
from model.metrics import CENTRAL_AMERICA
from model.outputs.dashboard_model import months_done
from model.outputs.style import OKABE_ITO, country_name

FONT = 13                      # readable on a projector at the back of a room

SEA, LAND, BORDER = "#dde6ec", "#f4f2ea", "#8c8c8c"
FLOW_CMAP = "inferno_r"        # dark red/black = much cocaine, on light land
COVER_CMAP = "Blues"
ROLE_COLOURS = {"unit": "#0072B2", "bribed": "#D55E00", "migrant": "#009E73",
                "trafficked": "#CC0000", "gang": "#CC79A7"}

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


def _calendar(model) -> str:
    """The month just simulated, as a calendar label (the start month before the first step)."""
    if months_done(model) == 0:
        return f"start {month_label(model.config, 0)}"
    return month_label(model.config, months_done(model) - 1)


def counters(model: CorridorModel) -> dict[str, str]:
    """The numbers the room reads out: month, tonnes, people trafficked and rescued."""
    people = model.config.migrants.people_per_agent
    mc = model.migrant_counts
    ever = mc[MigrantState.TRAFFICKED] + mc[MigrantState.RESCUED]   # the rescued were trafficked first
    L = model.ledger
    from model.flows import Commodity
    return {
        "Month": f"{months_done(model)} of {model.config.scenario.steps}",
        "Calendar": _calendar(model),
        "Cocaine delivered": f"{float(L.delivered[Commodity.COCAINE]):,.0f} t",
        "Cocaine seized": f"{float(L.seized[Commodity.COCAINE]):,.0f} t",
        "Migrants trafficked": f"{ever * people:,.0f} people",
        "Migrants rescued": f"{mc[MigrantState.RESCUED] * people:,.0f} people",
    }

