"""Maps of a run: the base map (land, borders, ports, names, policy area) and route density."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors, patheffects  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from model.outputs.run_data import RunData, load_run, window_cells  # noqa: E402
from model.world.grid import nearest_cell  # noqa: E402
from model.outputs.style import (BORDER, COAST, DEFAULT_DPI, DIFF_CMAP, FLOW_CMAP, INK, LAND, SEA,  # noqa: E402
                                 country_name, footer, save, scenario_title)


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


PORT_CROWDED_DEG = 1.0   # ports closer than this (|dlon| + |dlat|) get their number beside the marker
EDGE_DEG = 4.0           # a country name centred this close to the map's side is aligned to it instead


def _inside_edges(x: float, box) -> tuple[float, str]:
    """A label's x and alignment that keep a long name (Trinidad and Tobago) inside the map."""
    w, e = box[0], box[1]
    if x > e - EDGE_DEG:
        return min(x + 1.0, e - 0.3), "right"
    if x < w + EDGE_DEG:
        return max(x - 1.0, w + 0.3), "left"
    return x, "center"


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
            x, ha = _inside_edges(lon + dx, box)
            ax.text(x, lat + dy, country_name(code), fontsize=8, ha=ha, va="center",
                    color=INK, zorder=6, path_effects=halo, fontweight="bold" if code == "US" else "normal")
    pe = _ports(cm)
    if pe:
        ax.plot([f.lon for f in pe], [f.lat for f in pe], ls="none", marker="v", ms=5.5, mfc="white",
                mec=INK, mew=1.1, zorder=5)
        if ports == "numbers":
            for i, f in enumerate(pe, 1):
                crowded = any(abs(f.lon - g.lon) + abs(f.lat - g.lat) < PORT_CROWDED_DEG for g in pe[:i - 1])
                x, y, ha, va = ((f.lon + 0.55, f.lat, "left", "center") if crowded      # beside, not on top
                                else (f.lon + 0.1, f.lat + 0.45, "center", "bottom"))
                ax.text(x, y, str(i), fontsize=7, ha=ha, va=va, color=INK,
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


def _map_legend(kax, layers: MapLayers, ncol: int) -> None:
    """Map key and the numbered ports of entry, in their own strip under the maps: over the
    sea it hid Eastern Pacific routes once the map reached 700 km offshore."""
    kax.set_axis_off()
    pe = _ports(layers.cmap)
    if pe:
        ph = [Line2D([], [], ls="none", marker=f"${i}$", ms=5, color=INK, label=f.name)
              for i, f in enumerate(pe, 1)]
        ports = kax.legend(handles=ph, loc="upper left", fontsize=7, ncol=ncol, title="▽ US ports of entry",
                           title_fontsize=7, frameon=False, handletextpad=0.3, columnspacing=0.9,
                           alignment="left", borderaxespad=0.0)
        kax.add_artist(ports)
    h = [Line2D([], [], color=INK, lw=2.2, label="US border"),
         Line2D([], [], color=BORDER, lw=0.8, label="country border")]
    if len(layers.target_outline):
        h.append(Line2D([], [], color=INK, lw=1.1, ls=(0, (3, 2)),
                        label=f"policy area ({', '.join(country_name(t) for t in layers.targeted)})"))
    kax.legend(handles=h, loc="lower left" if ncol < 5 else "upper right", fontsize=7, frameon=False,
               borderaxespad=0.0)


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
    map_h = panel_w / aspect
    key_h = 0.6 if has_cf else 1.0            # inches: ports in 6 columns beside the key, or 4 above it
    fig = plt.figure(figsize=(panel_w * panels + 0.2, map_h + key_h + 2.0), layout="constrained")
    fig.get_layout_engine().set(h_pad=0.04, w_pad=0.04, hspace=0.02, wspace=0.02)
    gs = fig.add_gridspec(3, panels, height_ratios=[map_h, 0.045 * map_h, key_h])
    axes = [fig.add_subplot(gs[0, i]) for i in range(panels)]
    key_ax = fig.add_subplot(gs[2, :])
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
        _map_legend(key_ax, layers, ncol=6)
        title = f"Where cocaine went when the policy was applied: {scenario_title(run.summary['scenario'])}"
    else:
        im = density(axes[0], sc, "Cocaine routes")
        cax = fig.add_subplot(gs[1, 0])
        cb = fig.colorbar(im, cax=cax, orientation="horizontal")
        cb.set_label(f"cocaine passing through each 28 km cell, {span} (tonnes, log scale)", fontsize=9)
        _map_legend(key_ax, layers, ncol=4)
        title = f"Where cocaine moves: {scenario_title(run.summary['scenario'])}"
    cb.ax.tick_params(labelsize=8)
    fig.suptitle(title, fontsize=14, x=0.01, ha="left", fontweight="bold")
    footer(fig, run.footer())
    save(fig, out, formats, dpi)
    return fig
