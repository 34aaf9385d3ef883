"""Charts of one run, drawn from its saved result folder (never from a live model).

For a projector: plain-language titles, axis labels with units, few colours. Palettes are
colour-blind safe (viridis for amounts, purple-orange for change, Okabe-Ito for
categories). Every figure carries a footer naming the scenario, seed(s) and model version
so a slide can be traced back to its run. Sweep charts are in `sweep_charts.py`.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import colors, patheffects  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from model import __version__  # noqa: E402
from model.errors import InputError  # noqa: E402
from model.metrics import window_change, window_span  # noqa: E402
from model.world.grid import nearest_cell  # noqa: E402

OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
SEA = "#dde6ec"            # light blue-grey
LAND = "#f7f6f2"
BORDER = "#8c8c8c"
COAST = "#a9b7c0"
INK = "#222222"
MUTED = "#666666"
GAIN = "#b35806"           # the orange end of PuOr: more cocaine
LOSS = "#542788"           # the purple end of PuOr: less cocaine
WITH = "#0072B2"           # Okabe-Ito blue: the scenario (with its policy)
WITHOUT = "#999999"        # grey: the counterfactual
DIFF_CMAP = "PuOr_r"       # purple = lost, orange = gained
FLOW_CMAP = "viridis_r"    # dark = much cocaine, so busy routes stand out on light land
DEFAULT_DPI = 150
FORMATS = ("png", "svg")

COUNTRY_NAMES = {
    "BS": "Bahamas", "BZ": "Belize", "CO": "Colombia", "CR": "Costa Rica", "CU": "Cuba",
    "DO": "Dominican Rep.", "EC": "Ecuador", "GT": "Guatemala", "HN": "Honduras", "HT": "Haiti",
    "JM": "Jamaica", "MX": "Mexico", "NI": "Nicaragua", "PA": "Panama", "SV": "El Salvador",
    "US": "United States", "VE": "Venezuela", "INTL": "International waters",
}

# file stem -> chart; draw_run_charts draws them all
RUN_CHARTS = ("route_density", "flow_share", "displacement", "outcomes")


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def scenario_title(name: str) -> str:
    """'mexico_crackdown' -> 'Mexico crackdown'."""
    text = str(name).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def footer_text(scenario: str, seeds, steps: int | None = None, extra: str = "") -> str:
    seeds = [seeds] if isinstance(seeds, (int, np.integer)) else list(seeds)
    if len(seeds) == 1:
        seed_txt = f"seed {seeds[0]}"
    elif len(seeds) <= 4:
        seed_txt = f"seeds {', '.join(str(s) for s in seeds)}"
    else:
        seed_txt = f"{len(seeds)} seeds ({seeds[0]}, {seeds[1]}, …)"
    parts = [f"Scenario '{scenario}'", seed_txt]
    if steps:
        parts.append(f"{steps} months")
    if extra:
        parts.append(extra)
    parts.append(f"Corridor model v{__version__}")
    return " · ".join(parts)


def footer(fig, summary_or_text) -> None:
    """Small grey line at the bottom left: scenario, seed(s), model version."""
    if isinstance(summary_or_text, dict):
        s = summary_or_text
        extra = "compared with the same seed without the policy" if "counterfactual" in s else ""
        text = footer_text(s["scenario"], s["seed"], s.get("steps"), extra)
    else:
        text = str(summary_or_text)
    strip = 0.24 / fig.get_figheight()                     # inches kept free for the footer
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set") and "rect" in engine.get():
        engine.set(rect=(0, strip, 1, 1 - strip))
    fig.text(0.005, 0.006, text, fontsize=7, color=MUTED, ha="left", va="bottom")


def bottom_legend(fig, handles, labels, **kw):
    """A figure legend in one row just above the footer, with room kept for it.

    Matplotlib's "outside lower" legends sit at the figure's very edge, under the footer;
    this one is anchored on the layout's lower edge and the layout moves up by its height.
    """
    engine = fig.get_layout_engine()
    x0, y0, w, h = engine.get()["rect"] if engine is not None and "rect" in engine.get() else (0, 0, 1, 1)
    leg = fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, y0),
                     bbox_transform=fig.transFigure, **kw)
    tall = (leg.get_window_extent(fig.canvas.get_renderer()).height + 0.08 * fig.dpi) / fig.bbox.height
    if engine is not None and "rect" in engine.get():
        engine.set(rect=(x0, y0 + tall, w, h - tall))
    return leg


def _layout_texts(fig):
    """Titles and axis labels: the texts a layout engine places but never shortens."""
    for t in fig.texts:
        yield t
    for sub in (fig._suptitle, fig._supxlabel, fig._supylabel):
        if sub is not None:
            yield sub
    for ax in fig.axes:
        yield from (ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label)


def fit_texts(fig, margin_px: float = 4.0) -> None:
    """Wrap every title or axis label that would run past the figure's edge.

    Constrained layout makes room above and below a title but leaves a long one cut off at
    the right; each such text is re-wrapped to the room it has, then the layout runs again.
    """
    for _ in range(3):
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        W, H = fig.bbox.width, fig.bbox.height
        changed = False
        for t in _layout_texts(fig):
            text = t.get_text()
            if not (t.get_visible() and text.strip()):
                continue
            bb = t.get_window_extent(renderer)
            vertical = abs(t.get_rotation() % 180 - 90) < 1
            lo, hi, size, edge = (bb.y0, bb.y1, bb.height, H) if vertical else (bb.x0, bb.x1, bb.width, W)
            if lo >= margin_px and hi <= edge - margin_px:
                continue
            ha = t.get_verticalalignment() if vertical else t.get_horizontalalignment()
            if ha in ("left", "bottom", "baseline"):
                room = edge - margin_px - max(lo, margin_px)
            elif ha in ("right", "top"):
                room = min(hi, edge - margin_px) - margin_px
            else:
                mid = (lo + hi) / 2
                room = 2 * min(mid - margin_px, edge - margin_px - mid)
            longest = max(len(line) for line in text.split("\n"))
            chars = max(int(longest * room / size * 0.95), 10)
            wrapped = "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))
            if wrapped != text:
                t.set_text(wrapped)
                changed = True
        if not changed:
            return


def save(fig, out: Path | str | None, formats=("png",), dpi: int = DEFAULT_DPI) -> list[Path]:
    """Write the figure once per format, each atomically (model/resultdir.py write_file)."""
    from model.runs.folders import write_file

    if out is None:
        return []
    fit_texts(fig)
    out = Path(out)
    written = []
    for fmt in formats:
        path = out.with_suffix(f".{fmt}")
        write_file(path, lambda tmp, fmt=fmt: fig.savefig(tmp, dpi=dpi, format=fmt, facecolor="white"))
        written.append(path)
    return written


def _tidy(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=9)


# ----------------------------------------------------------------------------------------
# Reading a result folder


@dataclass
class RunData:
    """What the charts need from one saved run."""

    folder: Path
    summary: dict
    manifest: dict
    ts: pd.DataFrame
    cf_ts: pd.DataFrame | None
    cells: dict[str, np.ndarray]
    cmap: object
    people_per_agent: float | None = None

    @property
    def has_cf(self) -> bool:
        return self.cf_ts is not None and "counterfactual_cocaine_flow" in self.cells

    @property
    def window(self) -> tuple[int, int]:
        w = self.summary["window"]
        return int(w["start"]), int(w["end"])

    @property
    def targeted(self) -> list[str]:
        return list(self.summary.get("displacement", {}).get("targeted", []))

    def month(self, step: int) -> str:
        m = self.ts.loc[self.ts.step == step, "month"]
        return str(m.iloc[0]) if len(m) else f"month {step}"

    def footer(self) -> str:
        extra = "compared with the same seed without the policy" if self.has_cf else ""
        return footer_text(self.summary["scenario"], self.summary["seed"], self.summary.get("steps"), extra)


def is_run_folder(folder: Path) -> bool:
    folder = Path(folder)
    return all((folder / f).is_file() for f in ("summary.json", "timeseries.parquet", "cells.npz"))


def load_run(folder: Path | str, cmap=None) -> RunData:
    """Read a run folder; the map is reloaded from the manifest unless given."""
    folder = Path(folder)
    if not is_run_folder(folder):
        raise InputError(folder, None, "not a run result folder (needs summary.json, timeseries.parquet "
                         "and cells.npz, as written by `corridor run`)")
    summary = json.loads((folder / "summary.json").read_text())
    mpath = folder / "manifest.json"
    manifest = json.loads(mpath.read_text()) if mpath.is_file() else {}
    ts = pd.read_parquet(folder / "timeseries.parquet")
    cf_path = folder / "counterfactual_timeseries.parquet"
    cf_ts = pd.read_parquet(cf_path) if cf_path.is_file() else None
    with np.load(folder / "cells.npz") as z:
        cells = {k: z[k] for k in z.files}
    people = None
    if cmap is None:
        cmap, people = _reload_map(folder, manifest)
    return RunData(folder, summary, manifest, ts, cf_ts, cells, cmap, people)


def _reload_map(folder: Path, manifest: dict):
    """The run's map: through its scenario (right maritime zones) if found, else the map file."""
    from model.world.geography import load_map
    from model.scenario import load_scenario

    for key in ("scenario_file",):
        p = manifest.get(key)
        if p and Path(p).is_file():
            try:
                sc, cmap = load_scenario(p)
                return cmap, sc.migrants.people_per_agent
            except InputError:
                pass
    p = manifest.get("map_file")
    if not p:
        raise InputError(folder / "manifest.json", "map_file", "missing; cannot redraw the maps")
    if not Path(p).is_file():
        raise InputError(folder / "manifest.json", "map_file", f"'{p}' not found; run from the project folder "
                         "or restore the map file")
    return load_map(p), None


