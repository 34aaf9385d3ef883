"""Wildlife by species group: from the biodiversity areas north on the drug routes (§7.18).

Each month every group sends `loads_per_month` consignments from each of its areas, its
annual volume split evenly over areas and months. The gang whose base is nearest the area
carries them, on the least-cost route of the same graph and the same gauged hazard as the
drug trade, to the nearest destination of the group's kind (a US port of entry, or a seaport
for timber). Detection is the drug detection x `detection.wildlife` x (1 + `detection.
wildlife_training_gain` x the CITES training level where the load is), as for all wildlife.
Animals and plants are counted in specimens (commodity WILDLIFE), hardwoods in m3 (TIMBER).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.errors import InputError
from model.flows import DELIVERED, Commodity, Shipment

SHIPPED_WILDLIFE = Path(__file__).resolve().parent.parent.parent / "scenarios" / "data" / "wildlife.toml"
UNIT_COMMODITY = {"specimens": Commodity.WILDLIFE, "m3": Commodity.TIMBER}
DESTINATIONS = ("port_of_entry", "seaport")
ESTIMATES = {"central": "per_year", "low": "low", "high": "high"}


@dataclass(frozen=True)
class SpeciesGroup:
    name: str
    unit: str
    per_year: float          # the scenario's estimate (central, low or high)
    areas: tuple[str, ...]
    destination: str
    loads_per_month: int
    source: str
    uncertainty: str

    @property
    def commodity(self) -> Commodity:
        return UNIT_COMMODITY[self.unit]

    def load_volume(self) -> float:
        """Volume of one consignment: the year's volume over 12 months, its areas and loads."""
        return self.per_year / 12.0 / len(self.areas) / self.loads_per_month


def read_groups(path: Path, cmap, estimate: str = "central") -> list[SpeciesGroup]:
    """The species groups of a data file; bad input raises InputError naming file and field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as e:
        raise InputError(path, None, f"cannot read the wildlife data file ({e.strerror})") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(path, None, f"not valid TOML ({e})") from None
    rows = data.get("group")
    if not isinstance(rows, list) or not rows:
        raise InputError(path, "group", "expected one or more [[group]] tables")
    areas = {f.name for f in cmap.features_of("biodiversity")}
    out, seen = [], set()
    for i, g in enumerate(rows):
        where = f"group[{i}]"
        for key in ("name", "unit", "per_year", "low", "high", "areas", "destination", "source", "uncertainty"):
            if key not in g:
                raise InputError(path, f"{where}.{key}", "missing")
        name = g["name"]
        if not isinstance(name, str) or not name.isidentifier() or name in seen:
            raise InputError(path, f"{where}.name", f"expected a new name of letters, digits and _, got {name!r}")
        seen.add(name)
        if g["unit"] not in UNIT_COMMODITY:
            raise InputError(path, f"{where}.unit", f"expected one of {sorted(UNIT_COMMODITY)}, got {g['unit']!r}")
        vals = {}
        for key in ("per_year", "low", "high"):
            v = g[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise InputError(path, f"{where}.{key}", f"expected a number >= 0 ({g['unit']} a year), got {v!r}")
            vals[key] = float(v)
        if not vals["low"] <= vals["per_year"] <= vals["high"]:
            raise InputError(path, f"{where}.per_year", "expected low <= per_year <= high")
        if not isinstance(g["areas"], list) or not g["areas"]:
            raise InputError(path, f"{where}.areas", "expected a list of biodiversity features of the map")
        for a in g["areas"]:
            if a not in areas:
                raise InputError(path, f"{where}.areas", f"'{a}' is not a biodiversity feature of the map "
                                 f"(one of {sorted(areas)})")
        if g["destination"] not in DESTINATIONS:
            raise InputError(path, f"{where}.destination", f"expected one of {list(DESTINATIONS)}")
        if not cmap.features_of(g["destination"]):
            raise InputError(path, f"{where}.destination", f"the map has no {g['destination']} feature")
        n = g.get("loads_per_month", 1)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100:
            raise InputError(path, f"{where}.loads_per_month", f"expected a whole number 1-100, got {n!r}")
        out.append(SpeciesGroup(name, g["unit"], vals[ESTIMATES[estimate]], tuple(g["areas"]), g["destination"],
                                n, str(g["source"]), str(g["uncertainty"])))
    return out


def groups_for(scenario, cmap) -> list[SpeciesGroup]:
    """The scenario's species groups (none when `wildlife.groups_file` is empty)."""
    f = scenario.wildlife.groups_file
    if not f:
        return []
    base = scenario.path.parent if scenario.path else Path.cwd()
    groups = read_groups(base / f, cmap, scenario.wildlife.estimate)
    if not scenario.gang:
        raise InputError(scenario.path, "wildlife.groups_file", "species groups need at least one [[gang]] "
                         "to carry them (the gang based nearest each area does)")
    return groups


