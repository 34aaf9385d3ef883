"""Sweep limits, the folder lock and Ctrl-C: what protects the machine and the result folder."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

from conftest import ROOT, corridor_cli
from model.runs import sweep
from model.runs.sweep.guard import count_runs
from sweep_toy import write_toy_experiment

REFUSE_TIMEOUT_S = 60      # the old code ran for hours or died of MemoryError

RANGE = """
[[lever]]
name = "block_units"
path = "policy[0].value"
low = 1.0
high = 12.0
{levels}
[[uncertainty]]
name = "risk_decay"
path = "routing.risk_decay"
low = 0.1
high = 0.9
{levels}
[[uncertainty]]
name = "speed"
path = "routing.speed_km_per_step"
low = 100
high = 300
{levels}
"""


@pytest.mark.parametrize("kwargs,runs", [
    (dict(replications=100_000), "400,000 runs"),
    (dict(design='kind = "sobol"\nsamples = 1000000', factors=RANGE.format(levels="")), "10,000,000 runs"),
    (dict(design='kind = "morris"\nsamples = 1000000', factors=RANGE.format(levels="")), "8,000,000 runs"),
    (dict(factors=RANGE.format(levels="levels = 10000")), "2,000,000,000,000 runs"),
], ids=["replications", "sobol", "morris", "grid"])
def test_huge_designs_are_refused_at_once_even_with_max_runs(tmp_path, kwargs, runs):
    exp = write_toy_experiment(tmp_path / "exp", **kwargs)
    out = tmp_path / "out"
    for flags in ([], ["--max-runs", "10000000000000"]):
        t0 = time.monotonic()
        r = corridor_cli("sweep", exp, "--workers", "0", "--out", out, *flags, timeout=REFUSE_TIMEOUT_S)
        assert time.monotonic() - t0 < REFUSE_TIMEOUT_S / 2
        assert r.returncode == 2, r.stderr
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
        assert r.stderr.startswith(f"corridor: error: {exp}: the design has {runs}") and "split it" in r.stderr
        assert not out.exists()


def test_the_default_limit_refuses_a_large_design_before_building_it(tmp_path):
    exp = write_toy_experiment(tmp_path / "exp", replications=5001)      # 4 points x 5001 = 20,004 runs
    r = corridor_cli("sweep", exp, "--workers", "0", "--out", tmp_path / "out", timeout=REFUSE_TIMEOUT_S)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "20,004 runs (2 x 2 grid points x 5001 replications), over the default limit of 20,000; " \
           "give --max-runs 20004" in r.stderr
    assert not (tmp_path / "out").exists()


def test_max_runs_in_the_file_and_on_the_command_line(tmp_path):
    exp = write_toy_experiment(tmp_path / "exp", steps=6, extra="")
    exp.write_text(exp.read_text().replace("replications = 2", "replications = 2\nmax_runs = 7"))
    out = tmp_path / "out"
    r = corridor_cli("sweep", exp, "--workers", "0", "--out", out, "--quiet")
    assert r.returncode == 2 and "8 runs" in r.stderr and "over max_runs in [experiment] of 7" in r.stderr
    assert "--max-runs 8" in r.stderr and not out.exists()
    r = corridor_cli("sweep", exp, "--workers", "0", "--out", out, "--quiet", "--max-runs", "7")
    assert r.returncode == 2 and "over --max-runs of 7" in r.stderr
    r = corridor_cli("sweep", exp, "--workers", "0", "--out", out, "--quiet", "--max-runs", "8")
    assert r.returncode == 0, r.stderr
    first = r.stderr.splitlines()[0]
    assert first == "corridor: toy_sweep: 8 runs (8 new, 0 already done) in this process; " \
                    "time estimate after the first run"
    assert "corridor: first run took" in r.stderr and "for the 7 left in this process" in r.stderr
    r = corridor_cli("sweep", exp, "--workers", "0", "--out", out, "--quiet", "--max-runs", "8")
    assert r.returncode == 0
    assert r.stderr.splitlines() == ["corridor: toy_sweep: 8 runs (0 new, 8 already done) in this process"]


def test_the_analytic_count_matches_the_built_design(tmp_path):
    designs = [('kind = "grid"', None), ('kind = "latin_hypercube"\nsamples = 7', RANGE.format(levels="")),
               ('kind = "sobol"\nsamples = 4', RANGE.format(levels="")),
               ('kind = "sobol"\nsamples = 4\nsecond_order = true', RANGE.format(levels="")),
               ('kind = "morris"\nsamples = 3', RANGE.format(levels=""))]
    for i, (design, factors) in enumerate(designs):
        exp = sweep.load_experiment(write_toy_experiment(tmp_path / str(i), design=design, factors=factors))
        assert count_runs(exp)[0] == len(sweep.build_design(exp).rows), design


# ---------------------------------------------------------------- the lock

def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _lock(out, **fields):
    rec = {"host": socket.gethostname(), "pid": 1, "since": "2026-01-01T00:00:00Z", "command": ["corridor", "sweep"]}
    (out / ".lock").write_text(json.dumps({**rec, **fields}))


def test_a_lock_held_by_a_live_process_or_another_host_refuses_the_sweep(tmp_path):
    exp = write_toy_experiment(tmp_path / "exp", steps=6)
    out = tmp_path / "out"
    assert corridor_cli("sweep", exp, "--workers", "0", "--out", out, "--quiet").returncode == 0
    before = (out / "manifest.json").read_text()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        for fields, who in ((dict(pid=holder.pid), f"pid {holder.pid} on {socket.gethostname()}"),
                            (dict(host="elsewhere", pid=_dead_pid()), "on elsewhere since 2026-01-01T00:00:00Z")):
            _lock(out, **fields)
            r = corridor_cli("sweep", exp, "--workers", "0", "--out", out, "--quiet", "--fresh")
            assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
            assert "another corridor command is using this folder" in r.stderr and who in r.stderr, r.stderr
            assert (out / "manifest.json").read_text() == before and (out / ".lock").is_file()
    finally:
        holder.kill()
        holder.wait()


def test_a_stale_lock_is_taken_over_with_a_note_and_removed_at_the_end(tmp_path):
    exp = write_toy_experiment(tmp_path / "exp", steps=6)
    out = tmp_path / "out"
    assert corridor_cli("sweep", exp, "--workers", "0", "--out", out, "--quiet").returncode == 0
    pid = _dead_pid()
    _lock(out, pid=pid)
    r = corridor_cli("sweep", exp, "--workers", "0", "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    assert f"was left by pid {pid} on {socket.gethostname()}" in r.stderr and "taking it over" in r.stderr
    assert not (out / ".lock").exists()
    assert len(json.loads((out / "manifest.json").read_text())["sessions"]) == 2


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")


def _wait_for(predicate, what, timeout=120):
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"waited {timeout} s for {what}")
        time.sleep(0.05)


def _as_in_a_terminal() -> None:
    """Ctrl-C as a terminal's foreground command has it: a shell starts background jobs
    (`cmd &`, nohup) with SIGINT ignored, which a child inherits, and Python then installs no
    KeyboardInterrupt handler; CI launched that way would make the Ctrl-C test meaningless."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _sweep(exp, out, *flags):
    return subprocess.Popen([sys.executable, "-m", "model.cli", "sweep", str(exp), "--out", str(out), "--quiet",
                             *flags], cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, preexec_fn=_as_in_a_terminal)


