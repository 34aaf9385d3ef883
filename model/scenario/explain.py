"""The parameter table: every numeric schema field with unit, default, bounds and source.

`corridor validate --explain`, MODEL.md and tools/parameter_table.py print these rows.
"""

from __future__ import annotations

from pydantic import BaseModel

from model.scenario.schema import JurisdictionPolicy, Scenario


def parameter_table() -> list[dict]:
    """Every numeric parameter with its unit, bounds and source, for docs and --explain."""
    rows = []

    def walk(model: type[BaseModel], prefix: str):
        for name, f in model.model_fields.items():
            ann = f.annotation
            sub = getattr(ann, "__args__", None)
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, f"{prefix}{name}.")
                continue
            if sub and isinstance(sub[0], type) and issubclass(sub[0], BaseModel):
                walk(sub[0], f"{prefix}{name}[].")
                continue
            extra = f.json_schema_extra or {}
            if "unit" not in extra:
                continue
            bounds = [m for m in f.metadata]
            rows.append(dict(parameter=prefix + name, unit=extra["unit"],
                             default=None if f.is_required() else f.default,
                             bounds=" ".join(str(b) for b in bounds),
                             limits={k: getattr(b, k) for b in bounds for k in ("ge", "gt", "le", "lt")
                                     if hasattr(b, k)},
                             meaning=f.description or "", source=extra.get("source", "")))

    walk(Scenario, "")
    walk(JurisdictionPolicy, "jurisdictions.<code>.")
    return rows
