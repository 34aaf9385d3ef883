"""The routing graph: cells joined by land, sea and air edges, searched with scipy.

The graph's structure never changes, so one `RoutingGraph` is shared by every model on a
map, in any thread; its arrays are read-only, so a write raises instead of racing. Edge
weights change every month and belong to each model's `Router`: a numpy expression over
the edge arrays (transport cost × risk premium + fees), set as the data of the model's
own CSR matrix over the shared structure, so a replan costs one vectorised update plus
one Dijkstra search per cartel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse import csgraph

from model.world.geography import EARTH_KM_PER_DEG, CorridorMap, haversine_km

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

    @cached_property
    def step_km(self) -> np.ndarray:
        """Length of each edge, as the differences of `cum_km` (what overlaps are summed over)."""
        return np.diff(self.cum_km)

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
        # A port of entry is always routable, even on US soil (Miami by sea and air): loads
        # end there. The land ports sit on the Mexican side, so this changes nothing for them.
        routable = routable.copy()
        for f in cmap.features_of("port_of_entry"):
            routable[f.cell] = True
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
        matrix = sparse.csr_matrix((np.ones(len(self.src)), (self.src, self.dst)), shape=(self.n, self.n))
        matrix.sort_indices()
        # csr_matrix keeps (src, dst)-sorted order, which is our edge order
        assert np.array_equal(matrix.indices, self.dst)
        self.indptr, self.indices = matrix.indptr, matrix.indices
        self.land_edges = np.flatnonzero(self.mode == Mode.LAND)
        self.changes = np.flatnonzero(self.landing)            # mode changes: few edges
        # land edges reversed (rows = dst, then src), for searches toward a set of targets
        land = self.land_edges
        self.toward_order = np.lexsort((self.src[land], self.dst[land]))
        rev = sparse.csr_matrix((np.ones(len(land)), (self.dst[land][self.toward_order],
                                                     self.src[land][self.toward_order])),
                                shape=(self.n, self.n))
        rev.sort_indices()
        self.toward_indptr, self.toward_indices = rev.indptr, rev.indices
        for a in vars(self).values():
            if isinstance(a, np.ndarray):
                a.flags.writeable = False

    @property
    def n_edges(self) -> int:
        return len(self.src)

    def node(self, cell: tuple[int, int]) -> int:
        return cell[0] * self.shape[1] + cell[1]

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


class Router:
    """One model's searches on a shared graph: its weights, matrices and caches.

    Models stepped in threads (a Dask worker's, two dashboard sessions) each have their
    own, so nothing a search writes is seen by another model. The matrices share the
    graph's read-only structure and own only their data (the weights).
    """

    def __init__(self, graph: RoutingGraph):
        self.graph = g = graph
        self.matrix = sparse.csr_matrix((np.ones(g.n_edges), g.indices, g.indptr), shape=(g.n, g.n))
        self._toward = sparse.csr_matrix((np.ones(len(g.land_edges)), g.toward_indices, g.toward_indptr),
                                         shape=(g.n, g.n))
        self._base_key = None

    def edge_weights(self, cost_per_km: np.ndarray, premium: np.ndarray, fee_per_km: np.ndarray,
                     mode_change_cost: float) -> np.ndarray:
        """Generalised cost of each edge: transport × risk premium at the cell entered + fees."""
        g = self.graph
        key = (tuple(cost_per_km), mode_change_cost)
        if self._base_key != key:            # the transport part is fixed for a run
            self._base_key = key
            self._base = g.km * np.asarray(cost_per_km)[g.mode]
            self._fixed = g.landing[g.changes] * mode_change_cost
        # fancy indexing then in-place products: the same numbers as base * np.take(premium,
        # dst) + km * np.take(fee, dst), about a third of the time (fewer temporaries)
        w = premium[g.dst]
        w *= self._base
        fee = fee_per_km[g.dst]
        fee *= g.km
        w += fee
        w[g.changes] += self._fixed
        return w

    def search(self, weights: np.ndarray, sources: np.ndarray):
        """One Dijkstra from the nearest of several sources.

        Returns (dist, pred, origin): for every node, the least cost from any source, its
        predecessor on that path and which source it starts from. One search serves a
        whole organisation, whatever the number of its departure points.
        """
        self.matrix.data = weights  # same order as the graph's edges, so no rebuild
        return csgraph.dijkstra(self.matrix, directed=True, indices=sources, min_only=True,
                                return_predecessors=True)

    def next_hop_toward(self, targets: np.ndarray, land_weights: np.ndarray) -> np.ndarray:
        """For every node, the next node on its least-cost land path to the nearest target.

        `land_weights` are the weights of the graph's `land_edges`, in that order. Targets,
        and nodes that reach none, map to themselves. One search from all targets over
        reversed edges, whose predecessors are the next hops.
        """
        stay = np.arange(self.graph.n)
        if len(targets) == 0:
            return stay
        self._toward.data = land_weights[self.graph.toward_order]
        _, pred = csgraph.dijkstra(self._toward, directed=True, indices=targets, min_only=True,
                                   return_predecessors=True)[:2]
        return np.where(pred >= 0, pred, stay)
