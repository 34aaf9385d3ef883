"""Shipments: values carried along routes, counted so nothing is created or lost silently.

Every shipment is in exactly one state: in transit, delivered or seized. The ledger keeps
cumulative shipped/delivered/seized totals per commodity, so the invariant
``shipped == delivered + seized + in_transit`` can be checked at any step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from .routing import Route


class Commodity(IntEnum):
    COCAINE = 0   # north, tonnes
    ARMS = 1      # south, firearms
    WILDLIFE = 2  # north, specimens


UNITS = {Commodity.COCAINE: "t", Commodity.ARMS: "firearms", Commodity.WILDLIFE: "specimens"}


@dataclass
class Shipment:
    commodity: Commodity
    owner: int           # cartel index, or -1 - gang index for wildlife
    volume: float
    route: Route
    pos_km: float = 0.0
    step_edge: int = 0   # index of the next edge to traverse
    countries: int = 0   # bit set of countries whose land it crossed


@dataclass
class StepEvents:
    """What happened to shipments in one step (for learning, violence and metrics)."""

    seizures: list[tuple[int, int, int, float]] = field(default_factory=list)  # (commodity, owner, node, volume)
    delivered: list[tuple[int, int, float, int]] = field(default_factory=list)  # (commodity, owner, volume, countries)
    seized_done: list[tuple[int, float, int]] = field(default_factory=list)     # (commodity, volume, countries)


class Ledger:
    """Shipments in transit plus cumulative totals by commodity."""

    def __init__(self):
        k = len(Commodity)
        self.active: list[Shipment] = []
        self.shipped = np.zeros(k)
        self.delivered = np.zeros(k)
        self.seized = np.zeros(k)

    def in_transit(self) -> np.ndarray:
        out = np.zeros(len(Commodity))
        for s in self.active:
            out[s.commodity] += s.volume
        return out

    def ship(self, s: Shipment) -> None:
        self.shipped[s.commodity] += s.volume
        self.active.append(s)

    def advance(self, speed_km: float, hazard: np.ndarray,
                final_seizure: np.ndarray, country_bits: np.ndarray, flow: np.ndarray,
                rng: np.random.Generator, owner_flow: np.ndarray | None = None) -> StepEvents:
        """Move every shipment one month along its route.

        hazard[commodity, edge]: interdiction hazard of traversing an edge; final_seizure is the chance per commodity of a seizure at the route's
        end (the US port of entry). flow[commodity] accumulates volume per node traversed. A shipment is
        seized at the first edge where the cumulative hazard exceeds an exponential draw,
        which is the exact discrete-time survival model, drawn once per shipment-step.
        owner_flow[cartel] accumulates each cartel's cocaine per node (plazas, contests).
        """
        ev = StepEvents()
        still = []
        passed_nodes, lengths, vols, coms, owners = [], [], [], [], []
        draws = rng.exponential(size=len(self.active))
        finals = rng.random(size=len(self.active))
        for s, e_draw, f_draw in zip(self.active, draws, finals):
            r = s.route
            end = int(np.searchsorted(r.cum_km, s.pos_km + speed_km, side="right")) - 1
            end = max(end, s.step_edge)          # index of last node reached this month
            edges = r.edges[s.step_edge:end]
            nodes = r.nodes[s.step_edge + 1:end + 1]
            k = len(edges)
            if k:
                cum_h = np.cumsum(hazard[s.commodity, edges])
                k = int(np.searchsorted(cum_h, e_draw, side="right"))
            seized = k < len(edges)
            if seized:
                nodes = nodes[:k + 1]              # seized at the last of these nodes
            if len(nodes):
                s.countries |= int(np.bitwise_or.reduce(country_bits[nodes]))
                passed_nodes.append(nodes)
                lengths.append(len(nodes))
                vols.append(s.volume)
                coms.append(int(s.commodity))
                owners.append(s.owner)
            if seized:
                ev.seizures.append((s.commodity, s.owner, int(nodes[-1]), s.volume))
                ev.seized_done.append((s.commodity, s.volume, s.countries))
                self.seized[s.commodity] += s.volume
                continue
            s.step_edge = end
            s.pos_km = s.pos_km + speed_km
            if end == len(r.nodes) - 1:            # reached the end of the route
                if f_draw < final_seizure[s.commodity]:
                    ev.seizures.append((s.commodity, s.owner, int(r.nodes[-1]), s.volume))
                    ev.seized_done.append((s.commodity, s.volume, s.countries))
                    self.seized[s.commodity] += s.volume
                else:
                    ev.delivered.append((s.commodity, s.owner, s.volume, s.countries))
                    self.delivered[s.commodity] += s.volume
                continue
            still.append(s)
        self.active = still
        if passed_nodes:                           # one scatter-add for all loads
            nodes = np.concatenate(passed_nodes)
            vol = np.repeat(vols, lengths)
            com = np.repeat(coms, lengths)
            np.add.at(flow, (com, nodes), vol)
            if owner_flow is not None:
                own = np.repeat(owners, lengths)
                coke = com == Commodity.COCAINE
                np.add.at(owner_flow, (own[coke], nodes[coke]), vol[coke])
        return ev
