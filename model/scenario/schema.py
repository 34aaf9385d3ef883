"""The scenario schema: every section of a scenario file, its bounds and units.

A scenario is data. Every numeric parameter declares its unit (and, where it comes from
the real world, its source) in the schema below, so `corridor validate --explain` and the
README can list them. `model.scenario.loading` reads files into it and checks names
against the map.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from model.scenario.fields import P, Strict
from model.scenario.homicides import Arms, Homicides
from model.scenario.organisations import Alliances, Organisations
from model.scenario.portfolio import Portfolio
from model.scenario.series import Series, calendar_year
from model.scenario.wildlife import Deforestation, WildlifeTrade


class Strategy(StrEnum):
    """How an enforcement unit chooses where to be next month."""

    STATIC = "static"            # stays at its post
    PATROL = "patrol"            # random walk inside its area
    HOTSPOT = "hotspot"          # moves toward recent seizures
    INTELLIGENCE = "intelligence"  # moves toward observed trafficking flow


SLUG = r"^[A-Za-z0-9_-]+$"   # scenario and experiment names: they name folders under results/


def _slug(v: str) -> str:
    """Names become folder names under results/: a slash or '..' would write outside it."""
    if not re.fullmatch(SLUG, v):
        raise PydanticCustomError("slug", "expected a plain name of letters, digits, '-' and '_' "
                                  "(it names the result folder)")
    return v


Slug = Annotated[str, AfterValidator(_slug)]


class Meta(Strict):
    name: Slug = Field(min_length=1)
    description: str = ""
    extends: str | None = Field(None, description="scenario file this one starts from (relative path)")
    map: str = Field("maps/corridor.toml", description="map file, relative to the scenario file")
    steps: int = P(96, unit="months", ge=1, le=1200, doc="run length; one step is one month")
    start_month: str = Field("2004-01", pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                             description="calendar month of step 0 (YYYY-MM), for labels")
    seed: int = P(1, unit="-", ge=0, lt=2**63, doc="default seed, overridden by --seed")
    sources: list[str] = Field(default_factory=list, description="citations for figures used")


class Routing(Strict):
    land_cost_per_km: float = P(1.0, unit="cost/km", gt=0, le=100,
                                doc="overland transport cost (trucks, couriers)")
    sea_cost_per_km: float = P(0.6, unit="cost/km", gt=0, le=100,
                               doc="maritime cost (go-fast boats, semi-submersibles)")
    air_cost_per_km: float = P(0.9, unit="cost/km", gt=0, le=100, doc="small aircraft cost")
    air_max_range_km: float = P(2200, unit="km", ge=0, le=6000,
                                doc="longest air hop from an origin strip to a landing strip")
    mode_change_cost: float = P(150, unit="cost", ge=0, le=1e5,
                                doc="cost of landing a load (sea to land, air to land)")
    max_offshore_km: float = P(350, unit="km", ge=0, le=3000,
                               doc="sea cells farther than this from any coast are not routable")
    maritime_zone_km: float = P(370, unit="km", ge=0, le=1000,
                                source="UNCLOS art. 57: exclusive economic zone of 200 nautical miles",
                                doc="sea cells closer than this to a country's coast belong to it")
    risk_threshold: float = P(0.43, unit="events/month", gt=0, le=100,
                              source="Magliocca et al., PNAS 2019 (NarcoLogic): premium = max(1, (risk/0.43)^2)",
                              doc="perceived risk at which a cell starts to cost more")
    max_premium: float = P(50.0, unit="x", ge=1, le=1e4, doc="cap on the risk multiplier")
    risk_decay: float = P(0.15, unit="1/month", ge=0, le=1,
                          doc="fraction of perceived risk forgotten each month")
    seizure_risk: float = P(1.0, unit="events", ge=0, le=100,
                            doc="perceived risk added to a cell (and its neighbours) by one seizure")
    enforcement_awareness: float = P(3.0, unit="events/month per unit hazard", ge=0, le=1000,
                                     doc="perceived risk from the interdiction hazard a cartel can see")
    route_temperature: float = P(0.08, unit="fraction of best cost", gt=0, le=10,
                                 doc="spread of route choice over near-best routes (softmax on relative cost)")
    speed_km_per_step: float = P(1800, unit="km/month", gt=0, le=100000,
                                 doc="distance a shipment covers in one month")
    rival_plaza_fee: float = P(0.5, unit="cost/km", ge=0, le=100,
                               doc="extra cost of crossing a rival cartel's plaza")
    # modelling assumptions, named so they can be varied (issue 15)
    route_logit_cut: float = P(12.0, unit="logit", gt=0, le=100, source="modelling assumption",
                               doc="routes whose softmax logit is this far below the best are dropped (p < e^-cut)")
    plaza_rate: float = P(0.2, unit="1/month", ge=0, le=1, source="modelling assumption",
                          doc="share of a cartel's plaza field renewed from this month's flow")
    wildlife_replan_months: int = P(12, unit="months", ge=1, le=1200, source="modelling assumption",
                                    doc="months between wildlife traders' route plans (also re-planned on policy change)")


class Detection(Strict):
    land: float = P(0.04, unit="1/coverage", ge=0, le=10, doc="interdiction hazard per unit coverage on land")
    sea: float = P(0.10, unit="1/coverage", ge=0, le=10, doc="interdiction hazard per unit coverage at sea")
    air: float = P(0.15, unit="1/coverage", ge=0, le=10, doc="interdiction hazard per unit coverage for air hops")
    port_of_entry: float = P(0.08, unit="probability", ge=0, le=1,
                             doc="chance a load is seized at the US port of entry")
    wildlife: float = P(0.3, unit="x", ge=0, le=10,
                        doc="detection of wildlife relative to drugs without customs training")
    wildlife_training_gain: float = P(3.0, unit="x", ge=0, le=100,
                                      doc="extra wildlife detection with full CITES customs training")
    arms: float = P(0.5, unit="x", ge=0, le=10, doc="detection of arms relative to drugs")
    arms_control_gain: float = P(2.0, unit="x", ge=0, le=100,
                                 doc="extra arms detection with the firearms convention in force")
    coverage_radius_km: float = P(60, unit="km", gt=0, le=1000, doc="reach of one enforcement unit")
    unit_move_km: float = P(220, unit="km/month", gt=0, le=5000,
                            doc="how far an enforcement unit can redeploy in a month")
    # modelling assumptions, named so they can be varied (issue 15)
    seizure_memory: float = P(0.5, unit="fraction kept per month", ge=0, le=1, source="modelling assumption",
                              doc="share of last month's seizure map enforcement still acts on (hotspot units)")
    flow_memory: float = P(0.5, unit="fraction kept per month", ge=0, le=1, source="modelling assumption",
                           doc="share of last month's observed flow enforcement still acts on (intelligence units)")


class Cartel(Strict):
    name: str = Field(min_length=1)
    sources: list[str] = Field(min_length=1, description="feature names of departure points (kind source)")
    ports_of_entry: list[str] = Field(min_length=1, description="feature names of US ports of entry")
    airstrips: list[str] = Field(default_factory=list, description="origin airstrips it may fly from")
    plazas: list[str] = Field(default_factory=list, description="jurisdictions it controls at the start")
    shipments_per_step: int = P(8, unit="shipments/month", ge=0, le=10000)
    tonnes_per_shipment: float = P(1.2, unit="t", gt=0, le=100,
                                   source="go-fast boats carry 1-2 t (UNODC 2012)")
    arms_per_tonne: float = P(20, unit="firearms/t", ge=0, le=1e5,
                              doc="firearms sent south per tonne of cocaine shipped north")


class Gang(Strict):
    name: str = Field(min_length=1)
    home: str = Field(description="feature name or jurisdiction code of its base")
    radius_km: float = P(120, unit="km", gt=0, le=2000, doc="territory radius at strength 1")
    strength: float = P(1.0, unit="-", gt=0, le=100, doc="relative size; territory grows with it")
    fee_per_km: float = P(0.3, unit="cost/km", ge=0, le=100, doc="transit fee charged to cartels")
    wildlife_per_step: float = P(0.0, unit="specimens/month", ge=0, le=1e6,
                                 doc="wildlife it moves from nearby biodiversity areas")
    growth: float = P(0.002, unit="1/(t·month)", ge=0, le=10, doc="strength gained per tonne of transit sold")
    arrest_loss: float = P(0.02, unit="1/(coverage·month)", ge=0, le=10,
                           doc="strength lost per unit enforcement coverage in its territory")
    # modelling assumptions, named so they can be varied (issue 15)
    max_growth: float = P(5.0, unit="x initial strength", ge=1, le=1000, source="modelling assumption",
                          doc="cap on strength (5x: territory radius ~2.2x)")
    min_strength: float = P(0.01, unit="x initial strength", gt=0, le=1, source="modelling assumption",
                            doc="floor on strength: arrests weaken a gang, never erase it")


MODE_SOURCE = ("modelling assumption; CSIS 2009 recommends equipment and monitoring technology, "
               "particularly in border areas; drug flights into Honduras 31/54/~100 in 2008/2009/2011 (INCSR 2012)")


class JurisdictionPolicy(Strict):
    """Settings of one jurisdiction; every field is also a policy lever."""

    enforcement_units: float | None = P(None, unit="patrol units", ge=0, le=10000,
                                        doc="police/army units fielded on land (budget)")
    naval_units: float | None = P(None, unit="patrol units", ge=0, le=10000,
                                  doc="navy/coast-guard units fielded in its waters (budget)")
    strategy: Strategy | None = None
    corruption: float | None = P(None, unit="probability", ge=0, le=1,
                                 doc="chance a unit is bribed in a month")
    cooperation: bool | None = Field(None, description="member of regional cooperation (SICA/Mérida)")
    victim_services: float | None = P(None, unit="0-1", ge=0, le=1)
    wildlife_training: float | None = P(None, unit="0-1", ge=0, le=1)
    migration_enforcement: float | None = P(None, unit="0-1", ge=0, le=1)
    trafficking_law: float | None = P(None, unit="0-1", ge=0, le=1,
                                      doc="human-trafficking law in force and applied")
    arms_control: float | None = P(None, unit="0-1", ge=0, le=1,
                                   doc="firearms convention (CIFTA) implemented")
    # interdiction capacity by mode: equipment and monitoring technology, particularly in
    # border areas (CSIS 2009); the air bridge answered radar and interception (INCSR 2012)
    land_interdiction: float | None = P(None, unit="x", ge=0, le=10, source=MODE_SOURCE,
                                        doc="multiplier on detection.land on its land (checkpoints, scanners)")
    maritime_interdiction: float | None = P(None, unit="x", ge=0, le=10, source=MODE_SOURCE,
                                            doc="multiplier on detection.sea in its waters and on landings at its coast")
    air_interdiction: float | None = P(None, unit="hazard per flight", ge=0, le=10, source=MODE_SOURCE,
                                       doc="hazard of an air hop landing in it (radar and interception), added to "
                                           "detection.air x coverage; a flight is stopped with chance 1 - e^-h")


JURISDICTION_DEFAULTS = dict(
    enforcement_units=0.0, naval_units=0.0, strategy=Strategy.PATROL, corruption=0.3, cooperation=False,
    victim_services=0.0, wildlife_training=0.0, migration_enforcement=0.1,
    trafficking_law=0.0, arms_control=0.0,
    land_interdiction=1.0, maritime_interdiction=1.0, air_interdiction=0.0,   # neutral: today's detection
)
LEVERS = tuple(JURISDICTION_DEFAULTS) + ("us_demand", "kingpin_removal")
EVENT_LEVERS = ("kingpin_removal",)     # happen once at their start month; not a level in force


def lever_bounds(lever: str) -> tuple[float, float]:
    """The [low, high] a jurisdiction lever's level stays in (multiplied values are clipped to it)."""
    lo, hi = 0.0, 1.0
    for m in JurisdictionPolicy.model_fields[lever].metadata:
        lo, hi = getattr(m, "ge", lo), getattr(m, "le", hi)
    return float(lo), float(hi)


