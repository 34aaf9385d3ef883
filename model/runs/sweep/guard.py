"""What protects the machine and the result folder during a sweep: size limits, a folder lock,
the time estimate and a quiet Ctrl-C.

A *run* is one design point with one replicate: one scenario simulation (and its
counterfactual, when the experiment keeps one; that is part of the same run and file).
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import socket
import time
from contextlib import contextmanager
from pathlib import Path

from model.errors import InputError
from model.runs.sweep.experiment import DesignKind

DEFAULT_MAX_RUNS = 20_000     # more needs `--max-runs N` or `max_runs` in [experiment]
# Building a design keeps a validated scenario (~20 KB) per point and checks ~500 points a
# second: 200,000 runs is about 4 GB and 7 minutes before the first run. Past this no
# --max-runs helps: split the experiment.
HARD_MAX_RUNS = 200_000
LOCK = ".lock"


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep, after what finished was saved; the message says how to resume."""


# --------------------------------------------------------------------------- size

def count_runs(exp) -> tuple[int, str]:
    """Number of design rows (point x replicate) from the experiment alone, and how it adds up.

    Computed without building anything, so a 10^12-run grid costs nothing to refuse. Runs
    whose factor values coincide (rounded integers, sampled categories) are run once, so
    the real count can only be lower.
    """
    d, reps = exp.spec.design, exp.spec.experiment.replications
    n_f = len(exp.factors)
    if d.kind == DesignKind.GRID:
        sizes = [len(f.values) if f.values is not None else f.levels for f in exp.factors]
        points, how = math.prod(sizes), " x ".join(map(str, sizes)) + " grid points"
    elif d.kind == DesignKind.SOBOL:
        k = 2 * n_f + 2 if d.second_order else n_f + 2
        points, how = d.samples * k, f"{d.samples} samples x {k} (Saltelli, {n_f} factor{'s' if n_f != 1 else ''})"
    elif d.kind == DesignKind.MORRIS:
        points, how = d.samples * (n_f + 1), f"{d.samples} trajectories x {n_f + 1}"
    else:
        points, how = d.samples, f"{d.samples} Latin hypercube points"
    return points * reps, f"{how} x {reps} replication{'s' if reps != 1 else ''}"


def check_size(exp, max_runs: int | None) -> int:
    """Refuse, before any design is built, a sweep over the limit; return the run count."""
    n, how = count_runs(exp)
    if n > HARD_MAX_RUNS:
        raise InputError(exp.path, None, f"the design has {n:,} runs ({how}), more than the {HARD_MAX_RUNS:,} a "
                         "sweep can hold in memory, even with --max-runs; split it into several experiments")
    own = getattr(exp.spec.experiment, "max_runs", None)
    limit = max_runs if max_runs is not None else (own if own is not None else DEFAULT_MAX_RUNS)
    if n > limit:
        where = "--max-runs" if max_runs is not None else \
            ("max_runs in [experiment]" if own is not None else "the default limit")
        raise InputError(exp.path, None, f"the design has {n:,} runs ({how}), over {where} of {limit:,}; "
                         f"give --max-runs {n} to run it anyway")
    return n


# --------------------------------------------------------------------------- time estimate

def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def measured_run_seconds(run_files: list[Path], key: bytes, at_most: int = 25) -> float | None:
    """Median seconds of one run, as measured by the workers of runs already in the folder."""
    import pyarrow.parquet as pq

    secs = []
    for f in run_files[:at_most]:
        try:
            secs.append(float(json.loads(pq.read_schema(f).metadata[key])["wall_seconds"]))
        except (OSError, KeyError, ValueError, TypeError):
            continue
    return sorted(secs)[len(secs) // 2] if secs else None


def _where(workers: int) -> str:
    return "in this process" if workers == 0 else f"on {workers} worker{'s' if workers != 1 else ''}"


def count_line(name: str, planned: int, new: int, workers: int, run_seconds: float | None) -> str:
    """The line printed before anything runs."""
    line = f"corridor: {name}: {planned} runs ({new} new, {planned - new} already done) {_where(workers)}"
    if new and run_seconds is not None:
        line += f"; about {_duration(run_seconds * new / max(1, workers))} (measured on the runs done: " \
                f"{3600 / max(run_seconds, 1e-3):.0f} runs/h per worker)"
    elif new:
        line += "; time estimate after the first run"
    return line


def estimate_line(run_seconds: float, left: int, workers: int) -> str:
    """The line printed when the first run of a session is back."""
    return f"corridor: first run took {run_seconds:.1f} s: about {_duration(run_seconds * left / max(1, workers))} " \
           f"for the {left} left {_where(workers)}"


# --------------------------------------------------------------------------- lock

def _start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks since boot, Linux), to tell a reused pid apart."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int, ticks: int | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True      # someone else's live process
    now = _start_ticks(pid)
    return ticks is None or now is None or now == ticks


@contextmanager
def folder_lock(folder: Path, command: list[str], warn):
    """Hold FOLDER/.lock for a sweep or calibration: created with O_EXCL, removed on the way out.

    A lock whose process is gone (same host) is taken over with a note; one held by a live
    process, or by another host that this one cannot check, refuses the command (exit 2).
    """
    path = Path(folder) / LOCK
    me = {"host": socket.gethostname(), "pid": os.getpid(), "pid_start": _start_ticks(os.getpid()),
          "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "command": command}
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            try:
                raw = path.read_text()
            except FileNotFoundError:
                continue          # released meanwhile: try again
            try:
                held = json.loads(raw)
            except ValueError:
                held = {}
            who = f"pid {held.get('pid', '?')} on {held.get('host', '?')} since {held.get('since', '?')}"
            if held.get("host") == me["host"] and isinstance(held.get("pid"), int) \
                    and not _alive(held["pid"], held.get("pid_start")):
                warn(f"corridor: note: {path} was left by {who}, which is no longer running; taking it over")
                try:
                    if path.read_text() == raw:      # not already taken over by another client
                        path.unlink()
                except FileNotFoundError:
                    pass
                continue
            raise InputError(folder, None, f"another corridor command is using this folder ({who}: "
                             f"{' '.join(held.get('command') or [])}); wait for it, or delete {path} if it "
                             "is certainly gone") from None
        with os.fdopen(fd, "w") as fh:
            fh.write(json.dumps(me) + "\n")
        break
    else:
        raise InputError(folder, None, f"could not take the lock {path}; try again")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- Ctrl-C

@contextmanager
def quiet_dask():
    """Silence distributed's loggers while a cluster shuts down after Ctrl-C (its tracebacks
    about cancelled tasks and closed comms say nothing to the user)."""
    loggers = [logging.getLogger(n) for n in ("distributed", "tornado", "asyncio")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, lv in zip(loggers, levels):
            lg.setLevel(lv)


@contextmanager
def sigint_ignored():
    """Ignore Ctrl-C for a moment (main thread only): while saving, or while spawning workers."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:       # not the main thread: signals go elsewhere anyway
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
