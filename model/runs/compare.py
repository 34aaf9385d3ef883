"""Scenarios side by side, each against its counterfactual, paired seeds.

Every scenario in the library extends the baseline and adds a policy schedule, so its
counterfactual (the same file without the policy) is the baseline world. Each replication
runs the scenario and its counterfactual with the same seed; seeds are spawned from one
root seed, so scenario A's replication k and scenario B's replication k share a seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from model.errors import InputError
from model.runs.seeds import replication_seeds

OUTCOMES = {
    "delivered_change_pct": "delivered to the US in the window (% of the same months without the policy)",
    "seized_change_pct": "seized in the window (% of the same months without the policy)",
    "route_entropy_change": "route spread (nats, vs no policy)",
    "active_cells_change": "active cells (vs no policy)",
    "displacement_ratio": "displacement ratio",
    "central_america_share_change": "Central America share (points)",
    "violence_change_pct": "violence (% vs no policy)",
    "violence_moved": "violence gained outside targets (events)",
    "trafficked": "migrants trafficked (people)",
    "trafficked_change": "trafficked (people, vs no policy)",
    "rescued": "migrants rescued (people)",
}


def _nan(v: float | None) -> float:
    return float("nan") if v is None else v


def _pct(a: float, b: float) -> float:
    return 100.0 * (a - b) / b if b else float("nan")


def outcomes(summary: dict, targeted: list[str]) -> dict:
    """One comparison row from a run_pair summary (scenario vs its counterfactual)."""
    from model.metrics import window_change   # the model's modules load only when something runs

    cf = summary.get("counterfactual") or summary
    d = summary.get("displacement", {})
    v_sc, v_cf = summary["violence"], cf["violence"]
    moved = sum(max(v_sc.get(c, 0.0) - v_cf.get(c, 0.0), 0.0) for c in v_sc if c not in targeted)
    return {
        "delivered_change_pct": _nan(window_change(summary, cf, "delivered")[1]),
        "seized_change_pct": _nan(window_change(summary, cf, "seized")[1]),
        "route_entropy_change": summary["route_entropy"] - cf["route_entropy"],
        "active_cells_change": summary["active_cells"] - cf["active_cells"],
        "displacement_ratio": d.get("ratio") if d.get("ratio") is not None else float("nan"),
        "central_america_share_change": 100.0 * (summary["central_america_share"] - cf["central_america_share"]),
        "violence_change_pct": _pct(sum(v_sc.values()), sum(v_cf.values())),
        "violence_moved": moved,
        "trafficked": summary["migrants"]["trafficked"],
        "trafficked_change": summary["migrants"]["trafficked"] - cf["migrants"]["trafficked"],
        "rescued": summary["migrants"]["rescued"],
    }


def comparable(loaded: list[tuple], steps: int | None) -> list[tuple]:
    """The (path, scenario, map) entries whose policy comes into force within the run.

    The others are skipped with a one-line warning each (`corridor compare scenarios/*.toml`
    includes the baseline); if none is left, that is bad input. Shared by compare and brief.
    """
    from model.errors import warn
    from model.runs.simulate import policy_in_force, policy_outside_run

    keep, skipped = [], []
    for entry in loaded:
        p, sc = entry[0], entry[1]
        n = steps or sc.scenario.steps
        late = policy_outside_run(sc, n)
        if not sc.policy:
            skipped.append((p, "has no policy schedule ([[policy]] rows), so there is nothing to compare "
                               "with its counterfactual"))
        elif not policy_in_force(sc, n):
            skipped.append((p, late))
        else:
            if late:
                warn(p, "policy", late)
            keep.append(entry)
    if not keep:
        if len(skipped) == 1:
            raise InputError(skipped[0][0], "policy", skipped[0][1])
        raise InputError(None, "policy", f"none of the {len(skipped)} scenarios has a policy in force within the "
                         f"run ({', '.join(str(p) for p, _ in skipped)}): nothing to compare")
    for p, why in skipped:
        warn(p, "policy", f"skipped: {why}")
    return keep


def compare(paths: list[Path], replications: int, root_seed: int | None = None,
            steps: int | None = None, progress=None, posterior: tuple | None = None) -> pd.DataFrame:
    """One row per scenario and replication (and posterior draw, when `posterior` is
    (parameters, draws) from model.runs.posterior.load_draws)."""
    from model.policy import targeted_codes
    from model.runs.posterior import at_draws, draw_values
    from model.runs.simulate import run_pair
    from model.scenario import check_steps, load_scenario

    check_steps(steps)
    loaded = [(p, *load_scenario(p)) for p in paths]      # validate every file before running
    root = loaded[0][1].scenario.seed if root_seed is None else root_seed
    seeds = replication_seeds(root, replications)
    kept = comparable(loaded, steps)
    # every scenario at every draw, all validated before the first run
    drawn = [[(None, sc)] if posterior is None else at_draws(sc, posterior, p) for p, sc, _ in kept]
    rows = []
    for (p, sc0, cmap), scenarios in zip(kept, drawn):
        targeted = targeted_codes(sc0)
        for draw, sc in scenarios:
            extra = {} if draw is None else draw_values(posterior[0], draw)
            for k, seed in enumerate(seeds):
                s = run_pair(sc, cmap, seed, steps)["summary"]
                rows.append({"scenario": sc.scenario.name, "file": str(p), **extra, "replicate": k, "seed": seed,
                             **outcomes(s, targeted)})
                if progress:
                    progress()
    return pd.DataFrame(rows)


def table(df: pd.DataFrame) -> pd.DataFrame:
    """Mean and range across seeds, per scenario, in the order given."""
    order = list(dict.fromkeys(df.scenario))
    out = []
    for name in order:
        g = df[df.scenario == name]
        row = {"scenario": name, "runs": len(g)}
        for k in OUTCOMES:
            vals = g[k].astype(float)
            row[k] = vals.mean()
            row[f"{k}_min"] = vals.min()
            row[f"{k}_max"] = vals.max()
        out.append(row)
    return pd.DataFrame(out)


def format_table(t: pd.DataFrame) -> str:
    cols = ["delivered_change_pct", "seized_change_pct", "route_entropy_change", "displacement_ratio",
            "central_america_share_change", "violence_moved", "trafficked", "rescued"]
    heads = ["delivered %", "seized %", "spread", "displ. ratio", "CA share pts", "violence moved",
             "trafficked (people)", "rescued (people)"]
    width = max(len(s) for s in t.scenario) + 2
    lines = ["scenario".ljust(width) + "".join(h.rjust(24) for h in heads)]
    for _, r in t.iterrows():
        cells = []
        for c in cols:
            m, lo, hi = r[c], r[f"{c}_min"], r[f"{c}_max"]
            if np.isnan(m):
                cells.append("n/a".rjust(24))
            else:
                cells.append(f"{m:+.1f} [{lo:+.1f}, {hi:+.1f}]".rjust(24) if c not in ("trafficked", "rescued")
                             else f"{m:.0f} [{lo:.0f}, {hi:.0f}]".rjust(24))
        lines.append(r.scenario.ljust(width) + "".join(cells))
    return "\n".join(lines)
