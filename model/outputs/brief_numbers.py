"""The numbers and sentences of a brief: each scenario against its baseline on paired seeds.

Each scenario runs with and without its policy on the same seeds (`run.run_pair`), for a few
replications whose seeds derive from one root seed. Headline numbers are medians across
seeds with the range, in plain sentences; `brief.py` lays them out as PDF and HTML. With
`--posterior DIR` every seed runs at every chosen posterior draw (model.runs.posterior), the
ranges cover draws x seeds, and each headline says how much of its spread is which.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model.metrics import window_change
from model.outputs.displacement import displacement_by_place
from model.outputs.style import country_name
from model.runs.seeds import replication_seeds


@dataclass
class ScenarioBrief:
    """Per-seed numbers of one scenario against its counterfactual."""

    path: Path
    name: str
    description: str
    targeted: list[str]
    target_names: list[str]
    seeds: list[int]
    steps: int
    window: tuple[int, int]
    start_month: str
    end_month: str
    rows: list[dict] = field(default_factory=list)          # one per seed: scalar numbers
    places: list[pd.Series] = field(default_factory=list)   # one per seed: displacement by place
    folder: Path | None = None                               # saved result of the first seed
    posterior: Path | None = None                            # calibration folder the draws come from
    draws: int = 1                                           # posterior draws (1 without a posterior)

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def over(self, n: int) -> str:
        """What n numbers of a headline range over: '3 seeds', or '2 posterior draws × 3 seeds'."""
        if self.posterior is None:
            return f"{n} seed{'s' if n != 1 else ''}"
        full = f"{self.draws} posterior draw{'s' if self.draws != 1 else ''} × {len(self.seeds)} seeds"
        return full if n == self.draws * len(self.seeds) else f"{n} runs of {full}"

    def split(self, column: str, label: str) -> str:
        """With a posterior: one sentence on how much of a headline's spread is parameter, how much seed."""
        if self.posterior is None:
            return ""
        from model.runs.posterior import split_phrase

        phrase = split_phrase(self.table, column, label)
        if phrase is None:
            return " It did not vary between the runs, so there is no spread to split."
        return f" {phrase[0].upper()}{phrase[1:]}."

    def displacement_frame(self, min_share: float = 0.02) -> pd.DataFrame:
        t = pd.DataFrame(self.places).fillna(0.0)
        if t.empty:
            return t
        med = t.median(axis=0)
        rest = [c for c in t.columns if c != "policy area"]
        big = [c for c in rest if abs(med[c]) >= min_share * max(float(med.abs().max()), 1e-12)]
        big.sort(key=lambda c: -med[c])
        out = t[(["policy area"] if "policy area" in t else []) + big].copy()
        small = [c for c in rest if c not in big]
        if small:
            out["other places"] = t[small].sum(axis=1)
        return out


def _pct(new: float, old: float) -> float | None:
    return 100.0 * (new - old) / old if old > 0 else None


def seed_numbers(result: dict, cmap) -> tuple[dict, pd.Series]:
    """The numbers a brief quotes for one seed, and its displacement by place."""
    main, cf = result["main"], result["counterfactual"]
    s = result["summary"]
    c = s["counterfactual"]
    d = s["displacement"]
    a, b = s["window"]["start"], s["window"]["end"]
    ts, cts = main.timeseries, cf.timeseries
    w, cw = ts[(ts.step >= a) & (ts.step < b)], cts[(cts.step >= a) & (cts.step < b)]
    row = {
        "delivered_pct": d["delivered_change_pct"],
        "delivered_t": d["delivered_change"],
        "seized_pct": window_change(s, c, "seized")[1],
        "targeted_flow_pct": d["targeted_flow_change_pct"],
        "ca_share": s["central_america_share"] * 100,
        "ca_share_cf": c["central_america_share"] * 100,
        "violence_pct": _pct(sum(s["violence"].values()), sum(c["violence"].values())),
        "trafficked": s["migrants"]["trafficked"],
        "trafficked_cf": c["migrants"]["trafficked"],
    }
    for col in ts.columns:
        if col.startswith("transit_"):
            code = col[len("transit_"):]
            row[f"cross_{code}"] = float(w[col].sum())
            row[f"cross_cf_{code}"] = float(cw[col].sum())
            row[f"cross_pct_{code}"] = _pct(row[f"cross_{code}"], row[f"cross_cf_{code}"])
    for code, v in s["violence"].items():
        row[f"violence_change_{code}"] = v - c["violence"].get(code, 0.0)
    sc_flow = main.cells["cocaine_flow"][a:b].sum(axis=0)
    cf_flow = cf.cells["cocaine_flow"][a:b].sum(axis=0)
    places = displacement_by_place(cmap, sc_flow, cf_flow, d["targeted"], min_share=0.0)
    return row, places


