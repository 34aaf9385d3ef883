"""The two building blocks of every schema section: a strict model and a parameter with
bounds, a unit and a source."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


def P(default=..., *, unit: str, ge=None, le=None, gt=None, lt=None, source: str | None = None,
      doc: str = ""):
    """A parameter with bounds, a unit and (optionally) a real-world source."""
    extra = {"unit": unit}
    if source:
        extra["source"] = source
    return Field(default, ge=ge, le=le, gt=gt, lt=lt, description=doc, json_schema_extra=extra)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)
