"""The runs of an experiment: design points, their replicates, and each run's identity and seed.

Every run is named and seeded by its identity (factor values + replicate), never by its
position in the design, so extending a design leaves earlier runs and their numbers
unchanged, and a crashed sweep resumes by running only the runs whose file is missing.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.errors import InputError, fmt_loc
from model.runs.seeds import design_seed, seed_of
from model.runs.sweep.experiment import DesignKind, Experiment, apply_values, canonical, dump, parse_path
from model.runs.sweep.guard import HARD_MAX_RUNS, check_size
from model.scenario import check_against_map, parse_scenario

RUN_ID_BYTES = 8                    # 64-bit run ids: collisions need ~4e9 runs


@dataclass
class RunSpec:
    """Everything a worker needs for one run; plain data so it pickles cheaply."""

    run_id: str
    replicate: int
    seed: int
    factors: dict[str, Any]
    scenario: dict
    scenario_path: str
    map_path: str
    counterfactual: bool
    outcomes: list[str]
    timeseries: list[str]


@dataclass
class DesignTable:
    rows: list[dict]                 # one per design row (design point x replicate)
    runs: list[RunSpec]              # unique runs in design order
    sample_columns: list[str] = field(default_factory=list)


def run_identity(factors: dict[str, Any], replicate: int) -> str:
    """Canonical text of what makes a run itself: sorted factor name=value pairs + replicate."""
    return canonical({"factors": sorted(factors.items()), "replicate": replicate})


def run_id_of(identity: str) -> str:
    return "r" + hashlib.blake2b(identity.encode(), digest_size=RUN_ID_BYTES).hexdigest()


def design_points(exp: Experiment) -> tuple[list[dict], np.ndarray | None]:
    """Factor values of each design point, and the raw SALib sample matrix if sampled."""
    d = exp.spec.design
    if d.kind == DesignKind.GRID:
        grids = [f.grid_values() for f in exp.factors]
        return [dict(zip([f.name for f in exp.factors], combo)) for combo in itertools.product(*grids)], None
    from SALib.sample import latin, morris, sobol

    problem = exp.salib_problem()
    seed = design_seed(exp.spec.experiment.root_seed)
    if d.kind == DesignKind.LATIN_HYPERCUBE:
        X = latin.sample(problem, d.samples, seed=seed)
    elif d.kind == DesignKind.SOBOL:
        X = sobol.sample(problem, d.samples, calc_second_order=d.second_order, seed=seed)
    else:
        X = morris.sample(problem, d.samples, num_levels=d.levels, seed=seed)
    points = [{f.name: f.from_sample(x) for f, x in zip(exp.factors, row)} for row in X]
    return points, X


def build_design(exp: Experiment) -> DesignTable:
    """All runs of the experiment; every run's scenario is validated here, before anything runs."""
    from model.world.geography import load_map

    check_size(exp, HARD_MAX_RUNS)      # never build what cannot be held in memory, whoever calls
    points, X = design_points(exp)
    reps = exp.spec.experiment.replications
    root = exp.spec.experiment.root_seed
    rows, runs, seen = [], [], {}
    checked: dict[str, Any] = {}
    maps: dict[float, Any] = {}
    sample_cols = [f"sample_{f.name}" for f in exp.factors] if X is not None else []
    for i, point in enumerate(points):
        key = canonical(sorted(point.items()))
        if key not in checked:
            checked[key] = _scenario_for(exp, point, maps, load_map)
        for r in range(reps):
            ident = run_identity(point, r)
            rid = run_id_of(ident)
            row = {"design_row": len(rows), "sample": i, "replicate": r, "run_id": rid,
                   "seed": seed_of(root, ident), **point}
            if X is not None:
                row.update(zip(sample_cols, map(float, X[i])))
            rows.append(row)
            if rid not in seen:
                seen[rid] = RunSpec(rid, r, row["seed"], point, checked[key], str(exp.scenario_path),
                                    str(exp.map_path), exp.spec.experiment.counterfactual, exp.outcomes,
                                    exp.timeseries)
                runs.append(seen[rid])
    return DesignTable(rows, runs, sample_cols)


def _scenario_for(exp: Experiment, point: dict, maps: dict, load_map) -> dict:
    """The base scenario with the point's factor values, re-validated with the scenario's bounds."""
    assignments = [(p, point[f.name]) for f in exp.factors for p in f.paths]
    data = apply_values(exp.base, assignments)
    try:
        sc = parse_scenario(data, exp.scenario_path)
        mz = sc.routing.maritime_zone_km
        if mz not in maps:
            maps[mz] = load_map(exp.map_path, maritime_zone_km=mz)
        check_against_map(sc, maps[mz], exp.scenario_path)
    except InputError as exc:
        culprits = [f"{f.name} = {point[f.name]!r}" for f in exp.factors
                    if any(exc.field and exc.field.startswith(fmt_loc(tuple(parse_path(p)))) for p in f.paths)]
        who = ", ".join(culprits) or ", ".join(f"{k} = {v!r}" for k, v in point.items())
        raise InputError(exp.path, exc.field,
                         f"{exc.message} (set by {who}; the scenario's bounds apply to factor values)") from None
    return dump(sc)