class MigrantOrigin(Strict):
    name: str = Field(description="feature name (kind migrant_origin)")
    agents_per_step: float = P(unit="agents/month", ge=0, le=10000)


class Migrants(Strict):
    people_per_agent: float = P(100, unit="people/agent", gt=0, le=1e6)
    speed_km_per_step: float = P(500, unit="km/month", gt=0, le=10000)
    smuggler_share: float = P(0.3, unit="probability", ge=0, le=1,
                              doc="share using smugglers when migration enforcement is zero")
    smuggler_response: float = P(2.0, unit="-", ge=0, le=100,
                                 doc="how strongly migration enforcement pushes migrants to smugglers")
    checkpoint_avoidance: float = P(4.0, unit="x per unit enforcement", ge=0, le=1000,
                                    doc="how much migration enforcement lengthens the direct route as migrants see it")
    smuggler_checkpoint_avoidance: float = P(0.5, unit="x per unit enforcement", ge=0, le=1000,
                                             doc="the same for smugglers, who know the checkpoints")
    gang_corridor_factor: float = P(0.6, unit="x", gt=0, le=10,
                                    doc="cost of crossing gang territory for smugglers (<1: they use gang corridors)")
    detention: float = P(0.05, unit="1/month", ge=0, le=1,
                         doc="monthly detention hazard at full migration enforcement")
    detention_per_coverage: float = P(0.1, unit="1/coverage", ge=0, le=100,
                                      doc="extra detention where police are present, per unit coverage")
    trafficking: float = P(0.04, unit="1/month", ge=0, le=1,
                           doc="monthly hazard of being trafficked in gang territory at strength 1")
    trafficking_law_effect: float = P(0.6, unit="fraction", ge=0, le=1,
                                      doc="reduction of trafficking hazard with the law fully in force")
    rescue: float = P(0.2, unit="1/month", ge=0, le=1,
                      doc="monthly chance a victim is identified where victim services are full and police present")
    # dangers along the way, for every migrant on the road where gang or cartel territory
    # and the route meet (MODEL.md §7.10); every rate 0 = off, today's model exactly
    kidnapping: float = P(0.0, unit="probability/month per unit territory", ge=0, le=1,
                          source="CNDH special reports: 9,758 migrants kidnapped Sep 2008-Feb 2009, "
                                 "11,333 Apr-Sep 2010 (the magnitude to reach; scenarios/baseline.toml)",
                          doc="chance a month that a migrant in territory of strength 1 is kidnapped")
    kidnap_months: int = P(1, unit="months", ge=1, le=120,
                           source="modelling assumption (CNDH 2009: held until relatives pay a ransom)",
                           doc="months a kidnapped migrant is held before release or sale")
    kidnap_trafficked_share: float = P(0.0, unit="fraction", ge=0, le=1, source="modelling assumption",
                                       doc="share of kidnapped migrants sold into trafficking instead of released")
    trafficking_en_route: float = P(0.0, unit="probability/month per unit territory", ge=0, le=1,
                                    source="modelling assumption; CSIS 2009: trafficking markets in Guatemala, "
                                           "Costa Rica, Mexico and the US",
                                    doc="chance a month that any migrant in territory of strength 1 is trafficked "
                                        "(beside the smuggled migrants' `trafficking` hazard), x (1 - law effect)")
    extortion: float = P(0.0, unit="probability/month per unit territory", ge=0, le=1,
                         source="modelling assumption; MSF 2017: most migrants in transit suffered violence",
                         doc="chance a month that a migrant not kidnapped or trafficked is extorted (counted only)")
    cartel_territory: float = P(1.0, unit="territory per plaza", ge=0, le=10, source="modelling assumption",
                                doc="a cartel plaza's weight beside gang strength in the territory migrants cross")
    labour_share: float = P(0.55, unit="fraction", ge=0, le=1,
                            source="CSIS 2009: more than half of IOM-assisted victims in Mexico, Jun 2005-Aug 2009, "
                                   "were minors in labour trafficking (agriculture, domestic service)",
                            doc="share of trafficking victims in labour (the rest: sexual exploitation)")
    prosecution_rate: float = P(0.23, unit="fraction", ge=0, le=1,
                                source="CSIS 2009: El Salvador 4 of 39 detected cases to trial (2007), 8 of 58 "
                                       "(2008); FEVIMTRA 39 cases, 19 prosecuted (2008-09): 31/136 = 0.23 pooled",
                                doc="share of identified victims whose case is prosecuted (counted only)")
    smuggler_switch: float = P(0.0, unit="probability/month per unit enforcement", ge=0, le=1,
                               source="modelling assumption; CSIS 2009: enforcement pushes migrants to smugglers",
                               doc="chance a month that a migrant on the direct route turns to smugglers, "
                                   "x migration enforcement where it is")
    smuggler_replan_months: int = P(12, unit="months", ge=1, le=1200, source="modelling assumption",
                                    doc="months between smugglers' route plans (they follow gang territory as it changes)")
    origins: list[MigrantOrigin] = Field(default_factory=list)


