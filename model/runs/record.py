"""The historical record (experiments/history/record.csv): its schema and loader.

One row per quantity, place and period: `id,quantity,place,start,end,value,low,high,unit,use,
source,note`. `quantity` names an observable of model/runs/observe.py, whose unit the row must
state; `low <= value <= high` is the plausible range; `use` keeps calibration targets apart
from validation facts. Bad input is one InputError naming the file, line, field and what
was expected.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from model.errors import InputError, from_validation
from model.runs.observe import MONTH, QUANTITIES, place_problem

COLUMNS = ("id", "quantity", "place", "start", "end", "value", "low", "high", "unit", "use", "source", "note")


class RecordRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$", description="unique slug")
    quantity: str
    place: str = Field(min_length=1)
    start: str = Field(pattern=MONTH.pattern, description="first month, YYYY-MM")
    end: str = Field(pattern=MONTH.pattern, description="last month, YYYY-MM (inclusive)")
    value: float
    low: float
    high: float
    unit: str
    use: Literal["calibration", "validation"]
    source: str = Field(min_length=1)
    note: str = ""
    line: int = Field(0, exclude=True)

    @field_validator("quantity")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in QUANTITIES:
            raise ValueError(f"unknown quantity; expected one of {', '.join(QUANTITIES)}")
        return v

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("every row names its source")
        return v

    @model_validator(mode="after")
    def _check(self):
        q = QUANTITIES[self.quantity]
        if self.unit != q.unit:
            raise ValueError(f"unit: '{self.quantity}' is measured in '{q.unit}' (got '{self.unit}')")
        bad = place_problem(self.quantity, self.place)
        if bad:
            raise ValueError(f"place: {bad}")
        if self.start > self.end:
            raise ValueError(f"end: the period ends ({self.end}) before it starts ({self.start})")
        if not self.low <= self.value <= self.high:
            raise ValueError(f"value: expected low <= value <= high (got {self.low} <= {self.value} <= {self.high})")
        if self.low == self.high:
            raise ValueError("high: the plausible range must have a width (low < high)")
        if self.use == "calibration" and q.validation_only:
            raise ValueError(f"use: '{self.quantity}' is a VALIDATION.md case, validation only: never a "
                             "calibration target")
        return self

    @property
    def obs_sd(self) -> float:
        """Observation uncertainty: the plausible range read as +-2 standard deviations."""
        return (self.high - self.low) / 4.0


def _split_field(msg: str, default: str | None) -> tuple[str | None, str]:
    """Model-level checks start their message with the field they concern ('unit: ...')."""
    head, sep, rest = msg.partition(": ")
    if sep and head in COLUMNS:
        return head, rest
    return default, msg


def load_record(path: Path | str) -> list[RecordRow]:
    """Read and check the record; raise InputError naming file, line and field."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, None, "record file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(path, None, "not a UTF-8 text file") from None
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(path, None, f"empty file; expected the header {','.join(COLUMNS)}") from None
    header = [h.strip() for h in header]
    if tuple(header) != COLUMNS:
        raise InputError(f"{path}:1", None, f"expected the header {','.join(COLUMNS)} (got {','.join(header)})")
    rows: list[RecordRow] = []
    seen: dict[str, int] = {}
    for lineno, cells in enumerate(reader, start=2):
        if not cells or all(not c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        where = f"{path}:{lineno}"
        if len(cells) != len(COLUMNS):
            raise InputError(where, None, f"expected {len(COLUMNS)} comma-separated fields ({','.join(COLUMNS)}), "
                             f"got {len(cells)} (quote a field that holds a comma)")
        data = dict(zip(COLUMNS, (c.strip() for c in cells)))
        try:
            row = RecordRow.model_validate({**data, "line": lineno})
        except ValidationError as exc:
            err = from_validation(exc, where, "The historical record")
            field, msg = _split_field(err.message, err.field)
            raise InputError(where, field, msg) from None
        if row.id in seen:
            raise InputError(where, "id", f"'{row.id}' is already used on line {seen[row.id]}; ids are unique")
        seen[row.id] = lineno
        rows.append(row)
    if not rows:
        raise InputError(path, None, "the record has no rows")
    return rows
