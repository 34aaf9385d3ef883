"""Migrants: travel north, weigh distance against migration enforcement, face traffickers."""

from __future__ import annotations

from enum import IntEnum

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
    """

    def __init__(self, model, cell, origin: int, smuggled: bool):
        super().__init__(model)
        self.cell = cell
        self.origin = origin
        self.smuggled = smuggled
        self.state = MigrantState.TRAVELLING

    def step(self) -> None:
        m = self.model
        if self.state == MigrantState.TRAFFICKED:
            if m.rng.random() < m.rescue_p[self.cell.coordinate]:
                self.state = MigrantState.RESCUED
            return
        if self.state != MigrantState.TRAVELLING:
            return
        nxt = m.migrant_next[int(self.smuggled)]
        x, y = self.cell.coordinate
        h = m.cmap.shape[1]
        node = x * h + y
        for _ in range(m.migrant_hops):
            if m.at_border[node]:
                break
            node = int(nxt[node])
            if node < 0:
                break
        xy = (node // h, node % h)
        self.cell = m.grid[xy]
        if m.at_border[node]:
            self.state = MigrantState.ARRIVED
            return
        u = m.rng.random()
        if self.smuggled:
            if u < m.traffick_p[xy]:
                self.state = MigrantState.TRAFFICKED
        elif u < m.detain_p[xy]:
            self.state = MigrantState.RETURNED
