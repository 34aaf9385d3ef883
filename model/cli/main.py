"""The `corridor` command line. Bad input exits with status 2 and one clear message."""

from __future__ import annotations

import argparse
import errno
import os
import sys
import time
from pathlib import Path

from model.cli.args import positive, seed
from model.errors import InputError

EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 1
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
    r.add_argument("--posterior", type=Path, metavar="DIR",
                   help="also run the scenario at the posterior draws of a `corridor calibrate` folder, on the "
                        "run's seed, into RUN/posterior.parquet")
    r.add_argument("--draws", type=positive, metavar="N",
                   help="with --posterior: N draws, picked evenly from the posterior's points (default all)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("scenarios", type=Path, nargs="+")
    v.add_argument("--explain", action="store_true", help="also list every parameter with unit and source")
    from model.cli import sweep as sweep_cli  # sweep and analyze: their heavy imports happen inside the handlers
    sweep_cli.register(sub)
    from model.cli import report as report_cli  # plot and brief: charts are imported inside the handlers
    report_cli.register(sub)
    from model.cli import compare as compare_cli  # scenarios side by side
    compare_cli.register(sub)
    from model.cli import calibrate as calibrate_cli  # history matching: sklearn is imported inside the handler
    calibrate_cli.register(sub)
    from model.cli import dashboard as dashboard_cli  # dashboard: solara is imported only by the server it starts
    dashboard_cli.register(sub)
    return p


class PhaseBars:
    """One progress bar per run of a pair, `steps` months each: the scenario, then its counterfactual.

    `update` is called once per simulated month of either run; when one run's months are
    done its bar closes and the next run's bar opens.
    """

    def __init__(self, name: str, phases: list[str], steps: int, quiet: bool = False):
        self.name, self.phases, self.steps, self.quiet = name, phases, steps, quiet
        self.bar = None
        self.phase = -1
        self.done = 0

    def update(self) -> None:
        if self.bar is None:                   # more months than phases announced: keep counting
            self._open(self.phase + 1)
        self.bar.update()
        self.done += 1
        if self.done >= self.steps:
            self.close()
            if self.phase + 1 < len(self.phases):
                self._open(self.phase + 1)

    def _open(self, phase: int) -> None:
        from tqdm import tqdm

        self.phase, self.done = phase, 0
        label = self.phases[min(phase, len(self.phases) - 1)]
        self.bar = tqdm(total=self.steps, unit="month", desc=f"{self.name}: {label}",
                        disable=self.quiet or None, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self):
        self._open(0)
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def cmd_run(args) -> int:
    from model.errors import warn
    from model.metrics import window_span
    from model.runs.folders import check_target, default_out
    from model.runs.results import command_line, write_results
    from model.runs.simulate import policy_in_force, policy_outside_run, run_pair
    from model.scenario import check_steps, load_scenario

    from model.runs.posterior import at_draws, check_draws_flag, load_draws, provenance

    check_steps(args.steps)
    check_draws_flag(args.posterior, args.draws)
    sc, cmap = load_scenario(args.scenario)
    posterior = None if args.posterior is None else load_draws(args.posterior, args.draws)
    if posterior is not None:
        at_draws(sc, posterior, args.scenario)      # every draw's values fit the scenario, before any run
    seed = sc.scenario.seed if args.seed is None else args.seed
    steps = args.steps or sc.scenario.steps
    out = args.out or default_out(f"{sc.scenario.name}-seed{seed}")
    check_target(out, "run")    # before the run, so a refused --out costs nothing
    late = policy_outside_run(sc, steps)        # compare and brief skip such scenarios; run says so
    if late:
        warn(args.scenario, "policy", late)
    counterfactual = policy_in_force(sc, steps) and not args.no_counterfactual   # else the same run twice
    runs = 2 if counterfactual else 1
    t0 = time.perf_counter()
    phases = ["scenario", "counterfactual (no policy)"][:runs]
    with PhaseBars(sc.scenario.name, phases, steps, quiet=args.quiet) as bars:
        result = run_pair(sc, cmap, seed, steps, counterfactual=counterfactual, progress=bars.update)
    if late:
        result["summary"]["warnings"] = [late]
        if not policy_in_force(sc, steps):
            result["summary"]["policy_in_force"] = False
    draws = None if posterior is None else run_posterior_draws(args, sc, cmap, posterior, seed, steps,
                                                                counterfactual)
    wall = time.perf_counter() - t0
    if not args.quiet:
        step = "writing results and drawing charts…" if not args.no_charts else "writing results…"
        print(f"{sc.scenario.name}: {step}", file=sys.stderr, flush=True)
    write_results(result, cmap, out, args.scenario, command_line(), wall, charts=not args.no_charts,
                  tables=None if draws is None else {"posterior": draws},
                  provenance=None if posterior is None else provenance(args.posterior, posterior[1]))
    s = result["summary"]
    c = s["cocaine"]
    print(f"{sc.scenario.name}: seed {seed}, {steps} months, {wall:.1f} s")
    months = result["main"].timeseries.month
    print(f"  whole run, {months.iloc[0]} to {months.iloc[-1]}: cocaine shipped {c['shipped']:.1f} t, "
          f"delivered {c['delivered']:.1f} t, seized {c['seized']:.1f} t, in transit {c['in_transit']:.1f} t")
    span = window_span(s)
    top = ", ".join(f"{k} {v:.0%}" for k, v in list(s["transit_share"].items())[:5])
    print(f"  loads crossing each country, {span} (% of finished loads): {top}; "
          f"Central America {s['central_america_share']:.0%}")
    if s.get("policy_in_force") is False:
        print("  vs counterfactual: policy not in force within the run, so no comparison (see the warning)")
    if "displacement" in s:
        d = s["displacement"]
        ratio = "n/a" if d["ratio"] is None else f"{d['ratio']:.2f}"
        tchg = "n/a" if d["targeted_flow_change_pct"] is None else f"{d['targeted_flow_change_pct']:+.0f}%"
        dchg = "n/a" if d["delivered_change_pct"] is None else f"{d['delivered_change_pct']:+.1f}%"
        print(f"  {span} vs the same months without the policy:")
        print(f"    cocaine delivered to the US {dchg} ({d['delivered_change']:+.1f} t); "
              f"cocaine moving through {'/'.join(d['targeted'])} {tchg} (tonne-cells)")
        print(f"    displacement ratio {ratio} (tonne-cells gained outside the targets per tonne-cell lost in them); "
              f"Central America share {100 * d['central_america_share_change']:+.0f} points")
    if draws is not None:
        print_posterior_draws(draws, args.posterior, seed)
    print(f"  results in {out}/")
    return 0


def run_posterior_draws(args, sc, cmap, posterior, seed: int, steps: int, counterfactual: bool):
    """`run --posterior`: the scenario at each draw, on the run's seed (with its counterfactual if the run has one)."""
    from tqdm import tqdm

    from model.runs.posterior import run_draws

    with tqdm(total=len(posterior[1]), unit="draw", desc=f"{sc.scenario.name}: posterior draws",
              disable=args.quiet or None, file=sys.stderr) as bar:
        return run_draws(sc, cmap, args.scenario, posterior, seed, steps, counterfactual, bar.update)


def print_posterior_draws(draws, folder: Path, seed: int) -> None:
    from model.runs.posterior import range_lines

    print(f"  over {len(draws)} posterior draws of {folder}, each on seed {seed}: median [min, max]")
    for line in range_lines(draws):
        print(f"    {line}")
    print("  one seed per draw, so this spread mixes parameter uncertainty with that seed's noise and cannot be "
          "split; `corridor compare SCENARIO --posterior DIR` splits it over paired seeds")


def cmd_validate(args) -> int:
    from model.scenario import JURISDICTION_DEFAULTS, load_scenario, parameter_table

    for path in args.scenarios:
        sc, cmap = load_scenario(path)
        print(f"{path}: ok ({sc.scenario.name}: {sc.scenario.steps} months, {len(sc.cartel)} cartels, "
              f"{len(sc.gang)} gangs, {len(sc.policy)} policy rows; map {cmap.shape[0]}x{cmap.shape[1]})")
    if args.explain:
        for row in parameter_table():
            src = f"  [source: {row['source']}]" if row["source"] else ""
            default = row["default"]
            lever = row["parameter"].rsplit(".", 1)[-1]
            if default is None and row["parameter"].startswith("jurisdictions.") and lever in JURISDICTION_DEFAULTS:
                default = f"{JURISDICTION_DEFAULTS[lever]} (built in)"    # what an unset jurisdiction gets
            print(f"{row['parameter']:<48} {row['unit']:<28} default={default}{src}")
    return 0


def environment_message(exc: OSError) -> str:
    """One line for an OSError: what could not be written (or read) and why."""
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return reason
    verb = "cannot write" if exc.errno in _WRITE_ERRNOS else "cannot use"
    return f"{verb} {exc.filename}: {reason}"


_WRITE_ERRNOS = {errno.EROFS, errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG}
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
    from model.cli.sweep import HANDLERS as sweep_handlers
    from model.cli.report import HANDLERS as report_handlers
    from model.cli.compare import HANDLERS as compare_handlers
    from model.cli.calibrate import HANDLERS as calibrate_handlers
    from model.cli.dashboard import HANDLERS as dashboard_handlers
    handlers = {"run": cmd_run, "validate": cmd_validate, **sweep_handlers, **report_handlers,
                **compare_handlers, **calibrate_handlers, **dashboard_handlers}
    try:
        code = handlers[args.command](args)
        sys.stdout.flush()               # a closed pipe shows here, not as noise at exit
        return code
    except BrokenPipeError:
        return closed_pipe()
    except InputError as exc:
        print(f"corridor: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:   # read-only folder, full disk, ...: the machine, not the input
        print(f"corridor: error: {environment_message(exc)}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except KeyboardInterrupt:
        print("corridor: interrupted; nothing was written for the unfinished run", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

