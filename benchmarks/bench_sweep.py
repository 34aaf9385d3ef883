"""Sweep throughput: runs per minute with 1 and 2 Dask workers, and the runner's overhead.

    python benchmarks/bench_sweep.py [--experiment experiments/smoke.toml] [--repeat 2]

Measures on the smoke experiment:
  * direct loop: run_pair on every design point in this process, nothing written;
  * runner in-process (--workers 0): the same runs through the sweep runner (Parquet
    files, manifest, progress); overhead per run = (runner - direct) / runs, which machine
    noise can swamp, so the bookkeeping around run_pair is also timed on its own;
  * LocalCluster with 1 and 2 workers: runs/min from the first task submitted to the
    last run file written (cluster start-up reported apart, it is paid once per sweep).
Targets (issue #3): 2 workers >= 1.7x one worker; overhead < 5% of a run.
Writes benchmarks/results/sweep.json and prints a table. Run it on a quiet machine.
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

from model.runs import sweep  # noqa: E402
from model.runs.sweep.store import columns_of  # noqa: E402
from model.runs.sweep.worker import cached_map  # noqa: E402
from model.runs.results import versions  # noqa: E402
from model.runs.simulate import run_pair  # noqa: E402
from model.scenario import parse_scenario  # noqa: E402

SPEEDUP_TARGET = 1.7
OVERHEAD_TARGET_PCT = 5.0


def direct_loop(specs) -> float:
    """What a user would write by hand: scenarios built beforehand, run_pair in a loop."""
    scenarios = [parse_scenario(s.scenario, s.scenario_path) for s in specs]
    cmap = cached_map(specs[0].map_path, scenarios[0].routing.maritime_zone_km)
    t0 = time.perf_counter()
    for sc, spec in zip(scenarios, specs):
        run_pair(sc, cmap, spec.seed, counterfactual=spec.counterfactual)
    return time.perf_counter() - t0


def bookkeeping(exp, specs, scratch: Path) -> float:
    """Seconds per run the runner adds around run_pair (parse, flatten, Parquet write with fsync),
    timed apart from the model so machine noise in the runs does not hide it."""
    folder = scratch / "bookkeeping"
    (folder / sweep.RUNS).mkdir(parents=True, exist_ok=True)
    (folder / sweep.FAILURES).mkdir(exist_ok=True)
    columns = columns_of(exp)
    sc = parse_scenario(specs[0].scenario, specs[0].scenario_path)
    result = run_pair(sc, cached_map(specs[0].map_path, sc.routing.maritime_zone_km), specs[0].seed,
                      counterfactual=specs[0].counterfactual)
    ts = result["main"].timeseries
    t0 = time.perf_counter()
    for spec in specs:
        parse_scenario(spec.scenario, spec.scenario_path)
        flat = dict(sweep.flatten(result["summary"]))
        res = {"outcomes": {k: flat.get(k) for k in spec.outcomes}, "worker": "bench", "corridor": "bench",
               "steps": ts["step"].to_numpy(), "months": ts["month"].astype(str).tolist(),
               "columns": {c: ts[c].to_numpy(float) for c in spec.timeseries}, "wall_seconds": 0.0}
        sweep.write_run(folder, spec, res, columns)
    return (time.perf_counter() - t0) / len(specs)


def runner(exp, workers: int, scratch: Path) -> sweep.SweepReport:
    out = scratch / f"w{workers}"
    shutil.rmtree(out, ignore_errors=True)
    return sweep.run_sweep(exp.path, out=out, workers=workers, progress=False, exp=exp, argv=["bench"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiment", type=Path, default=ROOT / "experiments" / "smoke.toml")
    ap.add_argument("--repeat", type=int, default=2, help="measurements of each; the best is kept")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "sweep.json")
    args = ap.parse_args()

    exp = sweep.load_experiment(args.experiment)
    specs = sweep.build_design(exp).runs
    n = len(specs)
    direct_loop(specs[:1])                     # warm up: routing graph and caches, as a long loop would
    scratch = Path(tempfile.mkdtemp(prefix="bench_sweep."))
    try:
        direct = min(direct_loop(specs) for _ in range(args.repeat))
        books = min(bookkeeping(exp, specs, scratch) for _ in range(args.repeat))
        inproc = min((runner(exp, 0, scratch) for _ in range(args.repeat)), key=lambda r: r.seconds)
        local = {w: min((runner(exp, w, scratch) for _ in range(args.repeat)), key=lambda r: r.seconds)
                 for w in (1, 2)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    per_run = direct / n
    overhead = (inproc.seconds - direct) / n
    rate = {w: 60 * n / r.seconds for w, r in local.items()}
    speedup = rate[2] / rate[1]
    result = {
        "experiment": str(args.experiment.relative_to(ROOT) if args.experiment.is_relative_to(ROOT)
                          else args.experiment),
        "runs": n, "repeat": args.repeat, "cores": sweep.available_cores(),
        "load_average_at_end": os.getloadavg()[0],
        "direct_loop": {"seconds": round(direct, 3), "seconds_per_run": round(per_run, 4),
                        "runs_per_min": round(60 * n / direct, 2)},
        "in_process": {"seconds": round(inproc.seconds, 3), "runs_per_min": round(60 * n / inproc.seconds, 2),
                       "overhead_seconds_per_run": round(overhead, 4),
                       "overhead_pct_of_run": round(100 * overhead / per_run, 2),
                       "bookkeeping_seconds_per_run": round(books, 5),
                       "bookkeeping_pct_of_run": round(100 * books / per_run, 3)},
        "local_cluster": {str(w): {"seconds": round(r.seconds, 3), "runs_per_min": round(rate[w], 2),
                                   "startup_seconds": round(r.setup_seconds, 3)} for w, r in local.items()},
        "speedup_2_vs_1": round(speedup, 3),
        "targets": {"speedup_2_vs_1": SPEEDUP_TARGET, "overhead_pct": OVERHEAD_TARGET_PCT,
                    "speedup_met": speedup >= SPEEDUP_TARGET,
                    "overhead_met": 100 * overhead / per_run < OVERHEAD_TARGET_PCT,
                    "bookkeeping_met": 100 * books / per_run < OVERHEAD_TARGET_PCT},
        "versions": versions(), "platform": platform.platform(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    print(f"sweep benchmark: {result['experiment']}, {n} runs, {result['cores']} cores, best of {args.repeat}")
    print(f"{'backend':<26}{'seconds':>9}{'runs/min':>10}  note")
    print(f"{'direct run_pair loop':<26}{direct:>9.2f}{60 * n / direct:>10.1f}  {per_run:.3f} s per run")
    print(f"{'runner, in-process':<26}{inproc.seconds:>9.2f}{60 * n / inproc.seconds:>10.1f}  overhead "
          f"{1000 * overhead:+.1f} ms per run ({100 * overhead / per_run:+.2f}%; target < {OVERHEAD_TARGET_PCT}%)")
    print(f"{'  of which bookkeeping':<26}{books * n:>9.2f}{'':>10}  {1000 * books:.1f} ms per run "
          f"({100 * books / per_run:.2f}%), timed apart from the model")
    for w, r in local.items():
        note = f"start-up {r.setup_seconds:.1f} s"
        if w == 2:
            note += f"; {speedup:.2f}x one worker (target >= {SPEEDUP_TARGET}x)"
        print(f"{f'LocalCluster, {w} worker' + ('s' if w > 1 else ''):<26}{r.seconds:>9.2f}{rate[w]:>10.1f}  {note}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