def window_cells(run: RunData, name: str, which: str = "scenario") -> tuple[np.ndarray, tuple[int, int]]:
    """Sum of a per-cell array over the evaluation window, and the months it sums.

    Result folders store blocks whose edges fall on the window, so this is exactly the
    window; folders from older versions may not, and then the blocks overlapping it are
    summed and the months returned say so.
    """
    edges = [int(e) for e in run.cells["window_edges"]]
    a, b = run.window
    if a in edges and b in edges:
        sel = [i for i in range(len(edges) - 1) if edges[i] >= a and edges[i + 1] <= b]
    else:
        sel = [i for i in range(len(edges) - 1) if edges[i + 1] > a and edges[i] < b]
    arr = run.cells[f"{which}_{name}"][sel].sum(axis=0)
    return arr, (int(edges[sel[0]]), int(edges[sel[-1] + 1]))


# ----------------------------------------------------------------------------------------
# Maps


def _segments(cmap, label: np.ndarray, pair_filter=None) -> np.ndarray:
    """Line segments (lon, lat) along cell edges where `label` changes value.

    `pair_filter(a, b)` keeps an edge between neighbouring labels a and b when true.
    """
    w, s, r = cmap.west, cmap.south, cmap.res
    segs = []
    vx, vy = np.nonzero(label[1:, :] != label[:-1, :])
    if pair_filter is not None and len(vx):
        keep = pair_filter(label[vx, vy], label[vx + 1, vy])
        vx, vy = vx[keep], vy[keep]
    for x, y in zip(vx, vy):
        lon = w + (x + 1) * r
        segs.append(((lon, s + y * r), (lon, s + (y + 1) * r)))
    hx, hy = np.nonzero(label[:, 1:] != label[:, :-1])
    if pair_filter is not None and len(hx):
        keep = pair_filter(label[hx, hy], label[hx, hy + 1])
        hx, hy = hx[keep], hy[keep]
    for x, y in zip(hx, hy):
        lat = s + (y + 1) * r
        segs.append(((w + x * r, lat), (w + (x + 1) * r, lat)))
    return np.array(segs).reshape(-1, 2, 2)


