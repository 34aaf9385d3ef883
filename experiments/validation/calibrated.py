"""The calibrated replay (issue 16): every row of the record against the 1996-2011 replay,
before calibration (the hand-set parameters) and over the posterior of `corridor calibrate`.

    python experiments/validation/calibrated.py --only replay [--posterior DIR] [--draws 8] [--seeds 2]
    python experiments/validation/calibrated.py --only cases [--posterior DIR] [--draws 3] [--seeds 2]

`replay` runs scenarios/history.toml at the hand-set values and at the calibrated values (the
posterior point of least implausibility, which the shipped scenarios take), each on
`--seeds` seeds from ROOT_SEED, and at `--draws` posterior draws (load_draws: spread evenly
over the posterior's points) on one seed each. Every row is computed by model.runs.observe,
the function the calibration itself uses. Writes calibrated.json and the generated section
calibrated.md, and rewrites VALIDATION.md. `cases` runs the four validation cases of
cases.py at `--draws` posterior draws x `--seeds` seeds (calibrated_cases.json), beside their
verdicts before calibration (results_hand_set.json: cases.py's results.json at commit 77dc0ca,
the last with hand-set values) and at the calibrated point (results.json, cases.py on the
shipped scenarios). The hand-set values are read from scenarios/baseline.toml's comments
("calibrated (MODEL.md §7.20); hand-set X"), where the shipped values record what they
replaced; --markdown-only rewrites the section from the stored JSON files.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases  # noqa: E402
from cases import ROOT_SEED, rewrite_markdown, spread, validation_args  # noqa: E402
from model.runs.calibrate import load_calibration  # noqa: E402
from model.runs.observe import observe  # noqa: E402
from model.runs.posterior import apply_draw, best_draw, load_draws  # noqa: E402
from model.runs.record import load_record  # noqa: E402
from model.runs.seeds import replication_seeds  # noqa: E402
from model.runs.simulate import simulate  # noqa: E402
from model.scenario import load_scenario  # noqa: E402

HERE = Path(__file__).resolve().parent
CALIBRATION = ROOT / "experiments" / "calibration.toml"
REPLAY_JSON = HERE / "calibrated.json"
HAND_SET_CASES = HERE / "results_hand_set.json"
BASELINE = ROOT / "scenarios" / "baseline.toml"
MARK = re.compile(r"^(\w+)\s*=\s*\S+\s*#\s*calibrated \(MODEL\.md §7\.20\); hand-set (\S+)")
CASES_JSON = HERE / "calibrated_cases.json"


def hand_set_values(params: list[dict]) -> dict:
    """Each calibrated parameter's hand-set value, from the comment beside its shipped value."""
    found, table = {}, ""
    for line in BASELINE.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\[[^\[]", line):
            table = line.strip().strip("[]")
        m = MARK.match(line)
        if m:
            found[f"{table}.{m.group(1)}"] = float(m.group(2))
    out = {}
    for p in params:
        path = p["path"] if isinstance(p["path"], str) else p["path"][0]
        if path not in found:
            raise SystemExit(f"{BASELINE}: {path} has no '# calibrated (MODEL.md §7.20); hand-set X' comment")
        out[p["name"]] = found[path]
    return out


def _rows(ts_list, rows) -> dict:
    return {r.id: spread([observe(ts, r.quantity, r.place, r.start, r.end) for ts in ts_list]) for r in rows}


def run_all(folder: Path, n_draws: int, n_seeds: int) -> dict:
    cal = load_calibration(CALIBRATION)
    params, draws = load_draws(folder, n_draws)
    post_all = load_draws(folder)[1]
    sc, cmap = load_scenario(cal.scenario_path)
    hand = hand_set_values(params)
    median = {p["name"]: float(post_all[p["name"]].median()) for p in params}
    shipped = best_draw(folder)
    seeds = replication_seeds(ROOT_SEED, n_seeds + n_draws)
    rows = load_record(cal.record_path)
    t0 = time.perf_counter()
    hand_ts = [simulate(apply_draw(sc, params, hand, CALIBRATION), cmap, s).timeseries for s in seeds[:n_seeds]]
    chosen = {n: float(shipped[n]) for n in median}
    cal_sc = apply_draw(sc, params, chosen, CALIBRATION)
    cal_ts = [simulate(cal_sc, cmap, s).timeseries for s in seeds[:n_seeds]]
    draw_ts = [simulate(apply_draw(sc, params, d, CALIBRATION), cmap, s).timeseries
               for (_, d), s in zip(draws.iterrows(), seeds[n_seeds:])]
    targets = {t.id for t in cal.targets}
    return {
        "date": time.strftime("%Y-%m-%d"), "calibration": str(folder.relative_to(ROOT) if folder.is_relative_to(ROOT)
                                                              else folder),
        "shipped_point": int(shipped["point"]), "seeds": seeds, "n_seeds": n_seeds, "n_draws": len(draws),
        "posterior_points": len(post_all),
        "seconds": round(time.perf_counter() - t0, 1),
        "parameters": [{"name": p["name"], "path": p["path"], "unit": p["unit"], "hand_set": hand[p["name"]],
                        "median": median[p["name"]], "shipped": float(shipped[p["name"]]),
                        "q05": float(post_all[p["name"]].quantile(0.05)),
                        "q95": float(post_all[p["name"]].quantile(0.95)),
                        "low": p["low"], "high": p["high"]} for p in params],
        "rows": [{"id": r.id, "quantity": r.quantity, "place": r.place, "start": r.start, "end": r.end,
                  "value": r.value, "low": r.low, "high": r.high, "unit": r.unit, "use": r.use,
                  "target": r.id in targets} for r in rows],
        "hand_set": _rows(hand_ts, rows), "calibrated": _rows(cal_ts, rows), "posterior": _rows(draw_ts, rows),
    }


def run_cases(folder: Path, n_draws: int, n_seeds: int) -> dict:
    """The validation cases over posterior draws x seeds; the hand-set and calibrated-point verdicts beside them."""
    before = json.loads(HAND_SET_CASES.read_text())
    point = json.loads((HERE / "results.json").read_text())
    draws = cases.use_posterior(folder, n_draws)
    seeds = replication_seeds(ROOT_SEED, n_seeds)
    runs = [(d, s) for d in draws for s in seeds]
    out = cases.run_cases(runs)
    return {"date": time.strftime("%Y-%m-%d"), "draws": len(draws), "seeds": seeds,
            "before": [{"passed": r["passed"], "measured": r["measured"]} for r in before["results"]],
            "before_seeds": len(before["seeds"]),
            "point": [{"passed": r["passed"], "measured": r["measured"]} for r in point["results"]],
            "point_seeds": len(point["seeds"]), "results": out}


def _v(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _band(d: dict) -> str:
    return f"{_v(d['mean'])} [{_v(d['min'])}, {_v(d['max'])}]"


def _in(d: dict, r: dict) -> str:
    return "yes" if r["low"] <= d["mean"] <= r["high"] else "**no**"


def _covers(d: dict, r: dict) -> str:
    """The posterior predictive covers the record's range when their intervals overlap."""
    return "yes" if d["min"] <= r["high"] and d["max"] >= r["low"] else "**no**"


def write_section(rec: dict, path: Path) -> None:
    lines = ["## Calibrated replay (issue 16)", "",
             f"Generated by `python experiments/validation/calibrated.py` on {rec['date']} from the calibration "
             f"folder `{rec['calibration']}` (`corridor calibrate experiments/calibration.toml`; MODEL.md §7.20; "
             f"numbers: `experiments/validation/calibrated.json`). The replay is scenarios/history.toml "
             "(1996-2011). *Hand-set*: the parameters as set by hand before this calibration; *calibrated*: "
             f"posterior point {rec['shipped_point']}, the one of least implausibility on the calibration's own "
             "runs (its best fit to the targets), which the shipped scenarios now hold; "
             f"each on {rec['n_seeds']} seeds, mean [min, max]. *Posterior*: {rec['n_draws']} draws spread over "
             f"the posterior's {rec['posterior_points']} points, one seed each, mean [min, max]: parameter and "
             "seed uncertainty together. Every value is "
             "computed by `model.runs.observe`, as in the calibration.", "",
             "### Parameters", "", "| parameter | scenario field | unit | prior | hand-set | calibrated | "
             "posterior median [5%, 95%] |", "|---|---|---|---|---|---|---|"]
    for p in rec["parameters"]:
        lines.append(f"| {p['name']} | `{p['path']}` | {p['unit']} | {p['low']:g}-{p['high']:g} | {p['hand_set']:g} "
                     f"| {p['shipped']:.3g} | {p['median']:.3g} [{p['q05']:.3g}, {p['q95']:.3g}] |")
    for title, pick in (("Calibration targets", lambda r: r["target"]),
                        ("Calibration rows the calibration could not use (structural misses; see "
                         "experiments/calibration.toml)", lambda r: r["use"] == "calibration" and not r["target"]),
                        ("Validation rows (never targets)", lambda r: r["use"] == "validation")):
        chosen = [r for r in rec["rows"] if pick(r)]
        lines += ["", f"### {title}", "",
                  "| row | record [range] | unit | hand-set | in range | calibrated | in range | posterior | covers |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in chosen:
            h, m, p = rec["hand_set"][r["id"]], rec["calibrated"][r["id"]], rec["posterior"][r["id"]]
            lines.append(f"| {r['id']} | {_v(r['value'])} [{_v(r['low'])}, {_v(r['high'])}] | {r['unit']} | "
                         f"{_band(h)} | {_in(h, r)} | {_band(m)} | {_in(m, r)} | {_band(p)} | {_covers(p, r)} |")
        inside = [r for r in chosen if r["low"] <= rec["calibrated"][r["id"]]["mean"] <= r["high"]]
        before = [r for r in chosen if r["low"] <= rec["hand_set"][r["id"]]["mean"] <= r["high"]]
        lines += ["", f"In range: {len(before)} of {len(chosen)} hand-set, {len(inside)} of {len(chosen)} "
                  "calibrated."]
    lines += _cases_section(json.loads(CASES_JSON.read_text())) if CASES_JSON.is_file() else []
    path.write_text("\n".join(lines) + "\n")


def _cases_section(rec: dict) -> list[str]:
    verdict = {True: "PASS", False: "**FAIL**"}
    lines = ["", "### The four validation cases, before and after calibration", "",
             f"Hand-set: the model before calibration, {rec['before_seeds']} seeds (results_hand_set.json). "
             f"Calibrated point: the shipped scenarios, {rec['point_seeds']} seeds (results.json, the cases above). "
             f"Posterior: {rec['draws']} posterior draws x {len(rec['seeds'])} seeds "
             f"({rec['draws'] * len(rec['seeds'])} runs per scenario), mean [min, max]; the criteria are those of "
             "the cases above, unchanged.", "",
             "| case | hand-set | calibrated point | posterior | measured over the posterior |", "|---|---|---|---|---|"]
    for i, (b, c, r) in enumerate(zip(rec["before"], rec["point"], rec["results"]), 1):
        lines.append(f"| {i} | {verdict[b['passed']]} | {verdict[c['passed']]} | {verdict[r['passed']]} | "
                     + "; ".join(f"{k}: {cases._fmt(v)}" for k, v in r["measured"].items()) + " |")
    return lines


def main() -> None:
    args = validation_args(__doc__, "rewrite the section from the stored JSON files (no run)", seeds=2,
                           posterior=True, only=("replay", "cases"))
    folder = (args.posterior or ROOT / "results" / "calibrations" / "history").resolve()
    if args.only == "replay" and not args.markdown_only:
        REPLAY_JSON.write_text(json.dumps(run_all(folder, args.draws or 8, args.seeds), indent=2) + "\n")
    if args.only == "cases" and not args.markdown_only:
        CASES_JSON.write_text(json.dumps(run_cases(folder, args.draws or 3, args.seeds), indent=2,
                                         default=float) + "\n")
    if REPLAY_JSON.is_file():
        write_section(json.loads(REPLAY_JSON.read_text()), HERE / "calibrated.md")
    rewrite_markdown()
    print("wrote experiments/validation/calibrated.md and VALIDATION.md")


if __name__ == "__main__":
    main()
