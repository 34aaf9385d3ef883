"""Run a scenario (and its counterfactual) in memory; `model.runs.results` writes the folder."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.agents.wildlife import groups_for
from model.corridor import CorridorModel, month_label
from model.metrics import displacement, people_per_agent, summarize
from model.policy import targeted_codes
from model.runs.routes import commodity_routes
from model.scenario import Scenario, check_steps
from model.scenario.series import check_series_cover


@dataclass
class RunResult:
    scenario: Scenario
    seed: int
    steps: int
    timeseries: pd.DataFrame
    cells: dict[str, np.ndarray]
    loads: pd.DataFrame | None = None   # one row per finished load
    journeys: pd.DataFrame | None = None   # one row per migrant group
    forest: np.ndarray | None = None       # forest proxy at the start, ha per cell [x, y] (deforestation on)


def simulate(scenario: Scenario, cmap, seed: int, steps: int | None = None, progress=None) -> RunResult:
    """Run one model for `steps` months; `progress` is called once per month if given."""
    steps = scenario.scenario.steps if steps is None else check_steps(steps)
    check_series_cover(scenario, steps)
    model = CorridorModel(scenario, cmap, seed=seed)
    for _ in range(steps):
        model.step()
        if progress:
            progress()
    ts = model.recorder.timeseries()
    ts.insert(1, "month", [month_label(scenario, s) for s in ts.step])
    forest = model.deforestation.forest0 if model.deforestation is not None else None
    return RunResult(scenario, seed, steps, ts, model.recorder.cells(), model.recorder.load_table(),
                     model.recorder.journey_table(), forest)


def evaluation_window(scenario: Scenario, steps: int) -> tuple[int, int]:
    """Months over which flows are compared: from the first intervention to the end."""
    starts = [p.start for p in scenario.policy if p.start < steps]
    return (min(starts), steps) if starts else (0, steps)


def policy_outside_run(scenario: Scenario, steps: int) -> str | None:
    """Why a comparison with the counterfactual would show less than the policy: rows that
    start at or after the last month run, named with their start months; None if every row
    comes into force. Shared by run, compare and brief so they all say the same."""
    late = [(i, p) for i, p in enumerate(scenario.policy) if p.start >= steps]
    if not late:
        return None
    rows = ", ".join(f"policy[{i}] ({p.lever}) starts at month {p.start}" for i, p in late)
    if len(late) == len(scenario.policy):
        return (f"policy not in force within the run: {rows}, but the run has {steps} months "
                f"(0-{steps - 1}); nothing to compare: use --steps {min(p.start for _, p in late) + 1} or more")
    return f"{rows}, after the {steps} months run: those rows are not applied"


def policy_in_force(scenario: Scenario, steps: int) -> bool:
    """At least one policy row applies within the run (False also when there is no policy)."""
    return any(p.start < steps for p in scenario.policy)


def targeted_mask(scenario: Scenario, cmap) -> np.ndarray:
    mask = np.zeros(cmap.shape, bool)
    for p in scenario.policy:
        if p.lever == "us_demand":
            continue
        for t in p.target:
            mask |= cmap.mask(t)
    return mask


def run_pair(scenario: Scenario, cmap, seed: int, steps: int | None = None,
             counterfactual: bool = True, progress=None) -> dict:
    """The scenario and, if it has a policy, the same seed without it; plus the summary."""
    steps = scenario.scenario.steps if steps is None else steps
    window = evaluation_window(scenario, steps)
    main = simulate(scenario, cmap, seed, steps, progress)
    people = people_per_agent(scenario)
    units = {g.name: g.unit for g in groups_for(scenario, cmap)} or None
    summary = summarize(main.timeseries, main.cells, window, people, units)
    summary["by_route"] = commodity_routes(main.loads, window)
    out = {"main": main, "summary": summary, "counterfactual": None}
    if counterfactual and scenario.policy:
        cf = simulate(scenario.without_policy(), cmap, seed, steps, progress)
        cf_summary = summarize(cf.timeseries, cf.cells, window, people, units)
        cf_summary["by_route"] = commodity_routes(cf.loads, window)
        summary["counterfactual"] = cf_summary
        summary["displacement"] = displacement(main.cells, cf.cells, targeted_mask(scenario, cmap),
                                               window, summary, cf_summary, cmap.country, cmap.country_codes,
                                               cmap.cell_km())
        summary["displacement"]["targeted"] = targeted_codes(scenario)
        out["counterfactual"] = cf
    return out
