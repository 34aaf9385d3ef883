"""Sweeps on a real Dask cluster on 127.0.0.1: a scheduler and two worker processes.

Workers and clients are killed with SIGKILL mid-sweep; the sweep must finish with every
run present exactly once and the same numbers as an in-process sweep.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, corridor_cli
from sweep_toy import write_toy_experiment

pytestmark = [pytest.mark.slow, pytest.mark.distributed]

STARTUP_TIMEOUT_S = 60
SWEEP_TIMEOUT_S = 180
# ~1 s per run (toy map, 450 months with the counterfactual): long enough to kill mid-sweep
KILL_STEPS = 450
KILL_VALUES = dict(units=(4.0, 8.0, 12.0), decays=(0.1, 0.3), replications=2)   # 12 runs


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")


def _stop(proc):
    """End a process this test started, by its own pid."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_until(predicate, what, timeout=STARTUP_TIMEOUT_S):
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"waited {timeout} s for {what}")
        time.sleep(0.1)


class Cluster:
    def __init__(self, folder):
        self.file = folder / "scheduler.json"
        self.logs = folder
        self.scheduler = None
        self.workers = []

    def start(self, n_workers=2, nthreads=1):
        self.scheduler = self._spawn("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0",
                                                    "--no-dashboard", "--scheduler-file", str(self.file)])
        _wait_until(lambda: self.file.is_file() and self.file.stat().st_size > 0, "the scheduler file")
        for i in range(n_workers):
            self.workers.append(self._spawn(f"worker{i}", [
                "worker", "--scheduler-file", str(self.file), "--nthreads", str(nthreads), "--no-nanny",
                "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{i}", "--death-timeout", "60"]))
        self.wait_for_workers(n_workers)
        return self

    def _spawn(self, name, args):
        log = open(self.logs / f"{name}.log", "w")
        return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=ROOT, env=_env(), stdout=log,
                                stderr=subprocess.STDOUT)

    def wait_for_workers(self, n):
        from distributed import Client
        with Client(scheduler_file=str(self.file), timeout=STARTUP_TIMEOUT_S) as c:
            c.wait_for_workers(n, timeout=STARTUP_TIMEOUT_S)

    def stop(self):
        for w in self.workers:
            _stop(w)
        if self.scheduler is not None:
            _stop(self.scheduler)


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    try:
        yield c.start()
    finally:
        c.stop()


def _sweep_cmd(exp, out, *flags):
    return [sys.executable, "-m", "model.cli", "sweep", str(exp), "--out", str(out), "--quiet", *flags]


def _runs(out):
    return sorted(p.name for p in (out / "runs").glob("*.parquet"))


def _state(out):
    return {p.name: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in (out / "runs").glob("*.parquet")}


def _assert_complete(out, planned):
    assert len(_runs(out)) == planned
    assert not list(out.rglob(".*tmp*")) and not list((out / "failures").iterdir())
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(summary) == planned and summary.run_id.is_unique
    assert sorted(f"{r}.parquet" for r in summary.run_id) == _runs(out)
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts.groupby("run_id").size().nunique() == 1
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    return summary, ts


def _worker_pid(run_file):
    meta = json.loads(pq.read_schema(run_file).metadata[b"corridor.run"])
    return int(meta["worker"].rsplit(":", 1)[1])


def _sorted(df):
    return df.sort_values(["run_id"] + (["step"] if "step" in df else [])).reset_index(drop=True)


def test_scheduler_local_cluster_and_in_process_give_the_same_numbers(tmp_path, cluster):
    exp = write_toy_experiment(tmp_path / "exp", steps=60, replications=2)
    results = {}
    for label, flags in (("scheduler", ["--scheduler", str(cluster.file)]), ("local", ["--workers", "2"]),
                         ("serial", ["--workers", "0"])):
        out = tmp_path / label
        r = corridor_cli("sweep", exp, "--out", out, "--quiet", *flags, timeout=SWEEP_TIMEOUT_S)
        assert r.returncode == 0, r.stderr
        results[label] = _assert_complete(out, 8)
    for label in ("scheduler", "local"):
        pd.testing.assert_frame_equal(_sorted(results[label][0]), _sorted(results["serial"][0]), check_exact=True)
        pd.testing.assert_frame_equal(_sorted(results[label][1]), _sorted(results["serial"][1]), check_exact=True)
    m = json.loads((tmp_path / "scheduler" / "manifest.json").read_text())
    assert m["sessions"][0]["backend"]["kind"] == "dask-scheduler"
    assert m["sessions"][0]["backend"]["workers_at_start"] == 2


