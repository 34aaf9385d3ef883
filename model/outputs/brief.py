"""`corridor brief`: a short workshop handout (PDF and HTML) comparing scenarios with their baseline.

The numbers and sentences come from `brief_numbers.py`; this module lays them out: the
headlines first, the charts of the first seed next, then a note on what the model does not
capture. The PDF is drawn with matplotlib only.
"""

from __future__ import annotations

import base64
import html
import io
import sys
import textwrap
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from model import __version__  # noqa: E402
from model.errors import InputError  # noqa: E402
from model.outputs.brief_numbers import ScenarioBrief, headlines, run_scenario  # noqa: E402
from model.outputs.displacement import displacement_bars  # noqa: E402
from model.outputs.maps import route_density_map  # noqa: E402
from model.outputs.run_data import load_run  # noqa: E402
from model.outputs.series import flow_share_chart, outcome_dashboard  # noqa: E402
from model.outputs.style import MUTED, footer, footer_text, scenario_title  # noqa: E402
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
    "policy sweeps (`corridor sweep`) explore those, and `corridor brief --posterior` adds the calibration's "
    "parameter uncertainty.",
    "Cartels are a few stylised organisations with fixed sources and ports. A leader's removal can split one "
    "into successors on the same supply lines, and gangs can ally with them; new organisations, mergers and "
    "new routes are not modelled.",
    "US demand is an input (fixed, or a yearly series); prices, purity and the profits that drive recruitment "
    "do not respond to enforcement.",
    "The map is a grid of 28 km cells from 118°W to 59°W and 1°N to 33°N. Roads, rivers and informal "
    "crossings are not drawn one by one.",
    "Corruption is one probability per jurisdiction; enforcement acts through a simple interdiction hazard.",
    "Violent events are a rule of thumb (where cartels' flows meet, after seizures and in gang territory): "
    "model events, not deaths. Homicide rates come from the same drivers, calibrated to Mexico's and "
    "Guatemala's record; they fall far short of Honduras' and El Salvador's (VALIDATION.md).",
    "Migrants follow stylised routes and move in groups (each model agent stands for a number of people); "
    "counts are given in people but are not forecasts.",
]


def not_modelled(briefs: list[ScenarioBrief]) -> list[str]:
    """NOT_MODELLED, its note on the ranges saying what they cover when the runs span posterior draws."""
    b = briefs[0] if briefs else None
    if b is None or b.posterior is None:
        return NOT_MODELLED
    ranges = (f"The ranges cover {b.over(b.draws * len(b.seeds))}: the uncertainty of the parameters calibrated in "
              f"{b.posterior} (posterior draws) and the model's randomness (seeds). Every other assumption is fixed; "
              "policy sweeps (`corridor sweep`) explore those.")
    return [ranges if x.startswith("The ranges show") else x for x in NOT_MODELLED]


def subtitle(briefs: list[ScenarioBrief]) -> str:
    b = briefs[0] if briefs else None
    if b is None or b.posterior is None:
        return "Headline numbers: median across seeds, with the range; each seed is run with and without the policy."
    return (f"Headline numbers: median across {b.draws} posterior draws × {len(b.seeds)} seeds, with the range; "
            "each run with and without the policy.")


# ----------------------------------------------------------------------------------------
# Charts for the brief


