"""Arms, wildlife and timber by route: the countries and vectors their finished loads used.

Cocaine has its own route summary (`transit_share`, `by_vector`, from the timeseries); the other
commodities are counted here from the loads table, in their own units, the same way: a load
counts once in every country whose land it crossed and in every vector it used.
"""

from __future__ import annotations

import pandas as pd

VECTORS = ("eastern_pacific", "western_caribbean", "eastern_caribbean", "mexico_overland")


def commodity_routes(loads: pd.DataFrame | None, window: tuple[int, int]) -> dict:
    """{commodity: {unit, finished, delivered, seized, countries {CC: volume}, vectors {name: volume}}}
    for the loads other than cocaine that finished in months [start, end) of the window."""
    if loads is None or loads.empty:
        return {}
    a, b = window
    done = loads[(loads.step_finished >= a) & (loads.step_finished < b) & (loads.commodity != "cocaine")]
    out = {}
    for commodity, g in done.groupby("commodity", sort=True):
        vol = g.volume.astype(float)
        countries: dict[str, float] = {}
        for codes, v in zip(g.countries, vol):
            for cc in filter(None, str(codes).split(";")):
                countries[cc] = countries.get(cc, 0.0) + v
        out[commodity] = {
            "unit": str(g.unit.iloc[0]),
            "finished": round(float(vol.sum()), 6),
            "delivered": round(float(vol[g.outcome == "delivered"].sum()), 6),
            "seized": round(float(vol[g.outcome != "delivered"].sum()), 6),
            "countries": {cc: round(v, 6) for cc, v in sorted(countries.items(), key=lambda kv: -kv[1])},
            "vectors": {name: round(float(vol[g[f"vector_{name}"].astype(bool)].sum()), 6) for name in VECTORS},
        }
    return out
