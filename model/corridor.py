"""The Mesa model: the corridor map, the four roles, and the order of events in a month."""

from __future__ import annotations

import threading
import time

import mesa
import numpy as np
from mesa.discrete_space import Cell, OrthogonalMooreGrid
from scipy import ndimage

from model.agents import Cartel, EnforcementUnit, Gang, Migrant, MigrantState
from model.agents.migrant import MigrantTable, migrant_month, on_road
from model.flows import Commodity, Ledger, Shipment
from model.world.geography import CorridorMap, haversine_km
from model.metrics import Recorder
from model.policy import STRATEGIES, PolicySchedule, Settings, split_pool
from model.world.routing import Router, RoutingGraph
from model.scenario import Scenario

_GRAPHS: dict[tuple, RoutingGraph] = {}
_GRAPHS_KEPT = 4                  # maps a process works on at once (a sweep has one)
_GRAPHS_LOCK = threading.Lock()
RING = np.array([(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)])   # a cell and its 8 neighbours


def routing_graph(cmap: CorridorMap, scenario: Scenario) -> RoutingGraph:
    """The read-only graph shared by models on the same map, in any thread.

    Built once under a lock. The oldest graph is dropped from the cache when it is full,
    which only forgets it: a model still using it keeps its own reference.
    """
    r = scenario.routing
    key = (str(cmap.path), id(cmap), r.air_max_range_km, r.max_offshore_km)
    with _GRAPHS_LOCK:
        g = _GRAPHS.get(key)
        if g is None:
            g = _GRAPHS[key] = RoutingGraph(cmap, r.air_max_range_km, r.max_offshore_km)
            while len(_GRAPHS) > _GRAPHS_KEPT:
                del _GRAPHS[next(iter(_GRAPHS))]
        return g


