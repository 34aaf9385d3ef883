"""Calibration throughput: runs per hour per core of a calibration's scenario, 1 vs 2 workers.

    python benchmarks/bench_calibrate.py [--experiment experiments/calibration.toml] [--runs 8]

Runs one wave of `--runs` runs (the calibration's own first-wave design, seeds and record)
through `run_calibration` on a LocalCluster with 1 and then 2 workers, each into a fresh
scratch folder, and times the emulator fit of a wave of that calibration's size on
synthetic values. Throughput counts from the start of the session to the posterior written
(cluster start-up, the map's warm-up, observe() and the emulator included), so it is what a
user waits for. Targets (issue 16): the replay at 600 runs/hour/core or better; 2 workers
>= 1.7x one worker. Writes benchmarks/results/calibrate.json. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from model.runs.calibrate import load_calibration, run_calibration  # noqa: E402
from model.runs.calibrate.emulate import fit_emulator  # noqa: E402
from model.runs.results import versions  # noqa: E402

SPEEDUP_TARGET = 1.7
RATE_TARGET = 600        # runs per hour per core (issue 16, the replay)


def one_wave(path: Path, runs: int, workers: int, scratch: Path) -> dict:
    cal = load_calibration(path)
    meta = cal.spec.calibration
    meta.waves = 1
    meta.runs_per_wave = runs - runs % meta.seeds_per_point
    t0 = time.perf_counter()
    rep = run_calibration(cal, out=scratch / f"w{workers}", workers=workers, progress=False, argv=["bench"])
    seconds = time.perf_counter() - t0
    return {"workers": workers, "runs": rep.runs, "seconds": round(seconds, 2),
            "runs_per_hour": round(3600 * rep.runs / seconds, 1),
            "runs_per_hour_per_core": round(3600 * rep.runs / seconds / workers, 1)}


def emulator_seconds(path: Path) -> dict:
    cal = load_calibration(path)
    n, d, k = cal.points_per_wave, len(cal.parameters), cal.meta.seeds_per_point
    rng = np.random.default_rng(0)
    u = rng.random((n, d))
    y = np.sin(3 * u).sum(axis=1, keepdims=True) + 0.1 * rng.standard_normal((n, k))
    t0 = time.perf_counter()
    em = fit_emulator("bench", u, y, 1.0, 0.01, 0.05, 0)
    fit = time.perf_counter() - t0
    cand = rng.random((cal.meta.candidates, d))
    t0 = time.perf_counter()
    em.implausibility(cand)
    return {"points": n, "parameters": d, "fit_seconds": round(fit, 3),
            "screen_seconds": round(time.perf_counter() - t0, 3), "candidates": cal.meta.candidates}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--experiment", type=Path, default=ROOT / "experiments" / "calibration.toml")
    ap.add_argument("--runs", type=int, default=8, help="runs per measured wave (default 8)")
    ap.add_argument("--workers", default="1,2", help="worker counts to measure (default 1,2)")
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-calibrate-"))
    try:
        rows = [one_wave(args.experiment, args.runs, int(w), scratch) for w in args.workers.split(",")]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    by = {r["workers"]: r["runs_per_hour"] for r in rows}
    speedup = by[2] / by[1] if 1 in by and 2 in by else None
    out = {"experiment": str(args.experiment), "rows": rows,
           "speedup_2_vs_1": None if speedup is None else round(speedup, 2),
           "speedup_target": SPEEDUP_TARGET, "rate_target_runs_per_hour_per_core": RATE_TARGET,
           "emulator": emulator_seconds(args.experiment), "machine": platform.platform(),
           "cores": os.cpu_count(), "versions": versions(), "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "calibrate.json").write_text(json.dumps(out, indent=2) + "\n")
    for r in rows:
        print(f"{r['workers']} worker(s): {r['runs']} runs in {r['seconds']:.1f} s = {r['runs_per_hour']:.0f} runs/h "
              f"({r['runs_per_hour_per_core']:.0f} per core; target {RATE_TARGET})")
    e = out["emulator"]
    if speedup is not None:
        print(f"2 vs 1 workers: {speedup:.2f}x (target {SPEEDUP_TARGET}x)")
    print(f"emulator fit on {e['points']} points x "
          f"{e['parameters']} parameters {e['fit_seconds']:.2f} s, screening {e['candidates']} candidates "
          f"{e['screen_seconds']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