def _map_extent(cmap) -> tuple[float, float, float, float]:
    return (cmap.west, cmap.west + cmap.shape[0] * cmap.res, cmap.south, cmap.south + cmap.shape[1] * cmap.res)


def crop_box(cmap, *arrays: np.ndarray, margin_deg: float = 1.0) -> tuple[float, float, float, float]:
    """Lon/lat box around where any array is non-zero and the ports of entry, with a margin."""
    used = np.zeros(cmap.shape, bool)
    for a in arrays:
        used |= a != 0
    xs, ys = np.nonzero(used)
    w, e, s, n = _map_extent(cmap)
    if not len(xs):
        return w, e, s, n
    lons = list(cmap.west + (xs + 0.5) * cmap.res) + [f.lon for f in cmap.features_of("port_of_entry")]
    lats = list(cmap.south + (ys + 0.5) * cmap.res) + [f.lat for f in cmap.features_of("port_of_entry")]
    return (max(w, min(lons) - margin_deg), min(e, max(lons) + margin_deg),
            max(s, min(lats) - margin_deg), min(n, max(lats) + margin_deg))


class MapLayers:
    """Borders, coast, US border and label positions of a map, computed once per figure."""

    def __init__(self, cmap, targeted: list[str] | None = None):
        self.cmap = cmap
        land_country = np.where(cmap.land, cmap.country, -1)
        self.coast = _segments(cmap, cmap.land.astype(np.int8))
        both_land = lambda a, b: (a >= 0) & (b >= 0)  # noqa: E731
        self.borders = _segments(cmap, land_country, both_land)
        us = cmap.country_codes.index("US") if "US" in cmap.country_codes else None
        mx = cmap.country_codes.index("MX") if "MX" in cmap.country_codes else None
        self.us_border = np.zeros((0, 2, 2))
        if us is not None and mx is not None:
            self.us_border = _segments(cmap, land_country,
                                       lambda a, b: ((a == us) & (b == mx)) | ((a == mx) & (b == us)))
        self.targeted = list(targeted or [])
        tmask = np.zeros(cmap.shape, bool)
        for t in self.targeted:
            try:
                tmask |= cmap.mask(t)
            except KeyError:
                pass
        self.target_mask = tmask
        self.target_outline = _segments(cmap, tmask.astype(np.int8)) if tmask.any() else np.zeros((0, 2, 2))

    def label_points(self, box) -> list[tuple[str, float, float]]:
        """One label per country with enough land in the box, at its land's centre of mass."""
        cm = self.cmap
        w, e, s, n = box
        inside = (cm.lon >= w) & (cm.lon <= e) & (cm.lat >= s) & (cm.lat <= n) & cm.land
        out = []
        for ci, code in enumerate(cm.country_codes):
            cells = inside & (cm.country == ci)
            if code == "INTL" or cells.sum() < 6:
                continue
            lon, lat = float(np.median(cm.lon[cells])), float(np.median(cm.lat[cells]))
            if not cm.land[cm.cell_of(lat, lon)]:       # a median can fall in the sea (e.g. a crescent)
                x, y = nearest_cell(cells, (lon - cm.west) / cm.res - 0.5, (lat - cm.south) / cm.res - 0.5)
                lon, lat = float(cm.lon[x, y]), float(cm.lat[x, y])
            out.append((code, lon, lat))
        return out


