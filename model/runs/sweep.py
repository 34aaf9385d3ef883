"""Policy sweeps: an experiment file, its design, a resumable runner on Dask, and compaction.

An experiment is data, like a scenario: a base scenario, the factors (policy *levers* and
*uncertainties*, in EMA Workbench's words) addressed by dotted paths into the scenario,
a design (full grid, Latin hypercube, Sobol/Saltelli or Morris samples from SALib),
replications, one root seed and the *outcomes* to keep.

Every run is named and seeded by its identity (factor values + replicate), never by its
position in the design, so extending a design leaves earlier runs and their numbers
unchanged, and a crashed sweep resumes by running only the runs whose file is missing.
The client writes each finished run to its own Parquet file (temporary name, then
rename); `compact` gathers them into `summary.parquet` and `timeseries.parquet`.
"""

from __future__ import annotations

import contextlib
import difflib
import fnmatch
import hashlib
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from model.errors import InputError
from model.runs.folders import check_target, default_out, folder_kind, remove_stale_in, write_file, write_json
from model.scenario import Slug, _fmt_loc, check_against_map, parse_scenario, read_scenario_dict
from model.runs.seeds import design_seed, seed_of
from model.runs.sweep_guard import (HARD_MAX_RUNS, SweepInterrupted, check_size, count_line, estimate_line, folder_lock,
                          measured_run_seconds, quiet_dask)

SEED_BITS = 63                      # seeds fit a signed 64-bit integer (Parquet int64, Mesa)
SEED_MASK = (1 << SEED_BITS) - 1
RUN_ID_BYTES = 8                    # 64-bit run ids: collisions need ~4e9 runs
DRY_RUN_STEPS = 1                   # months simulated to learn the outcome names a run produces
SCHEDULER_TIMEOUT_S = 15            # how long to wait for a --scheduler to answer
RESERVED_COLUMNS = ("run_id", "replicate", "seed", "design_row", "sample", "step", "month")
RUN_METADATA_KEY = b"corridor.run"  # Parquet schema metadata holding a run's identity and outcomes

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
RUNS = "runs"
FAILURES = "failures"
SUMMARY = "summary.parquet"
TIMESERIES = "timeseries.parquet"
DEFAULT_TIMESERIES = ["cocaine_shipped", "cocaine_delivered", "cocaine_seized",
                      "central_america_completed", "route_entropy", "active_cells"]


# --------------------------------------------------------------------------- schema

class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DesignKind(StrEnum):
    """How factor values are combined into runs."""

    GRID = "grid"                        # every combination of the listed values
    LATIN_HYPERCUBE = "latin_hypercube"  # `samples` points spread over the ranges
    SOBOL = "sobol"                      # Saltelli samples for Sobol indices: samples x (D + 2) points
    MORRIS = "morris"                    # `samples` one-at-a-time trajectories: samples x (D + 1) points


class ExperimentMeta(Strict):
    name: Slug = Field(min_length=1,
                      description="names the default result folder results/sweeps/<name>")
    description: str = ""
    scenario: str = Field(min_length=1, description="base scenario file, relative to the experiment file")
    root_seed: int = Field(ge=0, le=SEED_MASK, description="every run's seed derives from it and the run's identity")
    replications: int = Field(1, ge=1, le=100_000, description="runs per design point, each with its own seed")
    counterfactual: bool = Field(True, description="also run each scenario without its policy (displacement outcomes)")
    max_runs: int | None = Field(None, ge=1, description="largest design this experiment may run (default "
                                 "20,000 runs); --max-runs overrides it")


class Design(Strict):
    kind: DesignKind = DesignKind.GRID
    samples: int | None = Field(None, ge=1, le=1_000_000,
                                description="points (Latin hypercube), base samples N (Sobol) or trajectories (Morris)")
    second_order: bool = Field(False, description="Sobol only: also estimate second-order indices")
    levels: int = Field(4, ge=2, le=100, description="Morris only: grid levels of each factor")

    @model_validator(mode="after")
    def _check(self):
        if self.kind == DesignKind.GRID and self.samples is not None:
            raise ValueError("a grid takes no 'samples': list values (or levels) on each factor")
        if self.kind != DesignKind.GRID and self.samples is None:
            raise ValueError(f"design '{self.kind}' needs 'samples'")
        return self


