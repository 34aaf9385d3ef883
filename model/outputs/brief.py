"""`corridor brief`: a short workshop handout (PDF and HTML) comparing scenarios with their baseline.

Each scenario runs with and without its policy on the same seeds (`run.run_pair`), for a few
replications whose seeds derive from one root seed. Headline numbers are medians across
seeds with the range, in plain sentences; the charts of the first seed follow, then a
note on what the model does not capture. The PDF is drawn with matplotlib only.
"""

from __future__ import annotations

import base64
import html
import io
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from model import __version__  # noqa: E402
from model.outputs import charts  # noqa: E402
from model.errors import InputError  # noqa: E402
from model.metrics import window_change  # noqa: E402
from model.runs.seeds import replication_seeds  # noqa: E402
from model.runs.folders import check_own_file, scratch_folder, write_file  # noqa: E402

PDF_CREATOR = "Corridor brief"          # PDF metadata; how a later brief knows the file is its own
HTML_GENERATOR = "corridor brief"
PDF_MARK = f"({PDF_CREATOR} ".encode()
HTML_MARK = f'<meta name="generator" content="{HTML_GENERATOR} '.encode()

PAGE = (11.69, 8.27)          # A4 landscape, inches
CHART_DPI = 200
NOT_MODELLED = [
    "It is a comparison, not a forecast: each number compares the same simulated world with and without "
    "the policy. Absolute tonnages are illustrative.",
    "The ranges show only the model's randomness over a few seeds, not uncertainty in its assumptions; "
    "policy sweeps (`corridor sweep`) explore those.",
    "Cartels are a few stylised organisations. Splits, alliances, wars between them and the arrest of "
    "leaders are not modelled.",
    "US demand is fixed; prices, purity and the profits that drive recruitment do not respond to enforcement.",
    "The map is a grid of 28 km cells. Roads, rivers and informal crossings are not drawn one by one; "
    "the Caribbean route is only partly on the map (it stops at 71°W and 33°N).",
    "Corruption is one probability per jurisdiction; enforcement acts through a simple interdiction hazard.",
    "Violence is a rule of thumb (events where cartels' flows meet, after seizures and in gang territory), "
    "not calibrated to homicide statistics; counts are model events, not deaths.",
    "Migrants follow stylised routes and move in groups (each model agent stands for a number of people); "
    "counts are given in people but are not forecasts.",
]


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

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

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
    places = charts.displacement_by_place(cmap, sc_flow, cf_flow, d["targeted"], min_share=0.0)
    return row, places


def run_scenario(path: Path, replications: int, root_seed: int | None, steps: int | None,
                 workdir: Path, log=None, loaded=None) -> ScenarioBrief:
    """Brief numbers of one scenario; `loaded` = (scenario, map) already checked by `compare.comparable`."""
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
    names = [charts.country_name(t) if t in cmap.country_codes else
             cmap.jurisdiction_names[cmap.jurisdiction_codes.index(t)] if t in cmap.jurisdiction_codes else t
             for t in targeted]
    brief = None
    for i, seed in enumerate(seeds):
        if log:
            log(f"{sc.scenario.name}: seed {seed} ({i + 1}/{len(seeds)}), {steps} months, with and without the policy")
        t0 = time.perf_counter()
        res = run_pair(sc, cmap, seed, steps)
        if brief is None:
            a, b = res["summary"]["window"]["start"], res["summary"]["window"]["end"]
            brief = ScenarioBrief(Path(path), sc.scenario.name, sc.scenario.description, targeted, names, seeds,
                                  steps, (a, b), month_label(sc, a), month_label(sc, b - 1))
            brief.folder = write_results(res, cmap, workdir / sc.scenario.name, Path(path),
                                         ["corridor", "brief", str(path)], time.perf_counter() - t0, charts=False)
        row, places = seed_numbers(res, cmap)
        brief.rows.append({"seed": seed, **row})
        brief.places.append(places)
    return brief


# ----------------------------------------------------------------------------------------
# Plain sentences


def _num(v: float) -> str:
    v = abs(v)
    return f"{v:.0f}" if v >= 10 else f"{v:.1f}"


def change_phrase(values, unit: str = "%", small: float = 0.5) -> str:
    """'rose by 41% (range 33–50% over 10 seeds)' from per-seed changes."""
    v = np.array([x for x in values if x is not None and np.isfinite(x)], float)
    if not len(v):
        return "could not be compared (nothing to compare against)"
    m = float(np.median(v))
    n = len(v)
    seeds = f"{n} seed{'s' if n != 1 else ''}"
    if abs(m) < small:
        verb = "barely changed"
        core = verb
    else:
        core = f"{'rose' if m > 0 else 'fell'} by {_num(m)}{unit}"
    if n == 1:
        return f"{core} (one seed)"
    lo, hi = float(v.min()), float(v.max())
    if lo >= 0 or hi <= 0:
        a, b = sorted((abs(lo), abs(hi)))
        rng = f"range {_num(a)}–{_num(b)}{unit} over {seeds}"
    else:
        rng = (f"range {lo:+.1f}{unit} to {hi:+.1f}{unit} over {seeds}; the direction differs between "
               "seeds").replace("-", "−")
    return f"{core} ({rng})"


