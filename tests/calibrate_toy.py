"""A toy calibration for tests: the two-corridor map, a scenario, a record made by the model itself."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from toy import one_cartel_scenario, write_two_corridors

# Five shipments a month of `tonnes_per_shipment` t; patrol units on the west corridor for the
# whole run push loads east (transit share of XE rises with the units, concave) and seize some
# (cocaine delivered falls with them, and grows in proportion with the tonnes per shipment).
TOY_SCENARIO = one_cartel_scenario("toy_cal", 24, "start = 0\nend = 24\nvalue = 6\n", tonnes=1.2)

TRUTH = {"units": 3.0, "tonnes": 1.8}
PARAMETERS = """
[[parameter]]
name = "units"
path = "policy[0].value"
low = 0
high = 12
unit = "patrol units"

[[parameter]]
name = "tonnes"
path = "cartel[0].tonnes_per_shipment"
low = 0.5
high = 3.0
unit = "t"
"""
HEADER = "id,quantity,place,start,end,value,low,high,unit,use,source,note\n"
SYNTHETIC_SEEDS = (1001, 1002, 1003, 1004)
SMALL = {"waves": 2, "runs_per_wave": 8}      # 2 waves of 4 points x 2 seeds: the `small_run` fixture


def synthetic_record(folder: Path) -> str:
    """Targets made by the model at TRUTH (mean over four seeds kept apart from the calibration's)."""
    from model.runs.observe import observe
    from model.runs.simulate import simulate
    from model.runs.sweep.experiment import dump, set_path
    from model.scenario import load_scenario, parse_scenario

    sc, cmap = load_scenario(folder / "toy.toml")
    data = json.loads(json.dumps(dump(sc)))
    set_path(data, "policy[0].value", TRUTH["units"])
    set_path(data, "cartel[0].tonnes_per_shipment", TRUTH["tonnes"])
    truth = parse_scenario(data)
    share, delivered = [], []
    for s in SYNTHETIC_SEEDS:
        ts = simulate(truth, cmap, s).timeseries
        share.append(observe(ts, "transit_share", "XE", "2004-01", "2005-12"))
        delivered.append(observe(ts, "cocaine_delivered", "all", "2004-01", "2005-12"))
    sh, de = float(np.mean(share)), float(np.mean(delivered))
    return (HEADER +
            f"east_share,transit_share,XE,2004-01,2005-12,{sh:.4f},{sh - 0.04:.4f},{sh + 0.04:.4f},share,"
            "calibration,synthetic: the model at the true values,\n"
            f"delivered,cocaine_delivered,all,2004-01,2005-12,{de:.3f},{0.95 * de:.3f},{1.05 * de:.3f},t per year,"
            "calibration,synthetic: the model at the true values,\n"
            f"east_share_2005,transit_share,XE,2005-01,2005-12,{sh:.4f},{sh - 0.1:.4f},{sh + 0.1:.4f},share,"
            "validation,synthetic: never a target,\n")


def write_toy_calibration(folder: Path, *, waves: int = 3, runs_per_wave: int = 30, seeds_per_point: int = 2,
                          record: str | None = None, extra: str = "", name: str = "toy_cal") -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_two_corridors(folder)
    (folder / "toy.toml").write_text(TOY_SCENARIO)
    (folder / "record.csv").write_text(record if record is not None else synthetic_record(folder))
    path = folder / "calibration.toml"
    path.write_text(f"""
[calibration]
name = "{name}"
scenario = "toy.toml"
record = "record.csv"
root_seed = 7
seeds_per_point = {seeds_per_point}
waves = {waves}
runs_per_wave = {runs_per_wave}
discrepancy = 0.0
candidates = 4000
{extra}
{PARAMETERS}""")
    return path
