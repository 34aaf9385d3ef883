"""The `corridor` command line. Bad input exits with status 2 and one clear message."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .cliargs import positive, seed
from .errors import InputError

EXIT_BAD_INPUT = 2
EXIT_CLOSED_PIPE = 141


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="corridor", description=(
        "Simulate how enforcement displaces trafficking in the Mesoamerican corridor."))
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a scenario (and its counterfactual) and write results")
    r.add_argument("scenario", type=Path, help="scenario TOML file, e.g. scenarios/baseline.toml")
    r.add_argument("--seed", type=seed, help="random seed (default: the scenario's)")
    r.add_argument("--steps", type=positive, help="months to simulate (default: the scenario's)")
    r.add_argument("--out", type=Path, help="result folder (default: results/<scenario>-seed<seed>)")
    r.add_argument("--no-counterfactual", action="store_true",
                   help="skip the run without interventions (no displacement block)")
    r.add_argument("--no-charts", action="store_true", help="skip drawing the PNG charts")
    r.add_argument("--quiet", action="store_true", help="no progress bar")

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("scenarios", type=Path, nargs="+")
    v.add_argument("--explain", action="store_true", help="also list every parameter with unit and source")
    from . import sweep_cli   # sweep and analyze: their heavy imports happen inside the handlers
    sweep_cli.register(sub)
    from . import report_cli   # plot and brief: charts are imported inside the handlers
    report_cli.register(sub)
    from . import compare   # scenarios side by side
    compare.register(sub)
    from . import dashboard_cli   # dashboard: solara is imported only by the server it starts
    dashboard_cli.register(sub)
    return p


def cmd_run(args) -> int:
    from tqdm import tqdm

    from .errors import warn
    from .run import command_line, policy_in_force, policy_outside_run, run_pair, write_results
    from .scenario import check_steps, load_scenario

    check_steps(args.steps)
    sc, cmap = load_scenario(args.scenario)
    seed = sc.scenario.seed if args.seed is None else args.seed
    steps = args.steps or sc.scenario.steps
    out = args.out or Path("results") / f"{sc.scenario.name}-seed{seed}"
    if out.exists() and not out.is_dir():
        raise InputError(out, None, "--out must be a folder, and this is a file")
    late = policy_outside_run(sc, steps)        # compare and brief skip such scenarios; run says so
    if late:
        warn(args.scenario, "policy", late)
    counterfactual = policy_in_force(sc, steps) and not args.no_counterfactual   # else the same run twice
    runs = 2 if counterfactual else 1
    t0 = time.perf_counter()
    with tqdm(total=steps * runs, unit="month", desc=sc.scenario.name, disable=args.quiet or None,
              file=sys.stderr) as bar:
        result = run_pair(sc, cmap, seed, steps, counterfactual=counterfactual, progress=bar.update)
    if late:
        result["summary"]["warnings"] = [late]
        if not policy_in_force(sc, steps):
            result["summary"]["policy_in_force"] = False
    wall = time.perf_counter() - t0
    write_results(result, cmap, out, args.scenario, command_line(), wall, charts=not args.no_charts)
    s = result["summary"]
    c = s["cocaine"]
    print(f"{sc.scenario.name}: seed {seed}, {steps} months, {wall:.1f} s")
    print(f"  cocaine shipped {c['shipped']:.1f} t, delivered {c['delivered']:.1f} t, "
          f"seized {c['seized']:.1f} t, in transit {c['in_transit']:.1f} t")
    top = ", ".join(f"{k} {v:.0%}" for k, v in list(s["transit_share"].items())[:5])
    print(f"  transit share: {top}; Central America {s['central_america_share']:.0%}")
    if s.get("policy_in_force") is False:
        print("  vs counterfactual: policy not in force within the run, so no comparison (see the warning)")
    if "displacement" in s:
        d = s["displacement"]
        ratio = "n/a" if d["ratio"] is None else f"{d['ratio']:.2f}"
        tchg = "n/a" if d["targeted_flow_change_pct"] is None else f"{d['targeted_flow_change_pct']:+.0f}%"
        dchg = "n/a" if d["delivered_change_pct"] is None else f"{d['delivered_change_pct']:+.1f}%"
        print(f"  vs counterfactual: flow in {'/'.join(d['targeted'])} {tchg}, displacement ratio {ratio}, "
              f"delivered {dchg}, Central America share {d['central_america_share_change']:+.0%}")
    print(f"  results in {out}/")
    return 0


def cmd_validate(args) -> int:
    from .scenario import load_scenario, parameter_table

    for path in args.scenarios:
        sc, cmap = load_scenario(path)
        print(f"{path}: ok ({sc.scenario.name}: {sc.scenario.steps} months, {len(sc.cartel)} cartels, "
              f"{len(sc.gang)} gangs, {len(sc.policy)} policy rows; map {cmap.shape[0]}x{cmap.shape[1]})")
    if args.explain:
        for row in parameter_table():
            src = f"  [source: {row['source']}]" if row["source"] else ""
            print(f"{row['parameter']:<48} {row['unit']:<28} default={row['default']}{src}")
    return 0


def closed_pipe() -> int:
    """The reader went away (`corridor ... | head`): stop quietly, like any Unix tool.

    Output still buffered goes to /dev/null so the exit flush cannot fail again, and the
    status is 141 (128 + SIGPIPE), what a shell reports for a tool stopped by a closed pipe.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_CLOSED_PIPE


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .sweep_cli import HANDLERS as sweep_handlers
    from .report_cli import HANDLERS as report_handlers
    from .compare import HANDLERS as compare_handlers
    from .dashboard_cli import HANDLERS as dashboard_handlers
    handlers = {"run": cmd_run, "validate": cmd_validate, **sweep_handlers, **report_handlers,
                **compare_handlers, **dashboard_handlers}
    try:
        code = handlers[args.command](args)
        sys.stdout.flush()               # a closed pipe shows here, not as noise at exit
        return code
    except BrokenPipeError:
        return closed_pipe()
    except InputError as exc:
        print(f"corridor: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("corridor: interrupted; nothing was written for the unfinished run", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

