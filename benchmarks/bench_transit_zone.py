"""Old map against the transit-zone map, month by month in one process (issue 13).

    python benchmarks/bench_transit_zone.py [--months 24]

Steps the pre-issue-13 baseline (benchmarks/baseline_old_map.toml, on corridor.toml) and today's
baseline (transit_zone.toml map, portfolio on) side
by side (a month of one, then a month of the other, so a machine whose speed drifts cannot
tilt the ratio), each month followed by its floors on its own graph:

- floor (a), as in bench_model.py: one least-cost search per cartel;
- floor (a'), floor (a) redefined for the portfolio: the searches the month's route
  planning needed, that is one least-cost search per cartel plus every penalised search
  its portfolio ran that month (model/agents/portfolio.py: up to `max_searches` when it
  expands after losses or fills up to `min_routes`, none otherwise). With the portfolio off
  (the old map) the two are the same.

Both floors run plain single-source Dijkstra searches on transport-cost weights, as many as
the month needed. Reports time per month, its ratio new/old, that ratio against the ratio
of routable cells, of edges and of searches, and step / floor. The issue asks that the
larger map cost no more than its size. Writes benchmarks/results/transit_zone.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
from bench_model import floor_search_once, floor_weights  # noqa: E402
from scipy.sparse import csgraph  # noqa: E402
from model.corridor import CorridorModel  # noqa: E402
from model.scenario import load_scenario  # noqa: E402

CASES = {"old": ROOT / "benchmarks" / "baseline_old_map.toml", "new": ROOT / "scenarios" / "baseline.toml"}
OUT = ROOT / "benchmarks" / "results" / "transit_zone.json"


def portfolio_searches(m: CorridorModel) -> int:
    """Penalised searches run so far by all of the model's portfolios."""
    return sum(c.portfolio.searches for c in m.cartels)


