"""The baseline's calibration targets (not the validation cases), measured on 2 seeds.

    python experiments/calibration/by_hand.py [--seeds 2] [--set section.key=value ...]

Prints, as JSON, the numbers VALIDATION.md's "Baseline calibration (by hand)" compares with the
record. `--set` overrides a baseline parameter for a trial (e.g. `--set detection.air=0.1`,
`--set cartel.Caribbean networks.shipments_per_step=3`) without editing the file. This is a
by-hand check, not a formal calibration (issue 16 brings ABC / history matching).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from model.corridor import CorridorModel  # noqa: E402
from model.runs.seeds import replication_seeds  # noqa: E402
from model.scenario import load_scenario  # noqa: E402

SCENARIOS = ROOT / "scenarios"
ROOT_SEED = 2004
CARIBBEAN_PORTS = ("Miami", "Port Everglades", "San Juan")
WARM_UP = 12            # months: loads shipped in the first year are left out (routes still settling)
HN_YEARS = {2008: 31, 2009: 54, 2011: 100}     # drug flights into Honduras (INCSR 2012)


def apply(sc, overrides: list[str]):
    sc = sc.model_copy(deep=True)
    for item in overrides:
        key, value = item.split("=", 1)
        parts = key.split(".")
        if parts[0] == "cartel":
            obj = next(c for c in sc.cartel if c.name == parts[1])
            parts = parts[2:]
        else:
            obj = sc
        for p in parts[:-1]:
            obj = obj[p] if isinstance(obj, dict) else getattr(obj, p)
        cur = getattr(obj, parts[-1])
        setattr(obj, parts[-1], type(cur)(value) if cur is not None else float(value))
    return sc


def run(sc, cmap, seed):
    m = CorridorModel(sc, cmap, seed=seed)
    for _ in range(sc.scenario.steps):
        m.step()
    return m


def port_of(cmap, nodes: np.ndarray) -> np.ndarray:
    """Name of the port of entry nearest each delivered load's last cell."""
    ports = cmap.features_of("port_of_entry")
    h = cmap.shape[1]
    x, y = nodes // h, nodes % h
    px = np.array([p.cell[0] for p in ports])
    py = np.array([p.cell[1] for p in ports])
    d = (x[:, None] - px[None]) ** 2 + (y[:, None] - py[None]) ** 2
    return np.array([p.name for p in ports], object)[d.argmin(1)]


def baseline_numbers(m) -> dict:
    book = m.recorder.loads
    loads = m.recorder.load_table()
    node = book.column("node").astype(np.int64)
    coc = (loads.commodity == "cocaine").to_numpy() & (loads.step_shipped >= WARM_UP).to_numpy()
    dl = coc & (loads.outcome == "delivered").to_numpy()
    port = port_of(m.cmap, node[dl])
    vol = loads.volume.to_numpy()
    caribbean = np.isin(port, CARIBBEAN_PORTS)
    months = m.steps - WARM_UP
    shipped = vol[coc].sum()
    sea = coc & loads.mode_sea.to_numpy()
    ep = (loads.vector_eastern_pacific.to_numpy() & coc)
    car = ((loads.vector_western_caribbean | loads.vector_eastern_caribbean).to_numpy() & coc)
    return {
        "land_port_share_of_delivered": float(vol[dl][~caribbean].sum() / vol[dl].sum()),
        "caribbean_port_share_of_delivered": float(vol[dl][caribbean].sum() / vol[dl].sum()),
        "eastern_pacific_share_of_pac_or_car": float(vol[ep & ~car].sum() / vol[(ep | car)].sum()),
        "sea_share_of_shipped": float(vol[sea].sum() / shipped),
        "air_share_of_shipped": float(vol[coc & loads.mode_air.to_numpy()].sum() / shipped),
        "seized_share": float(vol[coc & (loads.outcome != "delivered").to_numpy()].sum() / shipped),
        "shipped_t_per_month": float(shipped / months),
    }


def honduras_flights(m) -> dict:
    loads = m.recorder.load_table()
    air = loads[(loads.commodity == "cocaine") & loads.mode_air
                & loads.air_landed.str.split(";").apply(lambda c: "HN" in c)]
    year = air.month_shipped.str[:4].astype(int)
    return {str(y): int((year == y).sum()) for y in range(2004, 2012)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], dest="overrides")
    ap.add_argument("--json", help="also write the numbers to this file")
    args = ap.parse_args()
    seeds = replication_seeds(ROOT_SEED, args.seeds)
    out = {"seeds": seeds, "overrides": args.overrides, "baseline": {}, "honduras_flights": {}}
    sc, cmap = load_scenario(SCENARIOS / "baseline.toml")
    sc = apply(sc, args.overrides)
    crack, ccmap = load_scenario(SCENARIOS / "mexico_crackdown.toml")
    crack = apply(crack, args.overrides)
    per = [baseline_numbers(run(sc, cmap, s)) for s in seeds]
    for k in per[0]:
        v = [p[k] for p in per]
        out["baseline"][k] = {"mean": round(float(np.mean(v)), 3), "min": round(min(v), 3), "max": round(max(v), 3)}
    hn = [honduras_flights(run(crack, ccmap, s)) for s in seeds]
    for y in hn[0]:
        v = [h[y] for h in hn]
        out["honduras_flights"][y] = {"mean": float(np.mean(v)), "min": min(v), "max": max(v),
                                      "record": HN_YEARS.get(int(y))}
    for k, v in out["baseline"].items():
        print(f"{k}: {v['mean']} [{v['min']}, {v['max']}]")
    print("honduras flights/year (mean [min, max]; record):",
          "; ".join(f"{y} {v['mean']:g} [{v['min']}, {v['max']}]" + (f" rec {v['record']}" if v["record"] else "")
                    for y, v in out["honduras_flights"].items()))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
