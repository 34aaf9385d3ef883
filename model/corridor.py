"""The Mesa model: the corridor map, the four roles, and the order of events in a month.

Each role's behaviour lives in its module (model/agents/); this class builds them and
lists the phases of a month in `step`.

Grid state is kept in numpy arrays, not read back from Mesa's property layers: the phases
work on flat per-node arrays shared with the routing graph, the ledger and the migrant
table, and the layers are the same values written once a month for the dashboard and
Mesa's tools.
"""

from __future__ import annotations

import threading
import time

import mesa
import numpy as np
from mesa.discrete_space import OrthogonalMooreGrid

from model.agents import Cartel, Gang, Migrant, MigrantState
from model.agents.alliances import Alliances
from model.agents.cartel import learn_all, perceived_risk, plan_all, ship_arms
from model.agents.enforcement import Enforcement
from model.agents.gang import Wildlife, settle_gangs, territory_fields
from model.agents.migrant import Migration, compose  # noqa: F401  (compose: tests import it here)
from model.agents.organisations import Organisations
from model.agents.wildlife import SpeciesTrade, groups_for
from model.deforestation import Deforestation
from model.flows import DELIVERED, Commodity, Ledger
from model.homicides import HomicideModel, arms_by_country, population_for
from model.metrics import Recorder
from model.policy import PolicySchedule, Settings
from model.scenario import Scenario
from model.violence import contested, violence_month
from model.world import grid
from model.world.geography import CorridorMap
from model.world.routing import Mode, Router, RoutingGraph

