import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# No per-example time limit: a deadline is a timed assertion, and a loaded or slow CI machine
# (a first example's warm-up took 406 ms against the default 200 ms) fails a correct test.
settings.register_profile("corridor", deadline=None)
settings.load_profile("corridor")

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def baseline():
    from model.scenario import load_scenario
    return load_scenario(SCENARIOS / "baseline.toml")


@pytest.fixture(scope="session")
def crackdown():
    from model.scenario import load_scenario
    return load_scenario(SCENARIOS / "mexico_crackdown.toml")


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """A finished toy calibration (calibrate_toy.SMALL): (folder with toy.toml, calibration, report)."""
    from calibrate_toy import SMALL, write_toy_calibration
    from model.runs.calibrate import load_calibration, run_calibration

    folder = tmp_path_factory.mktemp("cal")
    cal = load_calibration(write_toy_calibration(folder, **SMALL))
    rep = run_calibration(cal, out=folder / "out", workers=0, progress=False)
    return folder, cal, rep


def corridor_cli(*args, cwd=None, timeout=600):
    """Run the real `corridor` command in a fresh process."""
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "model.cli", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)


# The longest files (seconds on this 2-core machine, serial), started first: with
# `-n auto --dist loadfile` a long file collected last would run alone at the end.
LONGEST_FIRST = ("test_validation.py", "test_sweep_distributed.py", "test_cli.py", "test_sweep_guard.py",
                 "test_sweep.py", "test_calibrate.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FIRST)))    # stable: the rest keep order
