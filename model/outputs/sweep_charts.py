"""Charts of a policy sweep: response curves, a two-lever heatmap, sensitivity bars.

The chart functions take a DataFrame (one row per run: factor columns, `replicate`,
`seed`, outcome columns) so they work on any sweep table; `draw_sweep_charts` reads a
sweep result folder (manifest.json + summary.parquet, as written by `corridor sweep`).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from model.outputs.style import DEFAULT_DPI, INK, MUTED, OKABE_ITO, WITH, footer, save, tidy  # noqa: E402
from model.errors import InputError  # noqa: E402

BAND = (0.1, 0.9)          # quantiles of the band across seeds (with few seeds: min to max)

OUTCOME_LABELS = {         # plain words and units for the outcomes sweeps usually keep
    "cocaine.delivered": "cocaine delivered to the US (t)",
    "cocaine.seized": "cocaine seized (t)",
    "cocaine.shipped": "cocaine shipped (t)",
    "cocaine.in_transit": "cocaine still in transit (t)",
    "central_america_share": "share of loads crossing Central America (0–1)",
    "route_entropy": "route spread (entropy, nats)",
    "active_cells": "cells with cocaine per month (cells)",
    "displacement.ratio": "flow gained elsewhere per unit lost in the targets (ratio)",
    "displacement.targeted_flow_change_pct": "change of flow in the targeted area (%)",
    "displacement.delivered_change_pct": "change in cocaine delivered (%)",
    "displacement.central_america_share_change": "change in Central America share (0–1)",
}


def outcome_label(name: str) -> str:
    if name in OUTCOME_LABELS:
        return OUTCOME_LABELS[name]
    head, _, tail = name.partition(".")
    if head == "transit_share":
        return f"share of loads crossing {tail} (0–1)"
    if head == "violence":
        return f"violent events in {tail} (count)"
    return name.replace("_", " ").replace(".", ": ")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def factor_label(name: str, unit: str | None = None) -> str:
    text = name.replace("_", " ")
    return f"{text} ({unit})" if unit else text


def _band(values: pd.Series) -> tuple[float, float]:
    if len(values) < 5:
        return float(values.min()), float(values.max())
    return float(values.quantile(BAND[0])), float(values.quantile(BAND[1]))


def response_curve(df: pd.DataFrame, lever: str, outcome: str, group: str | None = None,
                   lever_unit: str | None = None, footer_line: str = "", out: Path | None = None,
                   formats=("png",), dpi: int = DEFAULT_DPI) -> plt.Figure:
    """Mean outcome against a lever, with the band across seeds; one line per value of `group`."""
    if lever not in df.columns or outcome not in df.columns:
        raise KeyError(f"need columns '{lever}' and '{outcome}'")
    fig, ax = plt.subplots(figsize=(9, 5.4), layout="constrained")
    groups = [(None, df)] if group is None else list(df.groupby(group, sort=True))
    numeric = pd.api.types.is_numeric_dtype(df[lever]) and not pd.api.types.is_bool_dtype(df[lever])
    seeds = int(df.groupby([lever] + ([group] if group else [])).size().max())
    band_name = "range across seeds" if seeds < 5 else "10th–90th percentile across seeds"
    for i, (g, sub) in enumerate(groups):
        col = WITH if group is None else OKABE_ITO[i % len(OKABE_ITO)]
        stats = sub.groupby(lever, sort=True)[outcome].agg(["mean", _lo, _hi])
        x = stats.index.to_numpy() if numeric else np.arange(len(stats))
        label = "mean" if group is None else f"{group.replace('_', ' ')}: {_fmt(g)}"
        ax.plot(x, stats["mean"], color=col, lw=2.4, marker="o", ms=5, label=label, zorder=3)
        ax.fill_between(x, stats["_lo"], stats["_hi"], color=col, alpha=0.18, lw=0, zorder=2,
                        label=band_name if i == 0 else None)
        if not numeric:
            ax.set_xticks(x)
            ax.set_xticklabels([str(v) for v in stats.index])
    ax.set_xlabel(factor_label(lever, lever_unit), fontsize=10)
    ax.set_ylabel(outcome_label(outcome), fontsize=10)
    ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    tidy(ax)
    ax.legend(frameon=False, fontsize=9, loc="best")
    fig.suptitle(f"How {outcome_label(outcome).split(' (')[0]} responds to {lever.replace('_', ' ')}",
                 fontsize=14, x=0.01, ha="left", fontweight="bold")
    ax.set_title(f"Mean over {seeds} seed{'s' if seeds != 1 else ''} per setting; shaded: {band_name}",
                 fontsize=9.5, loc="left", color=MUTED)
    footer(fig, footer_line)
    save(fig, out, formats, dpi)
    return fig


def _lo(v):
    return _band(v)[0]


def _hi(v):
    return _band(v)[1]


def lever_heatmap(df: pd.DataFrame, lever_x: str, lever_y: str, outcome: str, units: dict | None = None,
                  footer_line: str = "", out: Path | None = None, formats=("png",),
                  dpi: int = DEFAULT_DPI) -> plt.Figure:
    """Mean outcome over seeds for every combination of two levers, values written in the cells."""
    units = units or {}
    table = df.groupby([lever_y, lever_x], sort=True)[outcome].mean().unstack(lever_x)
    fig, ax = plt.subplots(figsize=(max(1.1 * table.shape[1] + 4.2, 8.0), 0.75 * table.shape[0] + 3.0),
                           layout="constrained")
    im = ax.imshow(table.to_numpy(float), cmap="cividis", aspect="auto", origin="lower")
    ax.set_xticks(range(table.shape[1]))
    ax.set_xticklabels([_fmt(v) for v in table.columns])
    ax.set_yticks(range(table.shape[0]))
    ax.set_yticklabels([_fmt(v) for v in table.index])
    ax.set_xlabel(factor_label(lever_x, units.get(lever_x)), fontsize=10)
    ax.set_ylabel(factor_label(lever_y, units.get(lever_y)), fontsize=10)
    vals = table.to_numpy(float)
    mid = np.nanmean([np.nanmin(vals), np.nanmax(vals)]) if np.isfinite(vals).any() else 0
    for (r, c), v in np.ndenumerate(vals):
        if np.isfinite(v):
            ax.text(c, r, f"{v:,.3g}", ha="center", va="center", fontsize=9,
                    color="white" if v < mid else INK)
    cb = fig.colorbar(im, ax=ax, shrink=0.9)
    cb.set_label(outcome_label(outcome), fontsize=9)
    for sp in ax.spines.values():
        sp.set_visible(False)
    seeds = int(df.groupby([lever_x, lever_y]).size().max())
    fig.suptitle(f"{_cap(outcome_label(outcome).split(' (')[0])}:\n{lever_x.replace('_', ' ')} × "
                 f"{lever_y.replace('_', ' ')}", fontsize=13, x=0.01, ha="left", fontweight="bold")
    ax.set_title(f"Mean over {seeds} seed{'s' if seeds != 1 else ''} per cell", fontsize=9.5, loc="left",
                 color=MUTED)
    footer(fig, footer_line)
    save(fig, out, formats, dpi)
    return fig


def _fmt(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        return f"{v:g}"
    return str(v)


def sensitivity_bars(indices: pd.Series, outcome: str, measure: str, conf: pd.Series | None = None,
                     footer_line: str = "", out: Path | None = None, formats=("png",),
                     dpi: int = DEFAULT_DPI, note: str = "") -> plt.Figure:
    """Sensitivity indices as horizontal bars, largest on top; `measure` names the index in words.

    A NaN index is drawn as "missing" (no bar: a zero bar would read as "no influence"), and
    `note` says why, e.g. "n/a: outcome undefined (NaN) in 4 of 8 runs".
    """
    s = indices.astype(float).sort_values(ascending=True, na_position="first")
    ok = np.isfinite(s.to_numpy())
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(s) + 2.2), layout="constrained")
    y = np.arange(len(s))
    ax.barh(y[ok], s.to_numpy()[ok], color=WITH, height=0.65, zorder=2)
    pad = np.zeros(len(s)) if conf is None else np.nan_to_num(conf.reindex(s.index).astype(float).to_numpy())
    if conf is not None and ok.any():
        ax.errorbar(s.to_numpy()[ok], y[ok], xerr=pad[ok], fmt="none", ecolor=INK, elinewidth=1, capsize=3,
                    zorder=3, label="95% confidence interval")
        ax.legend(frameon=False, fontsize=9, loc="lower right")
    top = float(max(np.abs(s.to_numpy()[ok]).max(), 1e-12)) if ok.any() else 1.0
    for yi, v, c, good in zip(y, s, pad, ok):
        if good:
            ax.text(v + c + top * 0.015, yi, f"{v:.2g}", va="center", fontsize=9, color=INK, zorder=4)
        else:
            ax.text(top * 0.015, yi, "missing (not computed)", va="center", fontsize=9, color=MUTED,
                    style="italic", zorder=4, gid="missing")
    right = float((s + pad)[ok].max()) if ok.any() else top
    ax.set_xlim(min(0.0, float(s[ok].min()) * 1.1) if ok.any() else 0.0, max(right, top * 0.4) * 1.12)
    ax.set_ylim(-0.6, len(s) - 0.4)
    ax.set_yticks(y)
    ax.set_yticklabels([n.replace("_", " ") for n in s.index], fontsize=10)
    ax.axvline(0, color=INK, lw=0.8)
    ax.set_xlabel(measure, fontsize=10)
    ax.grid(axis="x", color="#e5e5e5", lw=0.6, zorder=0)
    tidy(ax)
    fig.suptitle(f"What drives {outcome_label(outcome).split(' (')[0]}", fontsize=14, x=0.01, ha="left",
                 fontweight="bold")
    sub = "Factors sorted by influence, largest at the top"
    if not ok.all():
        sub += f"; not computed: {note.removeprefix('n/a: ') or 'index not defined'}"
    ax.set_title(sub, fontsize=9.5, loc="left", color=MUTED)
    footer(fig, footer_line)
    save(fig, out, formats, dpi)
    return fig


# ----------------------------------------------------------------------------------------
# Reading a sweep folder


def is_sweep_folder(folder: Path) -> bool:
    folder = Path(folder)
    if not ((folder / "manifest.json").is_file() and (folder / "summary.parquet").is_file()):
        return False
    try:
        m = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(m.get("columns"), dict) and "factors" in m["columns"]


def sweep_footer(manifest: dict, df: pd.DataFrame) -> str:
    from model import __version__

    d = manifest.get("design", {})
    reps = d.get("replications") or (int(df.groupby("run_id").size().size) if "run_id" in df else "?")
    scen = Path(str(manifest.get("scenario_file", "?"))).stem
    return (f"Sweep '{manifest.get('experiment', '?')}' on scenario '{scen}' · {len(df)} runs, {reps} seeds "
            f"per setting from root seed {d.get('root_seed', '?')} · Corridor model v{__version__}")


def sensitivity_table(folder: Path, manifest: dict, df: pd.DataFrame,
                      outcome: str) -> tuple[pd.Series, pd.Series | None, str, str]:
    """Indices the design allows: Sobol total, Morris mu*, grid main-effect range, or |Spearman|.

    Also returns why indices are missing ('' if none is): an outcome undefined in some runs
    gets NaN indices, never indices from the runs that happen to have a value.
    """
    from model.runs import analysis

    kind = manifest.get("design", {}).get("kind")
    factors = [f["name"] for f in manifest["columns"]["factors"]]
    note = analysis.undefined(df, outcome)
    if kind in ("sobol", "morris") and (folder / "design.parquet").is_file():
        design = pd.read_parquet(folder / "design.parquet")
        if kind == "sobol":
            t = analysis.sobol_indices(manifest, design, df, [outcome], folder)[outcome]
            return t["ST"], t["ST_conf"], "total-effect Sobol index (share of the outcome's variance, 0–1)", note
        t = analysis.morris_indices(manifest, design, df, [outcome], folder)[outcome]
        return (t["mu_star"], t["mu_star_conf"], f"Morris mean absolute effect, μ* ({outcome_label(outcome)})",
                note)
    if kind == "grid":
        rng = {f: np.nan if note else float(np.ptp(df.groupby(f)[outcome].mean().to_numpy())) for f in factors}
        return (pd.Series(rng), None,
                f"spread of the mean outcome across the factor's values ({outcome_label(outcome)})", note)
    corr = {}
    for f in factors:
        x = df[f]
        if not pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x):
            x = pd.Series(pd.factorize(x, sort=True)[0], index=x.index)
        corr[f] = np.nan if note else abs(x.corr(df[outcome], method="spearman"))
    return pd.Series(corr), None, "strength of rank correlation with the outcome, |Spearman ρ| (0–1)", note


def draw_sweep_charts(folder: Path | str, outcomes: list[str] | None = None, formats=("png",),
                      dpi: int = DEFAULT_DPI, out_dir: Path | None = None) -> list[Path]:
    """Response curves, heatmaps and sensitivity bars of a sweep folder into FOLDER/charts."""
    folder = Path(folder)
    if not is_sweep_folder(folder):
        raise InputError(folder, None, "not a sweep result folder (needs manifest.json with the sweep's "
                         "columns and summary.parquet; run `corridor sweep compact DIR` first)")
    manifest = json.loads((folder / "manifest.json").read_text())
    df = pd.read_parquet(folder / "summary.parquet")
    if df.empty:
        raise InputError(folder / "summary.parquet", None, "no finished runs to draw")
    factors = manifest["columns"]["factors"]
    units = {f["name"]: f.get("unit") for f in factors}
    have = manifest["columns"].get("outcomes") or [c for c in df.columns if c not in
                                                   {"run_id", "replicate", "seed", *units}]
    if outcomes:
        bad = [o for o in outcomes if o not in have]
        if bad:
            raise InputError(folder, "--outcome", f"{', '.join(bad)} not an outcome of this sweep; it kept: "
                             f"{', '.join(have)}")
        have = outcomes
    have = [o for o in have if o in df.columns and df[o].notna().any()]
    out_dir = Path(out_dir) if out_dir else folder / "charts"
    out_dir.mkdir(parents=True, exist_ok=True)
    line = sweep_footer(manifest, df)
    levers = [f["name"] for f in factors if f.get("role", "lever") == "lever"] or [f["name"] for f in factors]
    names = [f["name"] for f in factors]
    numeric = [n for n in names if pd.api.types.is_numeric_dtype(df[n]) and not pd.api.types.is_bool_dtype(df[n])]
    main = next((n for n in levers if n in numeric), names[0])
    others = [n for n in names if n != main]
    group = next((n for n in others if df[n].nunique() <= 5), None)
    written: list[Path] = []
    for o in have:
        safe = o.replace(".", "_")
        sub = df.dropna(subset=[o])
        jobs = [(f"response_{safe}_by_{main}",
                 lambda p: response_curve(sub, main, o, group=group, lever_unit=units.get(main),
                                          footer_line=line, out=p, formats=formats, dpi=dpi))]
        if others:
            jobs.append((f"heatmap_{safe}", lambda p: lever_heatmap(sub, main, others[0], o, units, line, p,
                                                                    formats, dpi)))
        try:
            idx, conf, measure, note = sensitivity_table(folder, manifest, df, o)
            jobs.append((f"sensitivity_{safe}", lambda p: sensitivity_bars(idx, o, measure, conf, line, p,
                                                                           formats, dpi, note)))
        except (InputError, ValueError, KeyError) as exc:
            print(f"corridor: note: no sensitivity chart for {o}: {exc}")
        for stem, draw in jobs:
            plt.close(draw(out_dir / f"{stem}.png"))
            written += [out_dir / f"{stem}.{fmt}" for fmt in formats]
    return written