def test_worker_with_four_threads_gives_the_in_process_numbers_run_by_run(tmp_path):
    """Dask runs one task per thread: the runs of a --nthreads 4 worker share its process
    (map and routing graph) and step at the same time, yet each equals its serial run.
    On the toy map (8 runs): models in threads on the full map are tests/test_thread_safety.py's."""
    cluster = Cluster(tmp_path).start(n_workers=1, nthreads=4)
    try:
        exp = write_toy_experiment(tmp_path / "exp", steps=60, replications=2)
        results = {}
        for label, flags in (("threads", ["--scheduler", str(cluster.file)]), ("serial", ["--workers", "0"])):
            out = tmp_path / label
            r = corridor_cli("sweep", exp, "--out", out, "--quiet", *flags, timeout=SWEEP_TIMEOUT_S)
            assert r.returncode == 0, r.stderr
            results[label] = _assert_complete(out, 8)
    finally:
        cluster.stop()
    ran_on = {_worker_pid(p) for p in (tmp_path / "threads" / "runs").glob("*.parquet")}
    assert ran_on == {cluster.workers[0].pid}
    for i in (0, 1):
        got, want = _sorted(results["threads"][i]), _sorted(results["serial"][i])
        for run_id in want.run_id.unique():
            pd.testing.assert_frame_equal(got[got.run_id == run_id], want[want.run_id == run_id],
                                          check_exact=True, obj=f"run {run_id}")


def test_sweep_survives_a_worker_killed_mid_run(tmp_path, cluster):
    exp = write_toy_experiment(tmp_path / "exp", steps=KILL_STEPS, **KILL_VALUES)
    out = tmp_path / "out"
    client = subprocess.Popen(_sweep_cmd(exp, out, "--scheduler", str(cluster.file)), cwd=ROOT, env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until(lambda: (out / "runs").is_dir() and len(_runs(out)) >= 2, "two finished runs")
        victim = cluster.workers[0]
        os.kill(victim.pid, signal.SIGKILL)          # mid-run: both workers are busy all the time
        victim.wait()
        stdout, stderr = client.communicate(timeout=SWEEP_TIMEOUT_S)
    finally:
        _stop(client)
    assert client.returncode == 0, stderr
    assert "12 new, 0 already done, 0 failed" in stdout
    _assert_complete(out, 12)
    ran_on = {_worker_pid(p) for p in (out / "runs").glob("*.parquet")}
    assert cluster.workers[1].pid in ran_on and ran_on <= {cluster.workers[0].pid, cluster.workers[1].pid}


def test_client_killed_then_rerun_completes_without_touching_earlier_runs(tmp_path, cluster):
    exp = write_toy_experiment(tmp_path / "exp", steps=KILL_STEPS, **KILL_VALUES)
    out = tmp_path / "out"
    cmd = _sweep_cmd(exp, out, "--scheduler", str(cluster.file))
    client = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_until(lambda: (out / "runs").is_dir() and len(_runs(out)) >= 3, "three finished runs")
        os.kill(client.pid, signal.SIGKILL)
        client.wait()
    finally:
        _stop(client)
    before = _state(out)
    assert 3 <= len(before) < 12
    assert not (out / "summary.parquet").exists()    # compaction never ran
    r = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=SWEEP_TIMEOUT_S)
    assert r.returncode == 0, r.stderr
    assert f"{12 - len(before)} new, {len(before)} already done, 0 failed" in r.stdout
    _assert_complete(out, 12)
    after = _state(out)
    assert all(after[name] == before[name] for name in before)
    m = json.loads((out / "manifest.json").read_text())
    assert len(m["sessions"]) == 2 and m["counts"]["done"] == 12
