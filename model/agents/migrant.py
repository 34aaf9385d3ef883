"""Migrants: travel north, weigh distance against migration enforcement, face traffickers."""

from __future__ import annotations

from enum import IntEnum

import mesa
import numpy as np


class MigrantState(IntEnum):
    TRAVELLING = 0
    ARRIVED = 1
    TRAFFICKED = 2
    RESCUED = 3
    RETURNED = 4   # detained and returned


def on_road(state):
    """Still on the map: travelling, or held by traffickers (a state or an array of them)."""
    return (state == MigrantState.TRAVELLING) | (state == MigrantState.TRAFFICKED)


class MigrantTable:
    """Every migrant's position, route and state as arrays, one row per agent ever spawned.

    A month for all migrants is then one vectorised pass (`migrant_month`) instead of a
    Python call per agent; the `Migrant` agents read their row.
    """

    def __init__(self, capacity: int = 256):
        self.n = 0
        self.node = np.zeros(capacity, np.int64)       # routing-graph node (x * height + y)
        self.state = np.zeros(capacity, np.int8)       # MigrantState
        self.smuggled = np.zeros(capacity, bool)
        self.origin = np.zeros(capacity, np.int32)     # index into the scenario's origins

    def add(self, node: int, origin: int, smuggled: np.ndarray) -> np.ndarray:
        """Append travelling migrants starting at `node`; returns their rows."""
        k = len(smuggled)
        if self.n + k > len(self.node):
            cap = max(2 * len(self.node), self.n + k)
            for name in ("node", "state", "smuggled", "origin"):
                old = getattr(self, name)
                new = np.zeros(cap, old.dtype)
                new[:self.n] = old[:self.n]
                setattr(self, name, new)
        rows = np.arange(self.n, self.n + k)
        self.node[rows] = node
        self.state[rows] = MigrantState.TRAVELLING
        self.smuggled[rows] = smuggled
        self.origin[rows] = origin
        self.n += k
        return rows


class Migrant(mesa.Agent):
    """A group of `people_per_agent` people moving toward the US border.

    `smuggled` migrants follow the smugglers' route, which avoids migration checkpoints
    but runs through gang territory; the others take the direct route and risk detention.
    A month's rules live in `migrant_month`, which handles any number of migrants at once;
    `step` applies it to this one.

    The agent's state is its row of the model's `MigrantTable`, and `cell` is read from
    its node. Migrants are not registered in the grid's cells: nothing asks a cell for
    its migrants, and re-registering every migrant every month cost more than all their
    behaviour (benchmarks/BENCHMARKS.md).
    """

    def __init__(self, model, row: int):
        super().__init__(model)
        self.row = row

    @property
    def node(self) -> int:
        return int(self.model.migrant_table.node[self.row])

    @property
    def state(self) -> MigrantState:
        return MigrantState(int(self.model.migrant_table.state[self.row]))

    @property
    def smuggled(self) -> bool:
        return bool(self.model.migrant_table.smuggled[self.row])

    @property
    def origin(self) -> int:
        return int(self.model.migrant_table.origin[self.row])

    @property
    def on_road(self) -> bool:
        return bool(on_road(self.state))

    @property
    def cell(self):
        """The grid cell the migrant is in; None once its journey has ended."""
        if not self.on_road:
            return None
        h = self.model.cmap.shape[1]
        return self.model.grid[(self.node // h, self.node % h)]

    def step(self) -> None:
        migrant_month(self.model, np.array([self.row]), self.model.rng.random(1))


def migrant_month(m, rows: np.ndarray, u: np.ndarray) -> None:
    """One month for the migrants in these rows of `m.migrant_table`; updates `m.migrant_counts`.

    - travelling: move a month along the direct or smugglers' route (`m.migrant_jump`,
      one row per route);
      arrive at the border, or face detention (direct route, where migration enforcement
      and police are) or trafficking (smugglers' route, where gangs hold territory and
      trafficking law is weak);
    - trafficked: rescued where victim services and police are present;
    - the hazards are monthly and `u` holds one uniform draw per migrant.
    """
    if len(rows) == 0:
        return
    mg = m.config.migrants
    tab = m.migrant_table
    nodes = tab.node[rows]
    state = tab.state[rows]
    smug = tab.smuggled[rows]
    travelling = state == MigrantState.TRAVELLING
    new = np.where(travelling, m.migrant_jump[smug.view(np.int8), nodes], nodes)
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
    caught = travelling & ~arrived & event
    after[caught & smug] = MigrantState.TRAFFICKED
    after[caught & ~smug] = MigrantState.RETURNED
    after[(state == MigrantState.TRAFFICKED) & event] = MigrantState.RESCUED
    tab.node[rows] = new
    tab.state[rows] = after
    k = len(MigrantState)
    delta = np.bincount(after, minlength=k) - np.bincount(state, minlength=k)
    for s in np.flatnonzero(delta).tolist():
        m.migrant_counts[MigrantState(s)] += int(delta[s])