def brief_charts(b: ScenarioBrief) -> list[tuple[str, str, bytes]]:
    """(title, caption, PNG bytes) for each chart of one scenario."""
    run = load_run(b.folder)
    seed_note = f"Seed {b.seeds[0]} of {len(b.seeds)}; the other seeds show the same pattern with different detail."
    if b.posterior is not None:
        seed_note = (f"Posterior draw 1 of {b.draws}, seed {b.seeds[0]} of {len(b.seeds)}; the other runs show the "
                     "same pattern with different detail.")
    span = f"{b.start_month} to {b.end_month}"
    seeds_line = footer_text(b.name, b.seeds, b.steps, "each seed with and without the policy")
    items = [
        ("Where cocaine went", f"Cocaine passing each part of the map, {span}: without the policy (left), with it "
         f"(middle) and the change (right: purple = less, orange = more). The dashed line is the policy area. "
         + seed_note, route_density_map(b.folder, run=run)),
        ("Which countries the loads crossed", "Share of finished cocaine loads that crossed each country, "
         "month by month (6-month average), with the policy (blue) and without it (grey). " + seed_note,
         flow_share_chart(b.folder, run=run)),
        ("Where the displaced cocaine went", "Change in cocaine moved through each country and its waters "
         f"(tonnes × km), {span}: bars are the median over {b.over(len(b.places))}, whiskers the range.",
         displacement_bars(table=b.displacement_frame(), targeted=b.targeted,
                                  footer_line=seeds_line)),
        ("Outcomes of the run", "Cocaine delivered and seized (running totals), violent events by country "
         "and migrants by outcome, with and without the policy. " + seed_note,
         outcome_dashboard(b.folder, run=run)),
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
            fig.text(0.06, 0.885, subtitle, fontsize=10.5, color=MUTED, va="bottom")
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
                fig.text(0.06, y, text, fontsize=11, va="top", style="italic", color=MUTED)
                y -= 0.026
            elif kind == "cont":
                fig.text(0.085, y, text, fontsize=11, va="top")
                y -= 0.026
            else:
                y -= 0.014
        footer(fig, footer_line)
        pdf.savefig(fig)
        plt.close(fig)
        pages += 1
    return pages


def _chart_page(pdf, heading: str, caption: str, png: bytes, footer_line: str) -> None:
    fig = plt.figure(figsize=PAGE)
    fig.text(0.04, 0.955, heading, fontsize=16, fontweight="bold", va="top")
    for j, ln in enumerate(textwrap.wrap(caption, 150)):
        fig.text(0.04, 0.915 - j * 0.024, ln, fontsize=9.5, color=MUTED, va="top")
    img = plt.imread(io.BytesIO(png), format="png")
    h, w = img.shape[:2]
    box_w, box_h = 0.92, 0.78                              # figure fractions available
    scale = min(box_w * PAGE[0] / w, box_h * PAGE[1] / h)
    fw, fh = w * scale / PAGE[0], h * scale / PAGE[1]
    ax = fig.add_axes([0.04 + (box_w - fw) / 2, 0.06 + (box_h - fh) / 2, fw, fh])
    ax.imshow(img, interpolation="lanczos")
    ax.axis("off")
    footer(fig, footer_line)
    pdf.savefig(fig)
    plt.close(fig)


def method_lines(briefs: list[ScenarioBrief], root_seed: int | None) -> list[str]:
    from model.runs.results import git_commit

    lines = []
    for b in briefs:
        lines.append(f"{b.name} ({b.path}): {len(b.seeds)} seed(s) {', '.join(str(s) for s in b.seeds)}, "
                     f"{b.steps} months; compared over {b.start_month} to {b.end_month}, from the first month "
                     "the policy is in force.")
        if b.posterior is not None:
            lines.append(f"{b.name}: every seed run at each of {b.draws} posterior draws of the calibration "
                         f"{b.posterior} (its distinct non-implausible points, picked evenly), "
                         f"{b.draws * len(b.seeds)} runs with and without the policy. Each headline says how "
                         "much of its spread comes from the parameters (variance between draws) and how much "
                         "from seeds (variance within a draw), by the law of total variance.")
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
    b0 = briefs[0]
    runs = f"seeds per scenario: {len(b0.seeds)}" if b0.posterior is None else \
        f"{b0.draws} posterior draws × {len(b0.seeds)} seeds per scenario"
    footer_line = (f"Corridor workshop brief · scenarios {', '.join(b.name for b in briefs)} · "
                   f"{runs} · Corridor model v{__version__}")
    pages = 0
    meta = {"Title": "Corridor workshop brief", "Creator": f"{PDF_CREATOR} {__version__}"}
    if b0.posterior is not None:             # provenance: the calibration the draws come from
        meta["Subject"] = f"posterior {b0.posterior}; draws {b0.draws}"
    with PdfPages(path, metadata=meta) as pdf:
        blocks = [(f"{scenario_title(b.name)} — compared with the same world without the policy",
                   headlines(b), b.description) for b in briefs]
        pages += _text_page(pdf, "What the policy did, in the model", blocks, footer_line,
                            subtitle=subtitle(briefs))
        for b, figs in zip(briefs, figures):
            for title, caption, png in figs:
                _chart_page(pdf, f"{scenario_title(b.name)}: {title}", caption, png, footer_line)
                pages += 1
        pages += _text_page(pdf, "What the model does not capture",
                            [("Read the numbers with these limits in mind", not_modelled(briefs)),
                             ("How these numbers were made", method_lines(briefs, root_seed))], footer_line)
    return pages


def html_document(briefs: list[ScenarioBrief], figures, root_seed: int | None) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             f'<meta name="generator" content="{HTML_GENERATOR} {__version__}">',
             *([] if not briefs or briefs[0].posterior is None else
               [f'<meta name="corridor-posterior" content="{e(str(briefs[0].posterior))}">',
                f'<meta name="corridor-draws" content="{briefs[0].draws}">']),
             "<title>Corridor workshop brief</title>",
             "<style>body{font-family:system-ui,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;"
             "padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.8em}h2{margin-top:2em;border-bottom:1px "
             "solid #ddd}figure{margin:1.5em 0}img{max-width:100%;height:auto;border:1px solid #eee}"
             "figcaption{color:#555;font-size:.92em}li{margin:.3em 0}.muted{color:#666}</style></head><body>",
             "<h1>What the policy did, in the model</h1>",
             f"<p class='muted'>{e(subtitle(briefs))}</p>"]
    for b in briefs:
        parts.append(f"<h2>{e(scenario_title(b.name))} — compared with the same world without the policy</h2>")
        if b.description:
            parts.append(f"<p>{e(b.description)}</p>")
        parts.append("<ul>" + "".join(f"<li>{e(h)}</li>" for h in headlines(b)) + "</ul>")
    for b, figs in zip(briefs, figures):
        parts.append(f"<h2>{e(scenario_title(b.name))}: maps and charts</h2>")
        for title, caption, png in figs:
            data = base64.b64encode(png).decode("ascii")
            parts.append(f"<figure><h3>{e(title)}</h3><img alt='{e(title)}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{e(caption)}</figcaption></figure>")
    parts.append("<h2>What the model does not capture</h2><ul>" +
                 "".join(f"<li>{e(x)}</li>" for x in not_modelled(briefs)) + "</ul>")
    parts.append("<h3>How these numbers were made</h3><ul>" +
                 "".join(f"<li>{e(x)}</li>" for x in method_lines(briefs, root_seed)) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def make_brief(scenarios: list[Path], out: Path, replications: int = 3, root_seed: int | None = None,
               steps: int | None = None, log=None, posterior: Path | None = None,
               draws: int | None = None) -> tuple[Path, Path, int]:
    """Run every scenario and write OUT (PDF) and OUT with .html; returns (pdf, html, pages).

    With `posterior` (a `corridor calibrate` folder) every seed runs at `draws` posterior draws.
    """
    from model.runs.posterior import at_draws, check_draws_flag, load_draws
    from model.scenario import check_steps

    check_steps(steps)
    check_draws_flag(posterior, draws)
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
    drawn = None if posterior is None else load_draws(posterior, draws)
    if drawn is not None:           # every scenario takes every draw's values, checked before any run
        for p, sc, _ in loaded:
            at_draws(sc, drawn, p)
    with scratch_folder(out) as work:
        briefs = [run_scenario(p, replications, root_seed, steps, Path(work) / str(i), log, loaded=(sc, cmap),
                               posterior=drawn, posterior_dir=posterior)
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
