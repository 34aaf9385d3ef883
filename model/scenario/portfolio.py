"""Schema section for the cartels' route portfolio (issue 13, model/agents/portfolio.py)."""

from __future__ import annotations

from pydantic import Field, model_validator

from model.scenario.fields import P, Strict


class Portfolio(Strict):
    """Distinct alternative routes a cartel keeps beyond its least-cost route per port (§7.5).

    Off by default: then a cartel has one route per port of entry, as before issue 13.
    """

    enabled: bool = Field(False, description="keep a portfolio of distinct routes; "
                                             "off = one least-cost route per port of entry")
    max_routes: int = P(8, unit="routes", ge=0, le=100, source="modelling assumption",
                        doc="most alternative routes a cartel keeps beyond one per port")
    min_routes: int = P(2, unit="routes", ge=0, le=100, source="modelling assumption",
                        doc="alternatives a cartel keeps even when quiet (it fills up to this)")
    penalty: float = P(2.0, unit="x", ge=1, le=1000,
                       source="Akgün, Erkut & Batta, EJOR 2000 (iterative penalty method); the factor is a modelling assumption",
                       doc="multiplier on the weights of edges already used, before the next search")
    max_overlap: float = P(0.5, unit="shared km / km", gt=0, le=1, source="modelling assumption",
                           doc="a new route is kept only if it shares less than this with every kept route")
    stretch: float = P(1.5, unit="x best cost", ge=1, le=100, source="modelling assumption",
                       doc="a new route is kept only if its true cost is within this factor of the best")
    loss_tolerance: float = P(0.3, unit="seized / shipped", ge=0, le=1,
                              source="NarcoLogic (Magliocca et al., PNAS 2019): expand when losses exceed a "
                                     "tolerance; 0.3 (just above the baseline's 25%) a modelling assumption",
                              doc="share of its shipments seized over the window above which a cartel expands")
    loss_window: int = P(6, unit="months", ge=1, le=120, source="modelling assumption",
                         doc="months of shipments and seizures the loss share is taken over")
    expand_routes: int = P(1, unit="routes/month", ge=0, le=100, source="modelling assumption",
                           doc="new routes sought in a month whose loss share is above tolerance")
    quiet_months: int = P(6, unit="months", ge=1, le=1200, source="modelling assumption",
                          doc="months below tolerance after which the costliest alternatives are dropped")
    consolidate_routes: int = P(1, unit="routes", ge=0, le=100, source="modelling assumption",
                                doc="alternatives dropped after each quiet spell (never below min_routes)")
    max_searches: int = P(4, unit="searches/month", ge=0, le=100, source="modelling assumption",
                          doc="penalised searches a cartel may run in a month (bounds the step's cost)")
    retry_months: int = P(6, unit="months", ge=1, le=1200, source="modelling assumption",
                          doc="months before a search that found no acceptable route is tried again")

    @model_validator(mode="after")
    def _check(self):
        if self.min_routes > self.max_routes:
            raise ValueError(f"min_routes ({self.min_routes}) must not exceed max_routes ({self.max_routes})")
        return self
