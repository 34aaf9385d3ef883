"""Toy experiments for sweep tests: the two-corridor map, a scenario and an experiment file in a folder."""

from __future__ import annotations

from pathlib import Path

from toy import one_cartel_scenario, write_two_corridors

# The west corridor is blocked from month 5 to 15 (as in test_toy_corridors); a run of
# `steps` months costs about 2 ms per month with its counterfactual.
TOY_SCENARIO = one_cartel_scenario("toy", 30, "start = 5\nend = 15\nvalue = 12\n")

GRID_FACTORS = """
[[lever]]
name = "block_units"
path = "policy[0].value"
values = [{units}]
unit = "patrol units"

[[uncertainty]]
name = "risk_decay"
path = "routing.risk_decay"
values = [{decays}]
unit = "1/month"
"""

OUTCOMES = """
[outcomes]
summary = ["cocaine.*", "transit_share.XE", "displacement.ratio"]
timeseries = ["cocaine_delivered", "cocaine_seized", "transit_*"]
"""


def write_toy_experiment(folder: Path, *, steps: int = 20, replications: int = 2, units=(4.0, 12.0),
                         decays=(0.1, 0.3), design: str = 'kind = "grid"', factors: str | None = None,
                         root_seed: int = 11, name: str = "toy_sweep", extra: str = "") -> Path:
    """Write map, scenario and experiment into `folder`; return the experiment file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_two_corridors(folder)
    (folder / "toy.toml").write_text(TOY_SCENARIO)
    if factors is None:
        factors = GRID_FACTORS.format(units=", ".join(map(str, units)), decays=", ".join(map(str, decays)))
    text = f"""
[experiment]
name = "{name}"
scenario = "toy.toml"
root_seed = {root_seed}
replications = {replications}

[design]
{design}

[constants]
"scenario.steps" = {steps}
{extra}
{factors}
{OUTCOMES}
"""
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path
