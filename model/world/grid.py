"""Grid operations on [x, y] arrays: disks, neighbourhoods, stamps and nearest cells.

A cell's flat id is its routing-graph node, `x * height + y`; the functions take the map's
shape instead of a model so they can be tested (and reused) on their own.
"""

from __future__ import annotations

import numpy as np

RING = np.array([(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)])   # a cell and its 8 neighbours


def disk(radius_km: float, cell_km: float) -> np.ndarray:
    """The cells within `radius_km` of the centre cell, as a 0/1 square array."""
    r = max(0, int(radius_km // cell_km))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return (xx ** 2 + yy ** 2 <= r * r + 1e-9).astype(float)


def offsets(kernel: np.ndarray) -> np.ndarray:
    """The (dx, dy) of a square kernel's non-zero cells from its centre."""
    return np.argwhere(kernel > 0) - kernel.shape[0] // 2


def cells_near(shape: tuple[int, int], xs: np.ndarray, ys: np.ndarray, offs: np.ndarray) -> np.ndarray:
    """Flat ids of the cells at `offs` (dx, dy) from each (x, y) that lie on the map."""
    w, h = shape
    X = (xs[:, None] + offs[:, 0]).ravel()
    Y = (ys[:, None] + offs[:, 1]).ravel()
    inside = (X >= 0) & (X < w) & (Y >= 0) & (Y < h)
    return X[inside] * h + Y[inside]


def stamp(shape: tuple[int, int], xs: np.ndarray, ys: np.ndarray, offs: np.ndarray) -> np.ndarray:
    """How many of the kernels centred at (xs, ys) cover each cell: the same sums as
    convolving the point counts with the kernel, without visiting the empty cells."""
    w, h = shape
    hits = cells_near(shape, xs, ys, offs)
    return np.bincount(hits, minlength=w * h).astype(float).reshape(w, h)


def around(shape: tuple[int, int], nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells within one cell of these nodes, each with how many of the nodes it is next
    to; the same counts as a 3x3 sum over a hit map."""
    h = shape[1]
    return np.unique(cells_near(shape, nodes // h, nodes % h, RING), return_counts=True)


def nearest_cell(mask: np.ndarray, x: float, y: float) -> tuple[int, int]:
    """The cell of `mask` closest to the point (x, y) in cell units (the first on a tie)."""
    xs, ys = np.nonzero(mask)
    k = int(np.argmin((xs - x) ** 2 + (ys - y) ** 2))
    return int(xs[k]), int(ys[k])


def centroid_cell(mask: np.ndarray) -> tuple[int, int]:
    """The cell of `mask` closest to its centre of mass (a crescent's centre may lie outside it)."""
    xs, ys = np.nonzero(mask)
    return nearest_cell(mask, xs.mean(), ys.mean())
