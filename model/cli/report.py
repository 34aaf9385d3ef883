"""`corridor plot` and `corridor brief`: subcommands wired into model/cli.py by `register`.

Both read or write charts only: `plot` redraws from saved results without rerunning the
model; `brief` runs scenarios against their baseline and writes a workshop handout. Bad
input raises InputError, which the main CLI reports as one line and exit status 2.
"""

from __future__ import annotations

from pathlib import Path

from model.cli.args import positive, seed, whole_number
from model.errors import InputError

FORMATS = ("png", "svg")


DPI = whole_number(50, 1201, what="a resolution (dpi)")


def register(subparsers) -> None:
    """Add `plot` and `brief` to the `corridor` parser."""
    p = subparsers.add_parser(
        "plot", help="(re)draw the charts of a run or a sweep from its saved results",
        description="Redraw the charts of a result folder without rerunning the model. A run folder gets "
                    "route_density, flow_share, displacement and outcomes; a sweep folder gets response "
                    "curves, heatmaps and sensitivity bars in FOLDER/charts.")
    p.add_argument("folder", type=Path, help="result folder of `corridor run` or `corridor sweep`")
    p.add_argument("--format", dest="formats", action="append", choices=FORMATS,
                   help="image format (repeatable; default png)")
    p.add_argument("--dpi", type=DPI, default=150, help="resolution of PNG files (default 150; 300 for print)")
    p.add_argument("--outcome", action="append", metavar="NAME",
                   help="sweeps only: outcome to chart (repeatable; default every outcome kept)")
    p.add_argument("--out", type=Path, help="folder for the charts (default: the run folder, or FOLDER/charts)")

    b = subparsers.add_parser(
        "brief", help="compare scenarios with their baseline and write a workshop handout (PDF and HTML)",
        description="Run each scenario with and without its policy on paired seeds and write a short PDF "
                    "(and an HTML file beside it): headline numbers in plain sentences, maps and charts, "
                    "and what the model does not capture.")
    b.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO", help="scenario TOML file(s) with a policy")
    b.add_argument("--replications", type=positive, default=3, metavar="N",
                   help="seeds per scenario (default 3)")
    b.add_argument("--seed", type=seed, help="root seed the replications derive from (default: each scenario's)")
    b.add_argument("--steps", type=positive, help="months to simulate (default: the scenario's)")
    b.add_argument("--out", type=Path, help="PDF file (default results/briefs/brief-<scenarios>.pdf); "
                                            "the HTML is written beside it")
    b.add_argument("--posterior", type=Path, metavar="DIR",
                   help="run every seed at the posterior draws of a `corridor calibrate` folder: ranges cover "
                        "draws x seeds, and each headline says how much of its spread is which")
    b.add_argument("--draws", type=positive, metavar="N",
                   help="with --posterior: N draws, picked evenly from the posterior's points (default all)")
    b.add_argument("--quiet", action="store_true", help="no progress messages")


def cmd_plot(args) -> int:
    from model.outputs.run_charts import draw_run_charts
    from model.outputs.run_data import is_run_folder
    from model.runs.folders import check_target, folder_kind, mark, write_json
    from model.outputs.sweep_charts import draw_sweep_charts, is_sweep_folder

    folder = args.folder
    if not folder.is_dir():
        raise InputError(folder, None, "not a folder; give a result folder of `corridor run` or `corridor sweep`")
    formats = tuple(dict.fromkeys(args.formats or ["png"]))
    if args.out:     # new, empty, or a folder of our own charts or results; else refused untouched
        check_target(args.out, "plot", also=("run", "sweep"))
        mine = folder_kind(args.out) in (None, "plot")
    if is_run_folder(folder):
        if args.outcome:
            raise InputError(None, "--outcome", "only applies to sweep folders")
        written = draw_run_charts(folder, formats=formats, dpi=args.dpi, out_dir=args.out)
    elif is_sweep_folder(folder):
        written = draw_sweep_charts(folder, outcomes=args.outcome, formats=formats, dpi=args.dpi, out_dir=args.out)
    else:
        raise InputError(folder, None, "not recognised: a run folder has summary.json, timeseries.parquet and "
                         "cells.npz; a sweep folder has manifest.json and summary.parquet")
    if args.out and mine:    # so a later `plot --out` here knows the folder is ours
        write_json(args.out / "manifest.json", mark({"source": str(folder), "files": [p.name for p in written]},
                                                    "plot"))
    where = sorted({str(p.parent) for p in written})
    print(f"{len(written)} chart file(s) in {', '.join(where)}/")
    for p in written:
        print(f"  {p.name}")
    return 0


def cmd_brief(args) -> int:
    from model.outputs.brief import make_brief, stderr_log
    from model.runs.folders import default_out

    out = args.out or default_out("briefs", "brief-" + "-".join(p.stem for p in args.scenarios) + ".pdf")
    pdf, html, pages = make_brief(args.scenarios, out, replications=args.replications, root_seed=args.seed,
                                  steps=args.steps, log=None if args.quiet else stderr_log,
                                  posterior=args.posterior, draws=args.draws)
    print(f"brief: {pages} pages in {pdf} (and {html})")
    return 0


HANDLERS = {"plot": cmd_plot, "brief": cmd_brief}
