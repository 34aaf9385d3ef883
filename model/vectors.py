"""Cocaine by mode and vector: the one definition of each, for timeseries, summary,
loads.parquet, charts, validation and calibration.

A load's modes and vectors are read off the edges it traversed (a seized load: up to the
cell where it was stopped), as bits per graph edge OR-ed along its route. A load counts
in every mode and vector it used. Definitions work on any map: a vector with no cells on
it reports 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage

from model.flows import DELIVERED, Commodity
from model.world.routing import Mode

PACIFIC_ANCHOR = (10.0, -90.0)      # lat, lon: open Eastern Pacific, off El Salvador
CARIBBEAN_ANCHOR = (15.0, -80.0)    # open western Caribbean, east of Nicaragua
CARIBBEAN_SPLIT_LON = -74.0         # Windward Passage: western vs eastern Caribbean
MODES = ("air", "sea", "overland")
VECTORS = ("eastern_pacific", "western_caribbean", "eastern_caribbean", "mexico_overland")
FLAGS = {f"mode_{m}": 1 << i for i, m in enumerate(MODES)} | \
        {f"vector_{v}": 1 << (len(MODES) + i) for i, v in enumerate(VECTORS)}
_LAND = 1 << (len(MODES) + len(VECTORS))   # a land edge: overland once it leaves the first country


def sea_basins(cmap) -> tuple[np.ndarray, np.ndarray]:
    """Pacific and Atlantic-side sea cells [x, y]: the connected bodies of sea holding the
    sea cell nearest each anchor (none if the anchor is off the map). Should one body hold
    both anchors (a map open round a continent's end), its cells go to the nearer anchor."""
    sea = ~cmap.land
    lab, _ = ndimage.label(sea, structure=np.ones((3, 3), bool))   # diagonal moves, as routes make
    basins = []
    for lat, lon in (PACIFIC_ANCHOR, CARIBBEAN_ANCHOR):
        inside = cmap.west <= lon <= cmap.west + cmap.shape[0] * cmap.res and \
            cmap.south <= lat <= cmap.south + cmap.shape[1] * cmap.res
        d = (cmap.lat - lat) ** 2 + (cmap.lon - lon) ** 2
        basins.append(sea & (lab == lab.flat[np.argmin(np.where(sea, d, np.inf))]) if inside and sea.any()
                      else np.zeros(cmap.shape, bool))
    pac, atl = basins
    both = pac & atl
    if both.any():
        dp = (cmap.lat - PACIFIC_ANCHOR[0]) ** 2 + (cmap.lon - PACIFIC_ANCHOR[1]) ** 2
        da = (cmap.lat - CARIBBEAN_ANCHOR[0]) ** 2 + (cmap.lon - CARIBBEAN_ANCHOR[1]) ** 2
        pac = pac & ~(both & (da < dp))
        atl = atl & ~(both & (dp <= da))
    return pac, atl


def island_countries(cmap) -> np.ndarray:
    """Bool per country index: countries with no land on the map's largest land mass
    (Cuba, Jamaica, Hispaniola, Puerto Rico, the Bahamas; not Honduras for its Bay Islands)."""
    lab, n = ndimage.label(cmap.land, structure=np.ones((3, 3), bool))
    out = np.zeros(len(cmap.country_codes), bool)
    if n == 0:
        return out
    main = np.argmax(np.bincount(lab.ravel())[1:]) + 1
    on_land = np.bincount(cmap.country[cmap.land], minlength=len(out)) > 0
    on_main = np.bincount(cmap.country[lab == main], minlength=len(out)) > 0
    return on_land & ~on_main


def edge_tags(graph) -> tuple[np.ndarray, np.ndarray]:
    """Per edge of the graph, the mode and vector bits (FLAGS) a load gets by crossing it,
    and the bit of the country an air hop lands in. Computed once per map and graph.

    - mode_air: an air hop; mode_sea: an edge with a sea cell at either end; overland: a
      land edge into a country other than the one the load set out from (`route_tags`).
    - vector_eastern_pacific: a sea cell of the Pacific body of sea at either end;
      vector_western_caribbean / vector_eastern_caribbean: a cell of the Atlantic-side body
      (Gulf of Mexico included) west / east of CARIBBEAN_SPLIT_LON; the eastern vector also
      takes any edge into an island country's land (`island_countries`), by sea or by air;
      vector_mexico_overland: a land edge from another country's land into Mexico's.
    """
    cached = getattr(graph, "_load_tags", None)
    if cached is not None:
        return cached
    cm = graph.cmap
    pac, atl = (b.ravel() for b in sea_basins(cm))
    east = atl & (cm.lon.ravel() >= CARIBBEAN_SPLIT_LON)
    west = atl & ~east
    country = cm.country.ravel().astype(np.int64)
    land = cm.land.ravel()
    src, dst, mode = graph.src, graph.dst, graph.mode
    surface = mode != Mode.AIR
    either = lambda cells: surface & (cells[src] | cells[dst])  # noqa: E731
    mx = cm.country_codes.index("MX") if "MX" in cm.country_codes else -1
    island = island_countries(cm)[country] & land
    tags = np.zeros(graph.n_edges, np.int64)
    tags |= np.where(mode == Mode.AIR, FLAGS["mode_air"], 0)
    tags |= np.where(mode == Mode.SEA, FLAGS["mode_sea"], 0)
    tags |= np.where(mode == Mode.LAND, _LAND, 0)
    tags |= np.where(either(pac), FLAGS["vector_eastern_pacific"], 0)
    tags |= np.where(either(west), FLAGS["vector_western_caribbean"], 0)
    tags |= np.where(either(east) | island[dst], FLAGS["vector_eastern_caribbean"], 0)
    into_mx = (mode == Mode.LAND) & (country[dst] == mx) & (country[src] != mx)
    tags |= np.where(into_mx, FLAGS["vector_mexico_overland"], 0)
    air = np.where(mode == Mode.AIR, np.left_shift(1, country[dst]), 0).astype(np.int64)
    graph.__dict__["_load_tags"] = (tags, air)     # the graph is shared read-only; a cache only
    return tags, air


def route_tags(route, graph, tags_air: tuple[np.ndarray, np.ndarray], node_country: np.ndarray):
    """Bits a load on `route` has collected after each number of edges: element k is the OR
    over its first k edges (FLAGS; and the countries its air hops landed in). Cached on the route."""
    cached = getattr(route, "_tags", None)
    if cached is not None:
        return cached
    tags, air = tags_air
    e = route.edges
    t = tags[e]
    crossed = (t & _LAND).astype(bool) & (node_country[graph.dst[e]] != node_country[route.nodes[0]])
    t = (t & ~_LAND) | np.where(crossed, FLAGS["mode_overland"], 0)
    out = (np.bitwise_or.accumulate(np.concatenate([[0], t])).tolist(),
           np.bitwise_or.accumulate(np.concatenate([[0], air[e]])).tolist())
    route._tags = out
    return out


def by_mode_and_vector(loads: dict[str, np.ndarray], country_codes: list[str], cell_km: float) -> dict:
    """Timeseries columns from finished loads (cocaine, t): by mode, air landings by country,
    by vector, and tonne-km as the cell maps count it (cells entered x cell km)."""
    coke = loads["commodity"] == Commodity.COCAINE
    v = np.where(coke, loads["volume"], 0.0)
    tags = loads["tags"].astype(np.int64)
    out = {name: float(v[(tags & bit) != 0].sum()) for name, bit in FLAGS.items()}
    air = loads["air_countries"].astype(np.int64)
    for ci, code in enumerate(country_codes):
        if code != "INTL":
            out[f"air_landed_{code}"] = float(v[(air >> ci & 1) != 0].sum())
    tk = v * loads["cells"] * cell_km
    out["cocaine_completed_tonne_km"] = float(tk.sum())
    delivered = loads["outcome"] == DELIVERED
    out["cocaine_delivered_completed"] = float(v[delivered].sum())
    out["cocaine_delivered_tonne_km"] = float(tk[delivered].sum())
    return out


def mode_vector_summary(w: pd.DataFrame) -> dict:
    """Cocaine of loads finished in the window (rows `w`) by mode, air landing country and
    vector, in t and as a share of all finished; and their tonne-km (for the displacement).
    A load counts in every mode and vector it used, so shares need not add to 1."""
    if "mode_air" not in w.columns:          # a timeseries saved before these columns
        return {}
    done = float(w.cocaine_completed.sum())

    def part(col: str) -> dict:
        t = float(w[col].sum())
        return {"t": t, "share": round(t / done, 6) if done > 0 else 0.0}

    air = {c[len("air_landed_"):]: part(c) for c in w.columns
           if c.startswith("air_landed_") and w[c].sum() > 0}          # countries where loads landed
    delivered = float(w.cocaine_delivered_completed.sum())
    tk, dtk = float(w.cocaine_completed_tonne_km.sum()), float(w.cocaine_delivered_tonne_km.sum())
    return {
        "by_mode": {m: part(f"mode_{m}") for m in MODES}
        | {"air_landed": dict(sorted(air.items(), key=lambda kv: -kv[1]["t"]))},
        "by_vector": {v: part(f"vector_{v}") for v in VECTORS},
        "loads_finished": {
            "t": done, "delivered_t": delivered, "seized_t": done - delivered,
            "tonne_km": tk, "delivered_tonne_km": dtk, "seized_tonne_km": tk - dtk,
            "km_per_t": tk / done if done > 0 else 0.0,
            "delivered_km_per_t": dtk / delivered if delivered > 0 else 0.0,
            "seized_km_per_t": (tk - dtk) / (done - delivered) if done > delivered else 0.0,
        },
    }
