"""Homicides per country and month, so runs can be set against the homicide record.

Violence events (model.violence) stay what the maps show; this submodel turns the same
drivers into homicides. Every term is a *rate* (homicides per 100,000 residents a year), so a
country's rate does not depend on its size. Per land cell i of country c, each month:

    r_i = B_c + m_c·(h_e·rise_c + h_c·contested_i + h_g·gang_i)        per 100,000 a year
    λ_i = r_i · (P_c / L_c) / 100,000 / 12 · (1 + shock_i)

P_c / L_c is the country's population spread evenly over its L_c land cells (the map has no
population grid), so the country's rate is the mean of its cells' rates: the share of its
land that is contested or gang territory, not the count of such cells, sets it.
m_c = ((K_c + S_c) / K_c)^ε is the arms multiplier (K_c firearms held before the run, S_c the
trafficked stock). Homicides draw from their own random stream, so switching them on or off
changes no other number of a run.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np

SHIPPED_POPULATION = Path(__file__).resolve().parent.parent / "scenarios" / "data" / "population.toml"
STREAM = 0x484F4D   # "HOM": the homicide stream's key beside the run's seed
PER = 100_000.0


class Population:
    """Census anchors per country; linear between anchors, the nearest segment's trend beyond."""

    def __init__(self, anchors: dict[str, list[tuple[int, float]]]):
        self.anchors = {c: sorted(a) for c, a in anchors.items() if a}

    @classmethod
    def read(cls, path: Path) -> "Population":
        data = tomllib.loads(Path(path).read_text())
        return cls({code: [(int(a["year"]), float(a["population"])) for a in t.get("anchors", [])]
                    for code, t in data.items()})

    def at(self, code: str, year: float) -> float | None:
        a = self.anchors.get(code)
        if not a:
            return None
        if len(a) == 1:
            return a[0][1]
        years = [y for y, _ in a]
        k = int(np.clip(np.searchsorted(years, year) - 1, 0, len(a) - 2))
        (y0, p0), (y1, p1) = a[k], a[k + 1]
        return p0 + (p1 - p0) * (year - y0) / (y1 - y0)


def population_for(scenario) -> Population:
    """The scenario's population file, or the shipped one (no file: no rates, counts still)."""
    f = scenario.homicides.population_file
    if f:
        base = scenario.path.parent if scenario.path else Path.cwd()
        return Population.read(base / f)
    return Population.read(SHIPPED_POPULATION) if SHIPPED_POPULATION.exists() else Population({})


def rate_per_100k(homicides: float, population: float) -> float:
    """Homicides in a year per 100,000 people."""
    return homicides / population * PER