def headlines(b: ScenarioBrief, max_countries: int = 2) -> list[str]:
    """Plain-language headline sentences for one scenario."""
    t = b.table
    where = " and ".join(b.target_names)
    out = [f"All changes are over {b.start_month} to {b.end_month}, the months the policy was in force, against "
           "the same months without it; percentages are of the amount without the policy."]
    delivered = f"in {b.start_month} to {b.end_month} {change_phrase(t['delivered_pct'])}"
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
        name = charts.country_name(code)
        if (t[f"cross_cf_{code}"] > 0).all() and t[f"cross_pct_{code}"].median() <= 300:
            first = f"Cocaine crossing {name} {change_phrase(t[f'cross_pct_{code}'])}"
        else:
            first = (f"Cocaine crossing {name} rose from {t[f'cross_cf_{code}'].median():,.0f} t to "
                     f"{t[f'cross_{code}'].median():,.0f} t (median over {len(t)} seed{'s' if len(t) != 1 else ''})")
        if k == 0:
            out.append(f"{first}, while cocaine delivered to the United States {delivered}.")
        else:
            out.append(f"{first}.")
    if not gains:
        out.append(f"Cocaine delivered to the United States {delivered}.")
    out.append(f"Cocaine moving through {where} (its territory and waters) {change_phrase(t['targeted_flow_pct'])}.")
    ca, cacf = t["ca_share"].median(), t["ca_share_cf"].median()
    rng = "" if len(t) == 1 else f" (range {t['ca_share'].min():.0f}–{t['ca_share'].max():.0f}%)"
    out.append(f"The share of cocaine loads crossing Central America went from {cacf:.0f}% without the policy "
               f"to {ca:.0f}% with it{rng}.")
    out.append(f"Cocaine seizures {change_phrase(t['seized_pct'])}.")
    vcols = [c for c in t.columns if c.startswith("violence_change_")]
    worst = max(vcols, key=lambda c: abs(t[c].median())) if vcols else None
    vtail = ""
    if worst is not None and abs(t[worst].median()) >= 1:
        code = worst[len("violence_change_"):]
        vtail = (f"; the largest change was in {charts.country_name(code)} "
                 f"({t[worst].median():+,.0f} events, median)")
    out.append(f"Violent events in the region {change_phrase(t['violence_pct'])}{vtail}.")
    tr, trcf = t["trafficked"].median(), t["trafficked_cf"].median()
    out.append(f"Migrants who ended up trafficked: {tr:,.0f} people with the policy against {trcf:,.0f} without "
               f"(median at the end of the run).")
    return out


# ----------------------------------------------------------------------------------------
# Charts for the brief


def brief_charts(b: ScenarioBrief) -> list[tuple[str, str, bytes]]:
    """(title, caption, PNG bytes) for each chart of one scenario."""
    run = charts.load_run(b.folder)
    seed_note = f"Seed {b.seeds[0]} of {len(b.seeds)}; the other seeds show the same pattern with different detail."
    span = f"{b.start_month} to {b.end_month}"
    seeds_line = charts.footer_text(b.name, b.seeds, b.steps, "each seed with and without the policy")
    items = [
        ("Where cocaine went", f"Cocaine passing each part of the map, {span}: without the policy (left), with it "
         f"(middle) and the change (right: purple = less, orange = more). The dashed line is the policy area. "
         + seed_note, charts.route_density_map(b.folder, run=run)),
        ("Which countries the loads crossed", "Share of finished cocaine loads that crossed each country, "
         "month by month (6-month average), with the policy (blue) and without it (grey). " + seed_note,
         charts.flow_share_chart(b.folder, run=run)),
        ("Where the displaced cocaine went", "Change in cocaine moved through each country and its waters "
         f"(tonnes × km), {span}: bars are the median over {len(b.seeds)} seed(s), whiskers the range.",
         charts.displacement_bars(table=b.displacement_frame(), targeted=b.targeted,
                                  footer_line=seeds_line)),
        ("Outcomes of the run", "Cocaine delivered and seized (running totals), violent events by country "
         "and migrants by outcome, with and without the policy. " + seed_note,
         charts.outcome_dashboard(b.folder, run=run)),
    ]
    out = []
    for title, caption, fig in items:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=CHART_DPI, facecolor="white")
        plt.close(fig)
        out.append((title, caption, buf.getvalue()))
    return out


