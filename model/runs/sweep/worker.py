"""What a worker process does: one run, from its plain-data spec to plain-data results.

Dask pickles `execute` by its module path, so it lives here, apart from the client-side
runner; a failed run comes back as data, never as an exception that stops the sweep.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import traceback
from typing import Any

import numpy as np

from model.runs.sweep.design import RunSpec
from model.runs.sweep.experiment import flatten
from model.scenario import parse_scenario


_MAPS: dict[tuple, Any] = {}
_MAPS_LOCK = threading.Lock()


def cached_map(map_path: str, maritime_zone_km: float):
    """One read-only map object per worker process, whatever its number of threads: the
    routing graph cache is keyed on it, so its runs share one graph."""
    from model.world.geography import load_map

    key = (map_path, maritime_zone_km)
    with _MAPS_LOCK:
        if key not in _MAPS:
            _MAPS[key] = load_map(map_path, maritime_zone_km=maritime_zone_km)
        return _MAPS[key]


def execute(spec: RunSpec) -> dict:
    """Run one design point on whatever process this lands on; failures come back as data."""
    from model import __version__
    from model.runs.simulate import run_pair

    t0 = time.perf_counter()
    where = f"{socket.gethostname()}:{os.getpid()}"
    try:
        sc = parse_scenario(spec.scenario, spec.scenario_path)
        cmap = cached_map(spec.map_path, sc.routing.maritime_zone_km)
        result = run_pair(sc, cmap, spec.seed, counterfactual=spec.counterfactual)
        flat = dict(flatten(result["summary"]))
        ts = result["main"].timeseries
        missing = [c for c in spec.timeseries if c not in ts.columns]
        if missing:
            raise KeyError(f"timeseries columns {missing} not produced by this model version")
        return {"run_id": spec.run_id, "ok": True, "worker": where, "corridor": __version__,
                "outcomes": {k: flat.get(k) for k in spec.outcomes},
                "steps": ts["step"].to_numpy(np.int32), "months": ts["month"].astype(str).tolist(),
                "columns": {c: ts[c].to_numpy(np.float64) for c in spec.timeseries},
                "wall_seconds": time.perf_counter() - t0}
    except Exception as exc:  # noqa: BLE001 - a run's failure is recorded, not fatal to the sweep
        return {"run_id": spec.run_id, "ok": False, "worker": where, "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(), "wall_seconds": time.perf_counter() - t0}


def preload() -> None:
    import model.corridor  # noqa: F401
    import model.runs.simulate  # noqa: F401


def warm(spec: RunSpec) -> None:
    """Load the map and build the routing graph once per worker, before the clock of the runs."""
    from model.corridor import routing_graph

    sc = parse_scenario(spec.scenario, spec.scenario_path)
    routing_graph(cached_map(spec.map_path, sc.routing.maritime_zone_km), sc)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
