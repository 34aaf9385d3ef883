"""One wave of history matching: its seeded design, its runs (sweep RunSpecs), its results table.

Wave 1 is a Latin hypercube over the priors; wave k > 1 takes, in order, the points of a
large seeded Latin hypercube of candidates that every earlier wave's emulators judge
non-implausible. Every design is fixed by the root seed and the earlier waves' results,
so a wave is bit-reproducible on any backend, and resuming recomputes it exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from model.errors import InputError, fmt_loc
from model.runs.calibrate.emulate import implausibility
from model.runs.calibrate.spec import Calibration
from model.runs.observe import ObservableError, observe
from model.runs.seeds import seed_of
from model.runs.sweep.design import RunSpec, run_id_of, run_identity
from model.runs.sweep.experiment import apply_values, canonical, dump, parse_path
from model.runs.sweep.store import RUN_METADATA_KEY, RUNS
from model.scenario import parse_scenario

CANDIDATE_BATCHES = 5        # candidate hypercubes screened at most for one wave's design


def stream_seed(cal: Calibration, *what) -> int:
    """A 32-bit seed for one named use (design of wave k, candidates, emulator fit), from the root seed."""
    return seed_of(cal.meta.root_seed, canonical({"calibration": list(what)})) & 0xFFFFFFFF


def lhs(cal: Calibration, n: int, *what) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=len(cal.parameters), seed=np.random.default_rng(stream_seed(cal, *what))).random(n)


def to_values(cal: Calibration, u: np.ndarray) -> np.ndarray:
    lo = np.array([p.low for p in cal.parameters])
    hi = np.array([p.high for p in cal.parameters])
    return lo + u * (hi - lo)


def to_unit(cal: Calibration, x: np.ndarray) -> np.ndarray:
    lo = np.array([p.low for p in cal.parameters])
    hi = np.array([p.high for p in cal.parameters])
    return (x - lo) / (hi - lo)


def wave_design(cal: Calibration, wave: int, emulators: list[list]) -> tuple[np.ndarray, dict]:
    """Unit-cube points of wave `wave` (1-based) and how they were found."""
    n = cal.points_per_wave
    if wave == 1:
        return lhs(cal, n, "design", 1), {"candidates": 0, "non_implausible_candidates": None}
    kept, screened, passed = [], 0, 0
    for batch in range(CANDIDATE_BATCHES):
        cand = lhs(cal, cal.meta.candidates, "candidates", wave, batch)
        ok = np.ones(len(cand), bool)
        for ems in emulators:                       # every earlier wave's constraint still holds
            ok &= implausibility(ems, cand, cal.meta.measure) <= cal.meta.cutoff
        screened += len(cand)
        passed += int(ok.sum())
        kept.extend(cand[ok][: n - len(kept)])
        if len(kept) >= n:
            break
    return np.array(kept).reshape(-1, len(cal.parameters)), \
        {"candidates": screened, "non_implausible_candidates": passed,
         "non_implausible_fraction_of_prior": passed / screened}


def scenario_at(cal: Calibration, values: dict) -> dict:
    """The base scenario with the parameters' values, validated with the scenario's bounds."""
    assignments = [(path, values[p.name]) for p in cal.parameters for path in p.paths]
    try:
        return dump(parse_scenario(apply_values(cal.base, assignments), cal.scenario_path))
    except InputError as exc:
        culprits = [f"{p.name} = {values[p.name]!r}" for p in cal.parameters
                    if any(exc.field and exc.field.startswith(fmt_loc(tuple(parse_path(q)))) for q in p.paths)]
        raise InputError(cal.path, "parameter", f"{', '.join(culprits) or 'the parameters'} make the scenario "
                         f"invalid: field '{exc.field}': {exc.message} (keep low/high within the scenario's "
                         "bounds)") from None


def check_corners(cal: Calibration) -> None:
    """The all-low and all-high points must make valid scenarios, before anything runs."""
    for side in ("low", "high"):
        scenario_at(cal, {p.name: p.value(getattr(p, side)) for p in cal.parameters})


def run_specs(cal: Calibration, u: np.ndarray) -> tuple[list[RunSpec], pd.DataFrame]:
    """Runs of a design (points x seeds_per_point), named and seeded by their identity."""
    x = to_values(cal, u)
    names = [p.name for p in cal.parameters]
    specs, rows = [], []
    for i, xi in enumerate(x):
        values = {p.name: p.value(v) for p, v in zip(cal.parameters, xi)}
        scenario = scenario_at(cal, values)
        for r in range(cal.meta.seeds_per_point):
            ident = run_identity(values, r)
            rid = run_id_of(ident)
            seed = seed_of(cal.meta.root_seed, ident)
            specs.append(RunSpec(rid, r, seed, values, scenario, str(cal.scenario_path), str(cal.map_path),
                                 False, [], list(cal.timeseries)))
            rows.append({"point": i, "replicate": r, "run_id": rid, "seed": seed, **values,
                         **{f"u_{n}": float(ui) for n, ui in zip(names, u[i])}})
    if len({s.run_id for s in specs}) < len(specs):
        raise InputError(cal.path, "parameter", "two design points coincide once integer parameters are rounded; "
                         "widen their ranges or run fewer points per wave")
    return specs, pd.DataFrame(rows)


def design_points(cal: Calibration, design: pd.DataFrame) -> np.ndarray:
    """A written design's unit-cube points, in point order, exactly as run_specs stored them."""
    first = design[design.replicate == 0].sort_values("point")
    return first[[f"u_{p.name}" for p in cal.parameters]].to_numpy(dtype=float)


def results_table(cal: Calibration, wave_dir: Path, design: pd.DataFrame) -> pd.DataFrame:
    """Each run's target observables from its run file (design order)."""
    out = []
    for row in design.itertuples(index=False):
        f = wave_dir / RUNS / f"{row.run_id}.parquet"
        table = pq.read_table(f)
        meta = json.loads(table.schema.metadata[RUN_METADATA_KEY])
        ts = table.to_pandas()
        rec = {"point": row.point, "replicate": row.replicate, "run_id": row.run_id, "seed": row.seed,
               **{p.name: getattr(row, p.name) for p in cal.parameters}, "wall_seconds": meta["wall_seconds"]}
        for t in cal.targets:
            try:
                rec[t.id] = observe(ts, t.quantity, t.place, t.start, t.end)
            except ObservableError as exc:
                raise InputError(f"{cal.record_path}:{t.line}", "quantity", f"target '{t.id}': {exc}") from None
        out.append(rec)
    return pd.DataFrame(out)


def per_point(cal: Calibration, results: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Unit-cube points and, per target, a points x seeds array of simulated values."""
    pts = results.sort_values(["point", "replicate"])
    k = cal.meta.seeds_per_point
    first = pts[pts.replicate == 0].sort_values("point")
    u = to_unit(cal, first[[p.name for p in cal.parameters]].to_numpy(float))
    return u, {t.id: pts[t.id].to_numpy(float).reshape(-1, k) for t in cal.targets}


def simulated_implausibility(cal: Calibration, runs: dict[str, np.ndarray], emulators: list) -> np.ndarray:
    """Per target and point: |z - mean over seeds| / sqrt(Var_obs + Var_seed + Var_discrepancy)."""
    cols = []
    for t, em in zip(cal.targets, emulators):
        y = runs[t.id].mean(axis=1)
        cols.append(np.abs(t.value - y) / np.sqrt(em.var_obs + em.var_seed + em.var_disc))
    return np.column_stack(cols)
