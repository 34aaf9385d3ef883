"""Violence: a monthly phase, not a role. Events are Poisson draws on where cartels' flows
meet, where loads were seized and where gangs operate."""

from __future__ import annotations

import numpy as np


def violence_month(v, rng, flow_by_cartel: np.ndarray, cocaine_flow: np.ndarray,
                   seizures: np.ndarray, gang_strength: np.ndarray) -> np.ndarray:
    """Violent events per cell [x, y] this month.

    `flow_by_cartel` is per cartel and node; `cocaine_flow`, `seizures` and
    `gang_strength` are [x, y]; `v` the scenario's violence section.
    """
    contested = contested_cells(flow_by_cartel, gang_strength.shape)
    busy = (cocaine_flow > 0) | (gang_strength > 0)
    lam = v.contest * contested + v.seizure * seizures + v.gang * gang_strength * busy
    return rng.poisson(lam).astype(float)


def contested_cells(flow_by_cartel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Per cell [x, y], how many organisations beyond the first moved cocaine through it."""
    return np.maximum((flow_by_cartel > 0).sum(axis=0).reshape(shape) - 1, 0)