class SpeciesTrade:
    """Wildlife loads by species group, and their cumulative fate per group."""

    def __init__(self, groups: list[SpeciesGroup], gangs, cmap, graph, router, cost_per_km: np.ndarray):
        self.groups, self.gangs = groups, gangs
        self.cmap, self.graph, self.router, self.cost_per_km = cmap, graph, router, cost_per_km
        self.routes: list = []           # (group index, gang, volume, route) per consignment
        self._key = None
        k = len(groups)
        self.shipped, self.delivered, self.seized = np.zeros(k), np.zeros(k), np.zeros(k)

    def ship(self, month: int, policy_key, routing, seen, ledger) -> None:
        """Issue this month's consignments; `seen` is the hazard traffickers gauge, per node."""
        if month % routing.wildlife_replan_months == 0 or self._key != policy_key:
            self._key = policy_key
            self.routes = self.plan(routing, seen)
        for gi, gg, vol, route in self.routes:
            g = self.groups[gi]
            for _ in range(g.loads_per_month):
                ledger.ship(Shipment(g.commodity, -1 - gg.index, vol, route, group=gi))
                self.shipped[gi] += vol

    def plan(self, r, seen: np.ndarray) -> list:
        g = self.graph
        premium = np.clip((seen / r.risk_threshold) ** 2, 1.0, r.max_premium)
        weights = self.router.edge_weights(self.cost_per_km, premium, np.zeros(g.n), r.mode_change_cost)
        ends = {kind: np.array(sorted({g.node(f.cell) for f in self.cmap.features_of(kind)})) for kind in DESTINATIONS
                if self.cmap.features_of(kind)}
        searched: dict[int, tuple] = {}
        plans = []
        for gi, grp in enumerate(self.groups):
            for area in grp.areas:
                cell = self.cmap.feature(area).cell
                src = g.node(cell)
                carrier = min(self.gangs, key=lambda gg: (float(gg.km[cell]), gg.index))
                if src not in searched:
                    searched[src] = self.router.search(weights, np.array([src]))[:2]
                dist, pred = searched[src]
                ports = ends[grp.destination]
                t = int(ports[int(np.argmin(dist[ports]))])
                if np.isfinite(dist[t]) and t != src:
                    plans.append((gi, carrier, grp.load_volume(), g.path(pred, src, t, float(dist[t]))))
        return plans

    def columns(self, ev, ledger) -> dict:
        """This month's cumulative shipped, delivered, seized and in-transit volume per group."""
        for s, _, _, outcome in ev.finished:
            if s.group >= 0:
                if outcome == DELIVERED:
                    self.delivered[s.group] += s.volume
                else:
                    self.seized[s.group] += s.volume
        transit = np.zeros(len(self.groups))
        for s in ledger.active:
            if s.group >= 0:
                transit[s.group] += s.volume
        row = {}
        for gi, grp in enumerate(self.groups):
            row[f"wildlife_{grp.name}_shipped"] = float(self.shipped[gi])
            row[f"wildlife_{grp.name}_delivered"] = float(self.delivered[gi])
            row[f"wildlife_{grp.name}_seized"] = float(self.seized[gi])
            row[f"wildlife_{grp.name}_in_transit"] = float(transit[gi])
        return row


def by_group(ts, groups_units: dict[str, str]) -> dict:
    """Summary per species group from the timeseries' last row: unit and ledger totals."""
    last = ts.iloc[-1]
    return {name: {"unit": unit, **{k: float(last[f"wildlife_{name}_{k}"])
                                    for k in ("shipped", "delivered", "seized", "in_transit")}}
            for name, unit in groups_units.items()}