# ----------------------------------------------------------------------------------------
# PDF and HTML


def _text_page(pdf, title: str, blocks: list[tuple[str, list[str]]], footer_line: str, subtitle: str = "") -> int:
    """Write headed blocks of wrapped bullets; continues on new pages when full. Returns pages written."""
    pages = 0
    width = 118
    lines: list[tuple[str, str]] = []         # (kind, text)
    for block in blocks:
        head, bullets = block[0], block[1]
        lines.append(("head", head))
        for ln in textwrap.wrap(block[2] if len(block) > 2 else "", width):
            lines.append(("para", ln))
        for btxt in bullets:
            wrapped = textwrap.wrap(btxt, width)
            for j, ln in enumerate(wrapped):
                lines.append(("bullet" if j == 0 else "cont", ln))
        lines.append(("gap", ""))
    per_page = 30
    chunks = [lines[i:i + per_page] for i in range(0, max(len(lines), 1), per_page)] or [[]]
    for k, chunk in enumerate(chunks):
        fig = plt.figure(figsize=PAGE)
        fig.text(0.06, 0.92, title if k == 0 else f"{title} (continued)", fontsize=20, fontweight="bold",
                 va="bottom")
        if subtitle and k == 0:
            fig.text(0.06, 0.885, subtitle, fontsize=10.5, color=charts.MUTED, va="bottom")
        y = 0.83
        for kind, text in chunk:
            if kind == "head":
                fig.text(0.06, y, text, fontsize=13, fontweight="bold", va="top")
                y -= 0.036
            elif kind == "bullet":
                fig.text(0.07, y, "•", fontsize=11, va="top")
                fig.text(0.085, y, text, fontsize=11, va="top")
                y -= 0.026
            elif kind == "para":
                fig.text(0.06, y, text, fontsize=11, va="top", style="italic", color=charts.MUTED)
                y -= 0.026
            elif kind == "cont":
                fig.text(0.085, y, text, fontsize=11, va="top")
                y -= 0.026
            else:
                y -= 0.014
        charts.footer(fig, footer_line)
        pdf.savefig(fig)
        plt.close(fig)
        pages += 1
    return pages


def _chart_page(pdf, heading: str, caption: str, png: bytes, footer_line: str) -> None:
    fig = plt.figure(figsize=PAGE)
    fig.text(0.04, 0.955, heading, fontsize=16, fontweight="bold", va="top")
    for j, ln in enumerate(textwrap.wrap(caption, 150)):
        fig.text(0.04, 0.915 - j * 0.024, ln, fontsize=9.5, color=charts.MUTED, va="top")
    img = plt.imread(io.BytesIO(png), format="png")
    h, w = img.shape[:2]
    box_w, box_h = 0.92, 0.78                              # figure fractions available
    scale = min(box_w * PAGE[0] / w, box_h * PAGE[1] / h)
    fw, fh = w * scale / PAGE[0], h * scale / PAGE[1]
    ax = fig.add_axes([0.04 + (box_w - fw) / 2, 0.06 + (box_h - fh) / 2, fw, fh])
    ax.imshow(img, interpolation="lanczos")
    ax.axis("off")
    charts.footer(fig, footer_line)
    pdf.savefig(fig)
    plt.close(fig)


def method_lines(briefs: list[ScenarioBrief], root_seed: int | None) -> list[str]:
    from model.runs.results import git_commit

    lines = []
    for b in briefs:
        lines.append(f"{b.name} ({b.path}): {len(b.seeds)} seed(s) {', '.join(str(s) for s in b.seeds)}, "
                     f"{b.steps} months; compared over {b.start_month} to {b.end_month}, from the first month "
                     "the policy is in force.")
    lines.append("Each seed runs twice: with the policy and without it (the baseline), with the same random "
                 "numbers, so the difference is the policy's effect in the model. Seeds derive from the "
                 f"root seed {root_seed if root_seed is not None else 'of each scenario'} (numpy SeedSequence, "
                 "the same seeds as `corridor compare` with that root seed).")
    commit = git_commit()
    lines.append(f"Corridor model v{__version__}" + (f", git commit {commit[:10]}" if commit else "") +
                 f"; made {time.strftime('%Y-%m-%d')}.")
    return lines


