"""Where displaced cocaine went: the change by place against the counterfactual, and its bar chart."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from model.errors import InputError  # noqa: E402
from model.outputs.maps import MapLayers  # noqa: E402
from model.outputs.run_data import RunData, load_run, window_cells  # noqa: E402
from model.outputs.style import DEFAULT_DPI, GAIN, INK, LOSS, MUTED, country_name, footer, save, tidy  # noqa: E402


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


def displacement_note(disp: dict, where: str) -> str | None:
    """What the bars cannot show: when the flow lost in the policy area did not reappear
    elsewhere, how much of the net fall came from fewer tonnes finishing their trip and how
    much from shorter trips (summary.json's displacement.decomposition); None when it did."""
    lost, gained, dec = disp.get("flow_lost_targeted"), disp.get("flow_gained_elsewhere"), disp.get("decomposition")
    if not dec or not lost or lost <= 0 or (gained or 0.0) >= 0.5 * lost:
        return None
    k = 1000.0                                   # tonne-km -> thousand tonne-km, as the bars
    km, dt = dec["km_per_t"], dec["tonnes_finished_change"]
    why = ("loads took shorter trips" if abs(dec["from_km_per_t"]) >= abs(dec["from_tonnes_finished"])
           else "fewer tonnes finished their trip")
    return textwrap.fill(
        f"Most of the flow lost in {where} did not reappear elsewhere: {why}. Loads finished in the window "
        f"moved {dec['tonne_km_change'] / k:+,.0f} thousand tonne-km: {dec['from_km_per_t'] / k:+,.0f} from "
        f"trip length (km per tonne {km['counterfactual']:,.0f} without the policy, {km['policy']:,.0f} with it: "
        f"diverted loads take shorter legs or are seized earlier), {dec['from_tonnes_finished'] / k:+,.0f} from "
        f"tonnes finishing ({dt:+,.0f} t; shipped {dec['shipped_t_change']:+,.0f} t, "
        f"seized {dec['seized_t_change']:+,.0f} t).", 120)


def policy_area(targeted: list[str] | None, most: int = 4) -> str:
    """The targeted places by name, or their number when a list would not fit a title
    (a replay's policy rows name a dozen and more)."""
    targeted = list(targeted or [])
    if len(targeted) > most:
        return f"the {len(targeted)} targeted jurisdictions"
    return ", ".join(country_name(t) for t in targeted)


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
    area = policy_area(targeted)
    names = [f"{area} (policy area)" if k == "policy area" else country_name(k) for k in med.index]
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
    tidy(ax)
    handles = [Patch(color=LOSS, label="less cocaine"), Patch(color=GAIN, label="more cocaine")]
    if len(table) > 1:
        handles.append(Line2D([], [], color=INK, lw=1, marker="|", ms=8, label=f"range over {len(table)} seeds"))
    ax.legend(handles=handles, loc="lower right", frameon=False, fontsize=9)
    where = area or "the policy area"
    fig.suptitle(f"Cocaine pushed out of {where}, and where it went", fontsize=14, x=0.01, ha="left",
                 fontweight="bold")
    note = displacement_note((run.summary.get("displacement") if run is not None else None) or {}, where)
    ax.set_title("Cocaine moved through each country and its waters, with the policy minus without it "
                 "(tonnes × km travelled)" + (f"\n{note}" if note else ""), fontsize=9.5, loc="left", color=MUTED)
    footer(fig, footer_line or "")
    save(fig, out, formats, dpi)
    return fig
