"""Enforcement units: patrol, chase seizures or intelligence, can be bribed."""

from __future__ import annotations

import numpy as np
from mesa.discrete_space import CellAgent

from ..scenario import Strategy


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

    @property
    def xy(self) -> tuple[int, int]:
        return self.cell.coordinate

    def move(self, strategy: Strategy, allowed: np.ndarray, reach: int) -> None:
        """Pick next month's cell within `reach` cells, inside `allowed`."""
        if strategy == Strategy.STATIC:
            return
        m = self.model
        x, y = self.xy
        w, h = allowed.shape
        x0, x1 = max(0, x - reach), min(w, x + reach + 1)
        y0, y1 = max(0, y - reach), min(h, y + reach + 1)
        ok = allowed[x0:x1, y0:y1]
        if not ok.any():
            return
        if strategy == Strategy.PATROL:
            score = m.rng.random(ok.shape)
        else:
            signal = m.recent_seizures if strategy == Strategy.HOTSPOT else m.observed_flow
            # a little noise breaks ties and keeps units from stacking on one cell
            score = signal[x0:x1, y0:y1] + 1e-6 * m.rng.random(ok.shape)
            if score[ok].max() <= 1e-6:
                score = m.rng.random(ok.shape)
        score = np.where(ok, score, -np.inf)
        i, j = np.unravel_index(int(np.argmax(score)), score.shape)
        self.cell = m.grid[(x0 + int(i), y0 + int(j))]