class Factor(Strict):
    """One lever or uncertainty: the scenario field(s) it sets and the values it takes."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="column name in the results")
    path: str | list[str] = Field(description="dotted scenario path(s) set to the factor's value, e.g. policy[0].value")
    values: list[bool | int | float | str] | None = Field(None, min_length=1)
    low: float | None = None
    high: float | None = None
    levels: int | None = Field(None, ge=2, le=10_000, description="grid only: evenly spaced values from low to high")
    integer: bool = Field(False, description="round sampled values to whole numbers")
    unit: str = ""
    doc: str = ""

    @model_validator(mode="after")
    def _check(self):
        has_range = self.low is not None or self.high is not None
        if (self.values is None) == (not has_range):
            raise ValueError("give either 'values' or 'low' and 'high'")
        if has_range:
            if self.low is None or self.high is None:
                raise ValueError("a range needs both 'low' and 'high'")
            if not self.low < self.high:
                raise ValueError(f"'low' ({self.low}) must be below 'high' ({self.high})")
        elif self.levels is not None:
            raise ValueError("'levels' goes with 'low' and 'high', not with 'values'")
        if self.values is not None:
            kinds = {_value_kind(v) for v in self.values}
            if len(kinds) > 1:
                raise ValueError(f"values must all be numbers, all true/false or all text (got {self.values})")
            norm = [self.normalise(v) for v in self.values]
            if len(set(map(repr, norm))) != len(norm):
                raise ValueError(f"values repeat (got {self.values})")
        if isinstance(self.path, list) and not self.path:
            raise ValueError("'path' needs at least one scenario field")
        return self

    @property
    def paths(self) -> list[str]:
        return [self.path] if isinstance(self.path, str) else list(self.path)

    @property
    def categorical(self) -> bool:
        return self.values is not None and _value_kind(self.values[0]) != "number"

    @property
    def arrow_type(self) -> pa.DataType:
        if self.values is not None and _value_kind(self.values[0]) == "bool":
            return pa.bool_()
        if self.values is not None and _value_kind(self.values[0]) == "text":
            return pa.string()
        return pa.int64() if self.integer else pa.float64()

    def normalise(self, v):
        """One canonical Python value, so 1 and 1.0 name the same run."""
        if isinstance(v, (bool, str)):
            return v
        return int(round(float(v))) if self.integer else float(v)

    def grid_values(self) -> list:
        if self.values is not None:
            return [self.normalise(v) for v in self.values]
        return [self.normalise(v) for v in np.linspace(self.low, self.high, self.levels)]

    def salib_bounds(self) -> list[float]:
        """Sampling range: the numeric range, or [0, k) over the indices of k listed values."""
        if self.values is not None:
            return [0.0, float(len(self.values))]
        return [float(self.low), float(self.high)]

    def from_sample(self, u: float):
        if self.values is not None:
            return self.normalise(self.values[min(int(u), len(self.values) - 1)])
        return self.normalise(u)


def _value_kind(v) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, str):
        return "text"
    return "number"


class Outcomes(Strict):
    summary: list[str] = Field(min_length=1, description="summary fields by dotted name; * wildcards allowed")
    timeseries: list[str] = Field(default_factory=lambda: list(DEFAULT_TIMESERIES),
                                  description="monthly columns to keep; * wildcards allowed")


class ExperimentFile(Strict):
    experiment: ExperimentMeta
    design: Design = Design()
    constants: dict[str, Any] = Field(default_factory=dict,
                                      description="scenario path -> value, applied to every run before the factors")
    lever: list[Factor] = Field(default_factory=list)
    uncertainty: list[Factor] = Field(default_factory=list)
    outcomes: Outcomes

    @model_validator(mode="after")
    def _check(self):
        factors = self.lever + self.uncertainty
        if not factors:
            raise ValueError("an experiment needs at least one [[lever]] or [[uncertainty]]")
        names = [f.name for f in factors]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"factor names must be unique; repeated: {', '.join(dup)}")
        clash = sorted(set(names) & set(RESERVED_COLUMNS))
        if clash:
            raise ValueError(f"factor names {clash} are reserved result columns")
        if self.design.kind == DesignKind.GRID:
            for f in factors:
                if f.values is None and f.levels is None:
                    raise ValueError(f"factor '{f.name}': a grid needs 'values' or 'levels' with its range")
        elif any(f.levels is not None for f in factors):
            raise ValueError("'levels' on a factor applies only to grid designs")
        return self


# --------------------------------------------------------------------------- loading

@dataclass
class Experiment:
    """A validated experiment, ready to turn into runs."""

    path: Path
    spec: ExperimentFile
    sha256: str
    scenario_path: Path
    base: dict                       # base scenario with constants applied, as a full dict
    base_sha256: str                 # of the canonical base dict: catches edits to the scenario chain
    map_path: Path
    map_sha256: str
    factors: list[Factor]
    roles: dict[str, str]            # factor name -> "lever" | "uncertainty"
    outcomes: list[str]
    timeseries: list[str]

    @property
    def name(self) -> str:
        return self.spec.experiment.name

    @property
    def key(self) -> str:
        """Short tag of the experiment, used to keep Dask task keys apart between experiments."""
        return self.sha256[:10]

    def salib_problem(self) -> dict:
        return {"num_vars": len(self.factors), "names": [f.name for f in self.factors],
                "bounds": [f.salib_bounds() for f in self.factors]}


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def parse_path(text: str) -> list[str | int]:
    """'jurisdictions.MX.enforcement_units' or 'policy[0].value' -> keys and indices."""
    parts: list[str | int] = []
    for seg in text.split("."):
        m = re.fullmatch(r"([^\[\]\s]+)((?:\[\d+\])*)", seg)
        if not m:
            raise ValueError(f"'{text}' is not a dotted path like routing.risk_decay or policy[0].value")
        parts.append(m.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return parts


def set_path(data: dict, text: str, value) -> None:
    """Set a field that must already exist in the (fully dumped) scenario dict."""
    parts = parse_path(text)
    node = data
    for depth, part in enumerate(parts):
        where = _fmt_loc(tuple(parts[:depth])) or "the scenario"
        last = depth == len(parts) - 1
        if isinstance(part, int):
            if not isinstance(node, list):
                raise ValueError(f"'{where}' is not a list, so [{part}] does not apply")
            if part >= len(node):
                raise ValueError(f"'{where}' has {len(node)} entr{'y' if len(node) == 1 else 'ies'}, "
                                 f"so [{part}] does not exist")
        else:
            if not isinstance(node, dict):
                raise ValueError(f"'{where}' is a list; give an index like {where}[0]")
            if part not in node:
                near = difflib.get_close_matches(part, [str(k) for k in node], n=3)
                hint = f"; did you mean {', '.join(near)}?" if near else \
                    f"; it has {', '.join(map(str, list(node)[:12]))}"
                raise ValueError(f"'{where}' has no field '{part}'{hint}")
        if last:
            if isinstance(node[part], (dict, list)):
                raise ValueError(f"'{text}' is a table, not a single value")
            node[part] = value
        else:
            node = node[part]


def _apply(base: dict, assignments: list[tuple[str, Any]]) -> dict:
    data = json.loads(json.dumps(base))   # a deep copy that keeps only plain values
    for path, value in assignments:
        set_path(data, path, value)
    return data


def _dump(scenario) -> dict:
    return scenario.model_dump(mode="json")


def load_experiment(path: Path | str) -> Experiment:
    """Read and check an experiment file; raise InputError naming the file and field."""
    from model.world.geography import load_map
    from model.scenario import read_toml

    path = Path(path)
    raw = read_toml(path)
    try:
        spec = ExperimentFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and (
            p.startswith("function-") or p in {"bool", "int", "float", "str", "list[str]"})))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see README 'Policy sweeps')"
        elif err["type"] != "missing" and "input" in err and not isinstance(err["input"], dict):
            msg += f" (got {err['input']!r})"
        raise InputError(path, _fmt_loc(loc) or None, msg) from None

    scenario_path = (path.parent / spec.experiment.scenario).resolve()
    if not scenario_path.is_file():
        raise InputError(path, "experiment.scenario", f"scenario file not found: {scenario_path}")
    base_sc = parse_scenario(read_scenario_dict(scenario_path), scenario_path)
    base = _dump(base_sc)
    for key, value in spec.constants.items():
        try:
            set_path(base, key, value)
        except ValueError as exc:
            raise InputError(path, f"constants.{key}", str(exc)) from None
    try:
        const_sc = parse_scenario(base, scenario_path)
    except InputError as exc:
        raise InputError(path, "constants", f"makes the scenario invalid: field '{exc.field}': {exc.message}") from None
    base = _dump(const_sc)
    map_path = (scenario_path.parent / const_sc.scenario.map).resolve()
    if not map_path.is_file():
        raise InputError(scenario_path, "scenario.map", f"map file not found: {map_path}")

    factors = spec.lever + spec.uncertainty
    roles = {f.name: "lever" for f in spec.lever} | {f.name: "uncertainty" for f in spec.uncertainty}
    for f in factors:
        sect = f"{roles[f.name]}[{(spec.lever if roles[f.name] == 'lever' else spec.uncertainty).index(f)}]"
        for p in f.paths:
            try:
                set_path(json.loads(json.dumps(base)), p, None)
            except ValueError as exc:
                raise InputError(path, f"{sect}.path", f"{exc} (factor '{f.name}')") from None

    cmap = load_map(map_path, maritime_zone_km=const_sc.routing.maritime_zone_km)
    check_against_map(const_sc, cmap, path)
    outcomes, columns = _dry_run_names(const_sc, cmap, spec.experiment.counterfactual)
    exp = Experiment(path=path, spec=spec, sha256=_sha256(path), scenario_path=scenario_path, base=base,
                     base_sha256=hashlib.sha256(_canonical(base).encode()).hexdigest(),
                     map_path=map_path, map_sha256=_sha256(map_path), factors=factors, roles=roles,
                     outcomes=_match(path, "outcomes.summary", spec.outcomes.summary, outcomes),
                     timeseries=_match(path, "outcomes.timeseries", spec.outcomes.timeseries,
                                       [c for c in columns if c not in ("step", "month")]))
    clash = sorted({f.name for f in factors} & set(exp.outcomes))
    if clash:
        raise InputError(path, "outcomes.summary", f"{clash} are also factor names; rename the factors")
    return exp


def _dry_run_names(scenario, cmap, counterfactual: bool) -> tuple[list[str], list[str]]:
    """The outcome names and monthly columns this model version produces, from a one-month run."""
    from model.runs.simulate import run_pair

    result = run_pair(scenario, cmap, seed=0, steps=DRY_RUN_STEPS, counterfactual=counterfactual)
    return [name for name, _ in flatten(result["summary"])], list(result["main"].timeseries.columns)


def _match(path: Path, field_name: str, patterns: list[str], available: list[str]) -> list[str]:
    chosen: list[str] = []
    for i, pat in enumerate(patterns):
        hits = [a for a in available if fnmatch.fnmatchcase(a, pat)]
        if not hits:
            near = difflib.get_close_matches(pat, available, n=4, cutoff=0.5)
            hint = f"did you mean {', '.join(near)}?" if near else \
                f"the run produces {len(available)}, e.g. {', '.join(available[:8])}"
            extra = " (displacement.* needs a policy in the scenario and counterfactual = true)" \
                if pat.startswith(("displacement", "counterfactual")) else ""
            raise InputError(path, f"{field_name}[{i}]", f"'{pat}' matches nothing; {hint}{extra}")
        chosen += [h for h in hits if h not in chosen]
    return chosen


def flatten(summary: dict, prefix: str = "") -> Iterator[tuple[str, float | None]]:
    """Numeric leaves of the nested summary as dotted names; lists (e.g. codes) are skipped."""
    for k, v in summary.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from flatten(v, name + ".")
        elif v is None or isinstance(v, (bool, int, float, np.integer, np.floating)):
            yield name, None if v is None else float(v)


# --------------------------------------------------------------------------- design

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
    return _canonical({"factors": sorted(factors.items()), "replicate": replicate})


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
        key = _canonical(sorted(point.items()))
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
    data = _apply(exp.base, assignments)
    try:
        sc = parse_scenario(data, exp.scenario_path)
        mz = sc.routing.maritime_zone_km
        if mz not in maps:
            maps[mz] = load_map(exp.map_path, maritime_zone_km=mz)
        check_against_map(sc, maps[mz], exp.scenario_path)
    except InputError as exc:
        culprits = [f"{f.name} = {point[f.name]!r}" for f in exp.factors
                    if any(exc.field and exc.field.startswith(_fmt_loc(tuple(parse_path(p)))) for p in f.paths)]
        who = ", ".join(culprits) or ", ".join(f"{k} = {v!r}" for k, v in point.items())
        raise InputError(exp.path, exc.field,
                         f"{exc.message} (set by {who}; the scenario's bounds apply to factor values)") from None
    return _dump(sc)


# --------------------------------------------------------------------------- one run

_MAPS: dict[tuple, Any] = {}
_MAPS_LOCK = threading.Lock()


def _cached_map(map_path: str, maritime_zone_km: float):
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
        cmap = _cached_map(spec.map_path, sc.routing.maritime_zone_km)
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


# --------------------------------------------------------------------------- results folder

def factor_columns(manifest_columns: dict) -> list[tuple[str, pa.DataType]]:
    types = {"float64": pa.float64(), "int64": pa.int64(), "bool": pa.bool_(), "string": pa.string()}
    return [(f["name"], types[f["type"]]) for f in manifest_columns["factors"]]


def summary_schema(columns: dict) -> pa.Schema:
    return pa.schema([("run_id", pa.string()), ("replicate", pa.int32()), ("seed", pa.int64()),
                      *factor_columns(columns), *[(o, pa.float64()) for o in columns["outcomes"]]])


def timeseries_schema(columns: dict) -> pa.Schema:
    return pa.schema([("run_id", pa.string()), ("step", pa.int32()), ("month", pa.string()),
                      *[(c, pa.float64()) for c in columns["timeseries"]]])


def design_schema(columns: dict, sample_columns: list[str]) -> pa.Schema:
    return pa.schema([("design_row", pa.int64()), ("sample", pa.int64()), ("replicate", pa.int32()),
                      ("run_id", pa.string()), ("seed", pa.int64()), *factor_columns(columns),
                      *[(c, pa.float64()) for c in sample_columns]])


def _columns(exp: Experiment) -> dict:
    names = {pa.float64(): "float64", pa.int64(): "int64", pa.bool_(): "bool", pa.string(): "string"}
    return {"factors": [{"name": f.name, "role": exp.roles[f.name], "type": names[f.arrow_type],
                         "paths": f.paths, "unit": f.unit, "doc": f.doc} for f in exp.factors],
            "outcomes": exp.outcomes, "timeseries": exp.timeseries}


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    write_file(path, data)


def _atomic_write_table(path: Path, table: pa.Table, tidy: bool = True) -> None:
    # fsync'ed before the rename: it must never expose a file whose bytes are not on disk
    write_file(path, lambda tmp: pq.write_table(table, tmp), tidy=tidy)


def _write_json(path: Path, obj) -> None:
    write_json(path, obj, default=_json_default)


def _json_default(o):
    if isinstance(o, (np.integer, np.floating, np.bool_)):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(type(o))


def write_run(folder: Path, spec: RunSpec, result: dict, columns: dict) -> None:
    """One finished run: its monthly table, with identity and outcomes in the schema metadata."""
    n = len(result["steps"])
    schema = timeseries_schema(columns)
    meta = {"run_id": spec.run_id, "replicate": spec.replicate, "seed": spec.seed, "factors": spec.factors,
            "outcomes": result["outcomes"], "worker": result["worker"], "corridor": result["corridor"],
            "wall_seconds": round(result["wall_seconds"], 4)}
    arrays = [pa.array([spec.run_id] * n, pa.string()), pa.array(result["steps"], pa.int32()),
              pa.array(result["months"], pa.string()),
              *[pa.array(result["columns"][c], pa.float64()) for c in columns["timeseries"]]]
    table = pa.Table.from_arrays(arrays, schema=schema.with_metadata({RUN_METADATA_KEY: _canonical(meta)}))
    _atomic_write_table(folder / RUNS / f"{spec.run_id}.parquet", table, tidy=False)  # runs/ tidied once
    (folder / FAILURES / f"{spec.run_id}.json").unlink(missing_ok=True)


def write_failure(folder: Path, spec: RunSpec, result: dict) -> None:
    rec = {"run_id": spec.run_id, "replicate": spec.replicate, "seed": spec.seed, "factors": spec.factors,
           "worker": result.get("worker"), "error": result["error"], "traceback": result.get("traceback", ""),
           "time": _now()}
    _write_json(folder / FAILURES / f"{spec.run_id}.json", rec)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise InputError(folder, None, f"not a sweep result folder (no {MANIFEST})")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, None, f"unreadable manifest: {exc}") from None


def done_runs(folder: Path) -> set[str]:
    return {p.stem for p in (Path(folder) / RUNS).glob("r*.parquet")}


def compact(folder: Path | str) -> dict:
    """Gather the run files into summary.parquet and timeseries.parquet (each written atomically)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    columns = manifest["columns"]
    order = {rid: i for i, rid in enumerate(pq.read_table(folder / DESIGN, columns=["run_id"])
                                            .column("run_id").to_pylist())} \
        if (folder / DESIGN).is_file() else {}
    files = sorted((folder / RUNS).glob("r*.parquet"), key=lambda p: (order.get(p.stem, len(order)), p.stem))
    s_schema, t_schema = summary_schema(columns), timeseries_schema(columns)
    rows, tables = [], []
    for f in files:
        table = pq.read_table(f)
        meta = json.loads(table.schema.metadata[RUN_METADATA_KEY])
        rows.append({"run_id": meta["run_id"], "replicate": meta["replicate"], "seed": meta["seed"],
                     **meta["factors"], **{o: meta["outcomes"].get(o) for o in columns["outcomes"]}})
        tables.append(table.replace_schema_metadata(None).select(t_schema.names).cast(t_schema))
    summary = pa.Table.from_pylist(rows, schema=s_schema)
    timeseries = pa.concat_tables(tables) if tables else t_schema.empty_table()
    _atomic_write_table(folder / SUMMARY, summary)
    _atomic_write_table(folder / TIMESERIES, timeseries)
    failed = sorted(p.stem for p in (folder / FAILURES).glob("r*.json"))
    return {"runs": len(rows), "failed": len(failed), "planned": manifest.get("counts", {}).get("planned")}


