"""The journeys table: one row per migrant group ever spawned (the run folder's journeys.parquet).

Built once at the end from the migrant table's arrays, which already hold one row per
agent, so it costs no memory during the run beyond a few bytes per group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.agents.migrant import FORMS, MigrantState
from model.loads import _codes

STATES = np.array([s.name.lower() for s in MigrantState], dtype=object)


def journey_frame(migration, cmap, people, month_label) -> pd.DataFrame:
    """Origin, month set out, smuggled, countries crossed (';'-joined, as stood in at month
    ends), what happened last (`outcome`: final state, or the state the group is still in),
    where (country, cell) and when, times kidnapped and extorted, the form of trafficking,
    prosecuted, and the people the group stands for."""
    tab = migration.table
    n = tab.n
    col = {k: getattr(tab, k)[:n] for k in tab.COLUMNS}
    h = cmap.shape[1]
    node = col["event_node"].astype(np.int64)
    x, y = node // h, node % h
    names = np.array([o.name for o in migration.mg.origins], dtype=object)
    codes = cmap.country_codes
    return pd.DataFrame({
        "origin": names[col["origin"]].astype(str) if n else np.zeros(0, str),
        "step_set_out": col["set_out"].astype(np.int64),
        "month_set_out": [month_label(int(s)) for s in col["set_out"]],
        "smuggled": col["smuggled"].astype(bool),
        "countries": [_codes(b, codes) for b in col["countries"].tolist()],
        "outcome": STATES[col["state"]].astype(str) if n else np.zeros(0, str),
        "country": np.array(codes, dtype=object)[cmap.country[x, y]].astype(str) if n else np.zeros(0, str),
        "x": x, "y": y,
        "step": col["event_step"].astype(np.int64),
        "month": [month_label(int(s)) for s in col["event_step"]],
        "kidnapped": col["kidnapped"].astype(np.int64),
        "extorted": col["extorted"].astype(np.int64),
        "trafficked_form": np.array(FORMS, dtype=object)[col["form"]].astype(str) if n else np.zeros(0, str),
        "prosecuted": col["prosecuted"].astype(bool),
        "people": np.full(n, people),
    })
