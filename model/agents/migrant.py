"""Migrants: travel north, weigh distance against migration enforcement, face traffickers."""

from __future__ import annotations

from enum import IntEnum

import mesa
import numpy as np
from scipy import ndimage


class MigrantState(IntEnum):
    TRAVELLING = 0
    ARRIVED = 1
    TRAFFICKED = 2
    RESCUED = 3
    RETURNED = 4   # detained and returned
    KIDNAPPED = 5  # held for ransom; then released onto the road or sold to traffickers


# what a month can do to migrants, counted per country (agents; the recorder makes people)
EVENTS = ("set_out", "arrived", "returned", "kidnapped", "released", "extorted", "trafficked_labour",
          "trafficked_sexual", "identified", "rescued", "prosecuted")
FORMS = ("", "labour", "sexual")     # MigrantTable.form codes


def on_road(state):
    """Still on the map: travelling, or held by kidnappers or traffickers (a state or an array)."""
    return ((state == MigrantState.TRAVELLING) | (state == MigrantState.TRAFFICKED)
            | (state == MigrantState.KIDNAPPED))


class MigrantTable:
    """Every migrant's position, route and state as arrays, one row per agent ever spawned.

    A month for all migrants is then one vectorised pass (`Migration.month`) instead of a
    Python call per agent; the `Migrant` agents read their row. Rows outlive their agents:
    a finished journey's row keeps its final state.
    """

    COLUMNS = ("node", "state", "smuggled", "origin", "set_out", "countries", "form", "fate", "held_until",
               "kidnapped", "extorted", "prosecuted", "event_step", "event_node")

    def __init__(self, capacity: int = 256):
        self.n = 0
        self.node = np.zeros(capacity, np.int64)       # routing-graph node (x * height + y)
        self.state = np.zeros(capacity, np.int8)       # MigrantState
        self.smuggled = np.zeros(capacity, bool)       # now (a direct-route migrant may turn to smugglers)
        self.origin = np.zeros(capacity, np.int32)     # index into the scenario's origins
        # the journey, for journeys.parquet: a few bytes per agent ever spawned
        self.set_out = np.zeros(capacity, np.int32)    # month
        self.countries = np.zeros(capacity, np.int64)  # bit set of countries stood in at month ends
        self.form = np.zeros(capacity, np.int8)        # FORMS code once trafficked
        self.fate = np.zeros(capacity, np.int8)        # if kidnapped: FORMS code it is sold into, 0 released
        self.held_until = np.zeros(capacity, np.int32)
        self.kidnapped = np.zeros(capacity, np.int16)  # times kidnapped
        self.extorted = np.zeros(capacity, np.int16)   # times extorted
        self.prosecuted = np.zeros(capacity, bool)
        self.event_step = np.zeros(capacity, np.int32)  # month of the last change of state
        self.event_node = np.zeros(capacity, np.int64)

    def add(self, node: int, origin: int, smuggled: np.ndarray, month: int = 0, country_bit: int = 0) -> np.ndarray:
        """Append travelling migrants starting at `node` in `month`; returns their rows."""
        k = len(smuggled)
        if self.n + k > len(self.node):
            cap = max(2 * len(self.node), self.n + k)
            for name in self.COLUMNS:
                old = getattr(self, name)
                new = np.zeros(cap, old.dtype)
                new[:self.n] = old[:self.n]
                setattr(self, name, new)
        rows = np.arange(self.n, self.n + k)
        self.node[rows] = node
        self.state[rows] = MigrantState.TRAVELLING
        self.smuggled[rows] = smuggled
        self.origin[rows] = origin
        self.set_out[rows] = self.event_step[rows] = month
        self.countries[rows] = country_bit
        self.event_node[rows] = node
        self.n += k
        return rows


