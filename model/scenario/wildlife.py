"""Schema sections for wildlife by species group and for narco-deforestation (issue 14).

Every number a P(...) with unit and source; the species groups' volumes live in a data file
(scenarios/data/wildlife.toml), each with its source and uncertainty.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from model.scenario.fields import P, Strict

STRIP_SOURCE = ("clandestine strips destroyed by the armed forces: 1,300 m x 20 m = 2.6 ha (Brus Laguna, Gracias "
                "a Dios, Honduras, 2018, Primicia Honduras) and 1,760 m x 15 m = 2.64 ha (Champerico, Guatemala, "
                "Radio TGW); one strip per landing is an assumption (strips are destroyed and recut: more than 70 "
                "destroyed in Honduras in 2012, Dialogo 2013; 80 in five months in Laguna del Tigre, Tico Times 2006)")
LAND_USE_SOURCE = ("order of magnitude, assumption: Tellman et al. 2021 (J. Illicit Economies & Development 3(1)) "
                   "find 417,329 ha lost 2000-19 in Honduras where land control shifted (to large holdings the "
                   "authors tie to narcotrafficking), about 21,000 ha a year, against roughly 100-300 t a year "
                   "landed there (INCSR 2012: about 100 drug flights into Honduras in 2011; 0.5-2 t a flight is "
                   "an assumption): 70-200 ha per tonne landed")


class WildlifeTrade(Strict):
    """Wildlife by species group from the biodiversity areas, on the drug routes (§7.18)."""

    groups_file: str = Field("", description="species-group data (TOML), relative to the scenario file; empty = "
                                             "off (gangs' illustrative wildlife_per_step instead)")
    estimate: Literal["central", "low", "high"] = Field(
        "central", description="which of the data file's volumes to ship: the central figure or either end "
                               "of its range (the record is thin: see the file's uncertainty notes)")


class Deforestation(Strict):
    """Forest cleared where trafficking lands (§7.19): strips per landing, land use per tonne."""

    enabled: bool = Field(False, description="record narco-deforestation (forest lost per cell, country and year)")
    ha_per_landing: float = P(2.6, unit="ha/landing", ge=0, le=1e4, source=STRIP_SOURCE,
                              doc="forest cleared for the strip a drug flight lands on (one strip per landing)")
    ha_per_tonne_landed: float = P(100.0, unit="ha/t", ge=0, le=1e5, source=LAND_USE_SOURCE,
                                   doc="forest cleared for trafficking land use (ranches, plantations that "
                                       "launder the profits) per tonne of cocaine landed by air in the cell")
    forest_radius_km: float = P(60.0, unit="km", ge=0, le=1000,
                                source="proxy, assumption: the map has no forest layer; land within this "
                                       "distance of a named biodiversity area (Maya, Río Plátano, Bosawás, "
                                       "Darién ...) counts as forest",
                                doc="reach of the forest proxy around each biodiversity area")
    forest_jurisdictions: list[str] = Field(
        default_factory=list, description="jurisdictions whose land also counts as forest in the proxy (e.g. the "
                                          "trafficking frontiers the record names: GT-PE Petén, HN-GD Gracias a "
                                          "Dios, PA-5 Darién)")
    forest_cover: float = P(0.7, unit="0-1", ge=0, le=1,
                            source="proxy, assumption (the biosphere reserves' cores are mostly closed forest)",
                            doc="share of a forest-proxy cell's area that is forest at the start")