LABEL_NUDGE = {          # (dlon, dlat): move labels off the busiest routes and away from neighbours
    "US": (2.0, 0.1), "MX": (-1.5, 1.5), "SV": (-1.6, -1.2), "NI": (0.9, 0.2), "BZ": (1.0, 0.8),
    "CR": (-1.2, -0.5), "PA": (0.6, -1.0), "GT": (-0.8, 0.5), "CO": (1.0, 0.0), "HN": (0.6, 0.4),
}
UNLABELLED = {"BS", "CU", "DO", "HT", "JM", "INTL"}   # islands off the routes: names would only clutter
TOP_BAND_CELLS = 4       # rows of the map's top edge repeated northward, so US labels have room


def _ports(cmap) -> list:
    """Ports of entry, numbered west to east."""
    return sorted(cmap.features_of("port_of_entry"), key=lambda f: f.lon)


def draw_base_map(ax, layers: MapLayers, box, title: str, labels: bool = True, ports: str = "numbers") -> None:
    """Sea, land, coast, borders, US border, ports of entry, country names, targeted outline.

    `ports`: "numbers" marks and numbers the ports of entry (the key is in `port_key`),
    "markers" only marks them.
    """
    cm = layers.cmap
    ax.set_facecolor(SEA)
    w0, e0, s0, n0 = _map_extent(cm)
    land = np.concatenate([cm.land, np.repeat(cm.land[:, -1:], TOP_BAND_CELLS, axis=1)], axis=1)
    ax.imshow(np.where(land, 1.0, np.nan).T, origin="lower", extent=(w0, e0, s0, n0 + TOP_BAND_CELLS * cm.res),
              cmap=colors.ListedColormap([LAND]), interpolation="nearest", zorder=0)
    ax.add_collection(LineCollection(layers.coast, colors=COAST, linewidths=0.5, zorder=1))
    ax.add_collection(LineCollection(layers.borders, colors=BORDER, linewidths=0.6, zorder=3))
    ax.add_collection(LineCollection(layers.us_border, colors=INK, linewidths=2.2, zorder=4))
    if len(layers.target_outline):
        ax.add_collection(LineCollection(layers.target_outline, colors=INK, linewidths=1.1,
                                         linestyles=(0, (3, 2)), zorder=4))
    halo = [patheffects.withStroke(linewidth=2.4, foreground="white")]
    if labels:
        for code, lon, lat in layers.label_points(box):
            if code in UNLABELLED:
                continue
            dx, dy = LABEL_NUDGE.get(code, (0.0, 0.0))
            ax.text(lon + dx, lat + dy, country_name(code), fontsize=8, ha="center", va="center",
                    color=INK, zorder=6, path_effects=halo, fontweight="bold" if code == "US" else "normal")
    pe = _ports(cm)
    if pe:
        ax.plot([f.lon for f in pe], [f.lat for f in pe], ls="none", marker="v", ms=5.5, mfc="white",
                mec=INK, mew=1.1, zorder=5)
        if ports == "numbers":
            for i, f in enumerate(pe, 1):
                ax.text(f.lon + 0.1, f.lat + 0.45, str(i), fontsize=7, ha="center", va="bottom", color=INK,
                        fontweight="bold", zorder=6, path_effects=halo)
    w, e, s, n = box
    ax.set_xlim(w, e)
    ax.set_ylim(s, max(n, n0 + TOP_BAND_CELLS * cm.res))
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_color("#bbbbbb")
    ax.set_title(title, fontsize=11, loc="left")


def _map_legend(ax, layers: MapLayers) -> None:
    """Map key (lower left, over the Pacific) and the numbered ports of entry above it."""
    h = [Line2D([], [], color=INK, lw=2.2, label="US border"),
         Line2D([], [], color=BORDER, lw=0.8, label="country border")]
    if len(layers.target_outline):
        h.append(Line2D([], [], color=INK, lw=1.1, ls=(0, (3, 2)),
                        label=f"policy area ({', '.join(country_name(t) for t in layers.targeted)})"))
    key = ax.legend(handles=h, loc="lower left", fontsize=7, frameon=True, framealpha=0.92, edgecolor="none")
    ax.add_artist(key)
    pe = _ports(layers.cmap)
    if pe:
        ph = [Line2D([], [], ls="none", marker=f"${i}$", ms=5, color=INK, label=f.name)
              for i, f in enumerate(pe, 1)]
        ax.legend(handles=ph, loc="lower left", bbox_to_anchor=(0.0, 0.17), fontsize=7, ncol=2,
                  title="▽ US ports of entry", title_fontsize=7, frameon=True, framealpha=0.92,
                  edgecolor="none", handletextpad=0.3, columnspacing=0.8, alignment="left")


