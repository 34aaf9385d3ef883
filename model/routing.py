"""The routing graph: cells joined by land, sea and air edges, searched with scipy.

The graph's structure never changes during a run; only edge weights do. Weights are a
numpy expression over edge arrays (transport cost × risk premium + fees), written into
the CSR matrix's data array in place, so a replan costs one vectorised update plus one
Dijkstra search per cartel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse import csgraph

from .geography import EARTH_KM_PER_DEG, CorridorMap, haversine_km

DESTINATION_COUNTRY = "US"   # loads end at ports of entry on its border; its land is not routable


class Mode(IntEnum):
    LAND = 0
    SEA = 1
    AIR = 2


@dataclass
class Route:
    """One path from a source to a port of entry, as node and edge indices."""

    nodes: np.ndarray      # node ids, first = source
    edges: np.ndarray      # edge ids, len(nodes) - 1
    cum_km: np.ndarray     # distance from the start at each node
    cost: float
    _reverse: "Route | None" = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        self.cum_list = self.cum_km.tolist()   # for bisect: a month's reach without numpy calls

    @property
    def km(self) -> float:
        return float(self.cum_km[-1])

    def reversed(self, graph: "RoutingGraph") -> "Route":
        """The same path run backwards (arms go south along cocaine routes); cached."""
        if self._reverse is None:
            self._reverse = graph.route_from_nodes(self.nodes[::-1].copy(), self.cost)
        return self._reverse


class RoutingGraph:
    """Static graph of routable cells; node id = x * height + y."""

    def __init__(self, cmap: CorridorMap, air_max_range_km: float, max_offshore_km: float):
        self.cmap = cmap
        w, h = cmap.shape
        self.shape = (w, h)
        self.n = w * h
        land = cmap.land
        dest = cmap.country_codes.index(DESTINATION_COUNTRY) if DESTINATION_COUNTRY in cmap.country_codes else -1
        offshore_cells = ndimage.distance_transform_edt(~land) * cmap.res * EARTH_KM_PER_DEG
        routable = (land & (cmap.country != dest)) | (~land & (offshore_cells <= max_offshore_km))
        self.routable = routable

        src, dst = [], []
        for dx, dy in ((1, 0), (0, 1), (1, 1), (1, -1)):
            a = routable[max(0, -dx):w - max(0, dx), max(0, -dy):h - max(0, dy)]
            xs, ys = np.nonzero(a)
            xs = xs + max(0, -dx)
            ys = ys + max(0, -dy)
            ok = routable[xs + dx, ys + dy]
            u = xs[ok] * h + ys[ok]
            v = (xs[ok] + dx) * h + ys[ok] + dy
            src += [u, v]
            dst += [v, u]
        src = np.concatenate(src)
        dst = np.concatenate(dst)
        lat = cmap.lat.ravel()
        lon = cmap.lon.ravel()
        lflat = land.ravel()
        km = haversine_km(lat[src], lon[src], lat[dst], lon[dst])
        mode = np.where(lflat[src] & lflat[dst], Mode.LAND, Mode.SEA).astype(np.int8)
        landing = lflat[src] != lflat[dst]

        # Air hops: origin strips to landing strips within range, both ways (arms fly south).
        strips = cmap.features_of("airstrip")
        origins = [f for f in strips if f.note == "origin"]
        landings = [f for f in strips if f.note != "origin"]
        a_src, a_dst = [], []
        for o in origins:
            for l in landings:
                if haversine_km(o.lat, o.lon, l.lat, l.lon) <= air_max_range_km:
                    a, b = o.cell[0] * h + o.cell[1], l.cell[0] * h + l.cell[1]
                    a_src += [a, b]
                    a_dst += [b, a]
        if a_src:
            a_src = np.array(a_src)
            a_dst = np.array(a_dst)
            src = np.concatenate([src, a_src])
            dst = np.concatenate([dst, a_dst])
            km = np.concatenate([km, haversine_km(lat[a_src], lon[a_src], lat[a_dst], lon[a_dst])])
            mode = np.concatenate([mode, np.full(len(a_src), Mode.AIR, np.int8)])
            landing = np.concatenate([landing, np.ones(len(a_src), bool)])

        order = np.lexsort((dst, src))
        self.src = src[order].astype(np.int64)
        self.dst = dst[order].astype(np.int64)
        self.km = km[order]
        self.mode = mode[order]
        self.landing = landing[order]
        self.key = self.src * self.n + self.dst       # sorted: lets a path find its edges
        self.matrix = sparse.csr_matrix((np.ones(len(self.src)), (self.src, self.dst)),
                                        shape=(self.n, self.n))
        self.matrix.sort_indices()
        self.land_edges = np.flatnonzero(self.mode == Mode.LAND)
        self._base_key = None
        self._toward = None
        # csr_matrix keeps (src, dst)-sorted order, which is our edge order
        assert np.array_equal(self.matrix.indices, self.dst)

    @property
    def n_edges(self) -> int:
        return len(self.src)

    def node(self, cell: tuple[int, int]) -> int:
        return cell[0] * self.shape[1] + cell[1]

    def edge_weights(self, cost_per_km: np.ndarray, premium: np.ndarray, fee_per_km: np.ndarray,
                     mode_change_cost: float) -> np.ndarray:
        """Generalised cost of each edge: transport × risk premium at the cell entered + fees."""
        key = (tuple(cost_per_km), mode_change_cost)
        if self._base_key != key:            # the transport part is fixed for a run
            self._base_key = key
            self._base = self.km * np.asarray(cost_per_km)[self.mode]
            self._changes = np.flatnonzero(self.landing)            # mode changes: few edges
            self._fixed = self.landing[self._changes] * mode_change_cost
        w = self._base * np.take(premium, self.dst)
        w += self.km * np.take(fee_per_km, self.dst)
        w[self._changes] += self._fixed
        return w

    def search(self, weights: np.ndarray, sources: np.ndarray):
        """One Dijkstra from the nearest of several sources.

        Returns (dist, pred, origin): for every node, the least cost from any source, its
        predecessor on that path and which source it starts from. One search serves a
        whole organisation, whatever the number of its departure points.
        """
        self.matrix.data = weights  # same order as our edges, so no rebuild
        return csgraph.dijkstra(self.matrix, directed=True, indices=sources, min_only=True,
                                return_predecessors=True)

    def next_hop_toward(self, targets: np.ndarray, land_weights: np.ndarray) -> np.ndarray:
        """For every node, the next node on its least-cost land path to the nearest target.

        `land_weights` are the weights of `land_edges`, in that order. Targets, and nodes that
        reach none, map to themselves. One search from all targets over reversed edges,
        whose predecessors are the next hops; the reversed graph's structure is built once.
        """
        if self._toward is None:
            land = self.land_edges
            order = np.lexsort((self.src[land], self.dst[land]))     # rows = dst, then src
            rev = sparse.csr_matrix((np.ones(len(land)), (self.dst[land][order], self.src[land][order])),
                                    shape=(self.n, self.n))
            rev.sort_indices()
            self._toward = (rev, order)
        rev, order = self._toward
        stay = np.arange(self.n)
        if len(targets) == 0:
            return stay
        rev.data = land_weights[order]
        _, pred = csgraph.dijkstra(rev, directed=True, indices=targets, min_only=True,
                                   return_predecessors=True)[:2]
        return np.where(pred >= 0, pred, stay)

    def path(self, pred_row: np.ndarray, source: int, target: int, cost: float) -> "Route | None":
        """Walk predecessors back from target; None if unreachable."""
        step = memoryview(pred_row)    # reads Python ints: the walk is a plain Python loop
        nodes = [target]
        v = target
        while v != source:
            v = step[v]
            if v < 0:
                return None
            nodes.append(v)
        return self.route_from_nodes(np.array(nodes[::-1], dtype=np.int64), cost)

    def route_from_nodes(self, nodes: np.ndarray, cost: float) -> Route:
        edges = np.searchsorted(self.key, nodes[:-1] * self.n + nodes[1:])
        cum = np.concatenate([[0.0], np.cumsum(self.km[edges])])
        return Route(nodes=nodes, edges=edges, cum_km=cum, cost=float(cost))