class CorridorModel(mesa.Model):
    """Cartels, gangs, enforcement and migrants on the corridor map; one step = one month."""

    def __init__(self, scenario: Scenario, cmap: CorridorMap, seed: int | None = None):
        seed = scenario.scenario.seed if seed is None else seed
        super().__init__(rng=seed)
        self.seed = seed
        self.config = scenario
        self.cmap = cmap
        self.month = 0
        self.phase_seconds: dict[str, float] = {}
        w, h = cmap.shape
        # a private Cell subclass: Mesa attaches property accessors to the cell class, and
        # two models in one process (a run and its counterfactual) must not share them
        cell_cls = type("CorridorCell", (Cell,), {})
        self.grid = OrthogonalMooreGrid((w, h), torus=False, random=self.random, cell_klass=cell_cls)
        for name in ("coverage", "cocaine_flow", "violence", "gang_strength", "perceived_risk"):
            self.grid.create_property_layer(name, 0.0, dtype=float)
        self.graph = routing_graph(cmap, scenario)   # shared, read-only
        self.router = Router(self.graph)              # this model's weights and searches
        g = self.graph
        r = scenario.routing
        self.cost_per_km = np.array([r.land_cost_per_km, r.sea_cost_per_km, r.air_cost_per_km])
        self.schedule = PolicySchedule(scenario, cmap)
        self.settings: Settings | None = None
        self.ledger = Ledger()

        # per-node constants
        self.node_country = cmap.country.ravel().astype(np.int64)
        self.node_land = cmap.land.ravel()
        # one bit per country: which countries a load crossed (the map loader allows < 63)
        self.country_bits = np.where(self.node_land, np.left_shift(1, self.node_country), 0).astype(np.int64)
        self.cell_km = cmap.cell_km()
        disk = self._kernel(scenario.detection.coverage_radius_km)
        self._disk_offsets = np.argwhere(disk > 0) - disk.shape[0] // 2   # (dx, dy) a unit covers
        self._windows: dict[tuple[str, int, int], tuple] = {}
        self.unit_reach = max(1, int(round(scenario.detection.unit_move_km / self.cell_km)))

        # cartels
        self.cartels: list[Cartel] = []
        for i, spec in enumerate(scenario.cartel):
            srcs = [g.node(cmap.feature(n).cell) for n in spec.sources + spec.airstrips]
            ports = [g.node(cmap.feature(n).cell) for n in spec.ports_of_entry]
            c = Cartel(self, i, spec, np.array(sorted(set(srcs))), np.array(sorted(set(ports))))
            for code in spec.plazas:
                c.plaza[cmap.mask(code).ravel()] = 1.0
            self.cartels.append(c)
        self._ship_acc = np.zeros(len(self.cartels))

        # gangs
        self.gangs: list[Gang] = []
        for i, spec in enumerate(scenario.gang):
            f = cmap.feature(spec.home)
            home = f.cell if f else self._centroid(cmap.mask(spec.home) & cmap.land)
            self.gangs.append(Gang(self, i, spec, home))
        self.biodiversity = [g.node(f.cell) for f in cmap.features_of("biodiversity")]
        self._wildlife_key = None
        self._hazard_key = None
        self._wildlife_routes = []

        # migrants: targets are Mexican-side cells touching the destination's land
        dest = cmap.land & ~g.routable          # the only unroutable land: the destination's
        near_dest = ndimage.binary_dilation(dest, structure=np.ones((3, 3), bool))
        self.at_border = (near_dest & g.routable & cmap.land).ravel()
        self.migrant_origins = [cmap.feature(o.name).cell for o in scenario.migrants.origins]
        self._mig_acc = np.zeros(len(self.migrant_origins))
        self.migrant_hops = max(1, int(round(scenario.migrants.speed_km_per_step / self.cell_km)))
        self.migrant_counts = {s: 0 for s in MigrantState}
        self._border = np.flatnonzero(self.at_border)
        # migrants walk: land edges only
        self._land_km, self._land_dst = g.km[g.land_edges], g.dst[g.land_edges]
        self.migrant_jump = np.zeros((2, g.n), np.int64)  # a month on the direct, smugglers' route
        self._direct_key = self._smug_key = None
        self.migrant_table = MigrantTable()
        self._migrant_agents: list[Migrant] = []        # by table row
        self._on_road = np.zeros(0, np.int64)          # rows still on the map, in spawn order
        self.migrant_agent_steps = 0      # for the benchmarks

        # fields the agents read
        self.recent_seizures = np.zeros((w, h))
        self.observed_flow = np.zeros((w, h))
        self.gang_fee_per_km = np.zeros(g.n)
        self.recorder = Recorder(self)
        self._gang_fields()
        self._apply_settings(force=True)

    # ----- helpers -------------------------------------------------------------------
    def _kernel(self, radius_km: float) -> np.ndarray:
        r = max(0, int(radius_km // self.cell_km))
        yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
        return (xx ** 2 + yy ** 2 <= r * r + 1e-9).astype(float)

    def _centroid(self, mask: np.ndarray) -> tuple[int, int]:
        xs, ys = np.nonzero(mask)
        k = int(np.argmin((xs - xs.mean()) ** 2 + (ys - ys.mean()) ** 2))
        return int(xs[k]), int(ys[k])

    def km_from(self, cell: tuple[int, int]) -> np.ndarray:
        cm = self.cmap
        return haversine_km(cm.lat[cell], cm.lon[cell], cm.lat, cm.lon)

    def _cells_near(self, xs: np.ndarray, ys: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Flat ids of the cells at `offsets` (dx, dy) from each (x, y) that lie on the map."""
        w, h = self.cmap.shape
        X = (xs[:, None] + offsets[:, 0]).ravel()
        Y = (ys[:, None] + offsets[:, 1]).ravel()
        inside = (X >= 0) & (X < w) & (Y >= 0) & (Y < h)
        return X[inside] * h + Y[inside]

    def stamp(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Number of the given units covering each cell: each unit's disk stamped at its
        cell (the same sums as convolving unit counts with the disk, without visiting the
        empty cells)."""
        w, h = self.cmap.shape
        hits = self._cells_near(xs, ys, self._disk_offsets)
        return np.bincount(hits, minlength=w * h).astype(float).reshape(w, h)

    def unit_window(self, pool: str, x: int, y: int) -> tuple[int, int, np.ndarray, np.ndarray]:
        """Cells a unit of `pool` at (x, y) may move to: (x0, y0, allowed mask, offsets).

        Cached until the policy changes; units revisit the same cells month after month.
        """
        key = (pool, x, y)
        win = self._windows.get(key)
        if win is None:
            allowed, reach = self._allowed[pool], self.unit_reach
            w, h = allowed.shape
            x0, x1 = max(0, x - reach), min(w, x + reach + 1)
            y0, y1 = max(0, y - reach), min(h, y + reach + 1)
            ok = allowed[x0:x1, y0:y1]
            win = self._windows[key] = (x0, y0, ok, np.argwhere(ok))
        return win

    def around(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cells within one cell of these nodes, each with how many of the nodes it is next
        to (risk is felt around a seizure); the same counts as a 3x3 sum over a hit map."""
        h = self.cmap.shape[1]
        return np.unique(self._cells_near(nodes // h, nodes % h, RING), return_counts=True)

    def cell_hazard(self) -> np.ndarray:
        """Interdiction hazard a load faces in each cell: detection of its mode x coverage.

        This is what traffickers can gauge of enforcement: a patrol boat offshore is more
        dangerous to a go-fast than a police post is to a truck in heavy traffic.
        """
        d = self.config.detection
        return np.where(self.cmap.land, d.land, d.sea) * self.coverage

    def known_hazard(self) -> np.ndarray:
        """The hazard traffickers can gauge in advance, per node: each country's average on
        land and at sea. They know a navy tripled its patrols, not where each boat is;
        where the patrols actually are they learn from their seizures.
        """
        hz = self.cell_hazard().ravel()
        key = self.node_country * 2 + (~self.node_land)
        ok = self.graph.routable.ravel()
        n = 2 * len(self.cmap.country_codes)
        tot = np.bincount(key[ok], weights=hz[ok], minlength=n)
        cnt = np.bincount(key[ok], minlength=n)
        return (tot / np.maximum(cnt, 1))[key]

    def level(self, lever: str) -> np.ndarray:
        """Per-cell level of a numeric lever in force this month, [x, y]."""
        return self._levels[lever]

    # ----- policy --------------------------------------------------------------------
    def _apply_settings(self, force: bool = False) -> None:
        s = self.schedule.at(self.month)
        if not force and self.settings is not None and s.key == self.settings.key:
            return
        self.settings = s
        jur = self.cmap.jur
        self._levels = {k: v[jur] for k, v in s.levels.items()}
        self.node_levels = {k: v.ravel() for k, v in self._levels.items()}
        self._coop = s.cooperation[jur]
        # where each pool's units may go: its own area, plus partners' when it cooperates
        self._allowed: dict[str, np.ndarray] = {}
        self._own: dict[str, np.ndarray] = {}
        self._pool_strategy: dict[str, int] = {}
        self._windows.clear()
        for pool in self.schedule.pools:
            code, domain = split_pool(pool)
            where = self.graph.routable & (self.cmap.land if domain == "land" else ~self.cmap.land)
            own = self.cmap.mask(code) & where
            idx = self.schedule.members(code)
            coop = bool(s.cooperation[idx].any()) if len(idx) else False
            self._allowed[pool] = own | (self._coop & where) if coop else own
            self._own[pool] = own
            self._pool_strategy[pool] = int(s.strategy[idx[0]]) if len(idx) else 0
        self._resize_pools(s.pool_units)
        self._migrant_routes()

    def _resize_pools(self, targets: dict[str, int]) -> None:
        units = {p: [] for p in targets}
        for u in self.agents_by_type.get(EnforcementUnit, []):
            units[u.pool].append(u)
        for pool, want in targets.items():
            have = sorted(units[pool], key=lambda a: a.unique_id)
            for u in have[want:]:          # the newest units are withdrawn first
                u.remove()
            own = np.argwhere(self._own[pool])
            if len(own) == 0:                 # e.g. international waters beyond reach:
                own = np.argwhere(self._allowed[pool])   # start in partners' waters
            if len(own) == 0:
                continue
            for _ in range(want - len(have)):
                x, y = own[self.rng.integers(len(own))]
                EnforcementUnit(self, pool, self.grid[(int(x), int(y))])

    def _migrant_routes(self) -> None:
        """Where a migrant on the direct or the smugglers' route is a month from now.

        One search per route from the whole border, then the next-hop array composed
        `migrant_hops` times, so a migrant's monthly move is one array lookup. A route is
        searched again only when what it weighs changed: migration enforcement (policy)
        for both, gang territory for the smugglers'.
        """
        g, mg = self.router, self.config.migrants
        me = self.level("migration_enforcement").ravel()
        gang = self.grid.gang_strength.data.ravel() > 0
        km, dst = self._land_km, self._land_dst
        key = self.settings.key
        if self._direct_key != key:
            self._direct_key = key
            direct = km * (1.0 + mg.checkpoint_avoidance * me[dst])
            self.migrant_jump[0] = compose(g.next_hop_toward(self._border, direct), self.migrant_hops)
        if self._smug_key != (key, gang.tobytes()):
            self._smug_key = (key, gang.tobytes())
            smug = (km * (1.0 + mg.smuggler_checkpoint_avoidance * me[dst])
                    * np.where(gang[dst], mg.gang_corridor_factor, 1.0))
            self.migrant_jump[1] = compose(g.next_hop_toward(self._border, smug), self.migrant_hops)

    # ----- the month -----------------------------------------------------------------
    def step(self) -> None:
        """One month, in the order events happen."""
        t = self._clock
        t("policy", self._apply_settings)
        if self.month % 12 == 0 and self.month:
            t("migrants", self._migrant_routes)  # smugglers follow gang territory as it changes
        t("enforcement", self._enforcement_phase)
        t("gangs", self._gang_fields)
        t("routing", self._cartel_phase)
        events = t("transport", self._transport_phase)
        t("learning", self._learning_phase, events)
        t("migrants", self._migrant_phase)
        violence = t("violence", self._violence_phase, events)
        t("gangs", self._settle_gangs)
        t("data collection", self.recorder.collect, events, violence)
        self.month += 1

    def _clock(self, phase: str, fn, *args):
        """Run one phase and add its wall time to `phase_seconds` (for the benchmarks)."""
        t0 = time.perf_counter()
        out = fn(*args)
        self.phase_seconds[phase] = self.phase_seconds.get(phase, 0.0) + time.perf_counter() - t0
        return out

    def _enforcement_phase(self) -> None:
        units = list(self.agents_by_type.get(EnforcementUnit, []))
        for u in units:
            x, y = u.cell.coordinate
            u.move(STRATEGIES[self._pool_strategy[u.pool]], self.unit_window(u.pool, x, y))
        bribe_draw = self.rng.random(len(units))
        xy = np.array([u.cell.coordinate for u in units], np.int64).reshape(-1, 2)
        xs, ys = xy[:, 0], xy[:, 1]
        bribed = bribe_draw < self.level("corruption")[xs, ys]
        for u, b in zip(units, bribed.tolist()):
            u.bribed = b
        self.coverage = self.stamp(xs[~bribed], ys[~bribed])
        self.coverage_all = self.stamp(xs, ys)
        self.grid.coverage.data[:] = self.coverage

    def _gang_fields(self) -> None:
        strength = np.zeros(self.cmap.shape)
        fee = np.zeros(self.cmap.shape)
        for gg in self.gangs:
            strength = np.where(gg.territory, np.maximum(strength, gg.strength), strength)
            fee = np.where(gg.territory, np.maximum(fee, gg.spec.fee_per_km), fee)
        self.grid.gang_strength.data[:] = strength
        self.gang_fee_per_km = fee.ravel()

    def _cartel_phase(self) -> None:
        r = self.config.routing
        seen = r.enforcement_awareness * self.known_hazard()
        all_plaza = sum(c.plaza for c in self.cartels)
        demand = self.settings.us_demand
        for c in self.cartels:
            rival = r.rival_plaza_fee * np.clip(all_plaza - c.plaza, 0, 1)
            c.plan(seen, rival)
        self.grid.perceived_risk.data[:] = (sum(c.learned_risk for c in self.cartels)
                                            / max(len(self.cartels), 1)).reshape(self.cmap.shape)
        for c in self.cartels:
            self._ship_acc[c.index] += c.spec.shipments_per_step * demand
            n = int(self._ship_acc[c.index])
            self._ship_acc[c.index] -= n
            if not c.routes or n == 0:
                continue
            picks = self.rng.choice(len(c.routes), size=n, p=c.route_p)
            for k in picks:
                route = c.routes[k]
                self.ledger.ship(Shipment(Commodity.COCAINE, c.index, c.spec.tonnes_per_shipment, route))
                if c.spec.arms_per_tonne > 0:
                    self.ledger.ship(Shipment(Commodity.ARMS, c.index,
                                              c.spec.arms_per_tonne * c.spec.tonnes_per_shipment,
                                              route.reversed(self.graph)))
        self._wildlife()

    def _wildlife(self) -> None:
        """Gangs move wildlife from the nearest biodiversity area to the nearest port of entry.

        Wildlife traders re-plan once a year (and when policy changes): their loads are
        small and their routes follow the drug trade's, not monthly patrols.
        """
        movers = [gg for gg in self.gangs if gg.spec.wildlife_per_step > 0]
        if not movers or not self.biodiversity:
            return
        if self.month % 12 == 0 or self._wildlife_key != self.settings.key:
            self._wildlife_key = self.settings.key
            self._wildlife_routes = self._plan_wildlife(movers)
        for gg, route in self._wildlife_routes:
            self.ledger.ship(Shipment(Commodity.WILDLIFE, -1 - gg.index, gg.spec.wildlife_per_step, route))

    def _plan_wildlife(self, movers):
        g, r = self.graph, self.config.routing
        seen = r.enforcement_awareness * self.known_hazard()
        premium = np.clip((seen / r.risk_threshold) ** 2, 1.0, r.max_premium)
        weights = self.router.edge_weights(self.cost_per_km, premium, np.zeros(g.n), r.mode_change_cost)
        ports = np.array(sorted({g.node(f.cell) for f in self.cmap.features_of("port_of_entry")}))
        bio = np.array(sorted(set(self.biodiversity)))
        plans = []
        for gg in movers:
            src = int(bio[int(np.argmin(self.km_from(gg.home).ravel()[bio]))])
            dist, pred, _ = self.router.search(weights, np.array([src]))
            t = int(ports[int(np.argmin(dist[ports]))])
            if np.isfinite(dist[t]):
                plans.append((gg, g.path(pred, src, t, float(dist[t]))))
        return plans

    def _transport_phase(self):
        g, d = self.graph, self.config.detection
        if self._hazard_key != self.settings.key:   # per-edge detection x commodity factors
            self._hazard_key = self.settings.key
            det = np.array([d.land, d.sea, d.air])[g.mode]
            wl = self.level("wildlife_training").ravel()[g.dst]
            ac = self.level("arms_control").ravel()[g.dst]
            self._edge_detect = np.stack([det, det * d.arms * (1.0 + d.arms_control_gain * ac),
                                          det * d.wildlife * (1.0 + d.wildlife_training_gain * wl)])
        cover = self.coverage.ravel()

        def hazard(com: np.ndarray, edges: np.ndarray) -> np.ndarray:
            return self._edge_detect[com, edges] * cover[g.dst[edges]]

        final = np.array([d.port_of_entry, 0.0, d.port_of_entry * d.wildlife])
        self.step_flow = np.zeros((len(Commodity), g.n))
        self.step_flow_by_cartel = np.zeros((len(self.cartels), g.n))
        # per-cartel cocaine flow is needed for plazas and contests
        ev = self.ledger.advance(self.config.routing.speed_km_per_step, hazard, final,
                                 self.country_bits, self.step_flow, self.rng,
                                 owner_flow=self.step_flow_by_cartel)
        self.grid.cocaine_flow.data[:] = self.step_flow[Commodity.COCAINE].reshape(self.cmap.shape)
        return ev

    def _learning_phase(self, ev) -> None:
        r = self.config.routing
        by_cartel = [[] for _ in self.cartels]
        seiz = np.zeros(self.graph.n)
        for com, owner, node, _vol in ev.seizures:
            seiz[node] += 1
            if com != Commodity.WILDLIFE and owner >= 0:
                by_cartel[owner].append(node)
        for c, nodes in zip(self.cartels, by_cartel):
            c.learn(nodes, r.risk_decay, r.seizure_risk)
            tot = self.step_flow_by_cartel[c.index].sum()
            if tot > 0:
                c.update_plazas(self.step_flow_by_cartel[c.index] / self.step_flow_by_cartel[c.index].max())
        self.step_seizures = seiz.reshape(self.cmap.shape)
        # enforcement keeps a short memory of where it seized and where loads were seen
        self.recent_seizures = 0.5 * self.recent_seizures + self.step_seizures
        flow = self.step_flow[Commodity.COCAINE].reshape(self.cmap.shape)
        seen = flow * (self._coop | (self.coverage > 0))
        self.observed_flow = 0.5 * self.observed_flow + seen

    def _migrant_phase(self) -> None:
        mg = self.config.migrants
        me = self.level("migration_enforcement")
        new = [self._on_road]
        for i, cell in enumerate(self.migrant_origins):
            self._mig_acc[i] += mg.origins[i].agents_per_step
            n = int(self._mig_acc[i])
            self._mig_acc[i] -= n
            x, y = cell
            push = mg.smuggler_share * (1.0 + mg.smuggler_response * me[x, y])
            smuggled = self.rng.random(n) < min(push, 1.0)
            if n:
                rows = self.migrant_table.add(self.graph.node(cell), i, smuggled)
                self._migrant_agents += [Migrant(self, r) for r in rows.tolist()]
                new.append(rows)
                self.migrant_counts[MigrantState.TRAVELLING] += n
        live = np.concatenate(new)
        self.migrant_agent_steps += len(live)
        migrant_month(self, live, self.rng.random(len(live)))
        # a finished journey leaves the map; the agent (in model.agents) and counts stay
        self._on_road = live[on_road(self.migrant_table.state[live])]

    @property
    def migrants(self) -> list[Migrant]:
        """Migrants still on the map (travelling or held by traffickers), in spawn order."""
        return [self._migrant_agents[r] for r in self._on_road.tolist()]

    def _violence_phase(self, ev) -> np.ndarray:
        v = self.config.violence
        shape = self.cmap.shape
        active = (self.step_flow_by_cartel > 0).sum(axis=0).reshape(shape)
        contested = np.maximum(active - 1, 0)
        gs = self.grid.gang_strength.data
        busy = (self.step_flow[Commodity.COCAINE].reshape(shape) > 0) | (gs > 0)
        lam = v.contest * contested + v.seizure * self.step_seizures + v.gang * gs * busy
        events = self.rng.poisson(lam).astype(float)
        self.grid.violence.data[:] = events
        return events

    def _settle_gangs(self) -> None:
        flow = self.step_flow[Commodity.COCAINE].reshape(self.cmap.shape)
        for gg in self.gangs:
            t = gg.territory
            transit = float(flow[t].max()) if t.any() else 0.0
            gg.settle(transit, float(self.coverage[t].sum()) if t.any() else 0.0)

    # ----- queries -------------------------------------------------------------------
    def invariant_gaps(self) -> np.ndarray:
        """shipped - delivered - seized - in_transit per commodity (zero up to rounding)."""
        L = self.ledger
        return L.shipped - L.delivered - L.seized - L.in_transit()

    def migrants_spawned(self) -> int:
        return int(sum(self.migrant_counts.values()))


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


def month_label(scenario: Scenario, step: int) -> str:
    y, m = map(int, scenario.scenario.start_month.split("-"))
    k = (y * 12 + m - 1) + step
    return f"{k // 12:04d}-{k % 12 + 1:02d}"

