"""The corridor map: a raster of jurisdictions read from a plain TOML file.

Arrays are indexed ``[x, y]`` with x = column (west to east) and y = row from the south,
the same layout as Mesa's grid and its property layers. Sea cells get the jurisdiction of
the nearest coast within the maritime zone (so a navy patrols its own waters) or "INTL".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import ndimage

from model.errors import InputError, read_toml
from model.world.grid import nearest_cell

EARTH_KM_PER_DEG = 111.32
FEATURE_KINDS = ("port_of_entry", "source", "airstrip", "seaport", "biodiversity", "migrant_origin")
INTL = "INTL"


@dataclass(frozen=True)
class Feature:
    kind: str
    name: str
    lat: float
    lon: float
    cell: tuple[int, int]
    note: str = ""


@dataclass
class CorridorMap:
    path: Path
    name: str
    res: float
    west: float
    south: float
    land: np.ndarray                 # bool [x, y]
    jur: np.ndarray                  # int16 [x, y] index into jurisdiction_codes
    jurisdiction_codes: list[str]
    jurisdiction_names: list[str]
    jurisdiction_country: list[str]
    features: list[Feature] = field(default_factory=list)

    def __post_init__(self):
        # one map serves every model built on it, in any thread: a write must raise
        for a in (self.land, self.jur):
            a.flags.writeable = False

    @property
    def shape(self) -> tuple[int, int]:
        return self.land.shape

    @cached_property
    def country_codes(self) -> list[str]:
        return sorted(set(self.jurisdiction_country))

    @cached_property
    def country(self) -> np.ndarray:
        """int16 [x, y] index into country_codes."""
        lookup = np.array([self.country_codes.index(c) for c in self.jurisdiction_country], dtype=np.int16)
        return _frozen(lookup[self.jur])

    @cached_property
    def lon(self) -> np.ndarray:
        w, h = self.shape
        return np.broadcast_to((self.west + (np.arange(w) + 0.5) * self.res)[:, None], (w, h))

    @cached_property
    def lat(self) -> np.ndarray:
        w, h = self.shape
        return np.broadcast_to((self.south + (np.arange(h) + 0.5) * self.res)[None, :], (w, h))

    @cached_property
    def coast(self) -> np.ndarray:
        """Land cells next to the sea (where loads are landed)."""
        sea_near = ndimage.binary_dilation(~self.land, structure=np.ones((3, 3), bool))
        return _frozen(self.land & sea_near)

    def cell_km(self) -> float:
        """North-south size of a cell in km (east-west shrinks with latitude)."""
        return self.res * EARTH_KM_PER_DEG

    def feature(self, name: str) -> Feature | None:
        for f in self.features:
            if f.name == name:
                return f
        return None

    def features_of(self, kind: str) -> list[Feature]:
        return [f for f in self.features if f.kind == kind]

    def mask(self, code: str) -> np.ndarray:
        """Cells (land and own waters) of a jurisdiction code or a whole country code."""
        if code in self.jurisdiction_codes:
            return self.jur == self.jurisdiction_codes.index(code)
        if code in self.country_codes:
            return self.country == self.country_codes.index(code)
        raise KeyError(code)

    def km_from(self, cell: tuple[int, int]) -> np.ndarray:
        """Great-circle distance of every cell from `cell`, [x, y] in km."""
        return haversine_km(self.lat[cell], self.lon[cell], self.lat, self.lon)

    def cell_of(self, lat: float, lon: float) -> tuple[int, int]:
        x = int(math.floor((lon - self.west) / self.res))
        y = int(math.floor((lat - self.south) / self.res))
        return x, y


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _err(path, field, msg):
    return InputError(path, field, msg)


def _number(path, field: str, value, low: float, high: float, what: str, open_low: bool = False) -> float:
    """A finite number in [low, high] (or (low, high]); NaN, infinity, text and booleans are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not (low < value if open_low else low <= value) or not value <= high:
        raise _err(path, field, f"expected {what}, a finite number in {'(' if open_low else '['}{low:g}, "
                   f"{high:g}], got {value!r}")
    return float(value)


