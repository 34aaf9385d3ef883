"""Posterior draws of a calibration folder, applied to scenarios, and how much spread is whose.

`corridor compare|brief --posterior DIR [--draws N]` run every scenario at N posterior draws
(the calibration's distinct non-implausible points, picked evenly in point order) x the usual
paired seeds. The spread of an outcome then splits exactly (law of total variance) into the
variance between draws' means (parameter uncertainty) and the mean variance between seeds
within a draw (seed noise). `corridor run --posterior` runs each draw on the run's one seed
(`run_draws`): its spread is parameter uncertainty seen through one seed's noise, not split.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from model.errors import InputError
from model.runs.folders import folder_kind


def check_draws_flag(posterior, draws) -> None:
    """`--draws` means nothing without `--posterior`: bad input (exit 2), before any run."""
    if draws is not None and posterior is None:
        raise InputError(None, "--draws", "goes with --posterior DIR (the result folder of `corridor calibrate`)")


def provenance(folder: Path | None, points: pd.DataFrame | None) -> dict:
    """What a manifest records of the posterior a command ran over (None, None without one)."""
    return {"posterior": None if folder is None else str(folder),
            "draws": None if points is None else len(points)}


def draw_values(params: list[dict], draw) -> dict:
    """One draw's row: its number, the calibration's point and the parameter values."""
    return {"draw": int(draw["draw"]), "point": int(draw["point"]),
            **{p["name"]: float(draw[p["name"]]) for p in params}}


def load_draws(folder: Path, draws: int | None = None) -> tuple[list[dict], pd.DataFrame]:
    """The calibration's parameters ({name, path, ...}) and one row per chosen draw (parameter values)."""
    folder = Path(folder)
    if folder_kind(folder) != "calibration":
        raise InputError(folder, "--posterior", "is not a result folder of `corridor calibrate`")
    manifest = json.loads((folder / "manifest.json").read_text())
    if manifest.get("status") != "complete" or not (folder / "posterior.parquet").is_file():
        raise InputError(folder, "--posterior", f"the calibration is not complete (status "
                         f"{manifest.get('status')}); finish it with `corridor calibrate ... --resume`")
    params = manifest["parameters"]
    names = [p["name"] for p in params]
    post = pd.read_parquet(folder / "posterior.parquet")
    points = post.drop_duplicates("point").sort_values("point")[["point", *names]].reset_index(drop=True)
    if points.empty:
        raise InputError(folder, "--posterior", "the posterior is empty: no parameter point matched the record")
    if draws is not None and draws < len(points):
        idx = np.unique(np.linspace(0, len(points) - 1, draws).round().astype(int))
        points = points.iloc[idx].reset_index(drop=True)
    points.insert(0, "draw", range(len(points)))
    return params, points


def apply_draw(scenario, params: list[dict], values: dict, path: Path):
    """The scenario with one draw's parameter values, validated again."""
    from model.runs.sweep.experiment import dump, set_path
    from model.scenario import parse_scenario

    data = dump(scenario)
    for p in params:
        for dotted in ([p["path"]] if isinstance(p["path"], str) else p["path"]):
            try:
                v = values[p["name"]]
                set_path(data, dotted, int(round(v)) if p.get("integer") else float(v))
            except ValueError as exc:
                raise InputError(path, dotted, f"cannot take posterior parameter '{p['name']}': {exc}") from None
    return parse_scenario(data, path)


def at_draws(scenario, posterior: tuple, path: Path) -> list[tuple]:
    """(draw row, scenario at that draw) for every draw: all of them validated before any run."""
    params, points = posterior
    return [(draw, apply_draw(scenario, params, draw, path)) for _, draw in points.iterrows()]


def spread(df: pd.DataFrame, outcome: str) -> dict | None:
    """Total variance of `outcome` over draws x seeds, and the parameter and seed parts."""
    g = df[["draw", outcome]].dropna()
    if g.empty or g["draw"].nunique() < 1:
        return None
    total = float(g[outcome].var(ddof=0))
    by = g.groupby("draw")[outcome]
    weights = by.size() / len(g)
    seed = float((by.var(ddof=0) * weights).sum())
    param = float(((by.mean() - g[outcome].mean()) ** 2 * weights).sum())
    return {"total": total, "parameter": param, "seed": seed}


