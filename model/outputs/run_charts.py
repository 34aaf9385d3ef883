"""Every chart of one run folder, drawn in one go (by `corridor run` and `corridor plot`)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from model.outputs.deforestation import deforestation_map, has_forest_loss  # noqa: E402
from model.outputs.displacement import displacement_bars  # noqa: E402
from model.outputs.homicides import homicide_chart  # noqa: E402
from model.outputs.maps import route_density_map  # noqa: E402
from model.outputs.run_data import load_run  # noqa: E402
from model.outputs.series import flow_share_chart, outcome_dashboard  # noqa: E402
from model.outputs.style import DEFAULT_DPI  # noqa: E402


def draw_run_charts(folder: Path, cmap=None, formats=("png",), dpi: int = DEFAULT_DPI,
                    out_dir: Path | None = None) -> list[Path]:
    """Draw every run chart into the folder (or `out_dir`); returns the files written."""
    folder = Path(folder)
    out_dir = Path(out_dir) if out_dir else folder
    out_dir.mkdir(parents=True, exist_ok=True)
    run = load_run(folder, cmap)
    written: list[Path] = []
    jobs = [("route_density", lambda o: route_density_map(folder, out=o, formats=formats, dpi=dpi, run=run)),
            ("flow_share", lambda o: flow_share_chart(folder, out=o, formats=formats, dpi=dpi, run=run)),
            ("outcomes", lambda o: outcome_dashboard(folder, out=o, formats=formats, dpi=dpi, run=run))]
    if run.summary.get("homicide_rate"):     # countries with population data and whole years
        jobs.append(("homicides", lambda o: homicide_chart(folder, out=o, formats=formats, dpi=dpi, run=run)))
    if run.has_cf:
        jobs.insert(2, ("displacement", lambda o: displacement_bars(out=o, formats=formats, dpi=dpi, run=run)))
    if has_forest_loss(run):        # narco-deforestation (MODEL.md §7.19), when the run has any loss
        jobs.append(("deforestation", lambda o: deforestation_map(folder, out=o, formats=formats, dpi=dpi, run=run)))
    for stem, draw in jobs:
        fig = draw(out_dir / f"{stem}.png")
        plt.close(fig)
        written += [out_dir / f"{stem}.{fmt}" for fmt in formats]
    return written