def _tables(path, data: dict, key: str) -> list[dict]:
    """An array of tables (`[[key]]`); a string, a list of strings or one table is refused."""
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(t, dict) for t in items):
        raise _err(path, key, f"expected [[{key}]] tables, got {type(items).__name__} {_short(items)}")
    return items


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def load_map(path: Path | str, maritime_zone_km: float = 370.0) -> CorridorMap:
    """Read and check a map file (format documented in README 'Map format')."""
    path = Path(path)
    data = read_toml(path)
    meta = data.get("map")
    if not isinstance(meta, dict):
        raise _err(path, "map", "missing [map] table")
    for key in ("resolution_deg", "west", "south", "raster"):
        if key not in meta:
            raise _err(path, f"map.{key}", "required field is missing")
    res = _number(path, "map.resolution_deg", meta["resolution_deg"], 0, 5, "a cell size in degrees", open_low=True)
    west = _number(path, "map.west", meta["west"], -180, 180, "a longitude in degrees")
    south = _number(path, "map.south", meta["south"], -90, 90, "a latitude in degrees")
    sea_symbol = meta.get("sea_symbol", ".")
    if not isinstance(sea_symbol, str) or len(sea_symbol) != 1 or not sea_symbol.isascii():
        raise _err(path, "map.sea_symbol", f"expected one ASCII character, got {_short(sea_symbol)}")
    raster = meta["raster"]
    if not isinstance(raster, str):
        raise _err(path, "map.raster", "expected a multi-line string")
    rows = [r for r in raster.split("\n") if r != ""]
    if not rows:
        raise _err(path, "map.raster", "is empty")
    width = len(rows[0])
    for i, r in enumerate(rows):
        if len(r) != width:
            raise _err(path, "map.raster", f"row {i + 1} has {len(r)} cells, expected {width} like row 1")

    jurs = _tables(path, data, "jurisdiction")
    if not jurs:
        raise _err(path, "jurisdiction", "expected [[jurisdiction]] tables")
    codes, names, countries, symbols = [], [], [], {}
    for i, j in enumerate(jurs):
        for key in ("code", "name", "country", "symbol"):
            if not isinstance(j.get(key), str) or not j.get(key):
                raise _err(path, f"jurisdiction[{i}].{key}", "required text field is missing")
        sym = j["symbol"]
        if len(sym) != 1 or sym == sea_symbol or not sym.isascii():
            raise _err(path, f"jurisdiction[{i}].symbol",
                       f"expected one ASCII character other than '{sea_symbol}', got {sym!r}")
        if sym in symbols:
            raise _err(path, f"jurisdiction[{i}].symbol", f"'{sym}' is already used by {codes[symbols[sym]]}")
        if j["code"] in codes or j["code"] == INTL:
            raise _err(path, f"jurisdiction[{i}].code", f"duplicate code '{j['code']}'")
        symbols[sym] = len(codes)
        codes.append(j["code"])
        names.append(j["name"])
        countries.append(j["country"])

    height = len(rows)
    grid = np.array([list(r) for r in rows])            # [row from north, col]
    grid = grid[::-1].T                                   # -> [x, y from south]
    land = grid != sea_symbol
    if not land.any():
        raise _err(path, "map.raster", f"has no land: every cell is the sea symbol '{sea_symbol}'")
    unknown = set(np.unique(grid[land])) - set(symbols)
    if unknown:
        raise _err(path, "map.raster", f"symbols without a [[jurisdiction]] row: {''.join(sorted(unknown))}")
    sym_lookup = np.full(128, -1, dtype=np.int16)
    for s, k in symbols.items():
        sym_lookup[ord(s)] = k
    codes_arr = np.vectorize(ord)(grid)
    jur = np.where(land, sym_lookup[np.clip(codes_arr, 0, 127)], -1).astype(np.int16)

    # Maritime zones: nearest land cell within the zone, otherwise international waters.
    codes.append(INTL)
    names.append("International waters")
    countries.append(INTL)
    if land.any():
        dist, (ix, iy) = ndimage.distance_transform_edt(~land, return_indices=True)
        near = jur[ix, iy]
        zone_cells = maritime_zone_km / (res * EARTH_KM_PER_DEG)
        sea_jur = np.where(dist <= zone_cells, near, len(codes) - 1)
        jur = np.where(land, jur, sea_jur).astype(np.int16)
    else:
        jur[:] = len(codes) - 1

    if len(set(countries)) > 62:
        raise _err(path, "jurisdiction", f"{len(set(countries))} countries; at most 62 are supported")
    cmap = CorridorMap(path=path, name=str(meta.get("name", path.stem)), res=res, west=west,
                       south=south, land=land, jur=jur, jurisdiction_codes=codes,
                       jurisdiction_names=names, jurisdiction_country=countries)
    if "north" in meta and abs(south + height * res - _number(path, "map.north", meta["north"], -90, 90,
                                                              "a latitude in degrees")) > res / 2:
        raise _err(path, "map.north", f"{height} rows at {res}° from {south} do not reach {meta['north']}")

    feats = _tables(path, data, "feature")
    for i, f in enumerate(feats):
        for key in ("kind", "name"):
            if not isinstance(f.get(key), str):
                raise _err(path, f"feature[{i}].{key}", "required text field is missing")
        if f["kind"] not in FEATURE_KINDS:
            raise _err(path, f"feature[{i}].kind", f"expected one of {', '.join(FEATURE_KINDS)}, got '{f['kind']}'")
        for key in ("lat", "lon"):
            if key not in f:
                raise _err(path, f"feature[{i}].{key}", "required number is missing")
        lat = _number(path, f"feature[{i}].lat", f["lat"], -90, 90, "a latitude in degrees")
        lon = _number(path, f"feature[{i}].lon", f["lon"], -180, 180, "a longitude in degrees")
        x, y = cmap.cell_of(lat, lon)
        if not (0 <= x < width and 0 <= y < height):
            raise _err(path, f"feature[{i}]", f"'{f['name']}' at {lat}, {lon} lies outside the map")
        if f["kind"] in ("port_of_entry", "source", "airstrip", "migrant_origin", "seaport") and not land[x, y]:
            x, y = _nearest_land(land, x, y)
        cmap.features.append(Feature(kind=f["kind"], name=f["name"], lat=lat, lon=lon,
                                     cell=(x, y), note=str(f.get("note", ""))))
    if not cmap.features_of("port_of_entry"):
        raise _err(path, "feature", "the map needs at least one port_of_entry")
    return cmap


def _nearest_land(land: np.ndarray, x: int, y: int) -> tuple[int, int]:
    """Snap a coastal point that fell on a sea cell to the closest land cell."""
    return nearest_cell(land, x, y)


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance; works on numpy arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))
