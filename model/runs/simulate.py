"""Run a scenario (and its counterfactual) and write a self-describing result folder."""

from __future__ import annotations

import hashlib
import json
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model import __version__
from model.corridor import CorridorModel, month_label
from model.metrics import displacement, people_per_agent, summarize
from model.runs.folders import mark, replace_folder
from model.scenario import Scenario, check_steps


@dataclass
class RunResult:
    scenario: Scenario
    seed: int
    steps: int
    timeseries: pd.DataFrame
    cells: dict[str, np.ndarray]


def simulate(scenario: Scenario, cmap, seed: int, steps: int | None = None, progress=None) -> RunResult:
    """Run one model for `steps` months; `progress` is called once per month if given."""
    steps = scenario.scenario.steps if steps is None else check_steps(steps)
    model = CorridorModel(scenario, cmap, seed=seed)
    for _ in range(steps):
        model.step()
        if progress:
            progress()
    ts = model.recorder.timeseries()
    ts.insert(1, "month", [month_label(scenario, s) for s in ts.step])
    return RunResult(scenario, seed, steps, ts, model.recorder.cells())


def evaluation_window(scenario: Scenario, steps: int) -> tuple[int, int]:
    """Months over which flows are compared: from the first intervention to the end."""
    starts = [p.start for p in scenario.policy if p.start < steps]
    return (min(starts), steps) if starts else (0, steps)


def policy_outside_run(scenario: Scenario, steps: int) -> str | None:
    """Why a comparison with the counterfactual would show less than the policy: rows that
    start at or after the last month run, named with their start months; None if every row
    comes into force. Shared by run, compare and brief so they all say the same."""
    late = [(i, p) for i, p in enumerate(scenario.policy) if p.start >= steps]
    if not late:
        return None
    rows = ", ".join(f"policy[{i}] ({p.lever}) starts at month {p.start}" for i, p in late)
    if len(late) == len(scenario.policy):
        return (f"policy not in force within the run: {rows}, but the run has {steps} months "
                f"(0-{steps - 1}); nothing to compare: use --steps {min(p.start for _, p in late) + 1} or more")
    return f"{rows}, after the {steps} months run: those rows are not applied"


def policy_in_force(scenario: Scenario, steps: int) -> bool:
    """At least one policy row applies within the run (False also when there is no policy)."""
    return any(p.start < steps for p in scenario.policy)


def targeted_mask(scenario: Scenario, cmap) -> np.ndarray:
    mask = np.zeros(cmap.shape, bool)
    for p in scenario.policy:
        if p.lever == "us_demand":
            continue
        for t in p.target:
            mask |= cmap.mask(t)
    return mask


def run_pair(scenario: Scenario, cmap, seed: int, steps: int | None = None,
             counterfactual: bool = True, progress=None) -> dict:
    """The scenario and, if it has a policy, the same seed without it; plus the summary."""
    steps = scenario.scenario.steps if steps is None else steps
    window = evaluation_window(scenario, steps)
    main = simulate(scenario, cmap, seed, steps, progress)
    people = people_per_agent(scenario)
    summary = summarize(main.timeseries, main.cells, window, people)
    out = {"main": main, "summary": summary, "counterfactual": None}
    if counterfactual and scenario.policy:
        cf = simulate(scenario.without_policy(), cmap, seed, steps, progress)
        cf_summary = summarize(cf.timeseries, cf.cells, window, people)
        summary["counterfactual"] = cf_summary
        summary["displacement"] = displacement(main.cells, cf.cells, targeted_mask(scenario, cmap),
                                               window, summary, cf_summary, cmap.country, cmap.country_codes)
        summary["displacement"]["targeted"] = sorted({t for p in scenario.policy for t in p.target})
        out["counterfactual"] = cf
    return out


def windowed(cells: np.ndarray, size: int, window: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sum monthly cell arrays into blocks of `size` months (the first and last may be shorter).

    Block edges fall on the evaluation window's start and end, so the blocks inside the
    window sum exactly its months (`charts.window_cells`). Returns the blocks and their
    edges in months.
    """
    n = cells.shape[0]
    a, b = window if window is not None else (0, n)
    edges = sorted({0, n, a, b} | set(range(a % size, n, size)))
    edges = [e for e in edges if 0 <= e <= n]
    return np.stack([cells[x:y].sum(axis=0) for x, y in zip(edges[:-1], edges[1:])]), np.array(edges)


def git_commit() -> str | None:
    here = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> dict:
    import mesa
    import pyarrow
    import scipy
    return {"corridor": __version__, "python": platform.python_version(), "mesa": mesa.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__, "pandas": pd.__version__,
            "pyarrow": pyarrow.__version__}


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_results(result: dict, cmap, out_dir: Path, scenario_path: Path, argv: list[str],
                  wall_s: float, charts: bool = True) -> Path:
    """Write everything to a hidden temporary folder, then move it into place in one rename.

    `out_dir` may be new, empty or an earlier run folder; anything else is refused untouched.
    """
    out_dir = Path(out_dir)
    with replace_folder(out_dir, "run") as tmp:
        main = result["main"]
        cf = result["counterfactual"]
        sc = main.scenario
        main.timeseries.to_parquet(tmp / "timeseries.parquet", index=False)
        if cf is not None:
            cf.timeseries.to_parquet(tmp / "counterfactual_timeseries.parquet", index=False)
        size = sc.output.window
        window = (result["summary"]["window"]["start"], result["summary"]["window"]["end"])
        arrays = {}
        for label, res in (("scenario", main), ("counterfactual", cf)):
            if res is None:
                continue
            for k, v in res.cells.items():
                arrays[f"{label}_{k}"], edges = windowed(v, size, window)
        np.savez_compressed(tmp / "cells.npz", window_edges=edges, west=cmap.west, south=cmap.south,
                            resolution=cmap.res, land=cmap.land, **arrays)
        summary = dict(result["summary"])
        summary = {"scenario": sc.scenario.name, "seed": main.seed, "steps": main.steps, **summary}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=_json_default) + "\n")
        manifest = mark({
            "scenario": sc.scenario.name,
            "scenario_file": str(scenario_path),
            "scenario_sha256": file_sha256(scenario_path),
            "map_file": str(cmap.path),
            "map_sha256": file_sha256(cmap.path),
            "seed": main.seed,
            "steps": main.steps,
            "counterfactual": cf is not None,
            "versions": versions(),
            "git_commit": git_commit(),
            "command": argv,
            "wall_seconds": round(wall_s, 3),
            "peak_memory_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "platform": platform.platform(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }, "run")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if charts:
            from model.outputs.run_charts import draw_run_charts   # charts live outside the simulation core
            draw_run_charts(tmp, cmap)
    return out_dir


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    raise TypeError(type(o))


def command_line() -> list[str]:
    return [Path(sys.argv[0]).name] + sys.argv[1:]