class Violence(Strict):
    contest: float = P(0.4, unit="events/cell·month", ge=0, le=100,
                       doc="violence where two cartels' flows meet")
    seizure: float = P(0.5, unit="events/seizure", ge=0, le=100,
                       doc="violence that follows a seizure (succession fights; Dell 2015)")
    gang: float = P(0.02, unit="events/(strength·cell·month)", ge=0, le=100,
                    doc="extortion and turf violence in gang territory")



class Output(Strict):
    window: int = P(12, unit="months", ge=1, le=1200, doc="length of a time window in cells output")


class PolicyLever(Strict):
    lever: Literal[LEVERS]  # type: ignore[valid-type]
    target: list[str] = Field(default_factory=list,
                              description="jurisdiction codes; empty only for us_demand")
    start: int = P(0, unit="month", ge=0, le=1200)
    end: int | None = P(None, unit="month", ge=1, le=1200, doc="exclusive; empty = until the end")
    value: float | bool | Strategy | None = Field(None, description="new value (or factor with operation = "
                                                                    "multiply); none for kingpin_removal")
    operation: Literal["set", "multiply"] = "set"
    organisation: str | None = Field(None, description="kingpin_removal: the organisation whose leadership is "
                                                       "removed (a cartel's name, or a successor's 'Name/k')")
    source: str | None = Field(None, description="citation for the row: what happened and where its figure comes from")

    @model_validator(mode="after")
    def _check(self):
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        if self.lever == "kingpin_removal":
            if not self.organisation or not self.target:
                raise ValueError("kingpin_removal needs an organisation and target jurisdictions (where the "
                                 "leadership is removed)")
            if self.value is not None or self.end is not None or self.operation != "set":
                raise ValueError("kingpin_removal is an event at its start month: no value, end or operation")
            return self
        if self.organisation is not None:
            raise ValueError(f"organisation applies only to kingpin_removal, not '{self.lever}'")
        if self.value is None:
            raise ValueError(f"lever '{self.lever}' needs a value")
        if self.lever == "us_demand":
            if isinstance(self.value, (bool, str)):
                raise ValueError("us_demand takes a number")
        elif not self.target:
            raise ValueError(f"lever '{self.lever}' needs at least one target jurisdiction")
        if self.lever == "strategy":
            try:
                Strategy(self.value)
            except ValueError:
                raise ValueError(f"strategy must be one of {[s.value for s in Strategy]}") from None
            if self.operation != "set":
                raise ValueError("strategy can only be set")
        elif self.lever == "cooperation":
            if not isinstance(self.value, bool):
                raise ValueError("cooperation takes true or false")
        elif isinstance(self.value, (bool, str)):
            raise ValueError(f"lever '{self.lever}' takes a number")
        elif self.operation == "set" and self.lever not in ("enforcement_units", "naval_units", "us_demand"):
            lo, hi = lever_bounds(self.lever)
            if not lo <= float(self.value) <= hi:
                raise ValueError(f"lever '{self.lever}' is a level between {lo:g} and {hi:g}")
        return self


