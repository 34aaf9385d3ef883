"""Charts of a calibration folder: posterior marginals, and a predictive check per target.

posterior_marginals.png  one panel per parameter: the first wave's points (the prior) and the
                         posterior draws, over the prior range
predictive_check.png     one panel per target: the record's value and plausible range against
                         the model's band (5-95% of runs) in the first wave and in the posterior
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from model import __version__  # noqa: E402
from model.outputs.style import INK, MUTED, OKABE_ITO, WITH, WITHOUT, country_name, footer, save, tidy  # noqa: E402

BAND = (0.05, 0.95)
PRIOR = WITHOUT
POST = WITH
RECORD = OKABE_ITO[5]


def _grid(n: int) -> tuple[int, int]:
    cols = min(n, 3)
    return math.ceil(n / cols), cols


def _place(place: str) -> str:
    return "whole corridor" if place == "all" else country_name(place) if len(place) == 2 else \
        place.replace("_", " ")


def _footer_text(cal, folder: Path, post: pd.DataFrame) -> str:
    diag = json.loads((folder / "diagnostics.json").read_text())
    waves = len([w for w in diag["waves"] if "points" in w])
    return (f"Calibration '{cal.name}' of scenario {cal.scenario_path.name}: {diag['runs_total']} runs in "
            f"{waves} wave{'s' if waves != 1 else ''}, {len(post)} posterior runs; "
            f"corridor {__version__}")


def draw_calibration_charts(cal, folder: Path) -> list[Path]:
    folder = Path(folder)
    prior = pd.read_parquet(folder / "wave_1" / "results.parquet")
    post = pd.read_parquet(folder / "posterior.parquet")
    text = _footer_text(cal, folder, post)
    return [marginals(cal, prior, post, folder / "posterior_marginals.png", text),
            predictive_check(cal, prior, post, folder / "predictive_check.png", text)]


def marginals(cal, prior: pd.DataFrame, post: pd.DataFrame, out: Path, text: str) -> Path:
    params = cal.parameters
    rows, cols = _grid(len(params))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows + 0.6), squeeze=False,
                             layout="constrained")
    for ax, p in zip(axes.flat, params):
        bins = np.linspace(p.low, p.high, 21)
        ax.hist(prior[p.name], bins=bins, density=True, color=PRIOR, alpha=0.45, label="first wave (prior)")
        if len(post):
            ax.hist(post[p.name], bins=bins, density=True, color=POST, alpha=0.8, label="posterior draws")
            med = float(post[p.name].median())
            ax.axvline(med, color=INK, lw=1.2, ls="--")
            ax.set_title(f"{p.name.replace('_', ' ')}: median {med:.3g}", fontsize=10, loc="left")
        else:
            ax.set_title(f"{p.name.replace('_', ' ')}: no posterior draws", fontsize=10, loc="left")
        ax.set_xlim(p.low, p.high)
        ax.set_xlabel(f"{p.name.replace('_', ' ')} ({p.unit})", fontsize=9)
        ax.set_ylabel("density", fontsize=9)
        ax.set_yticks([])
        tidy(ax)
    for ax in list(axes.flat)[len(params):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8, frameon=False, loc="upper right")
    fig.suptitle("Which parameter values reproduce the record? (history matching)", fontsize=12, x=0.01,
                 ha="left")
    footer(fig, text)
    save(fig, out)
    plt.close(fig)
    return out


def predictive_check(cal, prior: pd.DataFrame, post: pd.DataFrame, out: Path, text: str) -> Path:
    targets = cal.targets
    height = 0.9 + 0.55 * len(targets)
    fig, axes = plt.subplots(len(targets), 1, figsize=(8.0, height + 0.8), squeeze=False, layout="constrained")
    for ax, t in zip(axes[:, 0], targets):
        ax.axvspan(t.low, t.high, color=RECORD, alpha=0.15, lw=0)
        ax.axvline(t.value, color=RECORD, lw=2)
        for y, df, colour, label in ((1, prior, PRIOR, "first wave"), (0, post, POST, "posterior")):
            if len(df):
                lo, hi = np.quantile(df[t.id], BAND)
                ax.plot([lo, hi], [y, y], color=colour, lw=6, solid_capstyle="butt", alpha=0.9)
                ax.plot([float(df[t.id].median())], [y], "o", color="white", mec=colour, ms=6)
            else:
                ax.text(0.01, y, "no run is non-implausible", transform=ax.get_yaxis_transform(), va="center",
                        fontsize=8, color=MUTED)
        ax.set_yticks([0, 1], ["posterior", "first wave"], fontsize=8)
        ax.set_ylim(-0.7, 1.7)
        values = [t.low, t.high] + ([*np.quantile(post[t.id], BAND)] if len(post) else []) + \
            [*np.quantile(prior[t.id], BAND)]
        pad = 0.08 * (max(values) - min(values) or 1.0)
        ax.set_xlim(min(values) - pad, max(values) + pad)
        ax.set_title(f"{t.quantity.replace('_', ' ')}, {_place(t.place)}, {t.start} to {t.end} ({t.unit}) — record "
                     f"{t.value:g} [{t.low:g}–{t.high:g}]", fontsize=9, loc="left", color=INK)
        tidy(ax)
        ax.tick_params(axis="x", labelsize=8, colors=MUTED)
    fig.suptitle("Does the calibrated model reproduce its targets? Record (line, shaded range) vs the "
                 f"model's {BAND[0]:.0%}–{BAND[1]:.0%} band", fontsize=11, x=0.01, ha="left")
    footer(fig, text)
    save(fig, out)
    plt.close(fig)
    return out
