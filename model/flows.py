"""Shipments: values carried along routes, counted so nothing is created or lost silently.

Every shipment is in exactly one state: in transit, delivered or seized. The ledger keeps
cumulative shipped/delivered/seized totals per commodity, so the invariant
``shipped == delivered + seized + in_transit`` can be checked at any step.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from model.world.routing import Route


class Commodity(IntEnum):
    COCAINE = 0   # north, tonnes
    ARMS = 1      # south, firearms
    WILDLIFE = 2  # north, specimens
    TIMBER = 3    # north, m3 (precious hardwoods: a species group of the wildlife trade)


UNITS = {Commodity.COCAINE: "t", Commodity.ARMS: "firearms", Commodity.WILDLIFE: "specimens",
         Commodity.TIMBER: "m3"}


@dataclass
class Shipment:
    commodity: Commodity
    owner: int           # cartel index, or -1 - gang index for wildlife
    volume: float
    route: Route
    pos_km: float = 0.0
    step_edge: int = 0   # index of the next edge to traverse
    countries: int = 0   # bit set of countries whose land it crossed
    shipped: int = -1    # month shipped (set by the ledger)
    group: int = -1      # wildlife species group (model/agents/wildlife.py), -1 for none


@dataclass
class StepEvents:
    """What happened to shipments in one step (for learning, violence and metrics)."""

    seizures: list[tuple[int, int, int, float]] = field(default_factory=list)  # (commodity, owner, node, volume)
    delivered: list[tuple[int, int, float, int]] = field(default_factory=list)  # (commodity, owner, volume, countries)
    seized_done: list[tuple[int, float, int]] = field(default_factory=list)     # (commodity, volume, countries)
    # every load that finished: (shipment, edges traversed, node where it ended, outcome)
    finished: list[tuple[Shipment, int, int, int]] = field(default_factory=list)


DELIVERED, SEIZED, SEIZED_AT_PORT = 0, 1, 2   # outcomes of a finished load


class Ledger:
    """Shipments in transit plus cumulative totals by commodity."""

    def __init__(self):
        k = len(Commodity)
        self.active: list[Shipment] = []
        self.shipped = np.zeros(k)
        self.delivered = np.zeros(k)
        self.seized = np.zeros(k)
        self.month = 0        # months advanced: stamps the month a load is shipped

    def in_transit(self) -> np.ndarray:
        out = np.zeros(len(Commodity))
        for s in self.active:
            out[s.commodity] += s.volume
        return out

    def ship(self, s: Shipment) -> None:
        self.shipped[s.commodity] += s.volume
        s.shipped = self.month
        self.active.append(s)

    def advance(self, speed_km: float, hazard: Callable[[np.ndarray, np.ndarray], np.ndarray],
                final_seizure: np.ndarray, country_bits: np.ndarray, flow: np.ndarray,
                rng: np.random.Generator, owner_flow: np.ndarray | None = None,
                edge_flow: np.ndarray | None = None, edge_loads: np.ndarray | None = None) -> StepEvents:
        """Move every shipment one month along its route.

        hazard(commodities, edges): interdiction hazard of traversing each edge (asked only
        for the edges loads cross this month); final_seizure is
        the chance per commodity of a seizure at the route's end (the US port of entry).
        flow[commodity] accumulates volume per node traversed. A shipment is seized at the
        first edge where the cumulative hazard exceeds an exponential draw, which is the
        exact discrete-time survival model, drawn once per shipment-step.
        owner_flow[cartel] accumulates each cartel's cocaine per node (plazas, contests);
        edge_flow the cocaine per edge crossed without being seized on it (air landings),
        edge_loads the number of cocaine loads that did so (flights for air edges: air_flights_<CC>, landings for deforestation).

        All shipments' stretches for the month are laid out as rows of one padded array,
        so the hazards are one cumulative sum; the per-shipment loop only does bookkeeping.
        """
        ev = StepEvents()
        act = self.active
        n = len(act)
        draws = rng.exponential(size=n)
        finals = rng.random(size=n)
        self.month += 1
        if n == 0:
            return ev
        start = np.empty(n, np.int64)      # index of the first node of this month's stretch
        end = np.empty(n, np.int64)        # index of the last node reached if not seized
        com = np.empty(n, np.int64)
        owner = np.empty(n, np.int64)
        vol = np.empty(n)
        edge_parts, node_parts = [], []
        for i, s in enumerate(act):
            r = s.route
            e = max(bisect_right(r.cum_list, s.pos_km + speed_km) - 1, s.step_edge)
            start[i], end[i] = s.step_edge, e
            com[i], owner[i], vol[i] = s.commodity, s.owner, s.volume
            edge_parts.append(r.edges[s.step_edge:e])
            node_parts.append(r.nodes[s.step_edge + 1:e + 1])
        length = end - start
        width = max(int(length.max()), 1)
        row = np.repeat(np.arange(n), length)
        first = np.cumsum(length) - length                   # each stretch's offset in the flat arrays
        col = np.arange(len(row)) - np.repeat(first, length)
        edges = np.concatenate(edge_parts)
        nodes = np.concatenate(node_parts)
        # cumulative hazard along each stretch: one row per shipment, zero-padded at the end
        cum = np.zeros((n, width))
        cum[row, col] = hazard(com[row], edges)
        np.cumsum(cum, axis=1, out=cum)
        within = np.arange(width) < length[:, None]
        k = ((cum <= draws[:, None]) & within).sum(axis=1)   # edges survived
        seized = k < length
        passed = np.where(seized, k + 1, length)             # nodes entered this month
        keep = col < passed[row]
        bits = np.zeros((n, width), np.int64)
        bits[row[keep], col[keep]] = country_bits[nodes[keep]]
        crossed = np.bitwise_or.reduce(bits, axis=1).tolist()
        seized_at = iter(nodes[first[seized] + k[seized]].tolist())  # where each was stopped
        reached = (start + passed).tolist()                  # edges traversed since the start

        still = []
        for i, (s, stop, e) in enumerate(zip(act, seized.tolist(), end.tolist())):
            s.countries |= crossed[i]
            if stop:
                self._seize(ev, s, next(seized_at), reached[i], SEIZED)
                continue
            s.step_edge = e
            s.pos_km = s.pos_km + speed_km
            if s.step_edge == len(s.route.nodes) - 1:        # reached the end of the route
                if finals[i] < final_seizure[s.commodity]:
                    self._seize(ev, s, int(s.route.nodes[-1]), e, SEIZED_AT_PORT)
                else:
                    ev.delivered.append((s.commodity, s.owner, s.volume, s.countries))
                    ev.finished.append((s, e, int(s.route.nodes[-1]), DELIVERED))
                    self.delivered[s.commodity] += s.volume
                continue
            still.append(s)
        self.active = still
        if keep.any():                              # one scatter-add for all loads
            r, nd = row[keep], nodes[keep]
            c, v = com[r], vol[r]
            np.add.at(flow, (c, nd), v)
            if owner_flow is not None:
                own = owner[r]
                coke = c == Commodity.COCAINE
                np.add.at(owner_flow, (own[coke], nd[coke]), v[coke])
        if edge_flow is not None or edge_loads is not None:
            crossed = (col < np.where(seized, k, length)[row]) & (com[row] == Commodity.COCAINE)
            if edge_flow is not None:
                np.add.at(edge_flow, edges[crossed], vol[row[crossed]])
            if edge_loads is not None:
                np.add.at(edge_loads, edges[crossed], 1.0)
        return ev

    def _seize(self, ev: StepEvents, s: Shipment, node: int, edges: int, outcome: int) -> None:
        ev.seizures.append((s.commodity, s.owner, node, s.volume))
        ev.finished.append((s, edges, node, outcome))
        ev.seized_done.append((s.commodity, s.volume, s.countries))
        self.seized[s.commodity] += s.volume