def _nice_max(v: float) -> float:
    return float(max(v, 1e-9))


def route_density_map(folder, cmap=None, out: Path | None = None, formats=("png",),
                      dpi: int = DEFAULT_DPI, run: RunData | None = None) -> plt.Figure:
    """Cocaine passing each cell; with a counterfactual: without, with, and the change."""
    run = run or load_run(folder, cmap)
    cm = run.cmap
    sc, (a, b) = window_cells(run, "cocaine_flow")
    has_cf = run.has_cf
    cf = window_cells(run, "cocaine_flow", "counterfactual")[0] if has_cf else None
    layers = MapLayers(cm, run.targeted)
    box = crop_box(cm, sc, *([cf] if has_cf else []), layers.target_mask & cm.land)
    aspect = (box[1] - box[0]) / (box[3] - box[2])
    panels = 3 if has_cf else 1
    panel_w = 5.6
    fig = plt.figure(figsize=(panel_w * panels + 0.2, panel_w / aspect + 2.0), layout="constrained")
    fig.get_layout_engine().set(h_pad=0.04, w_pad=0.04, hspace=0.02, wspace=0.02)
    gs = fig.add_gridspec(2, panels, height_ratios=[1, 0.045])
    axes = [fig.add_subplot(gs[0, i]) for i in range(panels)]
    vmax = _nice_max(float(max(sc.max(), cf.max() if has_cf else 0.0)))
    norm = colors.LogNorm(vmin=vmax * 1e-3, vmax=vmax)
    span = f"{run.month(a)} to {run.month(b - 1)}" if a in set(run.ts.step) else f"months {a}–{b - 1}"

    def density(ax, arr, title, labels=True, ports="numbers"):
        draw_base_map(ax, layers, box, title, labels=labels, ports=ports)
        return ax.imshow(np.where(arr >= vmax * 1e-3, arr, np.nan).T, origin="lower", extent=_map_extent(cm),
                         cmap=FLOW_CMAP, norm=norm, interpolation="nearest", zorder=2, alpha=0.95)

    if has_cf:
        im = density(axes[0], cf, "Without the policy")
        density(axes[1], sc, "With the policy")
        cax = fig.add_subplot(gs[1, :2])
        cb = fig.colorbar(im, cax=cax, orientation="horizontal")
        cb.set_label(f"cocaine passing through each 28 km cell, {span} (tonnes, log scale)", fontsize=9)
        diff = sc - cf
        lim = _nice_max(float(np.abs(diff).max()))
        draw_base_map(axes[2], layers, box, "Change: purple = less cocaine, orange = more")
        dn = colors.SymLogNorm(linthresh=lim * 0.01, vmin=-lim, vmax=lim, base=10)
        im2 = axes[2].imshow(np.where(np.abs(diff) >= lim * 0.002, diff, np.nan).T, origin="lower",
                             extent=_map_extent(cm), cmap=DIFF_CMAP, norm=dn, interpolation="nearest", zorder=2)
        cax2 = fig.add_subplot(gs[1, 2])
        cb2 = fig.colorbar(im2, cax=cax2, orientation="horizontal")
        ticks = [-lim, -lim / 10, 0, lim / 10, lim]
        cb2.set_ticks(ticks)
        cb2.set_ticklabels([f"{t:+,.0f}" if t else "0" for t in ticks])
        cb2.set_label("change in cocaine passing (tonnes per cell)", fontsize=9)
        _map_legend(axes[0], layers)
        title = f"Where cocaine went when the policy was applied: {scenario_title(run.summary['scenario'])}"
    else:
        im = density(axes[0], sc, "Cocaine routes")
        cax = fig.add_subplot(gs[1, 0])
        cb = fig.colorbar(im, cax=cax, orientation="horizontal")
        cb.set_label(f"cocaine passing through each 28 km cell, {span} (tonnes, log scale)", fontsize=9)
        _map_legend(axes[0], layers)
        title = f"Where cocaine moves: {scenario_title(run.summary['scenario'])}"
    cb.ax.tick_params(labelsize=8)
    fig.suptitle(title, fontsize=14, x=0.01, ha="left", fontweight="bold")
    footer(fig, run.footer())
    save(fig, out, formats, dpi)
    return fig


# ----------------------------------------------------------------------------------------
# Run charts


def _rolling_share(df: pd.DataFrame, code: str, months: int = 3) -> pd.Series:
    done = df.cocaine_completed.rolling(months, min_periods=1).sum()
    return df[f"transit_{code}"].rolling(months, min_periods=1).sum() / done.replace(0, np.nan) * 100