def run_scenario(path: Path, replications: int, root_seed: int | None, steps: int | None,
                 workdir: Path, log=None, loaded=None, posterior: tuple | None = None,
                 posterior_dir: Path | None = None) -> ScenarioBrief:
    """Brief numbers of one scenario; `loaded` = (scenario, map) already checked by `compare.comparable`.

    With `posterior` ((parameters, draws) of model.runs.posterior.load_draws) every seed runs at
    every draw; the charts are of the first draw's first seed.
    """
    from model.runs.posterior import at_draws, draw_values
    from model.runs.compare import comparable
    from model.corridor import month_label
    from model.policy import targeted_codes
    from model.runs.results import write_results
    from model.runs.simulate import run_pair
    from model.scenario import load_scenario

    if loaded is None:
        loaded = comparable([(path, *load_scenario(path))], steps)[0][1:]
    sc, cmap = loaded
    steps = steps or sc.scenario.steps
    root = sc.scenario.seed if root_seed is None else root_seed
    seeds = replication_seeds(root, replications)
    targeted = targeted_codes(sc)
    names = [country_name(t) if t in cmap.country_codes else
             cmap.jurisdiction_names[cmap.jurisdiction_codes.index(t)] if t in cmap.jurisdiction_codes else t
             for t in targeted]
    draws = [(None, sc)] if posterior is None else at_draws(sc, posterior, Path(path))
    brief = None
    for draw, at in draws:
        extra = {} if draw is None else draw_values(posterior[0], draw)
        for i, seed in enumerate(seeds):
            if log:
                which = "" if draw is None else f"posterior draw {extra['draw'] + 1}/{len(draws)}, "
                log(f"{sc.scenario.name}: {which}seed {seed} ({i + 1}/{len(seeds)}), {steps} months, "
                    "with and without the policy")
            t0 = time.perf_counter()
            res = run_pair(at, cmap, seed, steps)
            if brief is None:
                a, b = res["summary"]["window"]["start"], res["summary"]["window"]["end"]
                brief = ScenarioBrief(Path(path), sc.scenario.name, sc.scenario.description, targeted, names, seeds,
                                      steps, (a, b), month_label(sc, a), month_label(sc, b - 1),
                                      posterior=None if posterior is None else Path(posterior_dir),
                                      draws=len(draws) if posterior is not None else 1)
                brief.folder = write_results(res, cmap, workdir / sc.scenario.name, Path(path),
                                             ["corridor", "brief", str(path)], time.perf_counter() - t0,
                                             charts=False)
            row, places = seed_numbers(res, cmap)
            brief.rows.append({**extra, "seed": seed, **row})
            brief.places.append(places)
    return brief


# ----------------------------------------------------------------------------------------
# Plain sentences


def _num(v: float) -> str:
    v = abs(v)
    return f"{v:.0f}" if v >= 10 else f"{v:.1f}"


def change_phrase(values, unit: str = "%", small: float = 0.5, over=None) -> str:
    """'rose by 41% (range 33–50% over 10 seeds)' from per-seed changes; `over(n)` names the n runs."""
    v = np.array([x for x in values if x is not None and np.isfinite(x)], float)
    if not len(v):
        return "could not be compared (nothing to compare against)"
    m = float(np.median(v))
    n = len(v)
    seeds = over(n) if over else f"{n} seed{'s' if n != 1 else ''}"
    if abs(m) < small:
        verb = "barely changed"
        core = verb
    else:
        core = f"{'rose' if m > 0 else 'fell'} by {_num(m)}{unit}"
    if n == 1:
        return f"{core} (one seed)" if over is None else f"{core} ({over(1)})"
    lo, hi = float(v.min()), float(v.max())
    if lo >= 0 or hi <= 0:
        a, b = sorted((abs(lo), abs(hi)))
        rng = f"range {_num(a)}–{_num(b)}{unit} over {seeds}"
    else:
        rng = (f"range {lo:+.1f}{unit} to {hi:+.1f}{unit} over {seeds}; the direction differs between "
               f"{'seeds' if over is None else 'runs'}").replace("-", "−")
    return f"{core} ({rng})"


