import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def corridor_cli(*args, cwd=None, timeout=600):
    """Run the real `corridor` command in a fresh process."""
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "model.cli", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)
