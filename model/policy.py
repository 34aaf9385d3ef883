"""Jurisdiction settings and the policy schedule: which lever holds where, month by month.

Settings resolve from general to specific: built-in defaults, then the scenario's
`[jurisdictions.default]`, then a country's table, then a sub-national table (MX-SIN,
GT-PE …). Policy rows then apply in file order while `start <= month < end`, like Flee's
time-windowed closures. The result is plain arrays indexed by jurisdiction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.world.geography import INTL, CorridorMap
from model.scenario import JURISDICTION_DEFAULTS, Scenario, Strategy, lever_bounds
from model.scenario.schema import EVENT_LEVERS
from model.scenario.series import calendar_year

UNIT_LEVERS = {"enforcement_units": "land", "naval_units": "sea"}
NUMERIC_LEVERS = ("corruption", "victim_services", "wildlife_training", "migration_enforcement",
                  "trafficking_law", "arms_control", "land_interdiction", "maritime_interdiction",
                  "air_interdiction")
STRATEGIES = list(Strategy)


def pool_key(code: str, domain: str) -> str:
    """An enforcement pool: a jurisdiction's units in one domain, e.g. 'MX:sea'."""
    return f"{code}:{domain}"


def split_pool(key: str) -> tuple[str, str]:
    code, domain = key.rsplit(":", 1)
    return code, domain


@dataclass
class Settings:
    """Lever values in force in one month. Arrays are indexed by jurisdiction index."""

    levels: dict[str, np.ndarray]          # numeric levers, float per jurisdiction
    strategy: np.ndarray                   # int index into STRATEGIES per jurisdiction
    cooperation: np.ndarray                # bool per jurisdiction
    pool_units: dict[str, int]             # enforcement pool ("MX:land") -> units fielded
    us_demand: float
    key: tuple                             # identity of this combination (for caching)


class PolicySchedule:
    def __init__(self, scenario: Scenario, cmap: CorridorMap):
        self.sc = scenario
        self.cmap = cmap
        codes = cmap.jurisdiction_codes
        self.n = len(codes)
        self._cache: dict[tuple, Settings] = {}
        # Every code that fields units is an enforcement pool, one per domain (land police
        # and army, naval units at sea); policy targets may add pools.
        pools = []
        for c, j in scenario.jurisdictions.items():
            if c == "default":
                continue
            if j.enforcement_units is not None:
                pools.append(pool_key(c, "land"))
            if j.naval_units is not None:
                pools.append(pool_key(c, "sea"))
        for p in scenario.policy:
            if p.lever in UNIT_LEVERS:
                pools += [pool_key(t, UNIT_LEVERS[p.lever]) for t in p.target]
        self.pools = sorted(set(pools), key=lambda c: (c.count("-"), c))

    def members(self, code: str) -> np.ndarray:
        """Jurisdiction indices a code covers (a country covers its sub-regions)."""
        cm = self.cmap
        return np.array([i for i, c in enumerate(cm.jurisdiction_codes)
                         if c == code or cm.jurisdiction_country[i] == code], dtype=int)

    def active(self, month: int) -> tuple[int, ...]:
        """Rows whose levels are in force; events (kingpin removal) are the model's, not levels."""
        return tuple(i for i, p in enumerate(self.sc.policy)
                     if p.lever not in EVENT_LEVERS and p.start <= month and (p.end is None or month < p.end))

    def at(self, month: int) -> Settings:
        key = self.active(month)
        if key not in self._cache:
            self._cache[key] = self._build(key)
        return self._cache[key]

    def _build(self, active: tuple[int, ...]) -> Settings:
        sc = self.sc
        base = dict(JURISDICTION_DEFAULTS)
        if "default" in sc.jurisdictions:
            base.update(sc.jurisdictions["default"].model_dump(exclude_none=True))
        levels = {k: np.full(self.n, float(base[k])) for k in NUMERIC_LEVERS}
        strategy = np.full(self.n, STRATEGIES.index(Strategy(base["strategy"])))
        coop = np.full(self.n, bool(base["cooperation"]))
        # general before specific: countries, then sub-regions
        for code in sorted((c for c in sc.jurisdictions if c != "default"), key=lambda c: c.count("-")):
            idx = self.members(code)
            for k, v in sc.jurisdictions[code].model_dump(exclude_none=True).items():
                if k in NUMERIC_LEVERS:
                    levels[k][idx] = v
                elif k == "strategy":
                    strategy[idx] = STRATEGIES.index(Strategy(v))
                elif k == "cooperation":
                    coop[idx] = v
        units = {}
        for key in self.pools:
            code, domain = split_pool(key)
            j = sc.jurisdictions.get(code)
            field = "enforcement_units" if domain == "land" else "naval_units"
            units[key] = float((j and getattr(j, field)) or 0.0)
        demand = sc.us_demand
        for i in active:
            p = sc.policy[i]
            if p.lever == "us_demand":
                demand = demand * p.value if p.operation == "multiply" else float(p.value)
                continue
            for t in p.target:
                idx = self.members(t)
                if p.lever in UNIT_LEVERS:
                    for pool in self.pools:
                        code, domain = split_pool(pool)
                        if domain == UNIT_LEVERS[p.lever] and (code == t or self.country_of(code) == t):
                            units[pool] = units[pool] * p.value if p.operation == "multiply" else float(p.value)
                elif p.lever == "strategy":
                    strategy[idx] = STRATEGIES.index(Strategy(p.value))
                elif p.lever == "cooperation":
                    coop[idx] = bool(p.value)
                else:
                    arr = levels[p.lever]
                    arr[idx] = np.clip(arr[idx] * p.value if p.operation == "multiply" else p.value,
                                       *lever_bounds(p.lever))
        coop[self.members(INTL)] = True  # international waters are open to any cooperating navy
        return Settings(levels=levels, strategy=strategy, cooperation=coop,
                        pool_units={c: int(round(u)) for c, u in units.items()},
                        us_demand=float(demand), key=active)

    def shipment_factor(self, month: int) -> float:
        """The multiplier on every cartel's shipments this month: min(demand, supply).

        Demand is `us_demand` after policy rows times each us_demand series' value for the
        month's calendar year; supply is `supply` (1 if unset) times each supply series'
        value, and caps demand only when the scenario sets either (model/scenario/series.py).
        """
        sc = self.sc
        demand = self.at(month).us_demand
        if not sc.series and sc.supply is None:
            return demand
        year = calendar_year(sc.scenario.start_month, month)
        supply, capped = (1.0 if sc.supply is None else sc.supply), sc.supply is not None
        for s in sc.series:
            if s.lever == "us_demand":
                demand *= s.value(year)
            else:
                supply, capped = supply * s.value(year), True
        return min(demand, supply) if capped else demand

    def country_of(self, code: str) -> str:
        cm = self.cmap
        if code in cm.jurisdiction_codes:
            return cm.jurisdiction_country[cm.jurisdiction_codes.index(code)]
        return code

    def targeted_codes(self) -> list[str]:
        """Jurisdictions any policy row names (for displacement measures)."""
        out: list[str] = []
        for p in self.sc.policy:
            out += [t for t in p.target if t not in out]
        return out


def targeted_codes(scenario: Scenario) -> list[str]:
    """The jurisdictions any policy row names, sorted: "the targeted area" of every output."""
    return sorted({t for p in scenario.policy for t in p.target})
