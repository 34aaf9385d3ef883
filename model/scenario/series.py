"""Yearly input series: US demand and cocaine production, as data files the model reads.

A scenario's `[[series]]` row names a lever moved year by year and a CSV with one row per
calendar year (`year`, the value column, `source`, optionally `note`): every figure names
its source. The loader reads the file into the row's `values`, relative to the scenario file
that names it (so `extends` chains and sweep workers carry the numbers, not the path).

How they act (model.policy.PolicySchedule.shipment_factor): each cartel sends
`shipments_per_step x min(demand, supply)` a month, where demand is `us_demand` after policy
rows, times every `us_demand` series' value for the month's calendar year, and supply is the
top-level `supply` (1 if unset) times every `supply` series' value; with neither `supply` nor a
supply series there is no cap and shipments follow demand alone, as before series existed.
Both are indices against the reference year of the scenario's cartels (1 = the shipments the
`[[cartel]]` tables state): the flow north is what the US market takes, unless production
falls short of it (the scarcer of the two binds).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from model.errors import InputError
from model.scenario.fields import Strict

SERIES_LEVERS = ("us_demand", "supply")
REQUIRED = ("year", "source")


class Series(Strict):
    """One yearly series moving a scalar lever (unit: x, an index against the reference year)."""

    lever: Literal[SERIES_LEVERS]  # type: ignore[valid-type]
    file: str | None = Field(None, description="CSV, relative to the scenario file naming it: one row per "
                                               "year with columns year, <column>, source (and note)")
    column: str = Field("index", min_length=1, description="the CSV column holding the yearly value (x)")
    values: dict[int, float] = Field(default_factory=dict,
                                     description="value per calendar year (x); read from `file` by the loader, "
                                                 "or written inline as {\"1996\" = 1.0, ...} (then cite in sources)")

    @field_validator("values")
    @classmethod
    def _positive(cls, v: dict[int, float]) -> dict[int, float]:
        for year, x in v.items():
            if not 0 < x <= 100:
                raise ValueError(f"value for {year} is {x}; expected an index in (0, 100]")
        return v

    @model_validator(mode="after")
    def _has_values(self):
        if not self.values:
            raise ValueError("a series needs yearly values: a `file` (read when the scenario is loaded "
                             "from its file) or inline `values`")
        years = sorted(self.values)
        gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years))
        if gaps:
            raise ValueError(f"years missing between {years[0]} and {years[-1]}: {gaps}")
        return self

    def value(self, year: int) -> float:
        try:
            return self.values[year]
        except KeyError:
            lo, hi = min(self.values), max(self.values)
            raise InputError(self.file, "year", f"the {self.lever} series covers {lo}-{hi}; the run reaches "
                             f"{year} (shorten the run or extend the series)") from None


def read_series_csv(path: Path, column: str) -> dict[str, float]:
    """{year: value} from a series CSV, every row with a source; one clear InputError otherwise."""
    if not path.is_file():
        raise InputError(path, None, "series file not found")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    except UnicodeDecodeError:
        raise InputError(path, None, "not a UTF-8 text file") from None
    header = rows[0].keys() if rows else []
    for col in (*REQUIRED, column):
        if col not in header:
            raise InputError(path, col, f"expected a column '{col}' (columns: {', '.join(header) or 'none'})")
    out: dict[str, float] = {}
    for i, r in enumerate(rows, start=1):
        where = f"row {i} (year {r['year']})"
        try:
            year = int(r["year"])
        except (TypeError, ValueError):
            raise InputError(path, f"{where}.year", "expected a whole calendar year, e.g. 1996") from None
        if str(year) in out:
            raise InputError(path, f"{where}.year", f"year {year} appears twice")
        try:
            out[str(year)] = float(r[column])
        except (TypeError, ValueError):
            raise InputError(path, f"{where}.{column}", f"expected a number, got {r[column]!r}") from None
        if not (r.get("source") or "").strip():
            raise InputError(path, f"{where}.source", "every row names its source")
    if not out:
        raise InputError(path, None, "no rows")
    return out


def inline_series(data: dict, base_dir: Path | None) -> dict:
    """Read each `[[series]]` row's file (relative to base_dir) into its `values`, in place.

    Rows that already hold values, or name no file, are left as they are; without a base
    folder (a scenario built in code) files cannot be found and are left for the schema to report.
    """
    rows = data.get("series")
    if not isinstance(rows, list) or base_dir is None:
        return data
    for i, row in enumerate(rows):
        if isinstance(row, dict) and isinstance(row.get("file"), str) and not row.get("values"):
            column = row.get("column", "index")
            if not isinstance(column, str):
                raise InputError(base_dir, f"series[{i}].column", "expected a column name")
            row["values"] = read_series_csv(Path(base_dir) / row["file"], column)
    return data


def calendar_year(start_month: str, month: int) -> int:
    """The calendar year of step `month` for a run starting in `start_month` (YYYY-MM)."""
    y, m = map(int, start_month.split("-"))
    return y + (m - 1 + month) // 12


def check_series_cover(scenario, steps: int) -> None:
    """Before a run of `steps` months: every series covers every calendar year it reaches
    (a --steps longer than the scenario's would otherwise fail in the month past the data)."""
    m = scenario.scenario
    first, last = calendar_year(m.start_month, 0), calendar_year(m.start_month, steps - 1)
    for i, s in enumerate(scenario.series):
        if first not in s.values or last not in s.values:
            raise InputError(scenario.path, f"series[{i}]",
                             f"the {s.lever} series covers {min(s.values)}-{max(s.values)}, but a run of {steps} "
                             f"months from {m.start_month} spans {first}-{last} (shorten --steps or extend the series)")
