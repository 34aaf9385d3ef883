"""Schema sections of the organisations submodel (§7.6): kingpin removal and cartel-gang
alliances. Both are neutral unless a scenario asks for them."""

from __future__ import annotations

from pydantic import Field

from model.scenario.fields import P, Strict

KINGPIN_SOURCE = ("Lindo & Padilla-Romo, J. Public Economics 2018: after a kingpin's capture homicides rise "
                  "about 80% in the municipality for 12 months and about 30% in neighbouring municipalities "
                  "of the same cartel for 6")
SPLIT_SOURCE = ("modelling assumption; Mexico: four dominant organisations in 2006 (CRS R41576, Beittel) and many "
                "more, mostly splinters, by 2010-12 (Guerrero-Gutiérrez 2011 counts 6 in 2006, 16 in 2010)")


class Organisations(Strict):
    """Kingpin removal and the successors it leaves (§7.6). Neutral unless a policy row
    `lever = "kingpin_removal"` names an organisation."""

    split_probability: float = P(0.7, unit="probability", ge=0, le=1, source=SPLIT_SOURCE,
                                 doc="chance an organisation whose leadership is removed splits")
    successors: int = P(2, unit="organisations", ge=1, le=20, source=SPLIT_SOURCE,
                        doc="successor organisations a split leaves beside the parent")
    successor_share: float = P(0.5, unit="share of shipments", gt=0, lt=1, source="modelling assumption",
                               doc="share of the parent's shipments the successors take, split equally; each "
                                   "also takes this share of its sources and of its ports (at least one)")
    shock_plaza: float = P(0.8, unit="x homicides (excess)", ge=0, le=100, source=KINGPIN_SOURCE,
                           doc="excess homicide rate in the removal's plazas (model.kingpin_shock)")
    shock_plaza_months: int = P(12, unit="months", ge=0, le=1200, source=KINGPIN_SOURCE,
                                doc="months the plaza shock lasts")
    shock_neighbour: float = P(0.3, unit="x homicides (excess)", ge=0, le=100, source=KINGPIN_SOURCE,
                               doc="excess homicide rate in the same organisation's neighbouring plazas")
    shock_neighbour_months: int = P(6, unit="months", ge=0, le=1200, source=KINGPIN_SOURCE,
                                    doc="months the neighbouring shock lasts")
    neighbour_km: float = P(150, unit="km", ge=0, le=5000, source="modelling assumption (a few municipalities)",
                            doc="reach of 'neighbouring' plazas around the removal's plazas")
    plaza_level: float = P(0.1, unit="plaza field (0-1)", gt=0, le=1, source="modelling assumption",
                           doc="plaza field above which a cell counts as the organisation's plaza")


ALLIANCE_SOURCE = ("CSIS 2009 (Trafficking in the Mesoamerican Corridor): Mexican organisations expand into Central "
                   "America by alliances with local groups or by violence and use Central American gangs as "
                   "middlemen; the numbers are modelling assumptions")


class Alliances(Strict):
    """Alliances between cartels and local gangs and the turf wars when they break (§7.6).
    Off by default: every gang charges every cartel its own fee, as before issue 14."""

    enabled: bool = Field(False, description="gangs ally with the cartel whose flow crosses their territory persistently")
    form_months: int = P(6, unit="months", ge=1, le=1200, source=ALLIANCE_SOURCE,
                         doc="consecutive months a cartel's cocaine crosses a gang's territory before they ally")
    ally_fee_factor: float = P(0.0, unit="x fee_per_km", ge=0, le=100, source=ALLIANCE_SOURCE,
                               doc="transit fee an allied gang charges its ally (0: none; protection in kind)")
    rival_fee_factor: float = P(2.0, unit="x fee_per_km", ge=0, le=100, source=ALLIANCE_SOURCE,
                                doc="transit fee an allied gang charges its ally's rivals")
    break_months: int = P(3, unit="months", ge=1, le=1200, source=ALLIANCE_SOURCE,
                          doc="months without the ally's flow (it stops paying) before the alliance breaks")
    turf_war_months: int = P(6, unit="months", ge=0, le=1200, source=ALLIANCE_SOURCE,
                             doc="months of turf war in the gang's territory after an alliance breaks")
    turf_war_contest: float = P(1.0, unit="contests/cell", ge=0, le=100, source=ALLIANCE_SOURCE,
                                doc="extra contests (x violence.contest) per territory cell during a turf war")