# --------------------------------------------------------------------------- backends

class SerialBackend:
    """In this process, one run after another: for debugging and for measuring overhead."""

    name = "in-process"
    n_workers = 0

    def describe(self) -> dict:
        return {"kind": "in-process", "workers": 0}

    def warm_up(self, spec: RunSpec) -> None:
        try:
            _warm(spec)
        except Exception:  # noqa: BLE001 - the run itself will fail and be recorded
            pass

    def results(self, specs: list[RunSpec], tag: str) -> Iterator[tuple[RunSpec, dict]]:
        for spec in specs:
            yield spec, execute(spec)

    def close(self) -> None:
        pass


class DaskBackend:
    """Runs as Dask tasks: a LocalCluster on this machine, or a running scheduler."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None):
        import logging

        import dask
        from distributed import Client, LocalCluster

        self.cluster = None
        self.scheduler = scheduler
        if scheduler:
            if not Path(scheduler).is_file() and not re.match(r"^([a-z0-9+]+://)?[\w.\-\[\]:]+:\d+$", scheduler):
                raise InputError(None, "--scheduler", f"'{scheduler}' is neither a scheduler file nor an address "
                                 "like tcp://host:8786")
            try:
                if Path(scheduler).is_file():
                    self.client = Client(scheduler_file=scheduler, timeout=SCHEDULER_TIMEOUT_S)
                else:
                    self.client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(None, "--scheduler", f"cannot reach the Dask scheduler at '{scheduler}' "
                                 f"within {SCHEDULER_TIMEOUT_S} s ({type(exc).__name__}: {exc}); give an "
                                 "address like tcp://host:8786 or a scheduler file") from None
            self.n_workers = len(self.client.scheduler_info().get("workers", {}))
            self.info = {"kind": "dask-scheduler", "address": self.client.scheduler.address,
                         "workers_at_start": self.n_workers}
        else:
            self.n_workers = workers or available_cores()
            # Dask makes glibc return freed memory at once (MALLOC_TRIM_THRESHOLD_); that also fixes
            # the mmap threshold, and the model's many short-lived numpy arrays then cost page
            # faults: runs measured ~30% slower. Simulation workers keep their memory instead.
            # Worker processes inherit an ignored SIGINT: Ctrl-C in a terminal reaches the whole
            # process group, and only this client should handle it (else each worker prints a traceback).
            with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}), \
                    _sigint_ignored():
                self.cluster = LocalCluster(n_workers=self.n_workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
            self.client.run(_preload)   # imports happen while starting, not inside the first runs
            self.info = {"kind": "dask-local", "workers": self.n_workers, "threads_per_worker": 1}

    def describe(self) -> dict:
        return dict(self.info)

    def warm_up(self, spec: RunSpec) -> None:
        try:
            self.client.run(_warm, spec)
        except Exception:  # noqa: BLE001 - only a head start: a worker that cannot warm fails its run visibly
            pass

    def results(self, specs: list[RunSpec], tag: str) -> Iterator[tuple[RunSpec, dict]]:
        from distributed import as_completed

        by_key = {}
        futures = []
        for spec in specs:
            # an explicit key makes resubmission after a crash or retry name the same task
            fut = self.client.submit(execute, spec, key=f"corridor-{tag}-{spec.run_id}", pure=False)
            by_key[fut.key] = spec
            futures.append(fut)
        for fut in as_completed(futures):
            spec = by_key[fut.key]
            try:
                result = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the run kept killing workers
                result = {"run_id": spec.run_id, "ok": False, "worker": None,
                          "error": f"{type(exc).__name__}: {exc}",
                          "traceback": "".join(traceback.format_exception(exc)), "wall_seconds": 0.0}
            fut.release()
            yield spec, result

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _preload() -> None:
    import model.corridor  # noqa: F401
    import model.runs.simulate  # noqa: F401


def _warm(spec: RunSpec) -> None:
    """Load the map and build the routing graph once per worker, before the clock of the runs."""
    from model.corridor import routing_graph

    sc = parse_scenario(spec.scenario, spec.scenario_path)
    routing_graph(_cached_map(spec.map_path, sc.routing.maritime_zone_km), sc)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# --------------------------------------------------------------------------- the sweep

@dataclass
class SweepReport:
    folder: Path
    planned: int
    skipped: int
    ran: int
    failed: int
    seconds: float          # from the first submission to the last result written
    setup_seconds: float    # starting or connecting to the cluster, loading the map on the workers
    backend: dict


def default_folder(exp: Experiment) -> Path:
    return default_out("sweeps", exp.name)


def prepare_folder(folder: Path, exp: Experiment, fresh: bool) -> dict | None:
    """Check the folder can take this experiment; return the existing manifest (resume) or None.

    Raises before anything is written: a folder from a different experiment (or one whose
    scenario or map changed) is refused unless --fresh, and a folder that is not a sweep
    folder is never touched.
    """
    check_target(folder, "sweep")    # new, empty, or a sweep folder of ours; else refused untouched
    for place in (folder, folder / RUNS, folder / FAILURES):
        remove_stale_in(place)        # temporaries of ours whose writer died
    if not folder.exists() or not any(folder.iterdir()):
        return None
    old = read_manifest(folder)
    if fresh:
        return None
    changes = [(label, old.get(key), new) for label, key, new in (
        ("experiment file", "experiment_sha256", exp.sha256),
        ("base scenario (after extends and constants)", "scenario_sha256", exp.base_sha256),
        ("map file", "map_sha256", exp.map_sha256)) if old.get(key) != new]
    if changes:
        what = ", ".join(c[0] for c in changes)
        raise InputError(folder, None, f"holds results of a different experiment: the {what} changed since "
                         f"it was started (was {old.get('experiment_file')}). Rerun with --fresh to discard "
                         "them, or pick a new --out")
    return old


def _wipe(folder: Path) -> None:
    """Remove only what a sweep writes, so a mistaken --out never loses other files."""
    if folder_kind(folder) != "sweep":    # prepare_folder checked; never wipe anything else
        raise InputError(folder, "--fresh", "is not a Corridor sweep result folder; nothing was changed")
    for name in (MANIFEST, DESIGN, SUMMARY, TIMESERIES):
        (folder / name).unlink(missing_ok=True)
    for sub in (RUNS, FAILURES):
        shutil.rmtree(folder / sub, ignore_errors=True)


def run_sweep(experiment: Path | str, out: Path | None = None, workers: int | None = None,
              scheduler: str | None = None, fresh: bool = False, progress: bool = True,
              argv: list[str] | None = None, exp: Experiment | None = None,
              max_runs: int | None = None) -> SweepReport:
    """Validate, then run every missing run and compact; resumable at any point.

    The size is checked from the experiment before any design is built; the folder is
    locked for the whole session; Ctrl-C saves what finished and raises SweepInterrupted.
    """
    exp = exp or load_experiment(experiment)
    check_size(exp, max_runs)                   # analytic: a huge design is refused before it is built
    design = build_design(exp)
    folder = Path(out) if out else default_folder(exp)
    prepare_folder(folder, exp, fresh)          # refuses before anything is written
    command = argv if argv is not None else _command_line()
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with folder_lock(folder, command, _say):
            # read again under the lock: another client may have written the folder meanwhile
            old = prepare_folder(folder, exp, fresh) if (folder / MANIFEST).is_file() else None
            resume = shlex.join(["corridor", "sweep", str(exp.path), "--out", str(folder),
                                 *(["--workers", str(workers)] if workers is not None else []),
                                 *(["--scheduler", scheduler] if scheduler else []),
                                 *(["--max-runs", str(max_runs)] if max_runs is not None else [])])
            return _run_locked(exp, design, folder, old, workers, scheduler, fresh, progress, command, resume)
    except BaseException:
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()                      # refused or failed before writing: leave no trace
        raise


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _run_locked(exp: Experiment, design: DesignTable, folder: Path, old: dict | None, workers, scheduler,
                fresh: bool, progress: bool, command: list[str], resume: str) -> SweepReport:
    from tqdm import tqdm

    from model.runs.simulate import git_commit, versions

    t_setup = time.perf_counter()
    backend = SerialBackend() if (workers == 0 and not scheduler) else DaskBackend(workers, scheduler)
    setup = time.perf_counter() - t_setup
    interrupted = False
    try:
        if fresh and folder.exists():
            _wipe(folder)
        for sub in (RUNS, FAILURES):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        for stale in itertools.chain((folder / RUNS).glob(".*.tmp-*"), folder.glob(".*.tmp-*")):
            stale.unlink(missing_ok=True)    # left by a client killed mid-write
        columns = _columns(exp)
        dtable = pa.Table.from_pylist(design.rows, schema=design_schema(columns, design.sample_columns))
        _atomic_write_table(folder / DESIGN, dtable)
        done = done_runs(folder)
        todo = [r for r in design.runs if r.run_id not in done]
        session = {"started": _now(), "command": command,
                   "backend": backend.describe(), "git_commit": git_commit(), "to_run": len(todo)}
        manifest = old or {
            "tool": "corridor", "kind": "sweep",
            "experiment": exp.name, "experiment_file": str(exp.path), "experiment_sha256": exp.sha256,
            "scenario_file": str(exp.scenario_path), "scenario_sha256": exp.base_sha256,
            "map_file": str(exp.map_path), "map_sha256": exp.map_sha256,
            "versions": versions(), "git_commit": git_commit(), "created": _now(), "sessions": []}
        manifest.update({  # derived from the experiment file, the same in every session
            "design": {**exp.spec.design.model_dump(mode="json"),
                       "seed": design_seed(exp.spec.experiment.root_seed),
                       "replications": exp.spec.experiment.replications,
                       "root_seed": exp.spec.experiment.root_seed,
                       "counterfactual": exp.spec.experiment.counterfactual},
            "salib_problem": exp.salib_problem(), "columns": columns})
        if old and old.get("git_commit") != session["git_commit"]:
            print(f"corridor: warning: {folder} was started at commit {old.get('git_commit')}, resuming at "
                  f"{session['git_commit']}; runs from both are mixed", file=sys.stderr)
        manifest["sessions"].append(session)
        manifest["counts"] = {"planned": len(design.runs), "design_rows": len(design.rows),
                              "done": len(design.runs) - len(todo), "failed": 0}
        manifest["status"] = "running"
        _write_json(folder / MANIFEST, manifest)
        n_workers = 0 if isinstance(backend, SerialBackend) else max(1, backend.n_workers)
        measured = measured_run_seconds(sorted((folder / RUNS).glob("r*.parquet")), RUN_METADATA_KEY)
        _say(count_line(exp.name, len(design.runs), len(todo), n_workers, measured))

        ran = failed = 0
        t0 = time.perf_counter()
        try:
            if todo:
                t_warm = time.perf_counter()
                backend.warm_up(todo[0])
                setup += time.perf_counter() - t_warm
            t0 = time.perf_counter()
            with tqdm(total=len(design.runs), initial=len(design.runs) - len(todo), unit="run", desc=exp.name,
                      disable=not progress, file=sys.stderr, dynamic_ncols=True) as bar:
                bar.set_postfix(failed=0)
                for spec, result in backend.results(todo, exp.key):
                    if result["ok"]:
                        write_run(folder, spec, result, columns)
                        ran += 1
                    else:
                        failed += 1
                        write_failure(folder, spec, result)
                        bar.set_postfix(failed=failed)
                    if measured is None and ran + failed == 1 and len(todo) > 1 and result["ok"]:
                        bar.write(estimate_line(result["wall_seconds"], len(todo) - 1, n_workers), file=sys.stderr)
                    bar.update()
        except KeyboardInterrupt:
            interrupted = True
        seconds = time.perf_counter() - t0
    finally:
        with _sigint_ignored() if interrupted else contextlib.nullcontext():
            with quiet_dask() if interrupted else contextlib.nullcontext():
                backend.close()
    with _sigint_ignored() if interrupted else contextlib.nullcontext():
        counts = compact(folder)
        session.update(ended=_now(), ran=ran, failed=failed, seconds=round(seconds, 3))
        manifest["counts"] = {"planned": len(design.runs), "design_rows": len(design.rows),
                              "done": counts["runs"], "failed": counts["failed"]}
        manifest["status"] = "interrupted" if interrupted else \
            "complete" if counts["runs"] == len(design.runs) else "incomplete"
        if interrupted:
            session["interrupted"] = True
        manifest["ended"] = session["ended"]
        _write_json(folder / MANIFEST, manifest)
    if interrupted:
        raise SweepInterrupted(f"interrupted: {counts['runs']} of {len(design.runs)} runs saved in {folder}/ "
                               f"(summary.parquet), {len(design.runs) - counts['runs']} left; resume with: {resume}")
    return SweepReport(folder, len(design.runs), len(design.runs) - len(todo), ran, failed,
                       seconds, setup, backend.describe())


@contextlib.contextmanager
def _sigint_ignored():
    """Ignore Ctrl-C for a moment (main thread only): while saving, or while spawning workers."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:       # not the main thread: signals go elsewhere anyway
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _command_line() -> list[str]:
    from model.runs.simulate import command_line
    return command_line()
