"""Migrants: travel north, weigh distance against migration enforcement, face traffickers."""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from mesa.discrete_space import CellAgent


class MigrantState(IntEnum):
    TRAVELLING = 0
    ARRIVED = 1
    TRAFFICKED = 2
    RESCUED = 3
    RETURNED = 4   # detained and returned


class Migrant(CellAgent):
    """A group of `people_per_agent` people moving toward the US border.

    `smuggled` migrants follow the smugglers' route, which avoids migration checkpoints
    but runs through gang territory; the others take the direct route and risk detention.
    A month's rules live in `migrant_month`, which handles any number of migrants at once;
    `step` applies it to one.
    """

    def __init__(self, model, cell, origin: int, smuggled: bool):
        super().__init__(model)
        self.cell = cell
        self.node = cell.coordinate[0] * model.cmap.shape[1] + cell.coordinate[1]
        self.origin = origin
        self.smuggled = smuggled
        self.state = MigrantState.TRAVELLING

    def step(self) -> None:
        migrant_month(self.model, [self], self.model.rng.random(1))


def migrant_month(m, migrants: list[Migrant], u: np.ndarray) -> list[tuple[Migrant, MigrantState]]:
    """One month for these migrants; returns (migrant, previous state) for those that changed.

    - travelling: move a month along the direct or smugglers' route (`m.migrant_jump`);
      arrive at the border, or face detention (direct route, where migration enforcement
      and police are) or trafficking (smugglers' route, where gangs hold territory and
      trafficking law is weak);
    - trafficked: rescued where victim services and police are present;
    - the hazards are monthly and `u` holds one uniform draw per migrant.
    """
    if not migrants:
        return []
    mg = m.config.migrants
    nodes = np.fromiter((a.node for a in migrants), dtype=np.int64, count=len(migrants))
    state = np.fromiter((a.state for a in migrants), dtype=np.int64, count=len(migrants))
    smug = np.fromiter((a.smuggled for a in migrants), dtype=bool, count=len(migrants))
    travelling = state == MigrantState.TRAVELLING
    new = np.where(travelling, np.where(smug, m.migrant_jump[1][nodes], m.migrant_jump[0][nodes]), nodes)
    arrived = travelling & m.at_border[new]
    lv = m.node_levels
    cov = m.coverage_all.ravel()[new]
    detain = mg.detention * lv["migration_enforcement"][new] * (1.0 + mg.detention_per_coverage * cov)
    traffick = (mg.trafficking * m.grid.gang_strength.data.ravel()[new]
                * (1.0 - mg.trafficking_law_effect * lv["trafficking_law"][new]))
    rescue = mg.rescue * lv["victim_services"][new] * np.minimum(cov, 1.0)
    hazard = np.where(state == MigrantState.TRAFFICKED, rescue, np.where(smug, traffick, detain))
    event = u < 1.0 - np.exp(-hazard)
    after = state.copy()
    after[arrived] = MigrantState.ARRIVED
    on_road = travelling & ~arrived & event
    after[on_road & smug] = MigrantState.TRAFFICKED
    after[on_road & ~smug] = MigrantState.RETURNED
    after[(state == MigrantState.TRAFFICKED) & event] = MigrantState.RESCUED
    h = m.cmap.shape[1]
    changed = []
    moved = np.flatnonzero(new != nodes)
    for k in moved:
        a = migrants[k]
        a.node = int(new[k])
        a.cell = m.grid[(a.node // h, a.node % h)]
    for k in np.flatnonzero(after != state):
        a = migrants[k]
        changed.append((a, a.state))
        a.state = MigrantState(int(after[k]))
    return changed
