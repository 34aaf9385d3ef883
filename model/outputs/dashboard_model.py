"""The dashboard's model: a CorridorModel built from the facilitator's levers.

`DashboardModel` is the thin factory Mesa's SolaraViz needs (it builds models from keyword
parameters): it loads the scenario once per process, deep-copies it per model, and adds the
lever settings as policy rows in force from month 0, so the shared scenario is never
mutated. The levers act live: the model rebuilds its policy schedule on the next month.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import solara

from model.corridor import CorridorModel
from model.outputs.style import country_name
from model.scenario import JURISDICTION_DEFAULTS, PolicyLever, load_scenario

SCENARIO_ENV = "CORRIDOR_DASHBOARD_SCENARIO"
DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"   # model/outputs/ -> project
# countries a facilitator may pick for the corruption lever, and the ones that cooperate
CORRIDOR = ("MX", "GT", "BZ", "HN", "SV", "NI", "CR", "PA", "CO")
COOPERATING = CORRIDOR + ("US",)


def scenario_path() -> Path:
    """The scenario the dashboard shows: $CORRIDOR_DASHBOARD_SCENARIO or the baseline."""
    return Path(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


@lru_cache(maxsize=4)
def load_once(path: str):
    """Scenario and map, read once per process: a Reset must not re-read the 24k-cell map."""
    return load_scenario(path)


def base_corruption(scenario, code: str) -> float:
    """A country's corruption as the scenario sets it (before policy rows)."""
    j = scenario.jurisdictions
    for key in (code, "default"):
        if key in j and j[key].corruption is not None:
            return float(j[key].corruption)
    return float(JURISDICTION_DEFAULTS["corruption"])


def country_code(text: str) -> str:
    """A country code from a code or the name the dashboard shows ("Guatemala" -> "GT")."""
    for code in CORRIDOR + COOPERATING:
        if text in (code, country_name(code)):
            return code
    return text


def _plain(value):
    """Lever values arrive as plain values or as the sliders' solara.Reactive."""
    return value.value if isinstance(value, solara.Reactive) else value


class DashboardModel(CorridorModel):
    """A CorridorModel built from the dashboard's levers.

    Args:
        scenario_path: scenario TOML file (default: $CORRIDOR_DASHBOARD_SCENARIO or the baseline).
        mexico_enforcement: factor on Mexico's land and naval enforcement units (x).
        cooperation: all corridor countries join regional cooperation (units may cross borders).
        corruption_country: the country whose corruption `corruption` sets.
        corruption: chance a unit of that country is bribed in a month (0-1); None keeps the scenario's.
        us_demand: factor on shipments sent north (x).
        seed: random seed (default: the scenario's).
        rng: accepted for Mesa's SolaraViz, which may pass it; `seed` wins.
    """

    def __init__(self, scenario_path: str | Path | None = None, mexico_enforcement: float = 1.0,
                 cooperation: bool = False, corruption_country: str = "GT",
                 corruption: float | None = None, us_demand: float = 1.0,
                 seed: int | None = None, rng=None):
        path = Path(_plain(scenario_path) or globals()["scenario_path"]())
        base, cmap = load_once(str(path.resolve()))
        self.base_scenario = base
        self.scenario_file = path
        self.levers = self._levers(base, mexico_enforcement, cooperation, corruption_country,
                                   corruption, us_demand)
        seed = _plain(seed)
        super().__init__(with_levers(base, cmap, self.levers), cmap,
                         seed=seed if seed is not None else (rng if isinstance(rng, int) else None))
        self._lock = threading.Lock()   # Play steps in a thread while a slider may move

    @staticmethod
    def _levers(base, mexico_enforcement, cooperation, corruption_country, corruption, us_demand) -> dict:
        country = country_code(str(_plain(corruption_country)))
        level = _plain(corruption)
        return {"mexico_enforcement": float(_plain(mexico_enforcement)),
                "cooperation": bool(_plain(cooperation)),
                "corruption_country": country,
                "corruption": base_corruption(base, country) if level is None else float(level),
                "us_demand": float(_plain(us_demand))}

    def set_levers(self, **changes) -> bool:
        """Apply lever values from next month on (live). Returns True if anything changed."""
        new = {**self.levers, **{k: _plain(v) for k, v in changes.items() if k in self.levers}}
        new = self._levers(self.base_scenario, **new)
        if new == self.levers:
            return False
        from model.policy import PolicySchedule
        with self._lock:
            self.levers = new
            self.config = with_levers(self.base_scenario, self.cmap, new)
            self.schedule = PolicySchedule(self.config, self.cmap)
            self._apply_settings(months_done(self), force=True)   # the next month to simulate
        return True

    def step(self) -> None:
        with self._lock:
            super().step()
        if self.steps >= self.config.scenario.steps:
            self.running = False   # the scenario's last month: Play stops, Reset starts again



def months_done(model) -> int:
    """Months simulated and recorded. Not `model.steps`: Mesa counts a step before running
    it, outside the model's lock, while the recorder's row is written inside it."""
    return len(model.recorder.rows)


def with_levers(base, cmap, levers: dict):
    """A deep copy of the scenario with the levers as policy rows from month 0.

    The same rows are always present (a factor of 1 changes nothing), so the set of
    enforcement pools never changes when a lever moves during a run.
    """
    sc = base.model_copy(deep=True)
    codes = set(cmap.country_codes)
    factor = levers["mexico_enforcement"]
    rows = [PolicyLever(lever="us_demand", operation="multiply", value=levers["us_demand"])]
    if "MX" in codes:
        rows += [PolicyLever(lever="enforcement_units", target=["MX"], operation="multiply", value=factor),
                 PolicyLever(lever="naval_units", target=["MX"], operation="multiply", value=factor)]
    if levers["corruption_country"] in codes:
        rows.append(PolicyLever(lever="corruption", target=[levers["corruption_country"]],
                                value=levers["corruption"]))
    if levers["cooperation"]:
        rows.append(PolicyLever(lever="cooperation", target=[c for c in COOPERATING if c in codes],
                                value=True))
    sc.policy = list(sc.policy) + rows
    return sc
