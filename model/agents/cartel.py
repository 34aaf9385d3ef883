"""Cartels: plan routes by least-cost search on perceived risk, ship cocaine north and arms
south, learn from their seizures, and hold plazas."""

from __future__ import annotations

import mesa
import numpy as np

from model.agents.portfolio import Portfolio
from model.flows import Commodity, Shipment
from model.world import grid
from model.world.routing import Mode


class Cartel(mesa.Agent):
    """A transnational trafficking organisation.

    It keeps its own perceived-risk field over cells (raised by its seizures, decaying when
    nothing happens, plus what it can see of enforcement) and a plaza field (where its
    loads usually pass). Routes are re-planned every month; shipments spread over its
    ports of entry with a softmax on the relative cost of the best route to each, which
    is how real organisations diversify instead of using one route. With the portfolio on
    (model/agents/portfolio.py) the softmax also covers distinct alternative paths it
    keeps across months, more of them after losses.
    """

    def __init__(self, model, index: int, spec, sources: np.ndarray, ports: np.ndarray):
        super().__init__(model)
        self.index = index
        self.name = spec.name
        self.spec = spec
        self.sources = sources            # node ids (coastal sources and origin airstrips)
        self.ports = ports                # node ids of its ports of entry
        n = model.graph.n
        self.learned_risk = np.zeros(n)   # events/month, smoothed over neighbours
        self.plaza = np.zeros(n)          # share of this cartel's recent flow through each node
        self.routes: list = []
        self.route_p = np.zeros(0)
        self.owed = 0.0                   # shipments accrued but not yet whole
        self.shipped = 0.0                # t of cocaine issued this month (for the loss share)
        self.weight = 1.0                 # share of the spec's shipments it sends (< 1 after a split)
        self.successors_made = 0          # successors it has left (they are named Name/k)
        self.portfolio = Portfolio(model.config.portfolio, model.graph)

    def learn(self, seizure_nodes: list[int], decay: float, seizure_risk: float) -> None:
        """Forget a little, then add risk around this month's seizures."""
        self.learned_risk *= 1.0 - decay
        if seizure_nodes:
            cells, hits = grid.around(self.model.cmap.shape, np.asarray(seizure_nodes, np.int64))
            self.learned_risk[cells] += seizure_risk * hits

    def plan(self, base_premium_risk: np.ndarray, fee_per_km: np.ndarray,
             air_risk: np.ndarray | None = None) -> None:
        """Least-cost route to each of its ports (from whichever source is cheapest);
        `fee_per_km` per node is what gangs and rival plazas charge; `air_risk` per node is
        the extra risk a flight landing there runs (air interdiction), on air hops only."""
        m = self.model
        p = m.config.routing
        risk = self.learned_risk + base_premium_risk
        premium = risk_premium(risk, p)
        weights = m.router.edge_weights(m.cost_per_km, premium, fee_per_km, p.mode_change_cost)
        if air_risk is not None:
            air = m.air_edges
            land_at = m.graph.dst[air]
            extra = risk_premium(risk[land_at] + air_risk[land_at], p) - premium[land_at]
            weights[air] += m.graph.km[air] * m.cost_per_km[Mode.AIR] * extra
        dist, pred, origin = m.router.search(weights, self.sources)
        cand = [(dist[t], int(origin[t]), int(t)) for t in self.ports if np.isfinite(dist[t])]
        if not cand:
            self.routes, self.route_p = [], np.zeros(0)
            return
        costs = np.array([c[0] for c in cand])
        best = costs.min()
        logits = -(costs - best) / (best * p.route_temperature)
        keep = logits > -p.route_logit_cut          # drop routes with negligible probability
        kept = [c for c, k in zip(cand, keep) if k]
        self.routes = [m.graph.path(pred, s, t, c) for c, s, t in kept]
        if m.config.portfolio.enabled:
            self.portfolio.adapt(m.router, weights, self.sources, self.ports, self.routes, best)
            self.routes, costs = self.portfolio.choice_set(self.routes, weights)
            logits = -(costs - best) / (best * p.route_temperature)
            keep = logits > -p.route_logit_cut
            self.routes = [r for r, k in zip(self.routes, keep) if k]
        prob = np.exp(logits[keep])
        prob /= prob.sum()
        self.route_p = prob

    def issue(self, demand: float, rng, ledger, graph) -> None:
        """Ship this month's whole shipments (`shipments_per_step` x demand, the fraction
        carried over) on routes drawn by their probability, with arms on the way back."""
        sp = self.spec
        self.owed += sp.shipments_per_step * demand * self.weight
        n = int(self.owed)
        self.owed -= n
        self.shipped = 0.0
        if not self.routes or n == 0:
            return
        self.shipped = n * sp.tonnes_per_shipment
        for k in rng.choice(len(self.routes), size=n, p=self.route_p):
            route = self.routes[k]
            ledger.ship(Shipment(Commodity.COCAINE, self.index, sp.tonnes_per_shipment, route))
            if sp.arms_per_tonne > 0:
                ledger.ship(Shipment(Commodity.ARMS, self.index, sp.arms_per_tonne * sp.tonnes_per_shipment,
                                     route.reversed(graph)))

    def update_plazas(self, flow_share: np.ndarray, rate: float) -> None:
        self.plaza = (1 - rate) * self.plaza + rate * flow_share


