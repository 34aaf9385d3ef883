"""Cartels: route cocaine north and arms south by least-cost search on perceived risk."""

from __future__ import annotations

import mesa
import numpy as np


class Cartel(mesa.Agent):
    """A transnational trafficking organisation.

    It keeps its own perceived-risk field over cells (raised by its seizures, decaying when
    nothing happens, plus what it can see of enforcement) and a plaza field (where its
    loads usually pass). Routes are re-planned every month; shipments spread over its
    ports of entry with a softmax on the relative cost of the best route to each, which
    is how real organisations diversify instead of using one route.
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

    def learn(self, seizure_nodes: list[int], decay: float, seizure_risk: float) -> None:
        """Forget a little, then add risk around this month's seizures."""
        self.learned_risk *= 1.0 - decay
        if seizure_nodes:
            cells, hits = self.model.around(np.asarray(seizure_nodes, np.int64))
            self.learned_risk[cells] += seizure_risk * hits

    def plan(self, base_premium_risk: np.ndarray, rival_fee: np.ndarray) -> None:
        """Least-cost route to each of its ports (from whichever source is cheapest)."""
        m = self.model
        p = m.config.routing
        risk = self.learned_risk + base_premium_risk
        premium = np.clip((risk / p.risk_threshold) ** 2, 1.0, p.max_premium)
        weights = m.router.edge_weights(m.cost_per_km, premium, m.gang_fee_per_km + rival_fee,
                                        p.mode_change_cost)
        dist, pred, origin = m.router.search(weights, self.sources)
        cand = [(dist[t], int(origin[t]), int(t)) for t in self.ports if np.isfinite(dist[t])]
        if not cand:
            self.routes, self.route_p = [], np.zeros(0)
            return
        costs = np.array([c[0] for c in cand])
        best = costs.min()
        logits = -(costs - best) / (best * p.route_temperature)
        keep = logits > -12.0                     # drop routes with negligible probability
        prob = np.exp(logits[keep])
        prob /= prob.sum()
        kept = [c for c, k in zip(cand, keep) if k]
        self.routes = [m.graph.path(pred, s, t, c) for c, s, t in kept]
        self.route_p = prob

    def update_plazas(self, flow_share: np.ndarray, rate: float = 0.2) -> None:
        self.plaza = (1 - rate) * self.plaza + rate * flow_share