class Scenario(Strict):
    scenario: Meta
    routing: Routing = Routing()
    portfolio: Portfolio = Portfolio()
    detection: Detection = Detection()
    us_demand: float = P(1.0, unit="x", gt=0, le=100, doc="multiplier on shipments sent north")
    supply: float | None = P(None, unit="x", gt=0, le=100,
                             doc="cap on shipments north against the reference year's production: cartels ship "
                                 "x min(demand, supply); empty = no cap (model/scenario/series.py)")
    cartel: list[Cartel] = Field(min_length=1)
    gang: list[Gang] = Field(default_factory=list)
    jurisdictions: dict[str, JurisdictionPolicy] = Field(default_factory=dict)
    migrants: Migrants = Migrants()
    violence: Violence = Violence()
    homicides: Homicides = Homicides()
    arms: Arms = Arms()
    organisations: Organisations = Organisations()
    alliances: Alliances = Alliances()
    wildlife: WildlifeTrade = WildlifeTrade()
    deforestation: Deforestation = Deforestation()
    output: Output = Output()
    policy: list[PolicyLever] = Field(default_factory=list)
    series: list[Series] = Field(default_factory=list, description="yearly inputs (demand, production)")

    @model_validator(mode="after")
    def _check_series(self):
        m = self.scenario
        first, last = calendar_year(m.start_month, 0), calendar_year(m.start_month, m.steps - 1)
        for i, s in enumerate(self.series):
            if first not in s.values or last not in s.values:
                raise ValueError(f"series[{i}] ({s.lever}) covers {min(s.values)}-{max(s.values)}; the run "
                                 f"spans {first}-{last}")
        return self

    @model_validator(mode="after")
    def _check_organisations(self):
        names = {c.name for c in self.cartel}
        for i, p in enumerate(self.policy):
            if p.organisation is not None and p.organisation.split("/")[0] not in names:
                raise ValueError(f"policy[{i}].organisation '{p.organisation}' is not a cartel "
                                 f"(one of {sorted(names)}, or a successor 'Name/k')")
        return self

    # set by load_scenario; not part of the file
    path: Annotated[Path | None, Field(exclude=True)] = None

    def without_policy(self) -> "Scenario":
        """The counterfactual: the same world and seed with no interventions."""
        cf = self.model_copy(deep=True)
        cf.policy = []
        return cf