def ship_arms(cartels: list[Cartel], firearms: float, ledger, graph) -> None:
    """Firearms shipped south beside arms_per_tonne (arms.independent_per_year): shared among
    cartels by the cocaine each shipped this month, and over each one's routes by their
    probability, one load per route (no random draw, so the rest of the run is unchanged
    when the flow is off)."""
    total = sum(c.shipped for c in cartels)
    if firearms <= 0 or total <= 0:
        return
    for c in cartels:
        if c.shipped <= 0:
            continue
        share = firearms * c.shipped / total
        for route, p in zip(c.routes, c.route_p):
            ledger.ship(Shipment(Commodity.ARMS, c.index, share * float(p), route.reversed(graph)))


def risk_premium(risk: np.ndarray, p) -> np.ndarray:
    """NarcoLogic's multiplier on transport cost: max(1, (risk / threshold)^2), capped."""
    return np.clip((risk / p.risk_threshold) ** 2, 1.0, p.max_premium)


def plan_all(cartels: list[Cartel], seen: np.ndarray, gang_fee: np.ndarray | list[np.ndarray],
             rival_plaza_fee: float, air_seen: np.ndarray | None = None) -> None:
    """Every cartel re-plans on `seen` (the hazard it gauges), `air_seen` (what it gauges of
    air interdiction, for flights) and the fees on its way: gangs' (one array for all, or
    one per cartel where alliances set them) and, where a rival holds the plaza, the rival's."""
    all_plaza = sum(c.plaza for c in cartels)
    for c in cartels:
        rival = rival_plaza_fee * np.clip(all_plaza - c.plaza, 0, 1)
        fee = gang_fee[c.index] if isinstance(gang_fee, list) else gang_fee
        c.plan(seen, fee + rival, air_seen)


def perceived_risk(cartels: list[Cartel]) -> np.ndarray:
    """The cartels' mean learned risk, per node (what the dashboard shows)."""
    return sum(c.learned_risk for c in cartels) / max(len(cartels), 1)


def learn_all(cartels: list[Cartel], seizures, flow_by_cartel: np.ndarray, r) -> None:
    """Each cartel learns from its own seizures (not wildlife) and moves its plazas to where
    its flow went; `seizures` are (commodity, owner, node, volume)."""
    by_cartel = [[] for _ in cartels]
    lost = [0.0 for _ in cartels]                   # t of cocaine seized (the portfolio's losses)
    for com, owner, node, vol in seizures:
        if com != Commodity.WILDLIFE and owner >= 0:
            by_cartel[owner].append(node)
            if com == Commodity.COCAINE:
                lost[owner] += vol
    for c, nodes in zip(cartels, by_cartel):
        c.learn(nodes, r.risk_decay, r.seizure_risk)
        c.portfolio.record(c.shipped, lost[c.index])
        flow = flow_by_cartel[c.index]
        if flow.sum() > 0:
            c.update_plazas(flow / flow.max(), r.plaza_rate)