def _shade_window(ax, run: RunData, label: bool = True) -> None:
    if run.has_cf:
        a, b = run.window
        ax.axvspan(a - 0.5, b - 0.5, color="#999999", alpha=0.15, lw=0,
                   label=f"policy in force (from {run.month(a)})" if label else None, zorder=0)


def _month_ticks(ax, run: RunData) -> None:
    steps = run.ts.step.to_numpy()
    n = len(steps)
    every = 12 if n > 30 else (6 if n > 12 else 1)
    first = next((s for s in steps if str(run.month(s)).endswith("-01")), steps[0]) if every == 12 else steps[0]
    ticks = [s for s in steps if (s - first) % every == 0 and s >= first]
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(run.month(s))[:4] if every == 12 else str(run.month(s)) for s in ticks],
                       fontsize=8, rotation=0 if every == 12 else 45)


def flow_share_chart(folder, out: Path | None = None, top: int = 6, formats=("png",),
                     dpi: int = DEFAULT_DPI, run: RunData | None = None, months: int = 6) -> plt.Figure:
    """Share of finished cocaine loads that crossed each country, one small panel per country."""
    run = run or load_run(folder)
    ts, cf = run.ts, run.cf_ts if run.has_cf else None
    sc_share = run.summary["transit_share"]
    cf_share = run.summary.get("counterfactual", {}).get("transit_share", {})
    cands = [c for c in sc_share if c not in ("US", "CO") and f"transit_{c}" in ts.columns]
    cands.sort(key=lambda c: -max(sc_share.get(c, 0.0), cf_share.get(c, 0.0)))
    countries = cands[:top]
    cols = 3 if len(countries) > 4 else max(len(countries), 1)
    rows = int(np.ceil(len(countries) / cols)) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.6 * rows + 1.3), sharex=True, sharey=True,
                             squeeze=False, layout="constrained")
    for i, ax in enumerate(axes.flat):
        if i >= len(countries):
            ax.set_visible(False)
            continue
        c = countries[i]
        _shade_window(ax, run, label=(i == 0))
        if cf is not None:
            ax.plot(cf.step, _rolling_share(cf, c, months), color=WITHOUT, lw=1.6,
                    label="without the policy" if i == 0 else None)
        ax.plot(ts.step, _rolling_share(ts, c, months), color=WITH, lw=2.2,
                label=("with the policy" if cf is not None else "share crossing") if i == 0 else None)
        ax.set_title(country_name(c), fontsize=11, loc="left")
        ax.set_ylim(0, 100)
        ax.set_xlim(ts.step.min(), ts.step.max())
        ax.set_yticks([0, 50, 100])
        ax.grid(axis="y", color="#e5e5e5", lw=0.6)
        _tidy(ax)
        _month_ticks(ax, run)
    for ax in axes[:, 0]:
        ax.set_ylabel("loads crossing (%)", fontsize=9)
    for ax in axes[-1, :]:
        ax.set_xlabel("year", fontsize=9)
    fig.suptitle(f"Share of cocaine loads crossing each country ({months}-month average)",
                 fontsize=14, x=0.01, ha="left", fontweight="bold")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda k: ("with the policy", "share crossing", "without the policy")
                   .index(labels[k]) if not labels[k].startswith("policy") else 9)
    footer(fig, run.footer())
    bottom_legend(fig, [handles[k] for k in order], [labels[k] for k in order], ncol=len(order),
                  frameon=False, fontsize=10)
    save(fig, out, formats, dpi)
    return fig


def displacement_table(run: RunData, min_share: float = 0.02) -> pd.Series:
    """Change in cocaine moved (thousand tonne-km) against the counterfactual, over the window."""
    sc, _ = window_cells(run, "cocaine_flow")
    cf, _ = window_cells(run, "cocaine_flow", "counterfactual")
    return displacement_by_place(run.cmap, sc, cf, run.targeted, min_share)


def displacement_by_place(cmap, sc_flow: np.ndarray, cf_flow: np.ndarray, targeted: list[str],
                          min_share: float = 0.02) -> pd.Series:
    """Change in cocaine moved (thousand tonne-km) between two per-cell flow sums (t per cell).

    The first entry is the targeted area (all targets together); then every other country
    (land and own waters) and international waters. Entries smaller than `min_share` of the
    largest change are summed into 'other places'.
    """
    cm = cmap
    diff = (sc_flow - cf_flow) * cm.cell_km() / 1000.0          # tonne-cells -> thousand tonne-km
    tmask = MapLayers(cm, targeted).target_mask
    out = {}
    if tmask.any():
        out["policy area"] = float(diff[tmask].sum())
    for ci, code in enumerate(cm.country_codes):
        cells = (cm.country == ci) & ~tmask
        if cells.any():
            out[code] = float(diff[cells].sum())
    s = pd.Series(out)
    rest = s.drop("policy area", errors="ignore")
    big = rest.abs() >= min_share * max(float(s.abs().max()), 1e-12)
    small = float(rest[~big].sum())
    rest = rest[big].sort_values(ascending=False)
    parts = ([s[["policy area"]]] if "policy area" in s else []) + [rest]
    if abs(small) > 0:
        parts.append(pd.Series({"other places": small}))
    return pd.concat(parts)