def headlines(b: ScenarioBrief, max_countries: int = 2) -> list[str]:
    """Plain-language headline sentences for one scenario; with a posterior each says whose its spread is."""
    t = b.table
    over = b.over if b.posterior is not None else None
    where = " and ".join(b.target_names)
    out = [f"All changes are over {b.start_month} to {b.end_month}, the months the policy was in force, against "
           "the same months without it; percentages are of the amount without the policy."]
    delivered = f"in {b.start_month} to {b.end_month} {change_phrase(t['delivered_pct'], over=over)}"
    # countries where more cocaine crossed, outside the targets and the origin/destination
    gains = []
    for col in t.columns:
        if col.startswith("cross_pct_"):
            code = col[len("cross_pct_"):]
            if code in b.targeted or code in ("CO", "US"):
                continue
            extra = float((t[f"cross_{code}"] - t[f"cross_cf_{code}"]).median())
            if extra > 0:
                gains.append((extra, code))
    gains.sort(reverse=True)
    for k, (extra, code) in enumerate(gains[:max_countries]):
        name = country_name(code)
        if (t[f"cross_cf_{code}"] > 0).all() and t[f"cross_pct_{code}"].median() <= 300:
            first = f"Cocaine crossing {name} {change_phrase(t[f'cross_pct_{code}'], over=over)}"
            split = b.split(f"cross_pct_{code}", f"the change in cocaine crossing {name}")
        else:
            first = (f"Cocaine crossing {name} rose from {t[f'cross_cf_{code}'].median():,.0f} t to "
                     f"{t[f'cross_{code}'].median():,.0f} t (median over {b.over(len(t))})")
            split = b.split(f"cross_{code}", f"cocaine crossing {name}")
        if k == 0:
            out.append(f"{first}, while cocaine delivered to the United States {delivered}.{split}"
                       f"{b.split('delivered_pct', 'the change in cocaine delivered')}")
        else:
            out.append(f"{first}.{split}")
    if not gains:
        out.append(f"Cocaine delivered to the United States {delivered}."
                   f"{b.split('delivered_pct', 'the change in cocaine delivered')}")
    out.append(f"Cocaine moving through {where} (its territory and waters) "
               f"{change_phrase(t['targeted_flow_pct'], over=over)}."
               f"{b.split('targeted_flow_pct', f'the change in cocaine moving through {where}')}")
    ca, cacf = t["ca_share"].median(), t["ca_share_cf"].median()
    rng = "" if len(t) == 1 else f" (range {t['ca_share'].min():.0f}–{t['ca_share'].max():.0f}%)"
    out.append(f"The share of cocaine loads crossing Central America went from {cacf:.0f}% without the policy "
               f"to {ca:.0f}% with it{rng}.{b.split('ca_share', 'the Central America share')}")
    out.append(f"Cocaine seizures {change_phrase(t['seized_pct'], over=over)}."
               f"{b.split('seized_pct', 'the change in seizures')}")
    vcols = [c for c in t.columns if c.startswith("violence_change_")]
    worst = max(vcols, key=lambda c: abs(t[c].median())) if vcols else None
    vtail = ""
    if worst is not None and abs(t[worst].median()) >= 1:
        code = worst[len("violence_change_"):]
        vtail = (f"; the largest change was in {country_name(code)} "
                 f"({t[worst].median():+,.0f} events, median)")
    out.append(f"Violent events in the region {change_phrase(t['violence_pct'], over=over)}{vtail}."
               f"{b.split('violence_pct', 'the change in violent events')}")
    tr, trcf = t["trafficked"].median(), t["trafficked_cf"].median()
    out.append(f"Migrants who ended up trafficked: {tr:,.0f} people with the policy against {trcf:,.0f} without "
               f"(median at the end of the run).{b.split('trafficked', 'migrants trafficked')}")
    return out