class Migrant(mesa.Agent):
    """A group of `people_per_agent` people moving toward the US border.

    `smuggled` migrants follow the smugglers' route, which avoids migration checkpoints
    but runs through gang territory; the others take the direct route and risk detention.

    The agent has no `step`: its state is its row of the `MigrantTable`, and a month's
    rules (`Migration.month`) update every row in one vectorised pass, which is what lets
    thousands of migrants a month run at the speed of the rest of the model
    (benchmarks/BENCHMARKS.md). The agent is registered while the migrant is on the map
    and removed from the model when its journey ends (arrived, returned or rescued).
    Migrants are not registered in the grid's cells either: nothing asks a cell for its
    migrants, and re-registering every migrant every month cost more than all their
    behaviour.
    """

    def __init__(self, model, row: int):
        super().__init__(model)
        self.row = row

    @property
    def _table(self) -> MigrantTable:
        return self.model.migration.table

    @property
    def node(self) -> int:
        return int(self._table.node[self.row])

    @property
    def state(self) -> MigrantState:
        return MigrantState(int(self._table.state[self.row]))

    @property
    def smuggled(self) -> bool:
        return bool(self._table.smuggled[self.row])

    @property
    def origin(self) -> int:
        return int(self._table.origin[self.row])

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


class Migration:
    """Every migrant of a model: spawning at the origins, the two routes north, the month.

    `counts` holds how many agents are in each `MigrantState` (every agent ever spawned
    is in exactly one); `agents` are the ones still on the map, in spawn order, with
    their table rows in `rows`.
    """

    def __init__(self, model, cmap, graph, router, mg):
        self.model, self.graph, self.router, self.mg = model, graph, router, mg
        # targets are Mexican-side cells touching the destination's land
        dest = cmap.land & ~graph.routable          # the only unroutable land: the destination's
        near_dest = ndimage.binary_dilation(dest, structure=np.ones((3, 3), bool))
        self.at_border = (near_dest & graph.routable & cmap.land).ravel()
        self._border = np.flatnonzero(self.at_border)
        self.origins = [cmap.feature(o.name).cell for o in mg.origins]
        self._owed = np.zeros(len(self.origins))
        self.hops = max(1, int(round(mg.speed_km_per_step / cmap.cell_km())))
        # migrants walk: land edges only
        self._land_km, self._land_dst = graph.km[graph.land_edges], graph.dst[graph.land_edges]
        self.jump = np.zeros((2, graph.n), np.int64)  # a month on the direct, smugglers' route
        self._direct_key = self._smug_key = None
        self.table = MigrantTable()
        self.counts = {s: 0 for s in MigrantState}
        self.agents: list[Migrant] = []
        self.rows = np.zeros(0, np.int64)
        self.agent_steps = 0      # for the benchmarks

    def routes(self, migration_enforcement: np.ndarray, gang: np.ndarray, policy_key) -> None:
        """Where a migrant on the direct or the smugglers' route is a month from now.

        One search per route from the whole border, then the next-hop array composed
        `hops` times, so a migrant's monthly move is one array lookup. A route is
        searched again only when what it weighs changed: migration enforcement (policy,
        per node) for both, gang territory (`gang`, per node) for the smugglers'.
        """
        g, mg, me = self.router, self.mg, migration_enforcement
        km, dst = self._land_km, self._land_dst
        if self._direct_key != policy_key:
            self._direct_key = policy_key
            direct = km * (1.0 + mg.checkpoint_avoidance * me[dst])
            self.jump[0] = compose(g.next_hop_toward(self._border, direct), self.hops)
        if self._smug_key != (policy_key, gang.tobytes()):
            self._smug_key = (policy_key, gang.tobytes())
            smug = (km * (1.0 + mg.smuggler_checkpoint_avoidance * me[dst])
                    * np.where(gang[dst], mg.gang_corridor_factor, 1.0))
            self.jump[1] = compose(g.next_hop_toward(self._border, smug), self.hops)

    def month(self, levels: dict[str, np.ndarray], coverage: np.ndarray, gang_strength: np.ndarray,
              rng, territory: np.ndarray | None = None) -> None:
        """New migrants set out, then everyone on the map lives a month; finished journeys
        leave the model. `levels` are policy levels per node, `coverage` and
        `gang_strength` per node; `territory` (per node, gang strength plus cartel plazas)
        is where the dangers along the way are, gang strength if not given."""
        mg, tab, m = self.mg, self.table, self.model
        me = levels["migration_enforcement"]
        h = m.cmap.shape[1]
        now = m.steps - 1
        nc = len(m.cmap.country_codes)
        self.events = {e: np.zeros(nc, np.int64) for e in EVENTS}
        rows, agents = [self.rows], self.agents
        for i, cell in enumerate(self.origins):
            self._owed[i] += mg.origins[i].agents_per_step
            n = int(self._owed[i])
            self._owed[i] -= n
            x, y = cell
            push = mg.smuggler_share * (1.0 + mg.smuggler_response * me[x * h + y])
            smuggled = rng.random(n) < min(push, 1.0)
            if n:
                node = self.graph.node(cell)
                ci = int(m.cmap.country[x, y])
                new = tab.add(node, i, smuggled, now, 1 << ci)
                self.events["set_out"][ci] += n
                agents += [Migrant(m, r) for r in new.tolist()]
                rows.append(new)
                self.counts[MigrantState.TRAVELLING] += n
        live = np.concatenate(rows)
        self.agent_steps += len(live)
        terr = gang_strength if territory is None else territory
        self._live(live, rng.random(len(live)), levels, coverage, gang_strength, terr, now)
        still = on_road(tab.state[live])
        for a, keep in zip(agents, still.tolist()):
            if not keep:
                a.remove()
        self.agents = [a for a, keep in zip(agents, still.tolist()) if keep]
        self.rows = live[still]

    def _live(self, rows: np.ndarray, u: np.ndarray, lv: dict[str, np.ndarray], cov_all: np.ndarray,
              gang_strength: np.ndarray, territory: np.ndarray, now: int) -> None:
        """One month for the migrants in these rows of the table; updates `counts` and `events`.

        - travelling: move a month along the direct or smugglers' route (`jump`, one row
          per route); arrive at the border, or face detention (direct route, where
          migration enforcement and police are) or trafficking (smugglers' route, where
          gangs hold territory and trafficking law is weak);
        - then, for every migrant still free on the road, the dangers along the way (`_dangers`);
        - trafficked: rescued where victim services and police are present;
        - kidnapped: held `kidnap_months`, then released or sold to traffickers.
        `u` holds one uniform draw per migrant; every further choice (the form of
        trafficking, a prosecution, the dangers) splits what is left of that draw.
        """
        if len(rows) == 0:
            return
        mg, tab = self.mg, self.table
        nodes = tab.node[rows]
        state = tab.state[rows]
        smug = tab.smuggled[rows]
        travelling = state == MigrantState.TRAVELLING
        trafficked = state == MigrantState.TRAFFICKED
        new = np.where(travelling, self.jump[smug.view(np.int8), nodes], nodes)
        arrived = travelling & self.at_border[new]
        cov = cov_all[new]
        detain = mg.detention * lv["migration_enforcement"][new] * (1.0 + mg.detention_per_coverage * cov)
        traffick = (mg.trafficking * gang_strength[new]
                    * (1.0 - mg.trafficking_law_effect * lv["trafficking_law"][new]))
        rescue = mg.rescue * lv["victim_services"][new] * np.minimum(cov, 1.0)
        hazard = np.where(trafficked, rescue, np.where(smug, traffick, detain))
        hazard[state == MigrantState.KIDNAPPED] = 0.0
        event, rest = split(u, 1.0 - np.exp(-hazard))
        after = state.copy()
        after[arrived] = MigrantState.ARRIVED
        caught = travelling & ~arrived & event
        sold = caught & smug
        after[sold] = MigrantState.TRAFFICKED
        after[caught & ~smug] = MigrantState.RETURNED
        rescued = trafficked & event
        after[rescued] = MigrantState.RESCUED
        form = tab.form[rows]
        form[sold] = np.where(rest[sold] < mg.labour_share, 1, 2)
        prosecuted = rescued & (rest < mg.prosecution_rate)
        free = travelling & ~arrived & ~event
        self._dangers(rows, free, rest, new, after, form, territory, lv, now)
        held = state == MigrantState.KIDNAPPED
        out = held & (tab.held_until[rows] <= now)
        fate = tab.fate[rows]
        after[out] = np.where(fate[out] > 0, MigrantState.TRAFFICKED, MigrantState.TRAVELLING)
        form[out] = fate[out]
        changed = after != state
        tab.node[rows] = new
        tab.state[rows] = after
        tab.form[rows] = form
        tab.prosecuted[rows] |= prosecuted
        tab.countries[rows] |= np.left_shift(1, self.model.node_country[new])
        tab.event_step[rows[changed]] = now
        tab.event_node[rows[changed]] = new[changed]
        k = len(MigrantState)
        delta = np.bincount(after, minlength=k) - np.bincount(state, minlength=k)
        for s in np.flatnonzero(delta).tolist():
            self.counts[MigrantState(s)] += int(delta[s])
        newly = ((after == MigrantState.TRAFFICKED) & ~trafficked)
        self._count(new, arrived=arrived, returned=caught & ~smug, released=out & (fate == 0),
                    trafficked_labour=newly & (form == 1), trafficked_sexual=newly & (form == 2),
                    identified=rescued, rescued=rescued, prosecuted=prosecuted)

    def _dangers(self, rows, free, u, new, after, form, territory, lv, now) -> None:
        """Kidnapping, trafficking and extortion for migrants free on the road this month.

        In territory t (gang strength plus `cartel_territory` per cartel plaza) the month's
        chances are k = min(1, kidnapping x t) and p = min(1 - k, trafficking_en_route x t
        x (1 - law effect x law)): one draw kidnaps with chance k, traffics with chance p;
        of the others, `extortion` x t are extorted, and on the direct route
        `smuggler_switch` x enforcement turn to smugglers.
        """
        mg, tab = self.mg, self.table
        t = territory[new]
        pk = np.minimum(1.0, mg.kidnapping * t)
        law = 1.0 - mg.trafficking_law_effect * lv["trafficking_law"][new]
        pt = np.minimum(1.0 - pk, mg.trafficking_en_route * t * law)
        kid = free & (u < pk)
        sold = free & (u >= pk) & (u < pk + pt)
        after[kid] = MigrantState.KIDNAPPED
        after[sold] = MigrantState.TRAFFICKED
        with np.errstate(divide="ignore", invalid="ignore"):
            w_kid = u / pk                                  # uniform again, given kidnapped
            w_sold = (u - pk) / pt                          # given trafficked
            w_free = (u - pk - pt) / (1.0 - pk - pt)        # given neither
        form[sold] = np.where(w_sold[sold] < mg.labour_share, 1, 2)
        sell, w = split(w_kid, mg.kidnap_trafficked_share)
        r = rows[kid]
        tab.fate[r] = np.where(sell[kid], np.where(w[kid] < mg.labour_share, 1, 2), 0)
        tab.held_until[r] = now + mg.kidnap_months
        tab.kidnapped[r] += 1
        spared = free & ~kid & ~sold
        extorted, w = split(w_free, np.minimum(1.0, mg.extortion * t))
        extorted &= spared
        tab.extorted[rows[extorted]] += 1
        turn = spared & ~tab.smuggled[rows] & (w < mg.smuggler_switch * lv["migration_enforcement"][new])
        tab.smuggled[rows[turn]] = True
        self._count(new, kidnapped=kid, extorted=extorted)

    def _count(self, nodes, **masks) -> None:
        """Add this month's events, by the country of the node where they happened."""
        nc = len(self.model.cmap.country_codes)
        country = self.model.node_country[nodes]
        for name, mask in masks.items():
            if mask.any():
                self.events[name] += np.bincount(country[mask], minlength=nc)

    def on_road_by_country(self) -> np.ndarray:
        """Migrants travelling (free on the road) now, per country: agents."""
        tab, nc = self.table, len(self.model.cmap.country_codes)
        r = self.rows[tab.state[self.rows] == MigrantState.TRAVELLING]
        return np.bincount(self.model.node_country[tab.node[r]], minlength=nc)


def split(u: np.ndarray, p) -> tuple[np.ndarray, np.ndarray]:
    """A uniform draw `u` as an event of chance `p` and what is left of it: u / p if the event
    happened, (u - p) / (1 - p) if not; uniform on [0, 1) again either way, so one draw
    per migrant decides a chain of choices and each keeps its stated chance."""
    p = np.broadcast_to(np.asarray(p, float), np.shape(u))
    hit = u < p
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = np.where(hit, u / p, (u - p) / (1.0 - p))
    return hit, np.nan_to_num(rest, nan=0.0, posinf=0.0, neginf=0.0)


def compose(nxt: np.ndarray, k: int) -> np.ndarray:
    """The map `nxt` applied k times (k >= 1), by repeated squaring."""
    out, base = None, nxt
    while True:
        if k & 1:
            out = base if out is None else base[out]
        k >>= 1
        if not k:
            return out
        base = base[base]