_GRAPHS: dict[tuple, RoutingGraph] = {}
_GRAPHS_KEPT = 4                  # maps a process works on at once (a sweep has one)
_GRAPHS_LOCK = threading.Lock()
LAYERS = ("coverage", "cocaine_flow", "violence", "gang_strength", "perceived_risk")


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
    """Cartels, gangs, enforcement and migrants on the corridor map; one step = one month.

    `steps` (Mesa's counter) is the number of months simulated; during `step` the month
    being simulated is `steps - 1`, because Mesa counts a step before running it.
    """

    def __init__(self, scenario: Scenario, cmap: CorridorMap, seed: int | None = None):
        seed = scenario.scenario.seed if seed is None else seed
        super().__init__(rng=seed)
        self.seed = seed
        self.config = scenario
        self.cmap = cmap
        self.phase_seconds: dict[str, float] = {}
        shape = cmap.shape
        # Mesa gives each grid its own cell class (mesa/discrete_space/grid.py, Grid.__init__:
        # `self.cell_klass = type("GridCell", ...)`), so two models in one process (a run and
        # its counterfactual) never share the property accessors attached to it
        self.grid = OrthogonalMooreGrid(shape, torus=False, random=self.random)
        for name in LAYERS:
            self.grid.create_property_layer(name, 0.0, dtype=float)
        self.graph = g = routing_graph(cmap, scenario)   # shared, read-only
        self.router = Router(g)                           # this model's weights and searches
        r = scenario.routing
        self.cost_per_km = np.array([r.land_cost_per_km, r.sea_cost_per_km, r.air_cost_per_km])
        self.schedule = PolicySchedule(scenario, cmap)
        self.settings: Settings | None = None
        self.ledger = Ledger()
        self.node_country = cmap.country.ravel().astype(np.int64)
        self.node_land = cmap.land.ravel()
        # one bit per country: which countries a load crossed (the map loader allows < 63)
        self.country_bits = np.where(self.node_land, np.left_shift(1, self.node_country), 0).astype(np.int64)
        self.cell_km = cmap.cell_km()
        d = scenario.detection
        self._disk_offsets = grid.offsets(grid.disk(d.coverage_radius_km, self.cell_km))
        self.enforcement = Enforcement(self, self.schedule, cmap, g.routable, self._disk_offsets,
                                       reach=max(1, int(round(d.unit_move_km / self.cell_km))))
        self.cartels = [Cartel(self, i, spec, _nodes(cmap, g, spec.sources + spec.airstrips),
                               _nodes(cmap, g, spec.ports_of_entry)) for i, spec in enumerate(scenario.cartel)]
        for c in self.cartels:
            for code in c.spec.plazas:
                c.plaza[cmap.mask(code).ravel()] = 1.0
        self.gangs = [Gang(self, i, spec, _home(cmap, spec.home)) for i, spec in enumerate(scenario.gang)]
        groups = groups_for(scenario, cmap)             # wildlife by species group, if the scenario has them
        self.wildlife = (SpeciesTrade(groups, self.gangs, cmap, g, self.router, self.cost_per_km) if groups
                         else Wildlife(self.gangs, cmap, g, self.router, self.cost_per_km))
        self.deforestation = Deforestation(scenario.deforestation, cmap) if scenario.deforestation.enabled else None
        self.organisations = Organisations(self)      # kingpin removals; successors join self.cartels
        self.alliances = Alliances(self)
        self.migration = Migration(self, cmap, g, self.router, scenario.migrants)
        # what this month's phases leave for the next ones (and for queries before a step)
        self.step_flow = np.zeros((len(Commodity), g.n))
        self.step_flow_by_cartel = np.zeros((len(self.cartels), g.n))
        self.step_seizures = np.zeros(shape)
        self.step_edge_flow = np.zeros(g.n_edges)     # cocaine t that crossed each edge this month
        self.step_edge_loads = np.zeros(g.n_edges)    # cocaine loads that did (flights, on air edges)
        self.air_edges = np.flatnonzero(g.mode == Mode.AIR)
        self._strips = np.unique(g.dst[self.air_edges])   # where flights land (both ways)
        self._hazard_key = None
        self.homicides = HomicideModel(scenario.homicides, scenario.arms, cmap.country, cmap.land,
                                       list(cmap.country_codes), population_for(scenario), seed)
        self.step_homicides = np.zeros(len(cmap.country_codes))   # per country index
        plaza = grid.disk(scenario.homicides.territory_km, self.cell_km)   # whole cells, rounded down
        self._plaza_reach = grid.offsets(plaza) if plaza.size > 1 else None
        self.step_population = np.zeros(len(cmap.country_codes))
        self.recorder = Recorder(self)
        self._gang_fields()
        self._apply_settings(0, force=True)

    # ----- the month -----------------------------------------------------------------
    def step(self) -> None:
        """One month, in the order events happen."""
        t, now = self._clock, self.steps - 1
        t("policy", self._apply_settings, now)
        t("organisations", self._organisations_phase, now)
        if now and now % self.config.migrants.smuggler_replan_months == 0:
            t("migrants", self._migrant_routes)  # smugglers follow gang territory as it changes
        t("enforcement", self.enforcement.month, self.level("corruption"))
        t("gangs", self._gang_fields)
        t("routing", self._cartel_phase, now)
        events = t("transport", self._transport_phase)
        if self.deforestation is not None:
            t("deforestation", self._deforestation_phase)
        t("learning", self._learning_phase, events)
        t("migrants", self.migration.month, self.node_levels, self.coverage_all.ravel(),
          self.gang_strength.ravel(), self.rng, self._migrant_territory())
        cocaine = self.step_flow[Commodity.COCAINE].reshape(self.cmap.shape)
        war = self.alliances.turf_war if self.config.alliances.enabled else None
        violence = t("violence", violence_month, self.config.violence, self.rng, self.step_flow_by_cartel,
                     cocaine, self.step_seizures, self.gang_strength, war)
        t("homicides", self._homicide_phase, events, now)
        t("organisations", self.alliances.update, now, self.step_flow_by_cartel)
        t("gangs", settle_gangs, self.gangs, cocaine, self.coverage)
        t("data collection", self.recorder.collect, events, violence)
        self._write_layers(cocaine, violence)

    def _clock(self, phase: str, fn, *args):
        """Run one phase and add its wall time to `phase_seconds` (for the benchmarks)."""
        t0 = time.perf_counter()
        out = fn(*args)
        self.phase_seconds[phase] = self.phase_seconds.get(phase, 0.0) + time.perf_counter() - t0
        return out

    def _apply_settings(self, month: int, force: bool = False) -> None:
        """The policy in force in `month`: lever levels, pool areas and sizes, migrant routes."""
        s = self.schedule.at(month)
        if not force and self.settings is not None and s.key == self.settings.key:
            return
        self.settings = s
        self._levels = {k: v[self.cmap.jur] for k, v in s.levels.items()}
        self.node_levels = {k: v.ravel() for k, v in self._levels.items()}
        self.enforcement.apply(s)
        self._migrant_routes()

    def _organisations_phase(self, now: int) -> None:
        self.organisations.month(now)
        self.alliances.month(now)

    def _migrant_routes(self) -> None:
        self.migration.routes(self.node_levels["migration_enforcement"], self.gang_strength.ravel() > 0,
                              self.settings.key)

    def _migrant_territory(self) -> np.ndarray:
        """Where migrants meet organised crime, per node: gang strength plus
        `migrants.cartel_territory` for each cartel holding the plaza."""
        plazas = sum((c.plaza > 0).astype(float) for c in self.cartels)
        return self.gang_strength.ravel() + self.config.migrants.cartel_territory * plazas

    def _gang_fields(self) -> None:
        self.gang_strength, self.gang_fee_per_km = territory_fields(self.gangs, self.cmap.shape)

    def _cartel_phase(self, now: int) -> None:
        r = self.config.routing
        seen = r.enforcement_awareness * self.known_hazard()
        air = self.known_air_hazard()
        air_seen = r.enforcement_awareness * air if air.any() else None
        plan_all(self.cartels, seen, self.alliances.fees(self.gang_fee_per_km), r.rival_plaza_fee, air_seen)
        shipments = self.schedule.shipment_factor(now)     # demand, capped by supply (series by year)
        for c in self.cartels:
            c.issue(shipments, self.rng, self.ledger, self.graph)
        ship_arms(self.cartels, self.config.arms.independent_per_year / 12.0, self.ledger, self.graph)
        self.wildlife.ship(now, self.settings.key, r, seen, self.ledger)

    def _transport_phase(self):
        g, d = self.graph, self.config.detection
        if self._hazard_key != self.settings.key:   # per-edge detection x commodity factors
            self._hazard_key = self.settings.key
            lv = self.node_levels
            wl = lv["wildlife_training"][g.dst]
            ac = lv["arms_control"][g.dst]

            def by_commodity(x):      # cocaine, arms, wildlife, timber (CITES-listed: as wildlife)
                w = x * d.wildlife * (1.0 + d.wildlife_training_gain * wl)
                return np.stack([x, x * d.arms * (1.0 + d.arms_control_gain * ac), w, w])

            self._edge_detect = by_commodity(np.array([d.land, d.sea, d.air])[g.mode] * self._mode_factor())
            air = np.where(g.mode == Mode.AIR, lv["air_interdiction"][g.dst], 0.0)
            self._edge_air = by_commodity(air) if air.any() else None   # radar: no ground units needed
        cover = self.coverage.ravel()

        def hazard(com: np.ndarray, edges: np.ndarray) -> np.ndarray:
            h = self._edge_detect[com, edges] * cover[g.dst[edges]]
            if self._edge_air is not None:
                h += self._edge_air[com, edges]
            return h

        final = np.array([d.port_of_entry, 0.0, d.port_of_entry * d.wildlife, d.port_of_entry * d.wildlife])
        self.step_flow = np.zeros((len(Commodity), g.n))
        self.step_flow_by_cartel = np.zeros((len(self.cartels), g.n))   # for plazas and contests
        self.step_edge_flow = np.zeros(g.n_edges)
        self.step_edge_loads = np.zeros(g.n_edges)
        return self.ledger.advance(self.config.routing.speed_km_per_step, hazard, final,
                                   self.country_bits, self.step_flow, self.rng,
                                   owner_flow=self.step_flow_by_cartel, edge_flow=self.step_edge_flow,
                                   edge_loads=self.step_edge_loads)

    def _deforestation_phase(self) -> None:
        """Forest cleared where this month's drug flights landed (model/deforestation.py)."""
        air, n = self.air_edges, self.graph.n
        at = self.graph.dst[air]
        landings = np.bincount(at, weights=self.step_edge_loads[air], minlength=n)
        tonnes = np.bincount(at, weights=self.step_edge_flow[air], minlength=n)
        self.deforestation.month(landings.reshape(self.cmap.shape), tonnes.reshape(self.cmap.shape))

    def _learning_phase(self, ev) -> None:
        r, d, shape = self.config.routing, self.config.detection, self.cmap.shape
        learn_all(self.cartels, ev.seizures, self.step_flow_by_cartel, r)
        nodes = np.array([node for _, _, node, _ in ev.seizures], np.int64)
        self.step_seizures = np.bincount(nodes, minlength=self.graph.n).astype(float).reshape(shape)
        self.enforcement.remember(self.step_seizures, self.step_flow[Commodity.COCAINE].reshape(shape),
                                  d.seizure_memory, d.flow_memory)

    def _homicide_phase(self, ev, now: int) -> None:
        """Delivered firearms join the buyers' stock; then the month's homicides by country
        (model/homicides.py), on the gang territory before gangs settle, as violence is."""
        nc = len(self.cmap.country_codes)
        loads = [(s.owner, s.volume, s.countries, int(self.node_country[node]))
                 for s, _, node, outcome in ev.finished if s.commodity == Commodity.ARMS and outcome == DELIVERED]
        plaza = np.stack([c.plaza for c in self.cartels]) if self.cartels else np.zeros((0, self.graph.n))
        self.homicides.add_arms(arms_by_country(loads, plaza, self.gang_strength, self.node_country, nc))
        y, m = map(int, self.config.scenario.start_month.split("-"))
        year = y + (m - 1 + now + 0.5) / 12.0          # mid-month, as a fractional year
        self.step_homicides, self.step_population = self.homicides.month(
            year, contested(self.step_flow_by_cartel, self.cmap.shape, self._plaza_reach), self.gang_strength,
            self.coverage_all, self.organisations.kingpin_shock)

    def _write_layers(self, cocaine: np.ndarray, violence: np.ndarray) -> None:
        """This month's grid state, as property layers for the dashboard and Mesa's tools."""
        L = self.grid
        L.coverage.data[:] = self.coverage
        L.cocaine_flow.data[:] = cocaine
        L.violence.data[:] = violence
        L.gang_strength.data[:] = self.gang_strength
        L.perceived_risk.data[:] = perceived_risk(self.cartels).reshape(self.cmap.shape)

    # ----- views and queries ---------------------------------------------------------
    @property
    def kingpin_shock(self) -> np.ndarray:
        """Excess homicide rate per cell [x, y] this month from kingpin removals (0 = none):
        a homicide rate h becomes h x (1 + kingpin_shock). See Organisations."""
        return self.organisations.kingpin_shock

    @property
    def coverage(self) -> np.ndarray:
        """Units not bribed this month covering each cell [x, y] (what interdicts loads)."""
        return self.enforcement.coverage

    @property
    def coverage_all(self) -> np.ndarray:
        """Every unit covering each cell [x, y], bribed or not (the police migrants meet)."""
        return self.enforcement.coverage_all

    @property
    def migrants(self) -> list[Migrant]:
        """Migrants still on the map (travelling or held by traffickers), in spawn order."""
        return list(self.migration.agents)

    @property
    def migrant_counts(self) -> dict[MigrantState, int]:
        """Agents in each state; every agent ever spawned is in exactly one."""
        return self.migration.counts

    @property
    def migrant_agent_steps(self) -> int:
        """Migrant-months simulated (for the benchmarks)."""
        return self.migration.agent_steps

    def migrants_spawned(self) -> int:
        return int(sum(self.migrant_counts.values()))

    def level(self, lever: str) -> np.ndarray:
        """Per-cell level of a numeric lever in force this month, [x, y]."""
        return self._levels[lever]

    def _mode_factor(self) -> np.ndarray:
        """Per edge, the interdiction multiplier of the jurisdiction it enters: land on land
        edges, maritime on sea edges and landings from the sea, 1 for air hops."""
        g, lv = self.graph, self.node_levels
        return np.choose(g.mode, [lv["land_interdiction"][g.dst], lv["maritime_interdiction"][g.dst], 1.0])

    def cell_hazard(self) -> np.ndarray:
        """Interdiction hazard a load faces in each cell: detection of its mode x the
        jurisdiction's interdiction multiplier x coverage.

        This is what traffickers can gauge of enforcement: a patrol boat offshore is more
        dangerous to a go-fast than a police post is to a truck in heavy traffic.
        """
        d = self.config.detection
        det = np.where(self.cmap.land, d.land * self.level("land_interdiction"),
                       d.sea * self.level("maritime_interdiction"))
        return det * self.coverage

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

    def known_air_hazard(self) -> np.ndarray:
        """The air interdiction hazard traffickers gauge for a flight landing at each node:
        each country's average over its landing strips (zero where no flight lands). Radar
        and interception are declared policy; which strip is watched is not.
        """
        strips = self._strips
        out = np.zeros(self.graph.n)
        if len(strips) == 0:
            return out
        country = self.node_country[strips]
        n = len(self.cmap.country_codes)
        tot = np.bincount(country, weights=self.node_levels["air_interdiction"][strips], minlength=n)
        out[strips] = (tot / np.maximum(np.bincount(country, minlength=n), 1))[country]
        return out

    def invariant_gaps(self) -> np.ndarray:
        """shipped - delivered - seized - in_transit per commodity (zero up to rounding)."""
        L = self.ledger
        return L.shipped - L.delivered - L.seized - L.in_transit()

    # grid operations on this map (tests/test_fast_paths.py checks them against scipy)
    def _cells_near(self, xs, ys, offsets):
        return grid.cells_near(self.cmap.shape, xs, ys, offsets)

    def stamp(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        return grid.stamp(self.cmap.shape, xs, ys, self._disk_offsets)

    def around(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grid.around(self.cmap.shape, nodes)


def _nodes(cmap: CorridorMap, g: RoutingGraph, names: list[str]) -> np.ndarray:
    """Sorted distinct graph nodes of these features."""
    return np.array(sorted({g.node(cmap.feature(n).cell) for n in names}))


def _home(cmap: CorridorMap, home: str) -> tuple[int, int]:
    """A gang's base: a named place, or the land cell nearest a jurisdiction's centre."""
    f = cmap.feature(home)
    return f.cell if f else grid.centroid_cell(cmap.mask(home) & cmap.land)


def month_label(scenario: Scenario, step: int) -> str:
    y, m = map(int, scenario.scenario.start_month.split("-"))
    k = (y * 12 + m - 1) + step
    return f"{k // 12:04d}-{k % 12 + 1:02d}"
