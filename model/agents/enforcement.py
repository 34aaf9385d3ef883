"""Enforcement: pools of units that resize with budgets, move, can be bribed, and cover cells."""

from __future__ import annotations

import numpy as np
from mesa.discrete_space import CellAgent

from model.policy import STRATEGIES, Settings, split_pool
from model.scenario import Strategy
from model.world import grid


class EnforcementUnit(CellAgent):
    """A police, military or naval unit of one jurisdiction's enforcement pool.

    Its presence raises the interdiction hazard of the cells within its reach. Where it
    may go is its pool's business (its own jurisdiction, plus partners' territory and
    international waters when its country cooperates); how it picks a cell is its
    strategy.
    """

    def __init__(self, model, pool: str, cell):
        super().__init__(model)
        self.pool = pool
        self.cell = cell
        self.bribed = False

    def move(self, strategy: Strategy, window: tuple[int, int, np.ndarray, np.ndarray],
             signal: np.ndarray | None) -> None:
        """Pick next month's cell in `window`: (x0, y0, allowed cells, their offsets).

        The window is the square of cells within reach, clipped to the map (cached by
        `Enforcement.window`); `signal` is the [x, y] field a hotspot or intelligence
        unit moves toward.
        """
        if strategy == Strategy.STATIC:
            return
        m = self.model
        x0, y0, ok, free = window
        if len(free) == 0:
            return
        choices = None
        if strategy != Strategy.PATROL:
            win = np.where(ok, signal[x0:x0 + ok.shape[0], y0:y0 + ok.shape[1]], -1.0)
            best = win.max()
            if best > 0:
                choices = np.argwhere(win == best)     # ties: any of the hottest cells
        if choices is None:                            # patrol, or nothing seen yet
            choices = free
        i, j = choices[m.rng.integers(len(choices))] if len(choices) > 1 else choices[0]
        self.cell = m.grid[(x0 + int(i), y0 + int(j))]


class Enforcement:
    """Every enforcement pool of a model: areas, units, bribery, coverage and memories.

    `coverage` counts the units that are not bribed this month over each cell (what
    interdicts loads); `coverage_all` counts every unit (police presence migrants meet).
    `recent_seizures` and `observed_flow` are what hotspot and intelligence units chase.
    """

    def __init__(self, model, schedule, cmap, routable: np.ndarray, disk_offsets: np.ndarray, reach: int):
        self.model, self.schedule, self.cmap, self.routable = model, schedule, cmap, routable
        self.offsets = disk_offsets
        self.reach = reach
        shape = cmap.shape
        self.coverage = np.zeros(shape)
        self.coverage_all = np.zeros(shape)
        self.recent_seizures = np.zeros(shape)
        self.observed_flow = np.zeros(shape)
        self.coop = np.zeros(shape, bool)        # cells of cooperating jurisdictions
        self.allowed: dict[str, np.ndarray] = {}
        self.own: dict[str, np.ndarray] = {}
        self.strategy: dict[str, int] = {}
        self._windows: dict[tuple[str, int, int], tuple] = {}

    def apply(self, s: Settings) -> None:
        """Where each pool's units may go: its own area, plus partners' when it cooperates;
        then each pool is resized to its budget."""
        cm = self.cmap
        self.coop = s.cooperation[cm.jur]
        self.allowed, self.own, self.strategy = {}, {}, {}
        self._windows.clear()
        for pool in self.schedule.pools:
            code, domain = split_pool(pool)
            where = self.routable & (cm.land if domain == "land" else ~cm.land)
            own = cm.mask(code) & where
            idx = self.schedule.members(code)
            coop = bool(s.cooperation[idx].any()) if len(idx) else False
            self.allowed[pool] = own | (self.coop & where) if coop else own
            self.own[pool] = own
            self.strategy[pool] = int(s.strategy[idx[0]]) if len(idx) else 0
        self.resize(s.pool_units)

    def resize(self, targets: dict[str, int]) -> None:
        m = self.model
        units = {p: [] for p in targets}
        for u in m.agents_by_type.get(EnforcementUnit, []):
            units[u.pool].append(u)
        for pool, want in targets.items():
            have = sorted(units[pool], key=lambda a: a.unique_id)
            for u in have[want:]:          # the newest units are withdrawn first
                u.remove()
            own = np.argwhere(self.own[pool])
            if len(own) == 0:                 # e.g. international waters beyond reach:
                own = np.argwhere(self.allowed[pool])   # start in partners' waters
            if len(own) == 0:
                continue
            for _ in range(want - len(have)):
                x, y = own[m.rng.integers(len(own))]
                EnforcementUnit(m, pool, m.grid[(int(x), int(y))])

    def window(self, pool: str, x: int, y: int) -> tuple[int, int, np.ndarray, np.ndarray]:
        """Cells a unit of `pool` at (x, y) may move to: (x0, y0, allowed mask, offsets).

        Cached until the policy changes; units revisit the same cells month after month.
        """
        key = (pool, x, y)
        win = self._windows.get(key)
        if win is None:
            allowed, reach = self.allowed[pool], self.reach
            w, h = allowed.shape
            x0, x1 = max(0, x - reach), min(w, x + reach + 1)
            y0, y1 = max(0, y - reach), min(h, y + reach + 1)
            ok = allowed[x0:x1, y0:y1]
            win = self._windows[key] = (x0, y0, ok, np.argwhere(ok))
        return win

    def month(self, corruption: np.ndarray) -> None:
        """Units move, some are bribed (chance `corruption` [x, y] at their cell), and cover."""
        m = self.model
        units = list(m.agents_by_type.get(EnforcementUnit, []))
        signals = {Strategy.HOTSPOT: self.recent_seizures, Strategy.INTELLIGENCE: self.observed_flow}
        for u in units:
            x, y = u.cell.coordinate
            strategy = STRATEGIES[self.strategy[u.pool]]
            u.move(strategy, self.window(u.pool, x, y), signals.get(strategy))
        bribe_draw = m.rng.random(len(units))
        xy = np.array([u.cell.coordinate for u in units], np.int64).reshape(-1, 2)
        xs, ys = xy[:, 0], xy[:, 1]
        bribed = bribe_draw < corruption[xs, ys]
        for u, b in zip(units, bribed.tolist()):
            u.bribed = b
        shape = self.cmap.shape
        self.coverage = grid.stamp(shape, xs[~bribed], ys[~bribed], self.offsets)
        self.coverage_all = grid.stamp(shape, xs, ys, self.offsets)

    def remember(self, seizures: np.ndarray, flow: np.ndarray, seizure_memory: float,
                 flow_memory: float) -> None:
        """A short memory of where enforcement seized and where it saw loads pass (in its
        coverage or its partners' territory)."""
        self.recent_seizures = seizure_memory * self.recent_seizures + seizures
        seen = flow * (self.coop | (self.coverage > 0))
        self.observed_flow = flow_memory * self.observed_flow + seen