@pytest.mark.slow
def test_a_second_client_on_the_same_folder_is_refused_naming_the_first(tmp_path):
    exp = write_toy_experiment(tmp_path / "exp", steps=300, replications=3)     # 12 runs, ~0.5 s each
    out = tmp_path / "out"
    first = _sweep(exp, out, "--workers", "0")
    try:
        _wait_for(lambda: (out / "runs").is_dir(), "the first client to start")
        r = corridor_cli("sweep", exp, "--workers", "0", "--out", out, "--quiet")
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert f"another corridor command is using this folder (pid {first.pid} on {socket.gethostname()}" in r.stderr
        _, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err
    m = json.loads((out / "manifest.json").read_text())
    assert len(m["sessions"]) == 1 and m["status"] == "complete" and not (out / ".lock").exists()


# ---------------------------------------------------------------- Ctrl-C

@pytest.mark.slow
@pytest.mark.distributed
def test_ctrl_c_on_a_local_cluster_saves_what_finished_in_one_line(tmp_path):
    n = 12
    exp = write_toy_experiment(tmp_path / "exp", steps=450, units=(4.0, 8.0, 12.0))   # 12 runs, ~1 s each
    out = tmp_path / "out"
    client = _sweep(exp, out, "--workers", "2")
    try:
        _wait_for(lambda: (out / "runs").is_dir() and any((out / "runs").glob("r*.parquet")), "a finished run")
        os.killpg(client.pid, signal.SIGINT)        # as a terminal does: the client and its workers
        _, err = client.communicate(timeout=120)
    finally:
        if client.poll() is None:
            os.killpg(client.pid, signal.SIGKILL)
            client.wait()
    assert client.returncode == 130, err
    lines = err.strip().splitlines()
    assert "Traceback" not in err and len(lines) <= 3, err
    saved = len(list((out / "runs").glob("r*.parquet")))
    assert 1 <= saved < n
    assert lines[-1] == (f"corridor: interrupted: {saved} of {n} runs saved in {out}/ (summary.parquet), "
                         f"{n - saved} left; resume with: corridor sweep {exp} --out {out} --workers 2")
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "interrupted" and m["sessions"][-1]["interrupted"] and m["counts"]["done"] == saved
    assert len(pd.read_parquet(out / "summary.parquet")) == saved and not (out / ".lock").exists()
    r = corridor_cli("sweep", exp, "--out", out, "--workers", "2", "--quiet", timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{n - saved} new, {saved} already done, 0 failed" in r.stdout
    assert "measured on the runs done" in r.stderr.splitlines()[0]
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
