"""Charts of a run over time: the share of loads crossing each country, and the outcomes at a glance."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import matplotlib.ticker  # noqa: E402
from model.metrics import window_change, window_span  # noqa: E402
from model.outputs.run_data import RunData, load_run  # noqa: E402
from model.outputs.style import (DEFAULT_DPI, INK, MUTED, WITH, WITHOUT, bottom_legend, country_name,  # noqa: E402
                                 footer, save, scenario_title, tidy)


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
    # yearly ticks, every other year past ten years (a 16-year replay's labels would touch)
    every = (12 if n <= 120 else 24 if n <= 240 else 60) if n > 30 else (6 if n > 12 else 1)
    yearly = every % 12 == 0
    first = next((s for s in steps if str(run.month(s)).endswith("-01")), steps[0]) if yearly else steps[0]
    ticks = [s for s in steps if (s - first) % every == 0 and s >= first]
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(run.month(s))[:4] if yearly else str(run.month(s)) for s in ticks],
                       fontsize=8, rotation=0 if yearly else 45)


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
        tidy(ax)
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
        tidy(ax)
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
    tidy(ax)

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
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=4))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(people_tick))   # never a "1e6" offset
    ax.set_yticks(y)
    ax.set_yticklabels([k.capitalize() for k in MIGRANT_OUTCOMES], fontsize=9)
    if "people_per_agent" in s:      # counts in people; older result folders counted agents
        unit = f"people; the model moves them in groups of {s['people_per_agent']:,.0f}"
    else:
        unit = f"groups of {run.people_per_agent:,.0f} people" if run.people_per_agent else "model agents"
    ax.set_title("Migrants by outcome at the end of the run", fontsize=11, loc="left")
    ax.set_xlabel(f"migrants ({unit})", fontsize=9)
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    tidy(ax)
    fig.suptitle(f"What happened in the run: {scenario_title(s['scenario'])}", fontsize=14, x=0.01,
                 ha="left", fontweight="bold")
    footer(fig, run.footer())
    save(fig, out, formats, dpi)
    return fig


def people_tick(v: float, _pos=None) -> str:
    """Counts of people as a reader says them: 500,000; 1.5 million."""
    return f"{v / 1e6:g} million" if abs(v) >= 1e6 else f"{v:,.0f}"