def write_pdf(path: Path, briefs: list[ScenarioBrief], figures: list[list[tuple[str, str, bytes]]],
              root_seed: int | None) -> int:
    footer_line = (f"Corridor workshop brief · scenarios {', '.join(b.name for b in briefs)} · "
                   f"seeds per scenario: {len(briefs[0].seeds)} · Corridor model v{__version__}")
    pages = 0
    with PdfPages(path, metadata={"Title": "Corridor workshop brief", "Creator": f"{PDF_CREATOR} {__version__}"}) as pdf:
        blocks = [(f"{charts.scenario_title(b.name)} — compared with the same world without the policy",
                   headlines(b), b.description) for b in briefs]
        pages += _text_page(pdf, "What the policy did, in the model", blocks, footer_line,
                            subtitle="Headline numbers: median across seeds, with the range; each seed is "
                                     "run with and without the policy.")
        for b, figs in zip(briefs, figures):
            for title, caption, png in figs:
                _chart_page(pdf, f"{charts.scenario_title(b.name)}: {title}", caption, png, footer_line)
                pages += 1
        pages += _text_page(pdf, "What the model does not capture",
                            [("Read the numbers with these limits in mind", NOT_MODELLED),
                             ("How these numbers were made", method_lines(briefs, root_seed))], footer_line)
    return pages


def html_document(briefs: list[ScenarioBrief], figures, root_seed: int | None) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             f'<meta name="generator" content="{HTML_GENERATOR} {__version__}">',
             "<title>Corridor workshop brief</title>",
             "<style>body{font-family:system-ui,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;"
             "padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.8em}h2{margin-top:2em;border-bottom:1px "
             "solid #ddd}figure{margin:1.5em 0}img{max-width:100%;height:auto;border:1px solid #eee}"
             "figcaption{color:#555;font-size:.92em}li{margin:.3em 0}.muted{color:#666}</style></head><body>",
             "<h1>What the policy did, in the model</h1>",
             "<p class='muted'>Headline numbers: median across seeds, with the range; each seed is run with and "
             "without the policy.</p>"]
    for b in briefs:
        parts.append(f"<h2>{e(charts.scenario_title(b.name))} — compared with the same world without the policy</h2>")
        if b.description:
            parts.append(f"<p>{e(b.description)}</p>")
        parts.append("<ul>" + "".join(f"<li>{e(h)}</li>" for h in headlines(b)) + "</ul>")
    for b, figs in zip(briefs, figures):
        parts.append(f"<h2>{e(charts.scenario_title(b.name))}: maps and charts</h2>")
        for title, caption, png in figs:
            data = base64.b64encode(png).decode("ascii")
            parts.append(f"<figure><h3>{e(title)}</h3><img alt='{e(title)}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{e(caption)}</figcaption></figure>")
    parts.append("<h2>What the model does not capture</h2><ul>" +
                 "".join(f"<li>{e(x)}</li>" for x in NOT_MODELLED) + "</ul>")
    parts.append("<h3>How these numbers were made</h3><ul>" +
                 "".join(f"<li>{e(x)}</li>" for x in method_lines(briefs, root_seed)) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def make_brief(scenarios: list[Path], out: Path, replications: int = 3, root_seed: int | None = None,
               steps: int | None = None, log=None) -> tuple[Path, Path, int]:
    """Run every scenario and write OUT (PDF) and OUT with .html; returns (pdf, html, pages)."""
    from model.scenario import check_steps

    check_steps(steps)
    out = Path(out)
    if out.suffix.lower() != ".pdf":
        raise InputError(out, "--out", "expected a file name ending in .pdf (the HTML is written beside it)")
    if out.exists() and out.is_dir():
        raise InputError(out, "--out", "is a folder; give a file name such as brief.pdf")
    for p in scenarios:
        if not Path(p).is_file():
            raise InputError(p, None, "scenario file not found")
    from model.runs.compare import comparable
    from model.scenario import load_scenario

    html_path = out.with_suffix(".html")
    check_own_file(out, PDF_MARK)           # before any run: never overwrite a file that is not ours
    check_own_file(html_path, HTML_MARK, "--out (the HTML beside it)")
    # every file checked before anything runs; those without a policy in force are skipped with a warning
    loaded = comparable([(Path(p), *load_scenario(p)) for p in scenarios], steps)
    with scratch_folder(out) as work:
        briefs = [run_scenario(p, replications, root_seed, steps, Path(work) / str(i), log, loaded=(sc, cmap))
                  for i, (p, sc, cmap) in enumerate(loaded)]
        if log:
            log("drawing the charts")
        figures = [brief_charts(b) for b in briefs]
        pages = [0]

        def pdf(tmp):
            pages[0] = write_pdf(tmp, briefs, figures, root_seed)

        write_file(out, pdf)
        write_file(html_path, html_document(briefs, figures, root_seed))
    return out, html_path, pages[0]


def stderr_log(msg: str) -> None:
    print(f"  {msg}", file=sys.stderr, flush=True)
