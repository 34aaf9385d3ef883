"""Reading one saved run folder into what the charts need (charts never read a live model)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.errors import InputError
from model.outputs.style import footer_text


@dataclass
class RunData:
    """What the charts need from one saved run."""

    folder: Path
    summary: dict
    manifest: dict
    ts: pd.DataFrame
    cf_ts: pd.DataFrame | None
    cells: dict[str, np.ndarray]
    cmap: object
    people_per_agent: float | None = None

    @property
    def has_cf(self) -> bool:
        return self.cf_ts is not None and "counterfactual_cocaine_flow" in self.cells

    @property
    def window(self) -> tuple[int, int]:
        w = self.summary["window"]
        return int(w["start"]), int(w["end"])

    @property
    def targeted(self) -> list[str]:
        return list(self.summary.get("displacement", {}).get("targeted", []))

    def month(self, step: int) -> str:
        m = self.ts.loc[self.ts.step == step, "month"]
        return str(m.iloc[0]) if len(m) else f"month {step}"

    def footer(self) -> str:
        extra = "compared with the same seed without the policy" if self.has_cf else ""
        return footer_text(self.summary["scenario"], self.summary["seed"], self.summary.get("steps"), extra)


def is_run_folder(folder: Path) -> bool:
    folder = Path(folder)
    return all((folder / f).is_file() for f in ("summary.json", "timeseries.parquet", "cells.npz"))


def load_run(folder: Path | str, cmap=None) -> RunData:
    """Read a run folder; the map is reloaded from the manifest unless given."""
    folder = Path(folder)
    if not is_run_folder(folder):
        raise InputError(folder, None, "not a run result folder (needs summary.json, timeseries.parquet "
                         "and cells.npz, as written by `corridor run`)")
    summary = json.loads((folder / "summary.json").read_text())
    mpath = folder / "manifest.json"
    manifest = json.loads(mpath.read_text()) if mpath.is_file() else {}
    ts = pd.read_parquet(folder / "timeseries.parquet")
    cf_path = folder / "counterfactual_timeseries.parquet"
    cf_ts = pd.read_parquet(cf_path) if cf_path.is_file() else None
    with np.load(folder / "cells.npz") as z:
        cells = {k: z[k] for k in z.files}
    people = None
    if cmap is None:
        cmap, people = _reload_map(folder, manifest)
    return RunData(folder, summary, manifest, ts, cf_ts, cells, cmap, people)


def _reload_map(folder: Path, manifest: dict):
    """The run's map: through its scenario (right maritime zones) if found, else the map file."""
    from model.world.geography import load_map
    from model.scenario import load_scenario

    for key in ("scenario_file",):
        p = manifest.get(key)
        if p and Path(p).is_file():
            try:
                sc, cmap = load_scenario(p)
                return cmap, sc.migrants.people_per_agent
            except InputError:
                pass
    p = manifest.get("map_file")
    if not p:
        raise InputError(folder / "manifest.json", "map_file", "missing; cannot redraw the maps")
    if not Path(p).is_file():
        raise InputError(folder / "manifest.json", "map_file", f"'{p}' not found; run from the project folder "
                         "or restore the map file")
    return load_map(p), None


def window_cells(run: RunData, name: str, which: str = "scenario") -> tuple[np.ndarray, tuple[int, int]]:
    """Sum of a per-cell array over the evaluation window, and the months it sums.

    Result folders store blocks whose edges fall on the window, so this is exactly the
    window; folders from older versions may not, and then the blocks overlapping it are
    summed and the months returned say so.
    """
    edges = [int(e) for e in run.cells["window_edges"]]
    a, b = run.window
    if a in edges and b in edges:
        sel = [i for i in range(len(edges) - 1) if edges[i] >= a and edges[i + 1] <= b]
    else:
        sel = [i for i in range(len(edges) - 1) if edges[i + 1] > a and edges[i] < b]
    arr = run.cells[f"{which}_{name}"][sel].sum(axis=0)
    return arr, (int(edges[sel[0]]), int(edges[sel[-1] + 1]))
