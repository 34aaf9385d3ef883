"""The narco-deforestation map of a run: forest lost per cell, and per country beside it."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from model.outputs.maps import MapLayers, _map_extent, draw_base_map  # noqa: E402
from model.outputs.run_data import RunData, load_run  # noqa: E402
from model.outputs.style import DEFAULT_DPI, INK, country_name, footer, save, scenario_title  # noqa: E402

FOREST = "#b9d9a6"
LOSS_CMAP = colors.LinearSegmentedColormap.from_list("loss", ["#fde0c5", "#e8743b", "#8c2d04"])


def has_forest_loss(run: RunData) -> bool:
    arr = run.cells.get("scenario_forest_lost")
    return arr is not None and float(arr.sum()) > 0


def _box(cmap, used: np.ndarray, margin_deg: float = 1.5) -> tuple[float, float, float, float]:
    """Lon/lat box around the cells where `used` is non-zero (the forest and its losses)."""
    xs, ys = np.nonzero(used)
    w, e, s, n = _map_extent(cmap)
    if not len(xs):
        return w, e, s, n
    r = cmap.res
    return (max(w, cmap.west + xs.min() * r - margin_deg), min(e, cmap.west + (xs.max() + 1) * r + margin_deg),
            max(s, cmap.south + ys.min() * r - margin_deg), min(n, cmap.south + (ys.max() + 1) * r + margin_deg))


def deforestation_map(folder, cmap=None, out: Path | None = None, formats=("png",),
                      dpi: int = DEFAULT_DPI, run: RunData | None = None) -> plt.Figure:
    """Forest lost per cell over the whole run (ha), and the total per country (bars)."""
    run = run or load_run(folder, cmap)
    cm = run.cmap
    lost = run.cells["scenario_forest_lost"].sum(axis=0)
    forest = run.cells.get("forest_at_start", np.zeros(cm.shape))
    layers = MapLayers(cm)
    box = _box(cm, forest + lost)
    aspect = (box[1] - box[0]) / (box[3] - box[2])
    fig = plt.figure(figsize=(12.0, max(4.8, 7.0 / aspect + 1.4)), layout="constrained")
    gs = fig.add_gridspec(2, 2, width_ratios=[1.7, 1], height_ratios=[1, 0.05])
    ax = fig.add_subplot(gs[0, 0])
    draw_base_map(ax, layers, box, "Forest lost in each 28 km cell", ports="markers")
    ax.set_ylim(box[2], box[3])                  # the base map keeps the US in view; the forest is south
    ax.imshow(np.where(forest > 0, 1.0, np.nan).T, origin="lower", extent=_map_extent(cm),
              cmap=colors.ListedColormap([FOREST]), interpolation="nearest", zorder=1.5, alpha=0.8)
    vmax = float(lost.max())
    norm = colors.LogNorm(vmin=max(vmax * 1e-3, 1e-6), vmax=vmax) if vmax > 0 else None
    im = ax.imshow(np.where(lost > 0, lost, np.nan).T, origin="lower", extent=_map_extent(cm), cmap=LOSS_CMAP,
                   norm=norm, interpolation="nearest", zorder=2)
    ax.legend(handles=[Patch(color=FOREST, label="forest proxy (land near the named reserves, frontier departments)")],
              loc="lower left", fontsize=7, framealpha=0.92, edgecolor="none")
    cb = fig.colorbar(im, cax=fig.add_subplot(gs[1, 0]), orientation="horizontal")
    span = f"{run.month(0)} to {run.month(len(run.ts) - 1)}"
    cb.set_label(f"hectares lost, {span} (log scale)", fontsize=9)
    cb.ax.tick_params(labelsize=8)
    by = run.summary.get("deforestation", {}).get("by_country", {})
    by = sorted(by.items(), key=lambda kv: -kv[1])      # every country the proxy has forest in, 0 too
    bx = fig.add_subplot(gs[0, 1])
    if by:
        names = [country_name(c) for c, _ in by]
        vals = [v for _, v in by]
        bx.barh(names, vals, color="#e8743b", height=0.5)
        bx.set_ylim(max(len(vals), 3) - 0.25, -0.75)     # largest on top
        for i, v in enumerate(vals):
            bx.text(v, i, f" {v:,.0f}", va="center", fontsize=8, color=INK)
        bx.set_xlim(0, max(max(vals), 1e-9) * 1.3)
    bx.set_title(f"Forest lost by country, {span} (ha)", fontsize=11, loc="left")
    bx.tick_params(labelsize=8)
    for side in ("top", "right"):
        bx.spines[side].set_visible(False)
    fig.suptitle(f"Narco-deforestation: forest cleared where drug flights land — "
                 f"{scenario_title(run.summary['scenario'])}", fontsize=13, x=0.01, ha="left", fontweight="bold")
    footer(fig, run.footer() + " · forest = a proxy (land near the named reserves and in the frontier "
                               "departments), strips and land use per landing and per tonne (MODEL.md §7.19)")
    save(fig, out, formats, dpi)
    return fig