class HomicideModel:
    """The homicide submodel's state: the trafficked arms stock and the enforcement baseline
    per country, and the per-cell `shock` other mechanisms may raise.

    `shock` is the hook for enforcement shocks located in cells, such as a kingpin's removal
    (Lindo & Padilla-Romo 2018: +80% in the municipality for 12 months, +30% in its
    neighbours for 6): add 0.8 to the cells of the municipality, 0.3 to the neighbours'
    and the cell's homicides rise by that share; it decays by `homicides.shock_decay` a
    month. It is [x, y], like every grid field.
    """

    def __init__(self, h, arms, country: np.ndarray, land: np.ndarray, codes: list[str],
                 population: Population, seed: int):
        self.h, self.arms = h, arms
        self.codes = codes
        self.country = country                   # country index per cell [x, y]
        self.land = land
        self.population = population
        n = len(codes)
        self.land_cells = np.bincount(country[land], minlength=n).astype(float)
        self.baseline = np.array([h.baseline_by_country.get(c, h.baseline_rate) for c in codes])
        self.has_pop = np.array([population.at(c, 2000) is not None and c != "INTL" for c in codes])
        self.stock = np.zeros(n)                 # trafficked firearms held per country
        self.coverage_baseline: np.ndarray | None = None
        self.shock = np.zeros(country.shape)
        self.rng = np.random.default_rng([seed, STREAM])

    def pop(self, year: float) -> np.ndarray:
        """Population per country index in (fractional) `year`; 0 where unknown."""
        return np.array([self.population.at(c, year) or 0.0 if ok else 0.0
                         for c, ok in zip(self.codes, self.has_pop)], dtype=float)

    def add_arms(self, by_country: np.ndarray) -> None:
        """Firearms delivered this month per country join the stock, after depreciation."""
        self.stock = self.stock * (1.0 - self.arms.depreciation) + by_country

    def arms_multiplier(self, pop: np.ndarray) -> np.ndarray:
        """((K + S) / K)^ε per country; 1 where the population (hence K) is unknown."""
        legacy = self.arms.legacy_per_100k * pop / PER
        ratio = np.divide(legacy + self.stock, legacy, out=np.ones_like(legacy), where=legacy > 0)
        return ratio ** self.h.arms_elasticity

    def crackdown_rise(self, coverage: np.ndarray) -> np.ndarray:
        """Per country, the relative rise of enforcement coverage above its moving baseline."""
        cov = np.bincount(self.country.ravel(), weights=coverage.ravel(), minlength=len(self.codes))
        if self.coverage_baseline is None:
            self.coverage_baseline = cov.copy()
        base = self.coverage_baseline
        rise = np.divide(cov - base, base, out=np.zeros_like(cov), where=base > 0)
        self.coverage_baseline = base + self.h.crackdown_memory * (cov - base)
        return np.maximum(rise, 0.0)

    def expected(self, year: float, contested: np.ndarray, gang_strength: np.ndarray,
                 coverage: np.ndarray, kingpin_shock: np.ndarray | None = None) -> np.ndarray:
        """Expected homicides per cell [x, y] this month (land cells only); `kingpin_shock`
        is the excess rate after leadership removals this month (model/agents/organisations.py)."""
        h = self.h
        pop = self.pop(year)
        # people per land cell / 100,000 / 12: turns a cell's yearly rate into its expected homicides a month
        per_cell = np.divide(pop, self.land_cells * PER * 12.0, out=np.zeros_like(pop), where=self.land_cells > 0)
        trafficking = (h.crackdown * self.crackdown_rise(coverage))[self.country] \
            + h.contest * contested + h.gang * gang_strength
        rate = self.baseline[self.country] + self.arms_multiplier(pop)[self.country] * trafficking
        lam = rate * per_cell[self.country] * (1.0 + self.shock)
        if kingpin_shock is not None:
            lam = lam * (1.0 + kingpin_shock)
        self.shock *= 1.0 - h.shock_decay
        return np.where(self.land, lam, 0.0)

    def month(self, year: float, contested: np.ndarray, gang_strength: np.ndarray,
              coverage: np.ndarray, kingpin_shock: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Homicides per country index this month (drawn, or expected when deterministic),
        and the population per country index they are a share of."""
        lam = self.expected(year, contested, gang_strength, coverage, kingpin_shock)
        by_country = np.bincount(self.country.ravel(), weights=lam.ravel(), minlength=len(self.codes))
        if not self.h.deterministic:
            by_country = self.rng.poisson(by_country).astype(float)
        return by_country, self.pop(year)


def arms_by_country(loads, plaza: np.ndarray, gang_strength: np.ndarray, node_country: np.ndarray,
                    n_countries: int, end_country: dict[int, int] | None = None) -> np.ndarray:
    """Firearms of this month's delivered arms loads, shared among the countries each crossed
    by where their buyers are: the owning cartel's plaza field plus gang strength there.

    `loads` are (owner, volume, country bits, country of the node it ended at); `plaza` is
    [cartel, node]. A load that crossed no buyer stays in the country where it ended.
    """
    out = np.zeros(n_countries)
    if not loads:
        return out
    gang = np.bincount(node_country, weights=gang_strength.ravel(), minlength=n_countries)
    held = np.stack([np.bincount(node_country, weights=p, minlength=n_countries) for p in plaza]) \
        if len(plaza) else np.zeros((0, n_countries))
    bit = np.left_shift(1, np.arange(n_countries))
    for owner, volume, bits, ended in loads:
        crossed = (bits & bit) > 0
        w = np.where(crossed, gang + (held[owner] if 0 <= owner < len(held) else 0.0), 0.0)
        if w.sum() > 0:
            out += volume * w / w.sum()
        else:
            out[ended] += volume
    return out