def floor_searches(m: CorridorModel, w: np.ndarray, n: int) -> float:
    """`n` single-source Dijkstra searches on weights `w`, from the cartels' first sources
    in turn (a penalised search costs what a plain one does: same graph, other weights)."""
    matrix = m.router.matrix
    matrix.data = w
    t = time.perf_counter()
    for k in range(n):
        c = m.cartels[k % len(m.cartels)]
        csgraph.dijkstra(matrix, directed=True, indices=int(c.sources[0]), return_predecessors=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--months", type=int, default=24)
    args = ap.parse_args()
    models, weights, step_s, floor_s, floor2_s, extra, planned = {}, {}, {}, {}, {}, {}, {}
    cpu = {}      # CPU seconds of this process: (step, floor (a), floor (a')) per month
    for k, path in CASES.items():
        sc, cmap = load_scenario(path)
        models[k] = m = CorridorModel(sc, cmap, seed=sc.scenario.seed)
        weights[k] = floor_weights(m)
        step_s[k], floor_s[k], floor2_s[k], extra[k], planned[k], cpu[k] = [], [], [], [], [], []
    for _ in range(args.months):
        for k, m in models.items():
            before = portfolio_searches(m)
            t, c0 = time.perf_counter(), time.process_time()
            m.step()
            step_s[k].append(time.perf_counter() - t)
            c1 = time.process_time()
            floor_s[k].append(floor_search_once(m, weights[k]))
            c2 = time.process_time()
            # the searches the month needed beyond one per cartel: the portfolio's
            # (successors made this month start with none, so the difference is exact)
            extra[k].append(portfolio_searches(m) - before)
            planned[k].append(len(m.cartels))
            floor2_s[k].append(floor_s[k][-1] + floor_searches(m, weights[k], extra[k][-1]))
            c3 = time.process_time()
            cpu[k].append((c1 - c0, c2 - c1, c3 - c1))
    res = {"months": args.months}
    for k, m in models.items():
        g = m.graph
        res[k] = {"scenario": CASES[k].name, "map": Path(str(m.cmap.path)).name,
                  "cells": int(g.n), "routable": int(g.routable.sum()), "edges": int(g.n_edges),
                  "cartels": len(m.cartels), "step_s": sum(step_s[k]) / args.months,
                  "floor_a_s": sum(floor_s[k]) / args.months,
                  "step_over_floor_a": sum(step_s[k]) / sum(floor_s[k]),
                  "portfolio": bool(m.config.portfolio.enabled),
                  "searches_per_month": (sum(planned[k]) + sum(extra[k])) / args.months,
                  "portfolio_searches_per_month": sum(extra[k]) / args.months,
                  "portfolio_searches_max_month": max(extra[k]),
                  "floor_a_portfolio_s": sum(floor2_s[k]) / args.months,
                  "step_over_floor_a_portfolio": sum(step_s[k]) / sum(floor2_s[k])}
        # the same in CPU time: steadier than wall time on a machine shared with other work
        sc_, fa, fa2 = np.array(cpu[k]).sum(0)
        res[k] |= {"step_cpu_s": sc_ / args.months, "floor_a_cpu_s": fa / args.months,
                   "floor_a_portfolio_cpu_s": fa2 / args.months,
                   "cpu_step_over_floor_a": sc_ / fa, "cpu_step_over_floor_a_portfolio": sc_ / fa2}
    o, n = res["old"], res["new"]
    res["ratios"] = {
        "time_per_month": n["step_s"] / o["step_s"],
        "routable_cells": n["routable"] / o["routable"], "edges": n["edges"] / o["edges"],
        "cartels": n["cartels"] / o["cartels"],
        "searches": n["searches_per_month"] / o["searches_per_month"],
        "cpu_time_per_month": n["step_cpu_s"] / o["step_cpu_s"],
    }
    r = res["ratios"]
    # per cartel: the new scenario has one more organisation, each with its own searches
    r["time_per_month_per_cartel_over_routable"] = r["time_per_month"] / r["cartels"] / r["routable_cells"]
    # per search: the portfolio's penalised searches are work the new scenario asks for
    r["time_per_month_per_search_over_routable"] = r["time_per_month"] / r["searches"] / r["routable_cells"]
    r["cpu_time_per_month_per_cartel_over_routable"] = r["cpu_time_per_month"] / r["cartels"] / r["routable_cells"]
    r["cpu_time_per_month_per_search_over_routable"] = r["cpu_time_per_month"] / r["searches"] / r["routable_cells"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    for k in ("old", "new"):
        v = res[k]
        print(f"{k}: {v['scenario']} on {v['map']}: {v['cells']} cells, {v['routable']} routable, "
              f"{v['edges']} edges, {v['cartels']} cartels; {v['step_s'] * 1000:.1f} ms/month, "
              f"{v['step_over_floor_a']:.2f}x floor (a); {v['searches_per_month']:.2f} searches/month "
              f"(portfolio {v['portfolio_searches_per_month']:.2f}, at most {v['portfolio_searches_max_month']}), "
              f"{v['step_over_floor_a_portfolio']:.2f}x floor (a'); CPU {v['step_cpu_s'] * 1000:.1f} ms/month, "
              f"{v['cpu_step_over_floor_a']:.2f}x floor (a), {v['cpu_step_over_floor_a_portfolio']:.2f}x floor (a')")
    print(f"new/old: time per month {r['time_per_month']:.2f}x, routable cells {r['routable_cells']:.2f}x, "
          f"edges {r['edges']:.2f}x, cartels {r['cartels']:.2f}x; time per cartel / routable ratio "
          f"{r['time_per_month_per_cartel_over_routable']:.2f}, per search / routable ratio "
          f"{r['time_per_month_per_search_over_routable']:.2f} (<= 1: no worse than its size); in CPU time "
          f"{r['cpu_time_per_month']:.2f}x, per cartel {r['cpu_time_per_month_per_cartel_over_routable']:.2f}, "
          f"per search {r['cpu_time_per_month_per_search_over_routable']:.2f}")


if __name__ == "__main__":
    main()