def split_phrase(df: pd.DataFrame, outcome: str, label: str) -> str | None:
    """'of the spread of LABEL (sd 2.1), 70% comes from parameter uncertainty ... and 30% from seed noise ...'."""
    s = spread(df, outcome)
    if s is None or s["total"] <= 0:
        return None
    sd = float(np.sqrt(s["total"]))
    return (f"of the spread of {label} (sd {f'{sd:,.0f}' if sd >= 10 else f'{sd:.2g}'}), "
            f"{100 * s['parameter'] / s['total']:.0f}% comes from parameter uncertainty (between "
            f"posterior draws) and {100 * s['seed'] / s['total']:.0f}% from seed noise (within a draw)")


def spread_sentence(df: pd.DataFrame, outcome: str, label: str) -> str:
    lines = []
    for name in dict.fromkeys(df.scenario):
        phrase = split_phrase(df[df.scenario == name], outcome, label)
        if phrase is not None:
            lines.append(f"{name}: {phrase}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- corridor run

RUN_OUTCOMES = {      # column: (what `corridor run` prints, unit, format)
    "shipped_t": ("cocaine shipped, whole run", "t", "{:.1f}"),
    "delivered_t": ("cocaine delivered, whole run", "t", "{:.1f}"),
    "seized_t": ("cocaine seized, whole run", "t", "{:.1f}"),
    "in_transit_t": ("cocaine in transit at the end", "t", "{:.1f}"),
    "central_america_share_pct": ("Central America share of finished loads", "%", "{:.0f}"),
    "delivered_change_pct": ("cocaine delivered to the US vs no policy", "%", "{:+.1f}"),
    "delivered_change_t": ("cocaine delivered to the US vs no policy", "t", "{:+.1f}"),
    "targeted_flow_change_pct": ("cocaine moving through the targets vs no policy", "%", "{:+.0f}"),
    "displacement_ratio": ("displacement ratio", "", "{:.2f}"),
    "central_america_share_change_pts": ("Central America share vs no policy", "points", "{:+.0f}"),
}


def run_outcomes(summary: dict) -> dict:
    """The headline numbers `corridor run` prints, from one run's summary."""
    c = summary["cocaine"]
    row = {"shipped_t": c["shipped"], "delivered_t": c["delivered"], "seized_t": c["seized"],
           "in_transit_t": c["in_transit"], "central_america_share_pct": 100 * summary["central_america_share"]}
    d = summary.get("displacement")
    if d is not None:
        nan = float("nan")
        row.update({"delivered_change_pct": nan if d["delivered_change_pct"] is None else d["delivered_change_pct"],
                    "delivered_change_t": d["delivered_change"],
                    "targeted_flow_change_pct": nan if d["targeted_flow_change_pct"] is None
                    else d["targeted_flow_change_pct"],
                    "displacement_ratio": nan if d["ratio"] is None else d["ratio"],
                    "central_america_share_change_pts": 100 * d["central_america_share_change"]})
    return {k: float(v) for k, v in row.items()}


def run_draws(sc, cmap, path: Path, posterior: tuple, seed: int, steps: int, counterfactual: bool,
              progress=None) -> pd.DataFrame:
    """One row per posterior draw: the draw, its parameter values and `run_outcomes`, each on `seed`."""
    from model.runs.simulate import run_pair

    rows = []
    for draw, at in at_draws(sc, posterior, path):
        s = run_pair(at, cmap, seed, steps, counterfactual=counterfactual)["summary"]
        rows.append({**draw_values(posterior[0], draw), "seed": seed, **run_outcomes(s)})
        if progress:
            progress()
    return pd.DataFrame(rows)


def range_lines(df: pd.DataFrame) -> list[str]:
    """'cocaine delivered, whole run: 80.1 t [71.0, 90.2]' per outcome: median [min, max] over the draws."""
    out = []
    for col, (label, unit, fmt) in RUN_OUTCOMES.items():
        if col not in df:
            continue
        v = df[col].dropna()
        if v.empty:
            out.append(f"{label}: n/a")
            continue
        u = f" {unit}" if unit and unit != "%" else unit
        out.append(f"{label}: {fmt.format(v.median())}{u} [{fmt.format(v.min())}, {fmt.format(v.max())}]")
    return out


def best_draw(folder: Path) -> pd.Series:
    """The posterior point of least implausibility (the calibration's own measure, on its
    simulated runs): the values the shipped scenarios take. The point nearest the marginal
    medians, the rule before, could miss several targets at once (MODEL.md §7.20)."""
    points = load_draws(folder)[1]            # checks the folder first: one clear message if it is not one
    fit = pd.read_parquet(Path(folder) / "posterior.parquet").groupby("point")["implausibility"].max()
    best = int(fit.idxmin())                  # groupby sorts by point: ties go to the first
    return points.loc[points["point"] == best].iloc[0]
