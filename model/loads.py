"""The table of finished loads: one row per load, kept as arrays month by month.

A run finishes tens of loads a month, so rows are appended as one small numpy array per
column and month and joined once at the end: memory stays a few bytes per load, and the
table is built without a Python object per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.flows import SEIZED_AT_PORT, UNITS, Commodity

OUTCOMES = ("delivered", "seized", "seized")       # by the ledger's outcome code
COLUMNS = ("commodity", "owner", "volume", "shipped", "finished", "outcome", "node", "countries",
           "tags", "air_countries", "cells", "km", "group")


class LoadBook:
    """Finished loads of one run: append a month's arrays, build the DataFrame once."""

    def __init__(self):
        self.parts: dict[str, list[np.ndarray]] = {c: [] for c in COLUMNS}

    def append(self, **arrays: np.ndarray) -> None:
        for c in COLUMNS:
            self.parts[c].append(np.asarray(arrays[c]))

    def __len__(self) -> int:
        return sum(len(a) for a in self.parts["volume"])

    def column(self, name: str) -> np.ndarray:
        p = self.parts[name]
        return np.concatenate(p) if p else np.zeros(0)

    def frame(self, model, flag_names: dict[str, int], month_label) -> pd.DataFrame:
        """The loads as the run folder's loads.parquet (columns in README's output tables)."""
        cm = model.cmap
        c = {k: self.column(k) for k in COLUMNS}
        n = len(c["volume"])
        node = c["node"].astype(np.int64)
        w, h = cm.shape
        x, y = node // h, node % h
        com = c["commodity"].astype(np.int64)
        owner = c["owner"].astype(np.int64)
        outcome = c["outcome"].astype(np.int64)
        seized = outcome != 0
        names = np.array([cart.name for cart in model.cartels] + [g.spec.name for g in model.gangs], object)
        # owner: cartel index, or -1 - gang index (wildlife)
        org = names[np.where(owner >= 0, owner, len(model.cartels) - 1 - owner)] if n else np.zeros(0, object)
        jur = np.array(cm.jurisdiction_codes, dtype=object)[cm.jur[x, y]] if n else np.zeros(0, object)
        ctry = np.array(cm.country_codes, dtype=object)[cm.country[x, y]] if n else np.zeros(0, object)
        by = np.where(outcome == SEIZED_AT_PORT, "port of entry", jur)
        codes = cm.country_codes
        tags = c["tags"].astype(np.int64)
        out = {
            "organisation": org.astype(str),
            "commodity": [Commodity(k).name.lower() for k in com],
            "volume": c["volume"].astype(float),
            "unit": [UNITS[Commodity(k)] for k in com],
            "species_group": _group_names(model, c["group"].astype(np.int64)),
            "step_shipped": c["shipped"].astype(np.int64),
            "month_shipped": [month_label(s) for s in c["shipped"].astype(int)],
            "step_finished": c["finished"].astype(np.int64),
            "month_finished": [month_label(s) for s in c["finished"].astype(int)],
            "outcome": np.array(OUTCOMES, dtype=object)[outcome].astype(str) if n else np.zeros(0, str),
            "seized_x": np.where(seized, x, -1),
            "seized_y": np.where(seized, y, -1),
            "seized_lon": np.where(seized, cm.west + (x + 0.5) * cm.res, np.nan),
            "seized_lat": np.where(seized, cm.south + (y + 0.5) * cm.res, np.nan),
            "seized_jurisdiction": np.where(seized, jur, "").astype(str),
            "seized_country": np.where(seized, ctry, "").astype(str),
            "seized_by": np.where(seized, by, "").astype(str),
        }
        for name, bit in flag_names.items():
            out[name] = (tags & bit) != 0
        out["vectors"] = [";".join(k[len("vector_"):] for k, b in flag_names.items()
                                   if k.startswith("vector_") and t & b) for t in tags.tolist()]
        out["air_landed"] = [_codes(b, codes) for b in c["air_countries"].astype(np.int64).tolist()]
        out["countries"] = [_codes(b, codes) for b in c["countries"].astype(np.int64).tolist()]
        out["cells"] = c["cells"].astype(np.int64)
        out["km"] = c["km"].astype(float)
        return pd.DataFrame(out)


def _group_names(model, group: np.ndarray) -> list[str]:
    """The wildlife species group of each load ('' for drugs, arms and ungrouped wildlife)."""
    names = [g.name for g in getattr(model.wildlife, "groups", [])]
    return [names[k] if k >= 0 else "" for k in group.tolist()]


def _codes(bits: int, codes: list[str]) -> str:
    """A country bit set as ';'-joined ISO codes, in the map's (alphabetical) order."""
    return ";".join(code for i, code in enumerate(codes) if bits >> i & 1)
