"""A run's result folder: its files, written as one folder swap, and their provenance.

Provenance (versions, git commit, input hashes, command line) is shared with sweep folders.
"""

from __future__ import annotations

import hashlib
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from model import __version__
from model.runs.folders import mark, replace_folder


def windowed(cells: np.ndarray, size: int, window: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sum monthly cell arrays into blocks of `size` months (the first and last may be shorter).

    Block edges fall on the evaluation window's start and end, so the blocks inside the
    window sum exactly its months (`model.outputs.run_data.window_cells`). Returns the blocks and their
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
    """The provenance hash of an input file (scenario, map, experiment)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_results(result: dict, cmap, out_dir: Path, scenario_path: Path, argv: list[str],
                  wall_s: float, charts: bool = True, tables: dict | None = None,
                  provenance: dict | None = None) -> Path:
    """Write everything to a hidden temporary folder, then move it into place in one rename.

    `out_dir` may be new, empty or an earlier run folder; anything else is refused untouched.
    `tables` (file stem -> DataFrame) are written beside the results as Parquet (`run --posterior`
    writes posterior.parquet) and `provenance` is added to the manifest.
    """
    out_dir = Path(out_dir)
    with replace_folder(out_dir, "run") as tmp:
        main = result["main"]
        cf = result["counterfactual"]
        sc = main.scenario
        main.timeseries.to_parquet(tmp / "timeseries.parquet", index=False)
        if cf is not None:
            cf.timeseries.to_parquet(tmp / "counterfactual_timeseries.parquet", index=False)
        for name, res in (("loads", main), ("counterfactual_loads", cf)):
            if res is not None and res.loads is not None:
                res.loads.to_parquet(tmp / f"{name}.parquet", index=False)
        for name, res in (("journeys", main), ("counterfactual_journeys", cf)):
            if res is not None and res.journeys is not None:
                res.journeys.to_parquet(tmp / f"{name}.parquet", index=False)
        size = sc.output.window
        window = (result["summary"]["window"]["start"], result["summary"]["window"]["end"])
        arrays = {}
        for label, res in (("scenario", main), ("counterfactual", cf)):
            if res is None:
                continue
            for k, v in res.cells.items():
                arrays[f"{label}_{k}"], edges = windowed(v, size, window)
        if main.forest is not None:                  # the forest proxy the losses are taken from
            arrays["forest_at_start"] = main.forest
        np.savez_compressed(tmp / "cells.npz", window_edges=edges, west=cmap.west, south=cmap.south,
                            resolution=cmap.res, land=cmap.land, **arrays)
        summary = dict(result["summary"])
        summary = {"scenario": sc.scenario.name, "seed": main.seed, "steps": main.steps, **summary}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=json_default) + "\n")
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
            **(provenance or {}),
        }, "run")
        for stem, table in (tables or {}).items():
            table.to_parquet(tmp / f"{stem}.parquet", index=False)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if charts:
            from model.outputs.run_charts import draw_run_charts   # charts live outside the simulation core
            draw_run_charts(tmp, cmap)
    return out_dir


def json_default(o):
    """numpy scalars and paths in summaries and manifests, as JSON values."""
    if isinstance(o, (np.integer, np.floating, np.bool_)):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(type(o))


def command_line() -> list[str]:
    return [Path(sys.argv[0]).name] + sys.argv[1:]