def displacement_bars(folder=None, out: Path | None = None, formats=("png",), dpi: int = DEFAULT_DPI,
                      run: RunData | None = None, table: pd.DataFrame | None = None,
                      targeted: list[str] | None = None, footer_line: str | None = None) -> plt.Figure:
    """Flow lost in the targeted area against flow gained (or lost) in each other place.

    With `table` (one row per seed, one column per place, as from `displacement_table`),
    bars are medians with the range across seeds as whiskers.
    """
    if table is None:
        run = run or load_run(folder)
        if not run.has_cf:
            raise InputError(run.folder, None, "displacement needs a counterfactual (run without --no-counterfactual)")
        table = displacement_table(run).to_frame().T
        targeted = run.targeted
        footer_line = run.footer()
    med = table.median(axis=0)
    lo, hi = table.min(axis=0), table.max(axis=0)
    names = [f"{', '.join(country_name(t) for t in targeted or [])} (policy area)" if k == "policy area"
             else country_name(k) for k in med.index]
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(med) + 2.2), layout="constrained")
    y = np.arange(len(med))[::-1]
    col = [LOSS if v < 0 else GAIN for v in med]
    ax.barh(y, med.to_numpy(), color=col, height=0.7, zorder=2)
    if len(table) > 1:
        ax.errorbar(med.to_numpy(), y, xerr=[med - lo, hi - med], fmt="none", ecolor=INK, elinewidth=1,
                    capsize=3, zorder=3)
    ax.axvline(0, color=INK, lw=0.8, zorder=1)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=10)
    lim = float(max(abs(lo.min()), abs(hi.max()), 1e-9))
    ax.set_xlim(-lim * 1.25, lim * 1.25)
    for yi, v, vlo, vhi in zip(y, med, lo, hi):          # value beyond the whisker's end
        ax.text((max(v, vhi) + 0.02 * lim) if v >= 0 else (min(v, vlo) - 0.02 * lim), yi, f"{v:+,.0f}",
                va="center", ha="left" if v >= 0 else "right", fontsize=9, color=INK, zorder=4)
    ax.set_xlabel("change in cocaine moved, against no policy (thousand tonne-km)", fontsize=10)
    ax.grid(axis="x", color="#e5e5e5", lw=0.6, zorder=0)
    _tidy(ax)
    handles = [Patch(color=LOSS, label="less cocaine"), Patch(color=GAIN, label="more cocaine")]
    if len(table) > 1:
        handles.append(Line2D([], [], color=INK, lw=1, marker="|", ms=8, label=f"range over {len(table)} seeds"))
    ax.legend(handles=handles, loc="lower right", frameon=False, fontsize=9)
    where = ", ".join(country_name(t) for t in targeted or []) or "the policy area"
    fig.suptitle(f"Cocaine pushed out of {where}, and where it went", fontsize=14, x=0.01, ha="left",
                 fontweight="bold")
    ax.set_title("Cocaine moved through each country and its waters, with the policy minus without it "
                 "(tonnes × km travelled)", fontsize=9.5, loc="left", color=MUTED)
    footer(fig, footer_line or "")
    save(fig, out, formats, dpi)
    return fig


MIGRANT_OUTCOMES = ("arrived", "trafficked", "rescued", "returned")


