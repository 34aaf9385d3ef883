"""Charts drawn from a saved result folder (never from a live model).

Palettes are colour-blind safe (viridis family for amounts, a diverging blue-orange for
differences, Okabe-Ito for categories). Every figure carries a footer naming the
scenario, seed and model version so a slide can be traced back to its run.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import colors  # noqa: E402

from . import __version__  # noqa: E402

OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]


def footer(fig, summary: dict) -> None:
    fig.text(0.01, 0.005, f"Corridor {__version__} · scenario '{summary['scenario']}' · seed "
             f"{summary['seed']} · {summary['steps']} months", fontsize=7, color="#555555",
             ha="left", va="bottom")


def _borders(cmap) -> np.ndarray:
    c = np.where(cmap.land, cmap.country, -1)
    b = np.zeros(c.shape, bool)
    b[1:, :] |= (c[1:, :] != c[:-1, :]) & (c[1:, :] >= 0) & (c[:-1, :] >= 0)
    b[:, 1:] |= (c[:, 1:] != c[:, :-1]) & (c[:, 1:] >= 0) & (c[:, :-1] >= 0)
    return b


def _base_map(ax, cmap, title: str):
    ext = (cmap.west, cmap.west + cmap.shape[0] * cmap.res, cmap.south, cmap.south + cmap.shape[1] * cmap.res)
    land = np.where(cmap.land, 1.0, np.nan)
    ax.imshow(land.T, origin="lower", extent=ext, cmap=colors.ListedColormap(["#e6e6e6"]), interpolation="nearest")
    border = np.where(_borders(cmap), 1.0, np.nan)
    ax.imshow(border.T, origin="lower", extent=ext, cmap=colors.ListedColormap(["#7a7a7a"]),
              interpolation="nearest", zorder=3)
    for f in cmap.features_of("port_of_entry"):
        ax.plot(f.lon, f.lat, marker="v", color="black", markersize=3.5, zorder=5)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.set_aspect("equal")
    return ext


def route_density_map(folder: Path, cmap, out: Path | None = None) -> plt.Figure:
    """Cocaine flow per cell over the evaluation window; with a counterfactual, three panels."""
    folder = Path(folder)
    summary = json.loads((folder / "summary.json").read_text())
    cells = np.load(folder / "cells.npz")
    edges = cells["window_edges"]
    a, b = summary["window"]["start"], summary["window"]["end"]
    sel = [(i) for i in range(len(edges) - 1) if edges[i + 1] > a and edges[i] < b]
    sc = cells["scenario_cocaine_flow"][sel].sum(axis=0)
    has_cf = "counterfactual_cocaine_flow" in cells.files
    panels = 3 if has_cf else 1
    fig, axes = plt.subplots(1, panels, figsize=(6.2 * panels, 4.8), squeeze=False)
    axes = axes[0]
    vmax = max(float(sc.max()), 1e-9)
    if has_cf:
        cf = cells["counterfactual_cocaine_flow"][sel].sum(axis=0)
        vmax = max(vmax, float(cf.max()))
    norm = colors.LogNorm(vmin=max(vmax * 1e-3, 1e-6), vmax=vmax)
    span = f"months {a}–{b - 1}"

    def density(ax, arr, title):
        ext = _base_map(ax, cmap, title)
        im = ax.imshow(np.where(arr > 0, arr, np.nan).T, origin="lower", extent=ext, cmap="viridis",
                       norm=norm, interpolation="nearest", zorder=2)
        return im

    if has_cf:
        density(axes[0], cf, f"Without the policy ({span})")
        im = density(axes[1], sc, f"With the policy ({span})")
        fig.colorbar(im, ax=axes[:2].tolist(), shrink=0.8, label="cocaine passing (t per cell)")
        diff = sc - cf
        lim = max(float(np.abs(diff).max()), 1e-9)
        ext = _base_map(axes[2], cmap, "Difference: where flow was lost and where it went")
        dn = colors.SymLogNorm(linthresh=lim * 0.01, vmin=-lim, vmax=lim)
        im2 = axes[2].imshow(np.where(diff != 0, diff, np.nan).T, origin="lower", extent=ext,
                             cmap="PuOr_r", norm=dn, interpolation="nearest", zorder=2)
        cb = fig.colorbar(im2, ax=axes[2], shrink=0.8, label="change in cocaine passing (t per cell)")
        cb.ax.text(0.5, 1.02, "gained", transform=cb.ax.transAxes, ha="center", va="bottom", fontsize=7)
        cb.ax.text(0.5, -0.02, "lost", transform=cb.ax.transAxes, ha="center", va="top", fontsize=7)
    else:
        im = density(axes[0], sc, f"Cocaine route density ({span})")
        fig.colorbar(im, ax=axes[0], shrink=0.8, label="cocaine passing (t per cell)")
    fig.suptitle(f"Where cocaine moves through the corridor: {summary['scenario']}", fontsize=12)
    footer(fig, summary)
    if out:
        fig.savefig(out, dpi=150, bbox_inches="tight")
    return fig


def flow_share_chart(folder: Path, out: Path | None = None, top: int = 6) -> plt.Figure:
    """Share of finished cocaine loads that crossed each country, month by month."""
    folder = Path(folder)
    summary = json.loads((folder / "summary.json").read_text())
    ts = pd.read_parquet(folder / "timeseries.parquet")
    cf_path = folder / "counterfactual_timeseries.parquet"
    cf = pd.read_parquet(cf_path) if cf_path.exists() else None
    countries = [c for c in summary["transit_share"] if c not in ("CO", "US")][:top]
    fig, ax = plt.subplots(figsize=(8.5, 4.6))

    def share(df, c):
        done = df.cocaine_completed.rolling(3, min_periods=1).sum()
        return (df[f"transit_{c}"].rolling(3, min_periods=1).sum() / done.replace(0, np.nan)) * 100

    for i, c in enumerate(countries):
        col = OKABE_ITO[i % len(OKABE_ITO)]
        ax.plot(ts.step, share(ts, c), color=col, lw=2, label=c)
        if cf is not None:
            ax.plot(cf.step, share(cf, c), color=col, lw=1.2, ls="--")
    a, b = summary["window"]["start"], summary["window"]["end"]
    if "counterfactual" in summary:
        ax.axvspan(a, b - 1, color="#999999", alpha=0.15, lw=0, label="policy in force")
        ax.plot([], [], color="#333333", ls="--", lw=1.2, label="without the policy")
    ax.set_ylim(0, 105)
    ax.set_xlim(0, max(int(ts.step.max()), 1))
    ax.set_xlabel(f"month since {ts.month.iloc[0]}")
    ax.set_ylabel("share of cocaine loads crossing (%)")
    ax.set_title("Which countries the cocaine crosses (3-month rolling share)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    footer(fig, summary)
    if out:
        fig.savefig(out, dpi=150, bbox_inches="tight")
    return fig


def draw_run_charts(folder: Path, cmap) -> list[Path]:
    folder = Path(folder)
    outs = [folder / "route_density.png", folder / "flow_share.png"]
    plt.close(route_density_map(folder, cmap, outs[0]))
    plt.close(flow_share_chart(folder, outs[1]))
    return outs
