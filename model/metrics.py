"""What a run measures: one row per month, per-cell flow per month, and the summary.

The recorder keeps arrays during the run and builds the DataFrame once at the end. The
summary functions read only those outputs, so they work the same on a live model and on
files saved by an earlier run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.agents import EnforcementUnit, MigrantState
from model.agents.migrant import EVENTS
from model.agents.wildlife import by_group
from model.deforestation import deforestation_summary, forest_columns
from model.flows import SEIZED, Commodity
from model.journeys import journey_frame
from model.loads import LoadBook
from model.vectors import FLAGS, by_mode_and_vector, edge_tags, mode_vector_summary, route_tags

CENTRAL_AMERICA = ("GT", "BZ", "HN", "SV", "NI", "CR", "PA")
# the Caribbean jurisdictions of the transit-zone map (islands; Puerto Rico included), the
# other half of UNODC's "Central America and the Caribbean" (2012)
CARIBBEAN = ("AG", "BS", "CU", "CW", "DM", "DO", "GP", "HT", "JM", "KN", "MQ", "PR", "TT")
__all__ = ["FLAGS"]    # re-exported: the vectors' one definition lives in model.vectors


class Recorder:
    """One row per month of totals, and [x, y] arrays per month for the cell maps.

    Not Mesa's DataCollector: most columns come in families by country (transit_GT,
    violence_HN, ...) whose set depends on the map, and the cell maps are whole arrays per
    month, which a DataCollector would store as one Python object per model row; the
    dashboard draws from the model and the recorded frame, so it needs neither.
    """

    def __init__(self, model):
        self.model = model
        self.rows: list[dict] = []
        self.cell_flow: list[np.ndarray] = []      # cocaine t per cell per month (float32)
        self.cell_seizures: list[np.ndarray] = []
        self.cell_violence: list[np.ndarray] = []
        self.cell_forest_lost: list[np.ndarray] = []   # ha per cell per month, with deforestation on
        cm = model.cmap
        self.countries = [c for c in cm.country_codes if c != "INTL"]
        self.loads = LoadBook()
        self._edge_tags = edge_tags(model.graph)

    def collect(self, ev, violence: np.ndarray) -> None:
        m = self.model
        month = self._finished_loads(ev)
        L = m.ledger
        transit = L.in_transit()
        row: dict = {"step": m.steps - 1}     # called during the step, which Mesa has counted
        for c in Commodity:
            name = c.name.lower()
            row[f"{name}_shipped"] = L.shipped[c]
            row[f"{name}_delivered"] = L.delivered[c]
            row[f"{name}_seized"] = L.seized[c]
            row[f"{name}_in_transit"] = transit[c]
        flow = m.step_flow[Commodity.COCAINE]
        row["active_cells"] = int((flow > 0).sum())
        row["route_entropy"] = entropy(flow)
        # transit volume by country, from loads that finished this month (delivered or seized)
        done = [(v, bits) for com, _, v, bits in ev.delivered if com == Commodity.COCAINE]
        done += [(v, bits) for com, v, bits in ev.seized_done if com == Commodity.COCAINE]
        row["cocaine_completed"] = float(sum(v for v, _ in done))
        cm = m.cmap
        for ci, code in enumerate(cm.country_codes):
            if code == "INTL":
                continue
            row[f"transit_{code}"] = float(sum(v for v, bits in done if bits >> ci & 1))
        ca_bits = sum(1 << ci for ci, c in enumerate(cm.country_codes) if c in CENTRAL_AMERICA)
        row["central_america_completed"] = float(sum(v for v, bits in done if bits & ca_bits))
        # loads that entered Mexico overland from Central America, and those that crossed Guatemala
        mx_bit = 1 << cm.country_codes.index("MX") if "MX" in cm.country_codes else 0
        gt_bit = 1 << cm.country_codes.index("GT") if "GT" in cm.country_codes else 0
        overland = [(v, bits) for v, bits in done if bits & mx_bit and bits & ca_bits]
        row["mexico_overland_completed"] = float(sum(v for v, _ in overland))
        row["mexico_overland_via_GT"] = float(sum(v for v, bits in overland if bits & gt_bit))
        row |= by_mode_and_vector(month, cm.country_codes, m.cell_km)
        # cocaine landed by air in each country this month, and the flights that carried it:
        # air hops not stopped on the hop, counted where they land
        air = m.air_edges
        where = m.node_country[m.graph.dst[air]]
        landed = np.bincount(where, weights=m.step_edge_flow[air], minlength=len(cm.country_codes))
        flights = np.bincount(where, weights=m.step_edge_loads[air], minlength=len(cm.country_codes))
        for ci, code in enumerate(cm.country_codes):
            if code != "INTL":
                row[f"air_landings_{code}"] = float(landed[ci])
                row[f"air_flights_{code}"] = int(round(flights[ci]))
        # cocaine seized this month in each jurisdiction, where the load was stopped (INTL: open
        # sea); summed over every code, including INTL, it is the month's growth of cocaine_seized
        stops = [(node, v) for com, _, node, v in ev.seizures if com == Commodity.COCAINE]
        seized_in = np.bincount(m.node_country[np.array([n for n, _ in stops], np.int64)],
                                weights=np.array([v for _, v in stops], float), minlength=len(cm.country_codes))
        for ci, code in enumerate(cm.country_codes):
            row[f"cocaine_seized_in_{code}"] = float(seized_in[ci])
        if hasattr(m.wildlife, "columns"):          # wildlife by species group (model/agents/wildlife.py)
            row |= m.wildlife.columns(ev, L)
        if m.deforestation is not None:
            row |= forest_columns(m.deforestation, m.node_country, list(cm.country_codes))
            self.cell_forest_lost.append(m.deforestation.step_lost.astype(np.float32))
        vc = np.bincount(m.node_country, weights=violence.ravel(), minlength=len(cm.country_codes))
        for ci, code in enumerate(cm.country_codes):
            if code != "INTL":
                row[f"violence_{code}"] = float(vc[ci])
        row |= homicide_columns(m)
        people = people_per_agent(m.config)
        for s in MigrantState:
            row[f"migrants_{s.name.lower()}"] = m.migrant_counts[s] * people     # people, not agents
        row |= migrant_events(m.migration, cm.country_codes, people)
        units = m.agents_by_type.get(EnforcementUnit, [])
        row["enforcement_units"] = len(units)
        row["bribed_units"] = sum(1 for u in units if u.bribed)
        row["gang_strength"] = float(sum(g.strength for g in m.gangs))
        row["organisations"] = len(m.cartels)        # grows when a kingpin removal splits one
        row["alliances"] = m.alliances.count
        row["kingpin_shock_cells"] = int((m.kingpin_shock > 0).sum())
        self.rows.append(row)
        shape = cm.shape
        self.cell_flow.append(flow.reshape(shape).astype(np.float32))
        self.cell_seizures.append(m.step_seizures.astype(np.float32))
        self.cell_violence.append(violence.astype(np.float32))

    def _finished_loads(self, ev) -> dict[str, np.ndarray]:
        """This month's finished loads as arrays, appended to the load book."""
        m = self.model
        rows = []
        for s, edges, node, outcome in ev.finished:
            # a load seized on an edge used its mode, but a flight stopped on its hop never landed
            tags, air = route_tags(s.route, m.graph, self._edge_tags, m.node_country)
            rows.append((s.commodity, s.owner, s.volume, s.shipped, node, outcome, s.countries,
                         tags[edges], air[edges - (outcome == SEIZED)], edges, s.route.cum_list[edges], s.group))
        cols = ("commodity", "owner", "volume", "shipped", "node", "outcome", "countries", "tags",
                "air_countries", "cells", "km", "group")
        arr = {c: np.array(v) for c, v in zip(cols, zip(*rows))} if rows else \
            {c: np.zeros(0, float if c in ("volume", "km") else np.int64) for c in cols}
        arr["finished"] = np.full(len(rows), m.steps - 1, np.int64)
        self.loads.append(**arr)
        return arr

    def load_table(self) -> pd.DataFrame:
        """One row per finished load (the run folder's loads.parquet)."""
        from model.corridor import month_label     # the model module imports this one
        return self.loads.frame(self.model, FLAGS, lambda s: month_label(self.model.config, s))

    def journey_table(self) -> pd.DataFrame:
        """One row per migrant group (the run folder's journeys.parquet)."""
        from model.corridor import month_label
        m = self.model
        return journey_frame(m.migration, m.cmap, people_per_agent(m.config), lambda s: month_label(m.config, s))

    def timeseries(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def cells(self) -> dict[str, np.ndarray]:
        """Per-month cell arrays [month, x, y]."""
        out = {"cocaine_flow": np.stack(self.cell_flow), "seizures": np.stack(self.cell_seizures),
               "violence": np.stack(self.cell_violence)}
        if self.cell_forest_lost:
            out["forest_lost"] = np.stack(self.cell_forest_lost)
        return out


def migrant_events(migration, codes: list[str], people) -> dict:
    """This month's migrant events per country (`migrants_<event>_<CC>`, people) and the
    people travelling in each country at the month's end (`migrants_on_road_<CC>`)."""
    row = {}
    road = migration.on_road_by_country()
    for ci, code in enumerate(codes):
        if code == "INTL":
            continue
        for e in EVENTS:
            row[f"migrants_{e}_{code}"] = int(migration.events[e][ci]) * people
        row[f"migrants_on_road_{code}"] = int(road[ci]) * people
    return row


def migrants_by_country(ts: pd.DataFrame) -> dict:
    """Migrant events per country and year (people): sums of the monthly event columns; `on_road`
    is the mean number travelling in the country at month ends. Years are calendar years
    where the timeseries has months, else 'year 0', 'year 1', ... from the first step."""
    cols = [c for c in ts.columns if c.startswith("migrants_") and c.rsplit("_", 1)[0][len("migrants_"):]
            in EVENTS + ("on_road",)]
    if not cols:
        return {}
    year = ts.month.astype(str).str[:4] if "month" in ts.columns else "year " + (ts.step // 12).astype(str)
    out: dict = {}
    for c in cols:
        event, code = c[len("migrants_"):].rsplit("_", 1)
        agg = ts[c].groupby(year).mean() if event == "on_road" else ts[c].groupby(year).sum()
        for y, v in agg.items():
            out.setdefault(code, {}).setdefault(str(y), {})[event] = _whole(round(float(v), 6))
    return out


def homicide_columns(m) -> dict:
    """This month's homicides and trafficked firearms stock per country, and the population
    the homicide rate is taken over (where the population data has the country)."""
    h, row = m.homicides, {}
    for ci, code in enumerate(m.cmap.country_codes):
        if code == "INTL":
            continue
        row[f"homicides_{code}"] = float(m.step_homicides[ci])
        row[f"arms_stock_{code}"] = float(h.stock[ci])
        if h.has_pop[ci]:
            row[f"population_{code}"] = float(m.step_population[ci])
    return row


def homicide_rates(ts: pd.DataFrame) -> dict:
    """{CC: {year: homicides per 100,000}} over the calendar years the run covers whole, for
    countries with population data: the year's homicides over its mean monthly population."""
    if "month" not in ts.columns:
        return {}
    year = ts.month.str[:4]
    whole = [y for y, n in year.value_counts().items() if n == 12]
    out = {}
    for col in ts.columns:
        if not col.startswith("population_"):
            continue
        code = col[len("population_"):]
        by_year = ts[year.isin(whole)].groupby(year)
        h, p = by_year[f"homicides_{code}"].sum(), by_year[col].mean()
        out[code] = {y: round(float(h[y] / p[y] * 1e5), 4) for y in sorted(h.index) if p[y] > 0}
    return out


def people_per_agent(scenario) -> int | float:
    """People one migrant agent stands for; an int when whole, so counts stay whole numbers."""
    ppa = float(scenario.migrants.people_per_agent)
    return int(ppa) if ppa.is_integer() else ppa


def entropy(flow: np.ndarray) -> float:
    """Shannon entropy (nats) of the distribution of flow over cells: route spread."""
    tot = flow.sum()
    if tot <= 0:
        return 0.0
    p = flow[flow > 0] / tot
    return float(-(p * np.log(p)).sum())


def window_sum(cells: np.ndarray, window: tuple[int, int]) -> np.ndarray:
    a, b = window
    return cells[a:b].sum(axis=0)


def summarize(ts: pd.DataFrame, cells: dict, window: tuple[int, int], people: int | float | None = None,
              wildlife_units: dict[str, str] | None = None) -> dict:
    """Headline numbers of one run. Flows and shares are over `window` [start, end).

    Migrants are counted in people (the timeseries already is); `people` (people per
    agent) is recorded beside them as a note. `wildlife_units` ({group: unit}) adds the
    wildlife species groups' totals (runs with `wildlife.groups_file`); forest lost is
    added when the timeseries has it (runs with deforestation on).
    """
    last = ts.iloc[-1]
    a, b = window
    w = ts[(ts.step >= a) & (ts.step < b)]
    countries = [c[len("transit_"):] for c in ts.columns if c.startswith("transit_")]
    completed = float(w.cocaine_completed.sum())
    share = {c: (float(w[f"transit_{c}"].sum()) / completed if completed > 0 else 0.0) for c in countries}
    flow = window_sum(cells["cocaine_flow"], window)

    def in_window(column: str) -> float:
        """Growth of a cumulative column over the window."""
        before = ts[column][ts.step == a - 1].sum() if a > 0 else 0.0
        return float(w[column].iloc[-1] - before)

    ledger = ("shipped", "delivered", "seized", "in_transit")
    span = {"start": a, "end": b}
    if "month" in ts.columns and b > a:
        span |= {"first_month": str(ts.month[ts.step == a].iloc[0]),
                 "last_month": str(ts.month[ts.step == b - 1].iloc[0])}
    out = {
        "window": span,
        "cocaine": {k: float(last[f"cocaine_{k}"]) for k in ledger},
        "cocaine_in_window": {"delivered": in_window("cocaine_delivered"), "seized": in_window("cocaine_seized"),
                              "shipped": in_window("cocaine_shipped")},
        "arms": {k: float(last[f"arms_{k}"]) for k in ledger},
        "wildlife": {k: float(last[f"wildlife_{k}"]) for k in ledger},
        "transit_share": {c: round(v, 6) for c, v in sorted(share.items(), key=lambda kv: -kv[1])},
        "central_america_share": round(central_america_share(w), 6),
        "route_entropy": round(entropy(flow), 6),
        "active_cells": round(float(w.active_cells.mean()), 3),
        "violence": {c[len("violence_"):]: float(w[c].sum()) for c in ts.columns if c.startswith("violence_")},
        "homicide_rate": homicide_rates(ts),
        "migrants": {s.name.lower(): _whole(last[f"migrants_{s.name.lower()}"])
                     for s in (MigrantState.ARRIVED, MigrantState.TRAFFICKED, MigrantState.RESCUED,
                               MigrantState.RETURNED, MigrantState.TRAVELLING)},
    }
    out |= mode_vector_summary(w)
    out["migrants_by_country"] = migrants_by_country(ts)
    if "organisations" in ts.columns:       # runs saved before issue 14 have no such column
        org = ts.organisations
        out["organisations"] = {"start": int(org.iloc[0]), "end": int(org.iloc[-1]), "max": int(org.max())}
    if wildlife_units:
        out["timber"] = {k: float(last[f"timber_{k}"]) for k in ledger}
        out["wildlife_by_group"] = by_group(ts, wildlife_units)
    if "forest_lost_ha" in ts.columns:
        out["deforestation"] = deforestation_summary(ts)
    if people is not None:
        out["people_per_agent"] = people
    return out


def _whole(v) -> int | float:
    v = float(v)
    return int(v) if v.is_integer() else v


def window_span(summary: dict) -> str:
    """The evaluation window as every output names it: '2006-12 to 2011-12'."""
    w = summary["window"]
    if "first_month" in w:
        return f"{w['first_month']} to {w['last_month']}"
    return f"months {w['start']}–{w['end'] - 1}"


def window_change(summary: dict, cf_summary: dict, quantity: str) -> tuple[float, float | None]:
    """Cocaine `quantity` ('delivered' or 'seized') in the evaluation window against the same
    months without the policy: the change in tonnes, and in % of the amount without it."""
    new = summary["cocaine_in_window"][quantity]
    old = cf_summary["cocaine_in_window"][quantity]
    return new - old, (100.0 * (new - old) / old if old > 0 else None)


def central_america_share(w: pd.DataFrame) -> float:
    """Share of finished cocaine loads that crossed at least one Central American country."""
    done = w.cocaine_completed.sum()
    return float(w.central_america_completed.sum() / done) if done > 0 else 0.0


def displacement(sc_cells: dict, cf_cells: dict, targeted: np.ndarray, window: tuple[int, int],
                 sc_summary: dict, cf_summary: dict, country: np.ndarray, country_codes: list[str],
                 cell_km: float = 1.0) -> dict:
    """Flow lost inside targeted jurisdictions vs gained elsewhere, against the counterfactual.

    Flows are tonne-cells: tonnes of cocaine passing through each cell, summed over cells
    and months of the window (proportional to tonne-km on a regular grid). The net gain
    elsewhere can be smaller than the gross gain where flow rose: diverted loads also
    shorten their sea legs; `decomposition` says how much (tonne-km, cells x `cell_km`).
    """
    sc = window_sum(sc_cells["cocaine_flow"], window)
    cf = window_sum(cf_cells["cocaine_flow"], window)
    diff = sc - cf
    lost = float(-diff[targeted].sum())
    gained = float(diff[~targeted].sum())
    cf_t = float(cf[targeted].sum())
    by_country = np.bincount(country.ravel(), weights=diff.ravel(), minlength=len(country_codes))
    d_change, d_pct = window_change(sc_summary, cf_summary, "delivered")
    return {
        "targeted_flow_counterfactual": cf_t,
        "targeted_flow": float(sc[targeted].sum()),
        "flow_lost_targeted": lost,
        "flow_gained_elsewhere": gained,
        "flow_gained_where_it_rose": float(diff[~targeted & (diff > 0)].sum()),
        "flow_change_by_country": {c: round(float(v), 3) for c, v in zip(country_codes, by_country)
                                   if c != "INTL" and abs(v) > 1e-9},
        "ratio": (gained / lost) if lost > 0 else None,
        "targeted_flow_change_pct": (100.0 * -lost / cf_t) if cf_t > 0 else None,
        "delivered_change": d_change,
        "delivered_change_pct": d_pct,
        "central_america_share_change": sc_summary["central_america_share"] - cf_summary["central_america_share"],
        "net_flow_change_tonne_km": float(diff.sum()) * cell_km,
        "decomposition": flow_decomposition(sc_summary, cf_summary),
    }


def flow_decomposition(sc_summary: dict, cf_summary: dict) -> dict:
    """Why flow lost in one place need not reappear elsewhere: the change in tonne-km of
    loads finished in the window, split exactly into fewer (or more) tonnes finishing their
    trip, at the counterfactual's km per tonne, and shorter (or longer) trips, at the
    policy's tonnes: change = dT x k_cf + T_sc x dk. Tonnes finishing fall when loads are
    not shipped; km per tonne fall when loads are seized earlier or take shorter legs."""
    sc, cf = sc_summary.get("loads_finished"), cf_summary.get("loads_finished")
    if sc is None or cf is None:
        return {}
    shipped = (sc_summary["cocaine_in_window"]["shipped"], cf_summary["cocaine_in_window"]["shipped"])
    return {
        "tonne_km_change": sc["tonne_km"] - cf["tonne_km"],
        "from_tonnes_finished": (sc["t"] - cf["t"]) * cf["km_per_t"],
        "from_km_per_t": sc["t"] * (sc["km_per_t"] - cf["km_per_t"]),
        "tonnes_finished_change": sc["t"] - cf["t"],
        "delivered_t_change": sc["delivered_t"] - cf["delivered_t"],
        "seized_t_change": sc["seized_t"] - cf["seized_t"],
        "shipped_t_change": shipped[0] - shipped[1],
        "km_per_t": {"policy": sc["km_per_t"], "counterfactual": cf["km_per_t"]},
        "delivered_km_per_t": {"policy": sc["delivered_km_per_t"], "counterfactual": cf["delivered_km_per_t"]},
        "seized_km_per_t": {"policy": sc["seized_km_per_t"], "counterfactual": cf["seized_km_per_t"]},
    }
