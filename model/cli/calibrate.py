"""`corridor calibrate`: history matching of a scenario to the record, wired in by `register`."""

from __future__ import annotations

import sys
from pathlib import Path

from model.cli.args import add_backend, check_backend

EXIT_INTERRUPTED = 130


def register(subparsers) -> None:
    c = subparsers.add_parser(
        "calibrate", help="history matching of a scenario to the record (waves of runs on the sweep engine)",
        description="Run the waves of a calibration file (Latin hypercube designs, Gaussian-process "
                    "emulators, implausibility cut-off) and write the non-implausible posterior draws.")
    c.add_argument("experiment", type=Path, help="calibration TOML, e.g. experiments/calibration.toml")
    add_backend(c)
    c.add_argument("--out", type=Path, help="result folder (default: results/calibrations/<name>)")
    c.add_argument("--resume", action="store_true",
                   help="continue the calibration already in --out (finished runs are not rerun)")
    c.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_calibrate(args) -> int:
    from model.runs.calibrate import load_calibration, run_calibration

    check_backend(args)
    cal = load_calibration(args.experiment)
    try:
        rep = run_calibration(cal, out=args.out, workers=args.workers, scheduler=args.scheduler,
                              resume=args.resume, progress=not args.quiet)
    except KeyboardInterrupt:
        out = args.out or Path("results/calibrations") / cal.name
        print(f"corridor: interrupted; finished runs are saved. Resume with: corridor calibrate "
              f"{args.experiment} --out {out} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"{cal.name}: {rep.waves_run} wave(s), {rep.runs} runs ({rep.ran} new) in {rep.seconds:.1f} s; "
          f"posterior: {rep.posterior_points} points x {cal.meta.seeds_per_point} seeds = {rep.posterior_runs} runs")
    print(f"  results in {rep.folder}/ (posterior.parquet, diagnostics.json, posterior_marginals.png, "
          "predictive_check.png)")
    return 0


HANDLERS = {"calibrate": cmd_calibrate}
