"""Homicides per 100,000 a year by country, with and without the policy, beside the record.

The rates are `model.metrics.homicide_rates` of the run's timeseries (the numbers of
summary.json's `homicide_rate`); the record's figures are the homicide rows of
experiments/history/record.csv for the run's countries and whole years, so a workshop sees
where the model meets the record and where it does not.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from model.metrics import CARIBBEAN, CENTRAL_AMERICA, homicide_rates  # noqa: E402
from model.outputs.run_data import RunData, load_run  # noqa: E402
from model.outputs.style import (DEFAULT_DPI, INK, WITH, WITHOUT, bottom_legend, country_name, footer,  # noqa: E402
                                 save, scenario_title, tidy)

RECORD = Path(__file__).resolve().parents[2] / "experiments" / "history" / "record.csv"
UNIT = "per 100,000 per year"      # the record's unit for homicide_rate (model/runs/observe.py)


def record_rates(path: Path = RECORD) -> dict[str, dict[str, tuple[float, float, float]]]:
    """{CC: {year: (value, low, high)}} of the record's homicide-rate rows that cover one
    calendar year; {} when the record is not at hand (an installed package without it)."""
    if not Path(path).is_file():
        return {}
    from model.runs.record import load_record

    out: dict[str, dict[str, tuple[float, float, float]]] = {}
    for r in load_record(path):
        year = r.start[:4]
        if r.quantity == "homicide_rate" and r.start == f"{year}-01" and r.end == f"{year}-12":
            out.setdefault(r.place, {})[year] = (r.value, r.low, r.high)
    return out


def homicide_chart(folder, out: Path | None = None, top: int = 6, formats=("png",), dpi: int = DEFAULT_DPI,
                   run: RunData | None = None, record: dict | None = None) -> plt.Figure:
    """One panel per country: the `top` countries by their highest yearly rate, with or
    without the policy; a country the record has a figure for in the run's years comes first.

    Only Mexico, Central America and the Caribbean islands are drawn: the United States,
    Colombia, Venezuela, Ecuador and Brazil lie only partly on the map, and a rate spreads the
    whole country's people over its cells on the map (model/homicides.py)."""
    run = run or load_run(folder)
    rates = homicide_rates(run.ts)
    cf = homicide_rates(run.cf_ts) if run.has_cf else {}
    record = record_rates() if record is None else record
    years = sorted({y for by_year in rates.values() for y in by_year})
    seen = {c: {y: v for y, v in record.get(c, {}).items() if y in years} for c in rates}
    peak = {c: max(list(rates[c].values()) + list(cf.get(c, {}).values()) or [0.0]) for c in rates}
    whole = [c for c in rates if c in ("MX", *CENTRAL_AMERICA, *CARIBBEAN)] or list(rates)   # another map: all
    countries = sorted(whole, key=lambda c: (not seen[c], -peak[c]))[:top]
    cols = 3 if len(countries) > 4 else max(len(countries), 1)
    rows = int(np.ceil(len(countries) / cols)) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.7 * rows + 1.3), sharex=True, squeeze=False,
                             layout="constrained")
    x = {y: i for i, y in enumerate(years)}
    for i, ax in enumerate(axes.flat):
        if i >= len(countries):
            ax.set_visible(False)
            continue
        c = countries[i]
        if c in cf:
            ax.plot([x[y] for y in cf[c]], list(cf[c].values()), color=WITHOUT, lw=1.6, marker="o", ms=3,
                    label="without the policy")
        ax.plot([x[y] for y in rates[c]], list(rates[c].values()), color=WITH, lw=2.2, marker="o", ms=3.5,
                label="with the policy" if cf else "this run")
        for y, (v, lo, hi) in seen[c].items():
            ax.errorbar([x[y]], [v], yerr=[[v - lo], [hi - v]], color=INK, marker="D", ms=5, lw=1.2,
                        capsize=3, ls="none", label="record: what happened (range)")
        ax.set_title(country_name(c), fontsize=11, loc="left")
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#e5e5e5", lw=0.6)
        ax.set_xticks(range(len(years)))
        ax.set_xticklabels(years, fontsize=8, rotation=45 if len(years) > 10 else 0)
        tidy(ax)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"homicides {UNIT}", fontsize=9)
    fig.suptitle(f"Homicides per 100,000 a year: {scenario_title(run.summary['scenario'])}",
                 fontsize=14, x=0.01, ha="left", fontweight="bold")
    labels: dict[str, object] = {}
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            labels.setdefault(lab, h)
    footer(fig, run.footer())
    bottom_legend(fig, list(labels.values()), list(labels), ncol=len(labels), frameon=False, fontsize=10)
    save(fig, out, formats, dpi)
    return fig
