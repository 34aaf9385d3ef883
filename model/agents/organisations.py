"""Kingpin removal: an organisation that loses its leadership may split into successors
that contest its plazas, and the removal leaves a violence shock for the homicide submodel.

The number of organisations is a state of the model (`len(model.cartels)`): successors are
new Cartel agents appended to the list, so per-organisation arrays grow with it.
"""

from __future__ import annotations

import numpy as np

from model.agents.cartel import Cartel
from model.world import grid


class Organisations:
    """The kingpin-removal rows of the policy and what they leave behind.

    `kingpin_shock` [x, y] is the excess homicide rate this month caused by removals
    (Lindo & Padilla-Romo 2018): `shock_plaza` (0.8) for `shock_plaza_months` (12) in the
    removed organisation's plazas inside the target jurisdictions, `shock_neighbour` (0.3)
    for `shock_neighbour_months` (6) in its other plazas within `neighbour_km`; the larger
    where two shocks overlap. A homicide rate h becomes h x (1 + kingpin_shock).
    """

    def __init__(self, model):
        self.model = model
        self.cfg = model.config.organisations
        self.removals = [p for p in model.config.policy if p.lever == "kingpin_removal"]
        self.kingpin_shock = np.zeros(model.cmap.shape)
        self._shocks: list[tuple[np.ndarray, float, int]] = []     # (cells, excess, until month, exclusive)
        self.log: list[dict] = []        # one entry per removal: month, organisation, split, successors

    def month(self, now: int) -> None:
        """Apply this month's removals (rows whose start is `now`, in file order), then the shock."""
        for p in self.removals:
            if p.start == now:
                self.remove(p.organisation, p.target, now)
        shock = np.zeros(self.model.cmap.shape)
        for cells, excess, until in self._shocks:
            if now < until:
                shock[cells] = np.maximum(shock[cells], excess)
        self._shocks = [s for s in self._shocks if now < s[2]]
        self.kingpin_shock = shock

    def remove(self, name: str, target: list[str], now: int) -> None:
        m, o = self.model, self.cfg
        parent = next((c for c in m.cartels if c.name == name), None)
        if parent is None:           # a successor that never appeared: nothing to remove
            self.log.append({"month": now, "organisation": name, "present": False, "split": False,
                             "successors": []})
            return
        cm = m.cmap
        where = np.zeros(cm.shape, bool)
        for code in target:
            where |= cm.mask(code)
        plaza = parent.plaza.reshape(cm.shape) >= o.plaza_level
        hit = plaza & where
        xs, ys = np.nonzero(hit)
        near = grid.stamp(cm.shape, xs, ys, grid.offsets(grid.disk(o.neighbour_km, m.cell_km))) > 0
        self._shocks.append((plaza & near & ~hit, o.shock_neighbour, now + o.shock_neighbour_months))
        self._shocks.append((hit, o.shock_plaza, now + o.shock_plaza_months))
        split = bool(m.rng.random() < o.split_probability)
        names = [self.split(parent).name for _ in range(o.successors)] if split else []
        if split:
            parent.weight *= 1.0 - o.successor_share
            m.alliances.on_split(parent.index, now)
        self.log.append({"month": now, "organisation": name, "present": True, "split": split,
                         "successors": names, "plaza_cells": int(hit.sum())})

    def split(self, parent: Cartel) -> Cartel:
        """A successor: a share of the parent's sources, ports and shipments, its knowledge
        (learned risk), and a claim on its plazas (a copy of its plaza field: where their
        flows meet, they contest)."""
        m, o = self.model, self.cfg
        parent.successors_made += 1
        c = Cartel(m, len(m.cartels), parent.spec, self._share(parent.sources), self._share(parent.ports))
        c.name = f"{parent.name}/{parent.successors_made}"
        c.weight = parent.weight * o.successor_share / o.successors
        c.learned_risk = parent.learned_risk.copy()
        c.plaza = parent.plaza.copy()
        m.cartels.append(c)
        m.step_flow_by_cartel = np.vstack([m.step_flow_by_cartel, np.zeros(m.graph.n)])
        return c

    def _share(self, nodes: np.ndarray) -> np.ndarray:
        """A successor's share of the parent's departure points or ports: `successor_share`
        of them (at least one), drawn from the model's generator."""
        k = max(1, int(round(len(nodes) * self.cfg.successor_share)))
        return np.sort(self.model.rng.choice(nodes, size=k, replace=False))
