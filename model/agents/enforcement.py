"""Enforcement units: patrol, chase seizures or intelligence, can be bribed."""

from __future__ import annotations

import numpy as np
from mesa.discrete_space import CellAgent

from model.scenario import Strategy


class EnforcementUnit(CellAgent):
    """A police, military or naval unit of one jurisdiction's enforcement pool.

    Its presence raises the interdiction hazard of the cells within its reach. Where it
    may go is the model's business (its own jurisdiction, plus partners' territory and
    international waters when its country cooperates); how it picks a cell is its
    strategy.
    """

    def __init__(self, model, pool: str, cell):
        super().__init__(model)
        self.pool = pool
        self.cell = cell
        self.bribed = False

    def move(self, strategy: Strategy, window: tuple[int, int, np.ndarray, np.ndarray]) -> None:
        """Pick next month's cell in `window`: (x0, y0, allowed cells, their offsets).

        The window is the square of cells within reach, clipped to the map; the model
        caches it by pool and cell (`CorridorModel.unit_window`).
        """
        if strategy == Strategy.STATIC:
            return
        m = self.model
        x0, y0, ok, free = window
        if len(free) == 0:
            return
        choices = None
        if strategy != Strategy.PATROL:
            signal = m.recent_seizures if strategy == Strategy.HOTSPOT else m.observed_flow
            win = np.where(ok, signal[x0:x0 + ok.shape[0], y0:y0 + ok.shape[1]], -1.0)
            best = win.max()
            if best > 0:
                choices = np.argwhere(win == best)     # ties: any of the hottest cells
        if choices is None:                            # patrol, or nothing seen yet
            choices = free
        i, j = choices[m.rng.integers(len(choices))] if len(choices) > 1 else choices[0]
        self.cell = m.grid[(x0 + int(i), y0 + int(j))]
