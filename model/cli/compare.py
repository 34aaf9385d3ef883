"""`corridor compare`: its arguments, and writing the comparison folder (model.runs.compare computes it)."""

from __future__ import annotations

import sys
from pathlib import Path

from model.cli.args import positive, seed as seed_arg
from model.runs.compare import compare, format_table, table


def register(sub) -> None:
    c = sub.add_parser("compare", help="compare scenarios against their counterfactuals with paired seeds")
    c.add_argument("scenarios", type=Path, nargs="+")
    c.add_argument("--replications", type=positive, default=3, help="seeds per scenario (default 3)")
    c.add_argument("--seed", type=seed_arg, help="root seed (default: the first scenario's seed)")
    c.add_argument("--steps", type=positive, help="months per run (default: each scenario's)")
    c.add_argument("--out", type=Path, help="folder for compare.csv, compare.parquet, runs.parquet "
                   "(default results/compare)")
    c.add_argument("--posterior", type=Path, metavar="DIR",
                   help="run each scenario at the posterior draws of a `corridor calibrate` folder x the seeds")
    c.add_argument("--draws", type=positive, metavar="N",
                   help="with --posterior: N draws, picked evenly from the posterior's points (default all)")
    c.add_argument("--quiet", action="store_true")


def cmd_compare(args) -> int:
    from tqdm import tqdm

    from model.runs.folders import check_target, default_out, mark, replace_folder, write_json

    from model.runs.posterior import check_draws_flag, load_draws, provenance

    out = args.out or default_out("compare")
    check_target(out, "compare")    # before any run: a refused --out must not cost the runs
    check_draws_flag(args.posterior, args.draws)
    posterior = None if args.posterior is None else load_draws(args.posterior, args.draws)
    n_draws = 1 if posterior is None else len(posterior[1])
    with tqdm(total=len(args.scenarios) * args.replications * n_draws, unit="pair", disable=args.quiet or None,
              file=sys.stderr) as bar:
        runs = compare(args.scenarios, args.replications, args.seed, args.steps, bar.update, posterior)
    t = table(runs)
    with replace_folder(out, "compare") as tmp:
        runs.to_parquet(tmp / "runs.parquet", index=False)
        t.to_parquet(tmp / "compare.parquet", index=False)
        t.to_csv(tmp / "compare.csv", index=False)
        write_json(tmp / "manifest.json", mark({"scenarios": [str(p) for p in args.scenarios],
                                                "replications": args.replications, "root_seed": args.seed,
                                                "steps": args.steps,
                                                **provenance(args.posterior, posterior and posterior[1])},
                                               "compare"))
    print(format_table(t))
    over = f"{args.replications} paired seeds" if posterior is None else \
        f"{n_draws} posterior draws x {args.replications} paired seeds"
    print(f"\nmean [min, max] over {over}. delivered % and seized %: cocaine in the "
          "months the policy is in force, in % of the same months without the policy; migrants in people, "
          f"at the end of the run. Tables in {out}/")
    if posterior is not None:
        from model.runs.posterior import spread_sentence

        print(spread_sentence(runs, "delivered_change_pct", "delivered %"))
    return 0


HANDLERS = {"compare": cmd_compare}