def outcome_dashboard(folder, out: Path | None = None, formats=("png",), dpi: int = DEFAULT_DPI,
                      run: RunData | None = None, top_violence: int = 8) -> plt.Figure:
    """One run at a glance: cocaine delivered and seized, violence by country, migrants by outcome."""
    run = run or load_run(folder)
    ts, cf = run.ts, run.cf_ts if run.has_cf else None
    s = run.summary
    cfs = s.get("counterfactual")
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), layout="constrained")
    for ax, key, label in ((axes[0, 0], "delivered", "Cocaine delivered to the United States"),
                           (axes[0, 1], "seized", "Cocaine seized")):
        _shade_window(ax, run)
        if cf is not None:
            ax.plot(cf.step, cf[f"cocaine_{key}"], color=WITHOUT, lw=1.8, label="without the policy")
        ax.plot(ts.step, ts[f"cocaine_{key}"], color=WITH, lw=2.4,
                label="with the policy" if cf is not None else "this run")
        end = float(ts[f"cocaine_{key}"].iloc[-1])
        note = f"{end:,.0f} t by {run.month(int(ts.step.iloc[-1]))}"
        if cfs:
            change, pct = window_change(s, cfs, key)     # the same numbers as summary.json and the CLI
            note += (f"\n{window_span(s)}: {change:+,.0f} t" + (f" ({pct:+.1f}%)" if pct is not None else "") +
                     "\nvs the same months without the policy")
        ax.text(0.02, 0.97, note, transform=ax.transAxes, va="top", ha="left", fontsize=10, color=INK)
        ax.set_title(f"{label} (running total)", fontsize=11, loc="left")
        ax.set_ylabel("tonnes (cumulative)", fontsize=9)
        ax.set_xlabel("year", fontsize=9)
        ax.set_xlim(ts.step.min(), ts.step.max())
        ax.set_ylim(0, None)
        _month_ticks(ax, run)
        _tidy(ax)
        hs, ls = ax.get_legend_handles_labels()
        ax.legend(hs[::-1], ls[::-1], loc="lower right", frameon=False, fontsize=8)

    ax = axes[1, 0]
    v = pd.Series(s["violence"], dtype=float)
    vcf = pd.Series(cfs["violence"], dtype=float) if cfs else None
    key = v if vcf is None else pd.concat([v, vcf], axis=1).max(axis=1)
    key = key[key > 0].sort_values(ascending=False).head(top_violence)
    idx = list(key.index)
    y = np.arange(len(idx))[::-1]
    h = 0.38 if vcf is not None else 0.7
    ax.barh(y + (h / 2 if vcf is not None else 0), v.reindex(idx).fillna(0), height=h, color=WITH,
            label="with the policy" if vcf is not None else "this run")
    if vcf is not None:
        ax.barh(y - h / 2, vcf.reindex(idx).fillna(0), height=h, color=WITHOUT, label="without the policy")
    ax.set_yticks(y)
    ax.set_yticklabels([country_name(c) for c in idx], fontsize=9)
    a, b = run.window
    ax.set_title(f"Violent events by country, {run.month(a)} to {run.month(b - 1)}", fontsize=11, loc="left")
    ax.set_xlabel("violent events (count)", fontsize=9)
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.grid(axis="x", color="#e5e5e5", lw=0.6)
    ax.set_axisbelow(True)
    _tidy(ax)

    ax = axes[1, 1]
    m = [s["migrants"].get(k, 0) for k in MIGRANT_OUTCOMES]
    mcf = [cfs["migrants"].get(k, 0) for k in MIGRANT_OUTCOMES] if cfs else None
    y = np.arange(len(MIGRANT_OUTCOMES))[::-1]
    ax.barh(y + (h / 2 if mcf else 0), m, height=h, color=WITH, label="with the policy" if mcf else "this run")
    if mcf:
        ax.barh(y - h / 2, mcf, height=h, color=WITHOUT, label="without the policy")
    top = max(m + (mcf or []) + [1])
    for yi, val in zip(y + (h / 2 if mcf else 0), m):
        ax.text(val + top * 0.01, yi, f"{val:,.0f}", va="center", fontsize=8, color=INK)
    if mcf:
        for yi, val in zip(y - h / 2, mcf):
            ax.text(val + top * 0.01, yi, f"{val:,.0f}", va="center", fontsize=8, color=MUTED)
    ax.set_xlim(0, top * 1.15)
    ax.set_yticks(y)
    ax.set_yticklabels([k.capitalize() for k in MIGRANT_OUTCOMES], fontsize=9)
    if "people_per_agent" in s:      # counts in people; older result folders counted agents
        unit = f"people; the model moves them in groups of {s['people_per_agent']:,.0f}"
    else:
        unit = f"groups of {run.people_per_agent:,.0f} people" if run.people_per_agent else "model agents"
    ax.set_title("Migrants by outcome at the end of the run", fontsize=11, loc="left")
    ax.set_xlabel(f"migrants ({unit})", fontsize=9)
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    _tidy(ax)
    fig.suptitle(f"What happened in the run: {scenario_title(s['scenario'])}", fontsize=14, x=0.01,
                 ha="left", fontweight="bold")
    footer(fig, run.footer())
    save(fig, out, formats, dpi)
    return fig


def draw_run_charts(folder: Path, cmap=None, formats=("png",), dpi: int = DEFAULT_DPI,
                    out_dir: Path | None = None) -> list[Path]:
    """Draw every run chart into the folder (or `out_dir`); returns the files written."""
    folder = Path(folder)
    out_dir = Path(out_dir) if out_dir else folder
    out_dir.mkdir(parents=True, exist_ok=True)
    run = load_run(folder, cmap)
    written: list[Path] = []
    jobs = [("route_density", lambda o: route_density_map(folder, out=o, formats=formats, dpi=dpi, run=run)),
            ("flow_share", lambda o: flow_share_chart(folder, out=o, formats=formats, dpi=dpi, run=run)),
            ("outcomes", lambda o: outcome_dashboard(folder, out=o, formats=formats, dpi=dpi, run=run))]
    if run.has_cf:
        jobs.insert(2, ("displacement", lambda o: displacement_bars(out=o, formats=formats, dpi=dpi, run=run)))
    for stem, draw in jobs:
        fig = draw(out_dir / f"{stem}.png")
        plt.close(fig)
        written += [out_dir / f"{stem}.{fmt}" for fmt in formats]
    return written
