"""A calibration experiment file: its schema, and loading it against the scenario, map and record.

    [calibration]   name, scenario, record, root_seed, seeds_per_point, waves, runs_per_wave,
                    cutoff, measure, discrepancy, candidates
    [calibration.targets]  ids = [...] and/or quantities = [...], use = "calibration"
    [[parameter]]   name, path (dotted scenario path, as sweep factors use), low, high, unit,
                    prior = "uniform", doc
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from model.errors import InputError, file_beside, read_spec
from model.runs.observe import QUANTITIES, columns_needed
from model.runs.record import RecordRow, load_record
from model.runs.results import file_sha256
from model.runs.sweep.experiment import SEED_MASK, canonical, dump, set_path
from model.scenario import Slug, Strict, check_against_map, parse_scenario, read_scenario_dict

GUIDE = "Calibration"


class Targets(Strict):
    use: Literal["calibration"] = Field("calibration", description="only calibration rows can be targets")
    ids: list[str] | None = Field(None, min_length=1, description="record row ids (all of them if not given)")
    quantities: list[str] | None = Field(None, min_length=1, description="keep rows of these quantities")

    @model_validator(mode="after")
    def _check(self):
        for q in self.quantities or []:
            if q not in QUANTITIES:
                raise ValueError(f"unknown quantity '{q}'; expected one of {', '.join(QUANTITIES)}")
        return self


class CalibrationMeta(Strict):
    name: Slug = Field(min_length=1, description="names the default folder results/calibrations/<name>")
    description: str = ""
    scenario: str = Field(min_length=1, description="scenario file, relative to this file")
    record: str = Field(min_length=1, description="record CSV, relative to this file")
    targets: Targets = Targets()
    root_seed: int = Field(ge=0, le=SEED_MASK)
    seeds_per_point: int = Field(2, ge=2, le=100, description="runs (seeds) per design point: at least 2, "
                                 "so the seed variance in the implausibility is estimated, not taken as 0")
    waves: int = Field(3, ge=1, le=20)
    runs_per_wave: int = Field(ge=4, le=20_000, description="runs per wave = points x seeds_per_point")
    cutoff: float = Field(3.0, gt=0, description="implausibility cut-off (Pukelsheim's 3-sigma rule)")
    measure: Literal["max", "second_max"] = Field("max", description="implausibility over targets: max, or "
                                                  "second largest (needs 3 or more targets)")
    discrepancy: float = Field(0.05, ge=0, le=1, description="model discrepancy sd as a share of each target's "
                                                            "record value")
    candidates: int = Field(20_000, ge=100, le=1_000_000, description="Latin hypercube candidates screened "
                                                                      "by the emulators for the next wave")

    @model_validator(mode="after")
    def _check(self):
        if self.runs_per_wave % self.seeds_per_point:
            raise ValueError(f"runs_per_wave ({self.runs_per_wave}) must be a multiple of seeds_per_point "
                             f"({self.seeds_per_point})")
        if self.runs_per_wave // self.seeds_per_point < 4:
            raise ValueError("a wave needs at least 4 design points to fit its emulators")
        return self


class Parameter(Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="column name in the results")
    path: str | list[str] = Field(description="dotted scenario path(s) set to the value, e.g. routing.risk_decay")
    low: float
    high: float
    unit: str = Field(min_length=1)
    prior: Literal["uniform"] = "uniform"
    integer: bool = Field(False, description="round sampled values to whole numbers (for integer fields)")
    doc: str = ""

    def value(self, x: float) -> float | int:
        return int(round(x)) if self.integer else float(x)

    @model_validator(mode="after")
    def _check(self):
        if not self.low < self.high:
            raise ValueError(f"'low' ({self.low}) must be below 'high' ({self.high})")
        if isinstance(self.path, list) and not self.path:
            raise ValueError("'path' needs at least one scenario field")
        return self

    @property
    def paths(self) -> list[str]:
        return [self.path] if isinstance(self.path, str) else list(self.path)


class CalibrationFile(Strict):
    calibration: CalibrationMeta
    parameter: list[Parameter] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self):
        names = [p.name for p in self.parameter]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"parameter names must be unique; repeated: {', '.join(dup)}")
        clash = sorted(set(names) & {"run_id", "point", "replicate", "seed", "wave", "implausibility"})
        if clash:
            raise ValueError(f"parameter names {clash} are reserved result columns")
        return self


@dataclass
class Calibration:
    """A validated calibration, ready to run."""

    path: Path
    spec: CalibrationFile
    sha256: str
    scenario_path: Path
    base: dict
    base_sha256: str
    map_path: Path
    map_sha256: str
    record_path: Path
    record_sha256: str
    targets: list[RecordRow]
    timeseries: list[str]

    @property
    def meta(self) -> CalibrationMeta:
        return self.spec.calibration

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def parameters(self) -> list[Parameter]:
        return self.spec.parameter

    @property
    def points_per_wave(self) -> int:
        return self.meta.runs_per_wave // self.meta.seeds_per_point


def select_targets(rows: list[RecordRow], t: Targets, path: Path, record_path: Path) -> list[RecordRow]:
    by_id = {r.id: r for r in rows}
    if t.ids is not None:
        chosen = []
        for i, rid in enumerate(t.ids):
            if rid not in by_id:
                raise InputError(path, f"calibration.targets.ids[{i}]", f"'{rid}' is not a row of {record_path}")
            if by_id[rid].use != "calibration":
                raise InputError(path, f"calibration.targets.ids[{i}]", f"'{rid}' is a validation row "
                                 f"({record_path}:{by_id[rid].line}); validation facts are never targets")
            chosen.append(by_id[rid])
    else:
        chosen = [r for r in rows if r.use == "calibration"]
    if t.quantities is not None:
        chosen = [r for r in chosen if r.quantity in t.quantities]
    if not chosen:
        raise InputError(path, "calibration.targets", f"selects no calibration row of {record_path}")
    return chosen


def load_calibration(path: Path | str) -> Calibration:
    """Read and check a calibration file; raise InputError naming the file and field."""
    from model.world.geography import load_map

    path = Path(path)
    spec = read_spec(path, CalibrationFile, GUIDE)
    meta = spec.calibration
    scenario_path = file_beside(path, meta.scenario, "calibration.scenario", "scenario")
    record_path = file_beside(path, meta.record, "calibration.record", "record")
    targets = select_targets(load_record(record_path), meta.targets, path, record_path)
    taken = {p.name for p in spec.parameter} | {"run_id", "point", "replicate", "seed", "wall_seconds",
                                                "implausibility"} | {f"u_{p.name}" for p in spec.parameter}
    for t in targets:
        if t.id in taken:
            raise InputError(f"{record_path}:{t.line}", "id", f"target id '{t.id}' is also a parameter or result "
                             f"column name of {path}; rename one of them")
    sc = parse_scenario(read_scenario_dict(scenario_path), scenario_path)
    base = dump(sc)
    for i, p in enumerate(spec.parameter):
        for dotted in p.paths:
            try:
                set_path(json.loads(json.dumps(base)), dotted, None)
            except ValueError as exc:
                raise InputError(path, f"parameter[{i}].path", f"{exc} (parameter '{p.name}')") from None
    map_path = (scenario_path.parent / sc.scenario.map).resolve()
    if not map_path.is_file():
        raise InputError(scenario_path, "scenario.map", f"map file not found: {map_path}")
    cmap = load_map(map_path, maritime_zone_km=sc.routing.maritime_zone_km)
    check_against_map(sc, cmap, path)
    _check_periods(sc, targets, path, record_path)
    timeseries = columns_needed([(r.quantity, r.place) for r in targets])
    _check_columns(sc, cmap, timeseries, targets, record_path)
    return Calibration(path=path, spec=spec, sha256=file_sha256(path), scenario_path=scenario_path, base=base,
                       base_sha256=hashlib.sha256(canonical(base).encode()).hexdigest(), map_path=map_path,
                       map_sha256=file_sha256(map_path), record_path=record_path,
                       record_sha256=file_sha256(record_path), targets=targets, timeseries=timeseries)


def _check_periods(sc, targets: list[RecordRow], path: Path, record_path: Path) -> None:
    from model.corridor import month_label

    first, last = month_label(sc, 0), month_label(sc, sc.scenario.steps - 1)
    for r in targets:
        if r.start < first or r.end > last:
            raise InputError(f"{record_path}:{r.line}", "start" if r.start < first else "end",
                             f"target '{r.id}' covers {r.start}..{r.end}, outside the scenario's months "
                             f"{first}..{last} ({path})")


def _check_columns(sc, cmap, timeseries: list[str], targets: list[RecordRow], record_path: Path) -> None:
    """A one-month run tells which monthly columns this model version and map produce."""
    from model.runs.simulate import simulate

    have = set(simulate(sc, cmap, seed=0, steps=1).timeseries.columns)
    for r in targets:
        missing = [c for c in QUANTITIES[r.quantity].columns(r.place) if c not in have]
        if missing:
            raise InputError(f"{record_path}:{r.line}", "quantity",
                             f"target '{r.id}' ({r.quantity} at {r.place}) needs the monthly column(s) "
                             f"{', '.join(missing)}, which the model does not produce on this map")
