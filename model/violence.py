"""Violence: a monthly phase, not a role. Events are Poisson draws on where cartels' flows
meet, where loads were seized and where gangs operate."""

from __future__ import annotations

import numpy as np

from model.world import grid


def contested(flow_by_cartel: np.ndarray, shape: tuple[int, int], reach: np.ndarray | None = None) -> np.ndarray:
    """Per cell [x, y], how many organisations beyond the first move cocaine through it.

    With `reach` (the (dx, dy) offsets of a disk, model.world.grid), an organisation holds
    every cell within that reach of a cell its cocaine passed (its plaza: the municipality a
    route crosses and its neighbours), and the count is of organisations holding the cell.
    """
    if reach is None:
        active = (flow_by_cartel > 0).sum(axis=0).reshape(shape)
    else:
        active = np.zeros(shape)
        for flow in flow_by_cartel:
            xs, ys = np.nonzero(flow.reshape(shape) > 0)
            active += grid.stamp(shape, xs, ys, reach) > 0
    return np.maximum(active - 1, 0)


def violence_month(v, rng, flow_by_cartel: np.ndarray, cocaine_flow: np.ndarray,
                   seizures: np.ndarray, gang_strength: np.ndarray,
                   turf_war: np.ndarray | None = None) -> np.ndarray:
    """Violent events per cell [x, y] this month.

    `flow_by_cartel` is per organisation (a growing list) and node; `cocaine_flow`,
    `seizures`, `gang_strength` and `turf_war` (extra contests where a gang's alliance
    broke) are [x, y]; `v` the scenario's violence section.
    """
    shape = gang_strength.shape
    contest = contested(flow_by_cartel, shape)
    if turf_war is not None:
        contest = contest + turf_war
    busy = (cocaine_flow > 0) | (gang_strength > 0)
    lam = v.contest * contest + v.seizure * seizures + v.gang * gang_strength * busy
    return rng.poisson(lam).astype(float)
