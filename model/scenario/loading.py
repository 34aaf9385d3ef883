"""Reading scenario files: TOML, `extends` chains, validation with one clear error, map checks."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from model.errors import InputError, from_validation, read_toml
from model.scenario.schema import Meta, Scenario
from model.scenario.series import inline_series


def parse_scenario(data: dict, path: Path | str | None = None) -> Scenario:
    """Validate a scenario dict; raise InputError naming the first bad field."""
    inline_series(data, Path(path).parent if path else None)   # series files, if not read yet
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc, path, "Scenario format") from None
    sc.path = Path(path) if path else None
    return sc


def check_steps(steps: int | None) -> int | None:
    """A run length from the command line (--steps), held to the schema's bound on scenario.steps.

    Assigning to a Meta validates the value against that one field, so the bound is defined once.
    """
    if steps is None:
        return None
    try:
        Meta.model_construct(name="--steps").steps = steps
    except ValidationError as exc:
        raise InputError(None, "--steps", f"{exc.errors()[0]['msg']} months, the bound on scenario.steps "
                         f"(got {steps})") from None
    return steps


def merge(base: dict, child: dict) -> dict:
    """Child tables override the base key by key; arrays of tables are replaced whole."""
    out = dict(base)
    for k, v in child.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def read_scenario_dict(path: Path, _seen=()) -> dict:
    """The scenario's TOML with any `extends` chain resolved.

    A `map` inherited from a file in another folder is rewritten relative to `path`, so
    each path resolves against the file that set it, as written there.
    """
    path = Path(path)
    data = inline_series(read_toml(path), path.parent)   # each file's series relative to that file
    meta = data.get("scenario")
    if meta is not None and not isinstance(meta, dict):
        raise InputError(path, "scenario", f"expected a [scenario] table, got {type(meta).__name__} {meta!r:.40}")
    parent = meta.get("extends") if isinstance(meta, dict) else None
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise InputError(path, "scenario.extends", "expected a file name")
    base_path = (path.parent / parent).resolve()
    if base_path in _seen or base_path == path.resolve():
        raise InputError(path, "scenario.extends", f"circular extends through {base_path}")
    if not base_path.is_file():
        raise InputError(path, "scenario.extends", f"file not found: {base_path}")
    base = read_scenario_dict(base_path, _seen + (path.resolve(),))
    base.get("scenario", {}).pop("extends", None)
    inherited_map = base.get("scenario", {}).get("map")
    here = path.resolve().parent
    if isinstance(inherited_map, str) and base_path.parent != here:
        target = base_path.parent / inherited_map
        try:
            base["scenario"]["map"] = os.path.relpath(target, here)
        except ValueError:          # another drive (Windows): no relative path exists
            base["scenario"]["map"] = str(target)
    merged = merge(base, data)
    merged["scenario"].pop("extends", None)
    merged["scenario"]["extends"] = parent
    return merged


def load_scenario(path: Path | str):
    """Read, validate and cross-check a scenario against its map.

    Returns (scenario, corridor_map).
    """
    from model.world.geography import load_map  # late import: geography is heavier

    path = Path(path)
    sc = parse_scenario(read_scenario_dict(path), path)
    map_path = (path.parent / sc.scenario.map).resolve()
    if not map_path.is_file():
        raise InputError(path, "scenario.map", f"map file not found: {map_path}")
    cmap = load_map(map_path, maritime_zone_km=sc.routing.maritime_zone_km)
    check_against_map(sc, cmap, path)
    from model.agents.wildlife import groups_for   # the species-group data file, against the map
    groups_for(sc, cmap)
    return sc, cmap


def check_against_map(sc: Scenario, cmap, path) -> None:
    """Names in the scenario must exist on the map."""
    known = set(cmap.jurisdiction_codes) | set(cmap.country_codes) | {"INTL"}

    def need_jur(code, field):
        if code not in known:
            raise InputError(path, field, f"unknown jurisdiction '{code}'; the map has "
                             f"{', '.join(sorted(known))}")

    def need_feature(name, kinds, field):
        f = cmap.feature(name)
        if f is None or f.kind not in kinds:
            have = sorted(x.name for x in cmap.features if x.kind in kinds)
            raise InputError(path, field, f"unknown {'/'.join(kinds)} '{name}'; the map has "
                             f"{', '.join(have)}")

    for code in sc.jurisdictions:
        if code != "default":
            need_jur(code, f"jurisdictions.{code}")
    for i, c in enumerate(sc.cartel):
        for j, s in enumerate(c.sources):
            need_feature(s, ("source",), f"cartel[{i}].sources[{j}]")
        for j, s in enumerate(c.ports_of_entry):
            need_feature(s, ("port_of_entry",), f"cartel[{i}].ports_of_entry[{j}]")
        for j, s in enumerate(c.airstrips):
            need_feature(s, ("airstrip",), f"cartel[{i}].airstrips[{j}]")
        for j, s in enumerate(c.plazas):
            need_jur(s, f"cartel[{i}].plazas[{j}]")
    for i, g in enumerate(sc.gang):
        if cmap.feature(g.home) is None and g.home not in known:
            raise InputError(path, f"gang[{i}].home", f"'{g.home}' is neither a feature nor a jurisdiction on the map")
    for i, o in enumerate(sc.migrants.origins):
        need_feature(o.name, ("migrant_origin",), f"migrants.origins[{i}].name")
    for j, code in enumerate(sc.deforestation.forest_jurisdictions):
        need_jur(code, f"deforestation.forest_jurisdictions[{j}]")
    for i, p in enumerate(sc.policy):
        for j, t in enumerate(p.target):
            need_jur(t, f"policy[{i}].target[{j}]")
        if p.start >= sc.scenario.steps:
            raise InputError(path, f"policy[{i}].start",
                             f"starts at month {p.start} but the run has {sc.scenario.steps} steps")
