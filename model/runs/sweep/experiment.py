"""An experiment file: its schema, and loading it against the base scenario and map.

An experiment is data, like a scenario: a base scenario, the factors (policy *levers* and
*uncertainties*, in EMA Workbench's words) addressed by dotted paths into the scenario,
a design (full grid, Latin hypercube, Sobol/Saltelli or Morris samples from SALib),
replications, one root seed and the *outcomes* to keep.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from model.errors import InputError, file_beside, fmt_loc, read_spec
from model.runs.results import file_sha256
from model.scenario import Slug, Strict, check_against_map, parse_scenario, read_scenario_dict

SEED_BITS = 63                      # seeds fit a signed 64-bit integer (Parquet int64, Mesa)
SEED_MASK = (1 << SEED_BITS) - 1
DRY_RUN_STEPS = 1                   # months simulated to learn the outcome names a run produces
RESERVED_COLUMNS = ("run_id", "replicate", "seed", "design_row", "sample", "step", "month")
DEFAULT_TIMESERIES = ["cocaine_shipped", "cocaine_delivered", "cocaine_seized",
                      "central_america_completed", "route_entropy", "active_cells"]


# --------------------------------------------------------------------------- schema

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


def canonical(obj) -> str:
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


def get_path(data: dict, text: str):
    """The value at a dotted path of a (fully dumped) scenario dict, e.g. routing.risk_decay."""
    node = data
    for part in parse_path(text):
        node = node[part]
    return node


def set_path(data: dict, text: str, value) -> None:
    """Set a field that must already exist in the (fully dumped) scenario dict."""
    parts = parse_path(text)
    node = data
    for depth, part in enumerate(parts):
        where = fmt_loc(tuple(parts[:depth])) or "the scenario"
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


def apply_values(base: dict, assignments: list[tuple[str, Any]]) -> dict:
    data = json.loads(json.dumps(base))   # a deep copy that keeps only plain values
    for path, value in assignments:
        set_path(data, path, value)
    return data


def dump(scenario) -> dict:
    return scenario.model_dump(mode="json")


def load_experiment(path: Path | str) -> Experiment:
    """Read and check an experiment file; raise InputError naming the file and field."""
    from model.world.geography import load_map

    path = Path(path)
    spec = read_spec(path, ExperimentFile, "Policy sweeps")
    scenario_path = file_beside(path, spec.experiment.scenario, "experiment.scenario", "scenario")
    base_sc = parse_scenario(read_scenario_dict(scenario_path), scenario_path)
    base = dump(base_sc)
    for key, value in spec.constants.items():
        try:
            set_path(base, key, value)
        except ValueError as exc:
            raise InputError(path, f"constants.{key}", str(exc)) from None
    try:
        const_sc = parse_scenario(base, scenario_path)
    except InputError as exc:
        raise InputError(path, "constants", f"makes the scenario invalid: field '{exc.field}': {exc.message}") from None
    base = dump(const_sc)
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
    exp = Experiment(path=path, spec=spec, sha256=file_sha256(path), scenario_path=scenario_path, base=base,
                     base_sha256=hashlib.sha256(canonical(base).encode()).hexdigest(),
                     map_path=map_path, map_sha256=file_sha256(map_path), factors=factors, roles=roles,
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
