"""`corridor sweep` and `corridor analyze`: subcommands wired into model/cli.py by `register`.

Each handler returns an exit code and raises InputError for bad input, which the main
CLI reports as one line and exit status 2 - before anything is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.cli.args import add_backend, check_backend, share, whole_number
from model.errors import InputError

EXIT_RUNS_FAILED = 1
EXIT_INTERRUPTED = 130       # 128 + SIGINT, as shells report Ctrl-C
COMPACT_WORD = "compact"     # `corridor sweep compact DIR`
TABLE_FLOAT_FORMAT = "{:.4g}".format


def register(subparsers) -> None:
    """Add `sweep` and `analyze` to the `corridor` parser."""
    s = subparsers.add_parser(
        "sweep", help="run a policy sweep (experiment file) on Dask; resumes by default",
        description="Run every run of an experiment that is not already in its result folder, then "
                    "compact the results. `corridor sweep compact DIR` only gathers run files.")
    s.add_argument("experiment", help="experiment TOML, e.g. experiments/balloon_sweep.toml "
                                      "(or the word 'compact' followed by a result folder)")
    s.add_argument("folder", nargs="?", type=Path, help=argparse.SUPPRESS)
    add_backend(s)
    s.add_argument("--out", type=Path, help="result folder (default: results/sweeps/<experiment name>)")
    s.add_argument("--fresh", action="store_true",
                   help="discard the results already in the folder and start again")
    s.add_argument("--compact-only", action="store_true",
                   help="only gather the run files into summary.parquet and timeseries.parquet")
    s.add_argument("--max-runs", type=whole_number(1, what="max runs"), metavar="N",
                   help="allow a design of up to N runs (default: the experiment's max_runs, else 20000)")
    s.add_argument("--quiet", action="store_true",
                   help="no progress bar (the run count and time estimate are still printed on stderr)")

    a = subparsers.add_parser("analyze", help="sensitivity indices and scenario discovery on a sweep's results")
    a.add_argument("folder", type=Path, help="result folder of `corridor sweep`")
    a.add_argument("--outcome", action="append", metavar="NAME",
                   help="outcome to analyse (repeatable; default: every outcome kept)")
    a.add_argument("--method", default="auto", choices=("auto", "sobol", "morris", "effects", "correlation", "none"),
                   help="auto: Sobol or Morris indices when the design allows, else main effects (grid) "
                        "or rank correlations (Latin hypercube)")
    a.add_argument("--prim", metavar="OUTCOME>VALUE",
                   help="scenario discovery: PRIM box where the condition holds (needs the 'analysis' extra)")
    a.add_argument("--prim-density", type=share, default=None, metavar="SHARE",
                   help="least share of runs of interest inside the PRIM box (default 0.8)")
    a.add_argument("--out", type=Path, help="folder for the CSV tables (default: FOLDER/analysis)")


def cmd_sweep(args) -> int:
    from model.runs import sweep

    if args.experiment == COMPACT_WORD and not Path(COMPACT_WORD).is_file():
        if args.folder is None:
            raise InputError(None, "sweep compact", "give the result folder: corridor sweep compact DIR")
        return _compact(args.folder)
    if args.folder is not None:
        raise InputError(None, None, f"unexpected argument '{args.folder}' (one experiment file per sweep)")
    check_backend(args)
    if args.compact_only:
        exp_path = Path(args.experiment)
        if exp_path.is_dir():
            return _compact(exp_path)
        exp = sweep.load_experiment(exp_path)
        return _compact(args.out or sweep.default_folder(exp))
    exp = sweep.load_experiment(args.experiment)
    try:
        rep = sweep.run_sweep(args.experiment, out=args.out, workers=args.workers, scheduler=args.scheduler,
                              fresh=args.fresh, progress=not args.quiet, exp=exp, max_runs=args.max_runs)
    except sweep.SweepInterrupted as exc:     # what finished is saved; the message says how to resume
        print(f"corridor: {exc}", file=sys.stderr)
        return EXIT_INTERRUPTED
    rate = 60 * rep.ran / rep.seconds if rep.seconds > 0 and rep.ran else 0.0
    print(f"{exp.name}: {rep.planned} runs: {rep.ran} new, {rep.skipped} already done, {rep.failed} failed "
          f"in {rep.seconds:.1f} s ({rate:.1f} runs/min; backend {rep.backend['kind']})")
    print(f"  results in {rep.folder}/ (summary.parquet, timeseries.parquet, manifest.json)")
    if rep.failed:
        print(f"corridor: {rep.failed} run(s) failed; tracebacks in {rep.folder / sweep.FAILURES}/. "
              "Rerun the same command to retry them.", file=sys.stderr)
        return EXIT_RUNS_FAILED
    return 0


def _compact(folder: Path) -> int:
    from model.runs import sweep

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, None, "not a folder; give the result folder of `corridor sweep`")
    counts = sweep.compact(folder)
    print(f"{folder}: {counts['runs']} of {counts['planned']} runs in summary.parquet and timeseries.parquet; "
          f"{counts['failed']} failed")
    return 0


def cmd_analyze(args) -> int:
    import pandas as pd

    from model.runs.analysis import PRIM_MIN_DENSITY, analyze

    if args.prim_density is not None and not args.prim:
        raise InputError(None, "--prim-density", "only applies with --prim")
    written = analyze(args.folder, outcomes=args.outcome, method=args.method, prim=args.prim,
                      prim_density=args.prim_density or PRIM_MIN_DENSITY, out=args.out)
    with pd.option_context("display.width", 160, "display.max_columns", 30, "display.float_format",
                           TABLE_FLOAT_FORMAT):
        for title, table, path in written:
            print(f"== {title} ({path})")
            print(table.to_string(na_rep="n/a"))
            for outcome, note in table.attrs.get("notes", {}).items():
                print(f"{outcome}: {note}")
            print()
    if not written:
        print("no tables (method 'none' and no --prim)")
    return 0


HANDLERS = {"sweep": cmd_sweep, "analyze": cmd_analyze}
