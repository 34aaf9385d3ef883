"""Alliances between cartels and local gangs, and the turf wars when they break.

Mexican organisations expand into Central America by alliances with local groups or by
violence and use Central American gangs as middlemen (CSIS 2009). Here a gang allies with
the cartel whose cocaine has crossed its territory for `form_months` in a row; it then
charges its ally `ally_fee_factor` x its fee and the ally's rivals `rival_fee_factor` x.
The alliance breaks when the ally splits or stops passing (and paying) for `break_months`;
a turf war follows in the gang's territory for `turf_war_months`.
"""

from __future__ import annotations

import numpy as np


class Alliances:
    def __init__(self, model):
        self.model = model
        self.cfg = model.config.alliances
        n = len(model.gangs)
        self.ally = np.full(n, -1, np.int64)          # cartel index, -1 = none
        self.crossing = np.zeros((n, 0), np.int64)    # consecutive months each cartel crossed each gang
        self.absent = np.zeros(n, np.int64)           # months the ally has not crossed
        self.war_until = np.zeros(n, np.int64)        # turf war in force while month < this
        self.turf_war = np.zeros(model.cmap.shape)    # extra contests per cell this month
        self.formed = self.broken = 0

    @property
    def count(self) -> int:
        return int((self.ally >= 0).sum())

    def fees(self, base_fee: np.ndarray) -> np.ndarray | list[np.ndarray]:
        """Transit fee per node for each cartel: `base_fee` for all while no gang is allied."""
        m, a = self.model, self.cfg
        if not a.enabled or self.count == 0:
            return base_fee
        out = []
        for c in m.cartels:
            fee = np.zeros(m.cmap.shape)
            for gi, gg in enumerate(m.gangs):
                ally = self.ally[gi]
                f = gg.spec.fee_per_km * (1.0 if ally < 0 else a.ally_fee_factor if ally == c.index
                                          else a.rival_fee_factor)
                fee = np.where(gg.territory, np.maximum(fee, f), fee)
            out.append(fee.ravel())
        return out

    def month(self, now: int) -> None:
        """The turf wars in force this month, as extra contests per cell."""
        war = np.zeros(self.model.cmap.shape)
        if self.cfg.enabled:
            for gi, gg in enumerate(self.model.gangs):
                if now < self.war_until[gi]:
                    war = np.where(gg.territory, war + self.cfg.turf_war_contest, war)
        self.turf_war = war

    def update(self, now: int, flow_by_cartel: np.ndarray) -> None:
        """After this month's transport: count crossings, form and break alliances."""
        if not self.cfg.enabled:
            return
        a, n_c = self.cfg, flow_by_cartel.shape[0]
        if self.crossing.shape[1] < n_c:        # successors appeared
            self.crossing = np.pad(self.crossing, ((0, 0), (0, n_c - self.crossing.shape[1])))
        for gi, gg in enumerate(self.model.gangs):
            through = flow_by_cartel[:, gg.territory.ravel()].sum(axis=1)
            self.crossing[gi] = np.where(through > 0, self.crossing[gi] + 1, 0)
            ally = self.ally[gi]
            if ally >= 0:
                self.absent[gi] = 0 if through[ally] > 0 else self.absent[gi] + 1
                if self.absent[gi] >= a.break_months:
                    self._break(gi, now + 1)
            elif now + 1 >= self.war_until[gi]:
                ok = np.flatnonzero(self.crossing[gi] >= a.form_months)
                if len(ok):       # the longest-standing crosser, then the largest flow, then the first
                    best = ok[np.lexsort((ok, -through[ok], -self.crossing[gi, ok]))[0]]
                    self.ally[gi], self.absent[gi] = best, 0
                    self.formed += 1

    def on_split(self, cartel: int, now: int) -> None:
        """A split breaks every alliance of the parent, from this month."""
        for gi in np.flatnonzero(self.ally == cartel):
            self._break(int(gi), now)

    def _break(self, gi: int, first_month: int) -> None:
        self.ally[gi] = -1
        self.crossing[gi] = 0
        self.war_until[gi] = first_month + self.cfg.turf_war_months
        self.broken += 1
