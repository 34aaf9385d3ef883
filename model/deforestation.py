"""Narco-deforestation: forest cleared where cocaine lands in remote forest (§7.19).

Each month, in every cell of the forest proxy, the forest lost is

    lost_i = min(forest_i, a · landings_i + b · tonnes_landed_i)

with a = `deforestation.ha_per_landing` (the strip a flight lands on, one per landing),
b = `deforestation.ha_per_tonne_landed` (trafficking land use: ranches and plantations that
launder the profits), landings_i the drug flights that landed in the cell that month and
tonnes_landed_i their cocaine, and forest_i the forest left in the cell. Nothing is lost
outside the proxy. The proxy, in the absence of a forest layer on the map: land within
`forest_radius_km` of a biodiversity feature (the named reserves), with `forest_cover` of
each such cell's area forested at the start, and the land of `forest_jurisdictions` (the
trafficking frontiers the record names) likewise. It is a proxy, not a forest map.
"""

from __future__ import annotations

import math

import numpy as np

from model.world.geography import CorridorMap

KM2_HA = 100.0


def cell_area_ha(cmap: CorridorMap) -> np.ndarray:
    """Area of each cell [x, y] in hectares (a lon/lat cell shrinks with cos(latitude))."""
    side_km = cmap.res * math.pi / 180.0 * 6371.0
    return side_km ** 2 * np.cos(np.radians(cmap.lat)) * KM2_HA


def forest_proxy(cmap: CorridorMap, radius_km: float, cover: float, jurisdictions=()) -> np.ndarray:
    """Forest at the start per cell [x, y], ha: `cover` of the land near biodiversity areas
    and of the land of the named `jurisdictions`."""
    near = np.zeros(cmap.shape, bool)
    for f in cmap.features_of("biodiversity"):
        near |= cmap.km_from(f.cell) <= radius_km
    for code in jurisdictions:
        near |= cmap.mask(code)
    return np.where(near & cmap.land, cover * cell_area_ha(cmap), 0.0)


class Deforestation:
    """Forest left per cell and what is cleared each month."""

    def __init__(self, cfg, cmap: CorridorMap):
        self.cfg = cfg
        self.forest0 = forest_proxy(cmap, cfg.forest_radius_km, cfg.forest_cover, cfg.forest_jurisdictions)
        self.forest = self.forest0.copy()
        self.step_lost = np.zeros(cmap.shape)

    def month(self, landings: np.ndarray, tonnes: np.ndarray) -> np.ndarray:
        """Clear forest for this month's landings and tonnes landed per cell [x, y]; returns
        the hectares lost per cell (never more than the forest left, none outside the proxy)."""
        want = self.cfg.ha_per_landing * landings + self.cfg.ha_per_tonne_landed * tonnes
        self.step_lost = np.minimum(self.forest, np.maximum(want, 0.0))
        self.forest = self.forest - self.step_lost
        return self.step_lost


def forest_by_country_year(ts, codes: list[str]) -> dict:
    """{CC: {year: ha}} from the monthly `forest_lost_ha_<CC>` columns, countries with any loss;
    years are calendar years where the timeseries has months."""
    year = ts.month.astype(str).str[:4] if "month" in ts.columns else "year " + (ts.step // 12).astype(str)
    out = {}
    for code in codes:
        col = f"forest_lost_ha_{code}"
        if col in ts.columns and ts[col].sum() > 0:
            out[code] = {str(y): round(float(v), 6) for y, v in ts[col].groupby(year).sum().items()}
    return out


def forest_columns(defo: Deforestation, node_country: np.ndarray, codes: list[str]) -> dict:
    """This month's forest lost (ha) and forest left (ha) per country with forest in the proxy:
    `forest_lost_ha_<CC>`, `forest_left_ha_<CC>`; and `forest_lost_ha`, the month's total. The
    flights that cleared it are the timeseries' `air_flights_<CC>` (one count, one name)."""
    n = len(codes)
    lost = np.bincount(node_country, weights=defo.step_lost.ravel(), minlength=n)
    left = np.bincount(node_country, weights=defo.forest.ravel(), minlength=n)
    has = np.bincount(node_country, weights=defo.forest0.ravel(), minlength=n) > 0
    row = {"forest_lost_ha": float(defo.step_lost.sum())}
    for ci, code in enumerate(codes):
        if has[ci] and code != "INTL":
            row[f"forest_lost_ha_{code}"] = float(lost[ci])
            row[f"forest_left_ha_{code}"] = float(left[ci])
    return row


def deforestation_summary(ts) -> dict:
    """Forest lost over the run: total, per country, per country and year, with the forest
    the proxy held at the start and the drug flights that landed (from the timeseries)."""
    codes = [c[len("forest_lost_ha_"):] for c in ts.columns if c.startswith("forest_lost_ha_")]
    first = ts.iloc[0]
    return {
        "forest_lost_ha": round(float(ts.forest_lost_ha.sum()), 6),
        "by_country": {c: round(float(ts[f"forest_lost_ha_{c}"].sum()), 6) for c in codes},
        "forest_at_start_ha": {c: round(float(first[f"forest_left_ha_{c}"] + first[f"forest_lost_ha_{c}"]), 3)
                               for c in codes},
        "flights_landed": {c: round(float(ts[f"air_flights_{c}"].sum()), 6) for c in codes},
        "by_country_year": forest_by_country_year(ts, codes),
    }
