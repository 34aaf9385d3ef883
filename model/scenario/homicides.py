"""Schema sections for violence as homicides and for arms (issue 14): what drives homicides
per country and how trafficked firearms build a stock. Every number a P(...) with unit and source."""

from __future__ import annotations

from pydantic import Field

from model.scenario.fields import P, Strict

ARMS_GAO = ("GAO-21-322 (2021): about 70% of firearms recovered and traced in Mexico in 2014-18 came from "
            "the US; Mexico estimates about 200,000 smuggled a year")


# The trafficking terms were per-cell counts (1.0 and 0.5 homicides per cell and month), which
# made a small country on a busy route blow up; as rates they are those counts at the
# transit-zone map's mean 69,700 people per land cell (564 million people on 8,088 land cells
# of countries with population data, 2008): x 12 x 100,000 / 69,700 = x 17.2. A conversion,
# not a calibration: the region-wide total at uniform density is what it was.
CONVERTED = ("modelling assumption, converted from 1.0 (contest) and 0.5 (gang) homicides/(cell·month) at "
             "the map's mean 69,700 people per land cell (x 17.2)")


class Arms(Strict):
    """Firearms moved south and the stock they build per country (§7.11)."""

    independent_per_year: float = P(0.0, unit="firearms/year", ge=0, le=1e7, source=ARMS_GAO,
                                    doc="firearms shipped south each year on top of cartel[].arms_per_tonne, "
                                        "split among cartels by their cocaine shipped (0 = off; GAO's ~200,000)")
    depreciation: float = P(0.01, unit="1/month", ge=0, le=1, source="modelling assumption",
                            doc="share of the trafficked firearms stock lost each month (seized later, "
                                "broken, moved on)")
    legacy_per_100k: float = P(10000.0, unit="firearms/100,000 people", gt=0, le=1e6,
                               source="modelling assumption (10 per 100 people)",
                               doc="firearms already held before the run; the stock the flow is added to")


class Homicides(Strict):
    """Homicides per country and month, and rates per 100,000 a year (§7.11).

    Drawn from a random stream of their own, so they change no other number of a run.
    """

    population_file: str = Field("", description="population data (TOML), relative to the scenario file; "
                                                  "empty = the shipped scenarios/data/population.toml")
    baseline_rate: float = P(5.0, unit="homicides/100,000·year", ge=0, le=500,
                             source="modelling assumption (about the US rate, 5.5 in 2004, FBI UCR)",
                             doc="homicides not due to trafficking, where baseline_by_country names none")
    baseline_by_country: dict[str, float] = Field(
        default_factory=dict, description="baseline_rate per country code (homicides/100,000·year)")
    contest: float = P(17.2, unit="homicides/100,000·year per extra organisation in a cell", ge=0, le=1e4,
                       source=CONVERTED + "; direction: Dell, AER 2015",
                       doc="homicide rate added in a cell held by more than one organisation's plaza "
                           "(contested plazas, see territory_km), per organisation beyond the first")
    territory_km: float = P(0.0, unit="km", ge=0, le=500,
                            source="modelling assumption; Dell, AER 2015 and Lindo & Padilla-Romo 2018 find "
                                   "trafficking violence in the municipalities a route crosses and their neighbours",
                            doc="an organisation holds the cells within this distance of those its cocaine passed; "
                                "`contest` counts the organisations beyond the first holding a cell "
                                "(0: only the cells the cocaine itself passed)")
    gang: float = P(8.6, unit="homicides/100,000·year per unit gang strength in a cell", ge=0, le=1e4,
                    source=CONVERTED + "; CSIS 2009 (maras' extortion and turf violence)",
                    doc="homicide rate added in gang territory, whether or not cocaine passes")
    crackdown: float = P(10.0, unit="homicides/100,000·year per unit relative rise", ge=0, le=1e4,
                         source="modelling assumption; direction: Mexico's rate ~8 (2007) to ~22-24 "
                                "(2010-11) after the crackdown (INEGI)",
                         doc="homicides per relative rise of a country's enforcement coverage above its moving baseline")
    crackdown_memory: float = P(0.05, unit="1/month", gt=0, le=1, source="modelling assumption",
                                doc="share of the gap to this month's coverage the moving baseline closes each month")
    shock_decay: float = P(1 / 12, unit="1/month", ge=0, le=1,
                           source="modelling assumption; Lindo & Padilla-Romo 2018: effects over 12 months",
                           doc="share of a cell's homicide shock (e.g. after a kingpin's removal) lost each month")
    arms_elasticity: float = P(0.3, unit="-", ge=0, le=5,
                               source="modelling assumption; direction: Dube, Dube & García-Ponce, APSR 2013",
                               doc="trafficking homicides scale as (firearms stock / legacy stock)^elasticity")
    deterministic: bool = Field(False, description="record expected homicides instead of Poisson draws (tests)")
