"""Model observables: the one function that turns a run's monthly table into the numbers a
record row is compared against (calibration, validation and charts all call `observe`).

A quantity has a name, a unit (a record row must state the same unit), the kind of place it
takes (a country code, a vector name, or `all`) and the monthly columns it reads. Periods are
`YYYY-MM` months, both ends inclusive, matched against the timeseries' `month` labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from model.metrics import CARIBBEAN, CENTRAL_AMERICA

VECTORS = ("eastern_pacific", "western_caribbean", "eastern_caribbean", "mexico_overland")
COUNTRY = re.compile(r"^[A-Z]{2}$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ObservableError(ValueError):
    """A quantity asked of a run that cannot give it (unknown name, absent columns, empty period)."""


@dataclass(frozen=True)
class Quantity:
    name: str
    unit: str
    places: str                                   # "country", "vector" or "all"
    doc: str
    columns: Callable[[str], list[str]]           # place -> monthly columns read
    compute: Callable[[pd.DataFrame, str, pd.DataFrame], float]   # (window, place, whole run) -> value
    validation_only: bool = False                 # may never be a calibration target


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else 0.0


def _share_of_completed(col: Callable[[str], str]):
    return lambda w, place, ts: _ratio(w[col(place)].sum(), w["cocaine_completed"].sum())


def _months(w: pd.DataFrame) -> int:
    return len(w)


def _cumulative_over(col: str):
    """A cumulative ledger column (cocaine_delivered, ...): what was added over the period, per year."""
    def compute(w: pd.DataFrame, place: str, ts: pd.DataFrame) -> float:
        first = ts.index.get_loc(w.index[0])
        before = float(ts[col].iloc[first - 1]) if first > 0 else 0.0
        return (float(w[col].iloc[-1]) - before) * 12.0 / _months(w)
    return compute


def _seized_in(codes) -> list[str]:
    return [f"cocaine_seized_in_{c}" for c in codes]


def _central_america_seizure_share(w: pd.DataFrame, place: str, ts: pd.DataFrame) -> float:
    return _ratio(w[_seized_in(CENTRAL_AMERICA)].to_numpy().sum(),
                  w[_seized_in(CENTRAL_AMERICA + CARIBBEAN)].to_numpy().sum())


def _homicide_rate(w: pd.DataFrame, place: str, ts: pd.DataFrame) -> float:
    pop = float(w[f"population_{place}"].mean())
    return _ratio(w[f"homicides_{place}"].sum(), pop) * 1e5 * 12.0 / _months(w)


QUANTITIES: dict[str, Quantity] = {q.name: q for q in [
    Quantity("vector_share", "share", "vector",
             "sum of vector_<place> / sum of cocaine_completed over the period (a load counts in every "
             "vector it used)",
             lambda p: [f"vector_{p}", "cocaine_completed"], _share_of_completed(lambda p: f"vector_{p}")),
    Quantity("central_america_share", "share", "all",
             "sum of central_america_completed / sum of cocaine_completed over the period",
             lambda p: ["central_america_completed", "cocaine_completed"],
             _share_of_completed(lambda p: "central_america_completed")),
    Quantity("transit_share", "share", "country",
             "sum of transit_<CC> / sum of cocaine_completed over the period",
             lambda p: [f"transit_{p}", "cocaine_completed"], _share_of_completed(lambda p: f"transit_{p}")),
    Quantity("guatemala_share_of_mexico_overland", "share", "all",
             "sum of mexico_overland_via_GT / sum of mexico_overland_completed (VALIDATION.md case 1: "
             "validation only)",
             lambda p: ["mexico_overland_via_GT", "mexico_overland_completed"],
             lambda w, p, ts: _ratio(w["mexico_overland_via_GT"].sum(), w["mexico_overland_completed"].sum()),
             validation_only=True),
    Quantity("central_america_seizure_share", "share", "all",
             "cocaine seized in Central America's jurisdictions (land and territorial waters) / cocaine "
             "seized in Central America's and the Caribbean's, over the period: sums of cocaine_seized_in_<CC>",
             lambda p: _seized_in(CENTRAL_AMERICA + CARIBBEAN), _central_america_seizure_share),
    Quantity("air_flights", "flights", "country",
             "cocaine flights landing in <CC> over the period: sum of air_flights_<CC>",
             lambda p: [f"air_flights_{p}"], lambda w, p, ts: float(w[f"air_flights_{p}"].sum())),
    Quantity("homicide_rate", "per 100,000 per year", "country",
             "sum of homicides_<CC> / mean population_<CC> x 1e5 x 12 / months in the period",
             lambda p: [f"homicides_{p}", f"population_{p}"], _homicide_rate),
    Quantity("cocaine_delivered", "t per year", "all",
             "cocaine delivered to the US over the period (growth of the cumulative ledger) x 12 / months",
             lambda p: ["cocaine_delivered"], _cumulative_over("cocaine_delivered")),
    Quantity("cocaine_shipped", "t per year", "all",
             "cocaine shipped from the sources over the period (growth of the cumulative ledger) x 12 / months",
             lambda p: ["cocaine_shipped"], _cumulative_over("cocaine_shipped")),
    Quantity("organisations", "organisations", "all",
             "the most trafficking organisations in the corridor in any month of the period (max of "
             "organisations: the scenario's, plus successors left by kingpin removals)",
             lambda p: ["organisations"], lambda w, p, ts: float(w["organisations"].max())),
    Quantity("migrants_kidnapped", "people", "country",
             "people kidnapped in <CC> over the period: sum of the monthly migrants_kidnapped_<CC> events",
             lambda p: [f"migrants_kidnapped_{p}"], lambda w, p, ts: float(w[f"migrants_kidnapped_{p}"].sum())),
]}


def quantity(name: str) -> Quantity:
    if name not in QUANTITIES:
        raise ObservableError(f"unknown quantity '{name}'; known: {', '.join(QUANTITIES)}")
    return QUANTITIES[name]


def place_problem(name: str, place: str) -> str | None:
    """Why `place` does not suit quantity `name` (None if it does)."""
    q = quantity(name)
    if q.places == "all" and place != "all":
        return f"'{name}' is for the whole corridor: place must be 'all' (got '{place}')"
    if q.places == "vector" and place not in VECTORS:
        return f"'{name}' needs a vector, one of {', '.join(VECTORS)} (got '{place}')"
    if q.places == "country" and not COUNTRY.match(place):
        return f"'{name}' needs a country code like MX or HN (got '{place}')"
    return None


def columns_needed(targets) -> list[str]:
    """The monthly columns the given (quantity, place) pairs read, in first-use order, so sweep
    specs keep only those."""
    out: list[str] = []
    for name, place in targets:
        for c in quantity(name).columns(place):
            if c not in out:
                out.append(c)
    return out


def observe(ts: pd.DataFrame, name: str, place: str, start: str, end: str) -> float:
    """Quantity `name` at `place` over months `start`..`end` (YYYY-MM, inclusive) of one run."""
    q = quantity(name)
    bad = place_problem(name, place)
    if bad:
        raise ObservableError(bad)
    for label, m in (("start", start), ("end", end)):
        if not MONTH.match(str(m)):
            raise ObservableError(f"{label} must be a month YYYY-MM (got '{m}')")
    if start > end:
        raise ObservableError(f"the period starts ({start}) after it ends ({end})")
    missing = [c for c in q.columns(place) if c not in ts.columns]
    if missing:
        raise ObservableError(f"'{name}' at '{place}' needs the column(s) {', '.join(missing)}, which this "
                              "run's timeseries does not have (not produced by this model version or this map, "
                              "or not kept)")
    if "month" not in ts.columns:
        raise ObservableError("the timeseries has no 'month' column")
    ts = ts.reset_index(drop=True)
    month = ts["month"].astype(str)
    window = ts[(month >= start) & (month <= end)]
    if window.empty:
        raise ObservableError(f"no month of the run falls in {start}..{end} (the run covers "
                              f"{month.iloc[0] if len(month) else '-'}..{month.iloc[-1] if len(month) else '-'})")
    if window["month"].iloc[0] != start or window["month"].iloc[-1] != end:
        raise ObservableError(f"the run covers only {window['month'].iloc[0]}..{window['month'].iloc[-1]} of "
                              f"the period {start}..{end}")
    return float(q.compute(window, place, ts))
