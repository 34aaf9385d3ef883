"""Posterior draws of a calibration folder, applied to scenarios, and how much spread is whose.

`corridor compare --posterior DIR [--draws N]` runs every scenario at N posterior draws (the
calibration's distinct non-implausible points, picked evenly in point order) x the usual
paired seeds. The spread of an outcome then splits exactly (law of total variance) into the
variance between draws' means (parameter uncertainty) and the mean variance between seeds
within a draw (seed noise).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from model.errors import InputError
from model.runs.folders import folder_kind


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


def spread_sentence(df: pd.DataFrame, outcome: str, label: str) -> str:
    lines = []
    for name in dict.fromkeys(df.scenario):
        s = spread(df[df.scenario == name], outcome)
        if s is None or s["total"] <= 0:
            continue
        lines.append(f"{name}: of the spread of {label} (sd {np.sqrt(s['total']):.2g}), "
                     f"{100 * s['parameter'] / s['total']:.0f}% comes from parameter uncertainty (between "
                     f"posterior draws) and {100 * s['seed'] / s['total']:.0f}% from seed noise (within a draw)")
    return "\n".join(lines)
