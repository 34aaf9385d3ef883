"""Local gangs: hold territory, sell transit, move wildlife, grow and shrink."""

from __future__ import annotations

import math

import mesa
import numpy as np

from model.flows import Commodity, Shipment


class Gang(mesa.Agent):
    """A mara or local transport group based at one place.

    Its territory is the land within ``radius_km * sqrt(strength)`` of its base: revenue
    from transit fees makes it grow, enforcement coverage in its territory (arrests)
    makes it shrink.
    """

    def __init__(self, model, index: int, spec, home: tuple[int, int]):
        super().__init__(model)
        self.index = index
        self.name = spec.name
        self.spec = spec
        self.home = home
        self.strength = spec.strength
        self.revenue = 0.0
        self.km = model.cmap.km_from(home)    # km of every cell from its fixed base: computed once
        self._eligible = model.cmap.land & model.graph.routable
        self.territory = np.zeros(model.cmap.shape, bool)
        self.update_territory()

    def update_territory(self) -> None:
        radius = self.spec.radius_km * math.sqrt(max(self.strength, 0.0))
        self.territory = (self.km <= radius) & self._eligible

    def settle(self, transit_tonnes: float, coverage_in_territory: float) -> None:
        """Monthly accounts: fees earned grow the gang, arrests shrink it (between
        `min_strength` and `max_growth` times its initial strength)."""
        sp = self.spec
        self.revenue += transit_tonnes * sp.fee_per_km
        n_cells = max(int(self.territory.sum()), 1)
        growth = sp.growth * transit_tonnes - sp.arrest_loss * coverage_in_territory / n_cells
        self.strength = float(np.clip(self.strength * (1.0 + growth), sp.min_strength * sp.strength,
                                      sp.max_growth * sp.strength))
        self.update_territory()


def territory_fields(gangs: list[Gang], shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the strongest gang's strength [x, y] and the highest transit fee (flat, per node)."""
    strength = np.zeros(shape)
    fee = np.zeros(shape)
    for gg in gangs:
        strength = np.where(gg.territory, np.maximum(strength, gg.strength), strength)
        fee = np.where(gg.territory, np.maximum(fee, gg.spec.fee_per_km), fee)
    return strength, fee.ravel()


def settle_gangs(gangs: list[Gang], flow: np.ndarray, coverage: np.ndarray) -> None:
    """Each gang's month: the largest cocaine flow [x, y] through its territory is the
    transit it sold, the enforcement coverage there the arrests it suffered."""
    for gg in gangs:
        t = gg.territory
        transit = float(flow[t].max()) if t.any() else 0.0
        gg.settle(transit, float(coverage[t].sum()) if t.any() else 0.0)


class Wildlife:
    """Gangs move wildlife from the nearest biodiversity area to the nearest port of entry.

    Wildlife traders re-plan every `wildlife_replan_months` (and when policy changes):
    their loads are small and their routes follow the drug trade's, not monthly patrols.
    """

    def __init__(self, gangs: list[Gang], cmap, graph, router, cost_per_km: np.ndarray):
        self.movers = [gg for gg in gangs if gg.spec.wildlife_per_step > 0]
        self.cmap, self.graph, self.router, self.cost_per_km = cmap, graph, router, cost_per_km
        self.biodiversity = [graph.node(f.cell) for f in cmap.features_of("biodiversity")]
        self.routes: list = []
        self._key = None

    def ship(self, month: int, policy_key, routing, seen, ledger) -> None:
        """Issue this month's loads; `seen` is the hazard traffickers gauge, per node."""
        if not self.movers or not self.biodiversity:
            return
        if month % routing.wildlife_replan_months == 0 or self._key != policy_key:
            self._key = policy_key
            self.routes = self.plan(routing, seen)
        for gg, route in self.routes:
            ledger.ship(Shipment(Commodity.WILDLIFE, -1 - gg.index, gg.spec.wildlife_per_step, route))

    def plan(self, r, seen: np.ndarray) -> list:
        g = self.graph
        premium = np.clip((seen / r.risk_threshold) ** 2, 1.0, r.max_premium)
        weights = self.router.edge_weights(self.cost_per_km, premium, np.zeros(g.n), r.mode_change_cost)
        ports = np.array(sorted({g.node(f.cell) for f in self.cmap.features_of("port_of_entry")}))
        bio = np.array(sorted(set(self.biodiversity)))
        plans = []
        for gg in self.movers:
            src = int(bio[int(np.argmin(gg.km.ravel()[bio]))])
            dist, pred, _ = self.router.search(weights, np.array([src]))
            t = int(ports[int(np.argmin(dist[ports]))])
            if np.isfinite(dist[t]):
                plans.append((gg, g.path(pred, src, t, float(dist[t]))))
        return plans
