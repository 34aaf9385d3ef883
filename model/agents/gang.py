"""Local gangs: hold territory, sell transit, recruit migrants, grow and shrink."""

from __future__ import annotations

import math

import mesa
import numpy as np


MAX_GROWTH = 5.0   # a gang grows to at most 5x its initial strength (territory ~2.2x radius)


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
        self._km = model.km_from(home)                      # fixed base: compute once
        self._eligible = model.cmap.land & model.graph.routable
        self.territory = np.zeros(model.cmap.shape, bool)
        self.update_territory()

    def update_territory(self) -> None:
        radius = self.spec.radius_km * math.sqrt(max(self.strength, 0.0))
        self.territory = (self._km <= radius) & self._eligible

    def settle(self, transit_tonnes: float, coverage_in_territory: float) -> None:
        """Monthly accounts: fees earned grow the gang, arrests shrink it (never below 1%)."""
        self.revenue += transit_tonnes * self.spec.fee_per_km
        n_cells = max(int(self.territory.sum()), 1)
        growth = self.spec.growth * transit_tonnes - self.spec.arrest_loss * coverage_in_territory / n_cells
        self.strength = float(np.clip(self.strength * (1.0 + growth), 0.01 * self.spec.strength,
                                      MAX_GROWTH * self.spec.strength))
        self.update_territory()
