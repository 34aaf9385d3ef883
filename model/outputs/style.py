"""The look every run and sweep chart shares: palettes, country names, footer, fitting and saving.

For a projector: plain-language titles, axis labels with units, few colours. Palettes are
colour-blind safe (viridis for amounts, purple-orange for change, Okabe-Ito for
categories). Every figure carries a footer naming the scenario, seed(s) and model version
so a slide can be traced back to its run.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from model import __version__

OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
SEA = "#dde6ec"            # light blue-grey
LAND = "#f7f6f2"
BORDER = "#8c8c8c"
COAST = "#a9b7c0"
INK = "#222222"
MUTED = "#666666"
GAIN = "#b35806"           # the orange end of PuOr: more cocaine
LOSS = "#542788"           # the purple end of PuOr: less cocaine
WITH = "#0072B2"           # Okabe-Ito blue: the scenario (with its policy)
WITHOUT = "#999999"        # grey: the counterfactual
DIFF_CMAP = "PuOr_r"       # purple = lost, orange = gained
FLOW_CMAP = "viridis_r"    # dark = much cocaine, so busy routes stand out on light land
DEFAULT_DPI = 150

COUNTRY_NAMES = {
    "BS": "Bahamas", "BZ": "Belize", "CO": "Colombia", "CR": "Costa Rica", "CU": "Cuba",
    "DO": "Dominican Rep.", "EC": "Ecuador", "GT": "Guatemala", "HN": "Honduras", "HT": "Haiti",
    "JM": "Jamaica", "MX": "Mexico", "NI": "Nicaragua", "PA": "Panama", "SV": "El Salvador",
    "US": "United States", "VE": "Venezuela", "INTL": "International waters",
    # the Caribbean side of the transit-zone map
    "AG": "Antigua and Barbuda", "BR": "Brazil", "CW": "Curaçao", "DM": "Dominica", "GP": "Guadeloupe",
    "GY": "Guyana", "KN": "St Kitts and Nevis", "MQ": "Martinique", "PR": "Puerto Rico",
    "TT": "Trinidad and Tobago",
    # international waters by basin (jurisdictions, not countries, but named in policy areas)
    "INTL-CAR": "Caribbean international waters", "INTL-PAC": "Pacific international waters",
}


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def scenario_title(name: str) -> str:
    """'mexico_crackdown' -> 'Mexico crackdown'."""
    text = str(name).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def footer_text(scenario: str, seeds, steps: int | None = None, extra: str = "") -> str:
    seeds = [seeds] if isinstance(seeds, (int, np.integer)) else list(seeds)
    if len(seeds) == 1:
        seed_txt = f"seed {seeds[0]}"
    elif len(seeds) <= 4:
        seed_txt = f"seeds {', '.join(str(s) for s in seeds)}"
    else:
        seed_txt = f"{len(seeds)} seeds ({seeds[0]}, {seeds[1]}, …)"
    parts = [f"Scenario '{scenario}'", seed_txt]
    if steps:
        parts.append(f"{steps} months")
    if extra:
        parts.append(extra)
    parts.append(f"Corridor model v{__version__}")
    return " · ".join(parts)


def footer(fig, summary_or_text) -> None:
    """Small grey line at the bottom left: scenario, seed(s), model version."""
    if isinstance(summary_or_text, dict):
        s = summary_or_text
        extra = "compared with the same seed without the policy" if "counterfactual" in s else ""
        text = footer_text(s["scenario"], s["seed"], s.get("steps"), extra)
    else:
        text = str(summary_or_text)
    strip = 0.24 / fig.get_figheight()                     # inches kept free for the footer
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set") and "rect" in engine.get():
        engine.set(rect=(0, strip, 1, 1 - strip))
    fig.text(0.005, 0.006, text, fontsize=7, color=MUTED, ha="left", va="bottom")


def bottom_legend(fig, handles, labels, **kw):
    """A figure legend in one row just above the footer, with room kept for it.

    Matplotlib's "outside lower" legends sit at the figure's very edge, under the footer;
    this one is anchored on the layout's lower edge and the layout moves up by its height.
    """
    engine = fig.get_layout_engine()
    x0, y0, w, h = engine.get()["rect"] if engine is not None and "rect" in engine.get() else (0, 0, 1, 1)
    leg = fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, y0),
                     bbox_transform=fig.transFigure, **kw)
    tall = (leg.get_window_extent(fig.canvas.get_renderer()).height + 0.08 * fig.dpi) / fig.bbox.height
    if engine is not None and "rect" in engine.get():
        engine.set(rect=(x0, y0 + tall, w, h - tall))
    return leg


def _layout_texts(fig):
    """Titles and axis labels: the texts a layout engine places but never shortens."""
    for t in fig.texts:
        yield t
    for sub in (fig._suptitle, fig._supxlabel, fig._supylabel):
        if sub is not None:
            yield sub
    for ax in fig.axes:
        yield from (ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label)


def fit_texts(fig, margin_px: float = 4.0) -> None:
    """Wrap every title or axis label that would run past the figure's edge.

    Constrained layout makes room above and below a title but leaves a long one cut off at
    the right; each such text is re-wrapped to the room it has, then the layout runs again.
    """
    for _ in range(3):
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        W, H = fig.bbox.width, fig.bbox.height
        changed = False
        for t in _layout_texts(fig):
            text = t.get_text()
            if not (t.get_visible() and text.strip()):
                continue
            bb = t.get_window_extent(renderer)
            vertical = abs(t.get_rotation() % 180 - 90) < 1
            lo, hi, size, edge = (bb.y0, bb.y1, bb.height, H) if vertical else (bb.x0, bb.x1, bb.width, W)
            if lo >= margin_px and hi <= edge - margin_px:
                continue
            ha = t.get_verticalalignment() if vertical else t.get_horizontalalignment()
            if ha in ("left", "bottom", "baseline"):
                room = edge - margin_px - max(lo, margin_px)
            elif ha in ("right", "top"):
                room = min(hi, edge - margin_px) - margin_px
            else:
                mid = (lo + hi) / 2
                room = 2 * min(mid - margin_px, edge - margin_px - mid)
            longest = max(len(line) for line in text.split("\n"))
            chars = max(int(longest * room / size * 0.95), 10)
            wrapped = "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))
            if wrapped != text:
                t.set_text(wrapped)
                changed = True
        if not changed:
            return


def save(fig, out: Path | str | None, formats=("png",), dpi: int = DEFAULT_DPI) -> list[Path]:
    """Write the figure once per format, each atomically (model/runs/folders.py write_file)."""
    from model.runs.folders import write_file

    if out is None:
        return []
    fit_texts(fig)
    out = Path(out)
    written = []
    for fmt in formats:
        path = out.with_suffix(f".{fmt}")
        write_file(path, lambda tmp, fmt=fmt: fig.savefig(tmp, dpi=dpi, format=fmt, facecolor="white"))
        written.append(path)
    return written


def tidy(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=9)
