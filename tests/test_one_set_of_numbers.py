"""One window, one unit, one seed derivation: every output quotes the same numbers.

A toy crackdown (tests/toy.py) whose policy starts off the `output.window` grid, as the
shipped crackdown does, run through the real CLI and read back from every output.
"""

import json
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import corridor_cli  # noqa: E402
from toy import write_toy_crackdown  # noqa: E402

from model.runs.seeds import replication_seeds  # noqa: E402

ROOT_SEED = 9
SPAN = "2004-04 to 2004-12"           # months 3..11: the policy starts at month 3 of 12


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    from model.scenario import load_scenario

    path = write_toy_crackdown(tmp_path_factory.mktemp("toy"))
    sc, cmap = load_scenario(path)
    return path, sc, cmap


@pytest.fixture(scope="module")
def cli_run(toy, tmp_path_factory):
    """`corridor run` of the toy on the first replication seed of ROOT_SEED, with its charts."""
    path = toy[0]
    out = tmp_path_factory.mktemp("run") / "toy"
    seed = replication_seeds(ROOT_SEED, 1)[0]
    r = corridor_cli("run", path, "--seed", seed, "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    return out, r.stdout, json.loads((out / "summary.json").read_text())


def test_summary_records_the_window_every_output_uses(cli_run):
    _, _, s = cli_run
    assert s["window"] == {"start": 3, "end": 12, "first_month": "2004-04", "last_month": "2004-12"}


def test_delivered_change_is_the_same_number_in_cli_summary_chart_and_brief(toy, cli_run, tmp_path):
    from model.outputs.brief_numbers import change_phrase, headlines, run_scenario
    from model.outputs.run_data import load_run
    from model.outputs.series import outcome_dashboard

    path, _, cmap = toy
    out, stdout, s = cli_run
    pct = s["displacement"]["delivered_change_pct"]
    assert pct is not None and abs(pct) > 1             # the policy moved deliveries
    # CLI
    assert f"{SPAN} vs the same months without the policy" in stdout
    assert re.search(r"cocaine delivered to the US ([+-]\d+\.\d)%", stdout).group(1) == f"{pct:+.1f}"
    # chart: the note on the delivered panel
    fig = outcome_dashboard(out, run=load_run(out, cmap))
    note = next(t.get_text() for t in fig.axes[0].texts if "vs the same months" in t.get_text())
    plt.close(fig)
    assert SPAN in note and f"({pct:+.1f}%)" in note
    # brief: same root seed, its first replication is the CLI's seed
    b = run_scenario(path, 1, ROOT_SEED, None, tmp_path / "brief")
    assert b.seeds == [s["seed"]] and b.rows[0]["delivered_pct"] == pytest.approx(pct, rel=1e-12)
    assert f"{b.start_month} to {b.end_month}" == SPAN
    text = " ".join(headlines(b))
    assert f"delivered to the United States in {SPAN} {change_phrase([pct])}" in text


def test_route_density_map_sums_exactly_the_window(toy, cli_run):
    from model.outputs.maps import route_density_map
    from model.outputs.run_data import load_run, window_cells
    from model.runs.simulate import run_pair

    _, sc, cmap = toy
    out, _, s = cli_run
    run = load_run(out, cmap)
    arr, span = window_cells(run, "cocaine_flow")
    assert span == run.window == (3, 12)
    monthly = run_pair(sc, cmap, s["seed"])["main"].cells["cocaine_flow"]
    np.testing.assert_allclose(arr, monthly[3:12].sum(axis=0), rtol=1e-5)
    fig = route_density_map(out, run=run)
    labels = [ax.get_xlabel() for ax in fig.axes]
    plt.close(fig)
    assert any(f"cocaine passing through each 28 km cell, {SPAN}" in lab for lab in labels)


def test_migrants_are_counted_in_people(toy, cli_run):
    out, _, s = cli_run
    # 1.5 agents a month for 12 months = 18 agents of 10 people each
    assert s["people_per_agent"] == 10
    assert sum(s["migrants"].values()) == 180
    ts = pd.read_parquet(out / "timeseries.parquet")
    states = [f"migrants_{k}" for k in s["migrants"]]            # the state columns, not events by country
    assert ts[states].iloc[-1].sum() == 180


def test_compare_and_brief_run_the_same_seeds(toy, tmp_path):
    from model.outputs.brief_numbers import run_scenario
    from model.runs.compare import compare

    path = toy[0]
    runs = compare([path], 2, ROOT_SEED)
    b = run_scenario(path, 2, ROOT_SEED, None, tmp_path / "brief")
    assert runs.seed.tolist() == b.seeds == replication_seeds(ROOT_SEED, 2)
    np.testing.assert_allclose(runs.delivered_change_pct, [r["delivered_pct"] for r in b.rows])


@pytest.mark.slow
def test_compare_and_brief_commands_record_the_same_seeds(toy, tmp_path):
    path = toy[0]
    r = corridor_cli("compare", path, "--replications", "2", "--seed", ROOT_SEED, "--out", tmp_path / "cmp",
                     "--quiet")
    assert r.returncode == 0, r.stderr
    seeds = pd.read_parquet(tmp_path / "cmp" / "runs.parquet").seed.tolist()
    r = corridor_cli("brief", path, "--replications", "2", "--seed", ROOT_SEED, "--out", tmp_path / "b.pdf")
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "b.html").read_text()
    assert f"2 seed(s) {seeds[0]}, {seeds[1]}," in html


def _stderr_through_a_terminal(args) -> str:
    """stderr of the real command on a pseudo-terminal (tqdm draws bars only on a terminal)."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    from conftest import ROOT

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    p = subprocess.Popen([sys.executable, "-m", "model.cli", *map(str, args)], cwd=ROOT, stderr=slave,
                         stdout=subprocess.DEVNULL, env=dict(os.environ, MPLBACKEND="Agg"))
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert p.wait(timeout=120) == 0
    return b"".join(chunks).decode()


def test_progress_shows_scenario_counterfactual_and_charts(toy, tmp_path):
    err = _stderr_through_a_terminal(["run", toy[0], "--steps", "6", "--out", tmp_path / "run"])
    assert "toy_crackdown: scenario" in err and "toy_crackdown: counterfactual" in err
    assert "drawing charts" in err
    assert "6/6" in err and "12/12" not in err            # months per run, not for both runs together
    assert err.index("scenario") < err.index("counterfactual") < err.index("drawing charts")
