"""Where runs execute: in this process (debugging, overhead) or as Dask tasks."""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from typing import Iterator

from model.errors import InputError
from model.runs.sweep.design import RunSpec
from model.runs.sweep.guard import sigint_ignored
from model.runs.sweep.worker import available_cores, execute, preload, warm

SCHEDULER_TIMEOUT_S = 15            # how long to wait for a --scheduler to answer


class SerialBackend:
    """In this process, one run after another: for debugging and for measuring overhead."""

    name = "in-process"
    n_workers = 0

    def describe(self) -> dict:
        return {"kind": "in-process", "workers": 0}

    def warm_up(self, spec: RunSpec) -> None:
        try:
            warm(spec)
        except Exception:  # noqa: BLE001 - the run itself will fail and be recorded
            pass

    def results(self, specs: list[RunSpec], tag: str) -> Iterator[tuple[RunSpec, dict]]:
        for spec in specs:
            yield spec, execute(spec)

    def close(self) -> None:
        pass


class DaskBackend:
    """Runs as Dask tasks: a LocalCluster on this machine, or a running scheduler."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None):
        import logging

        import dask
        from distributed import Client, LocalCluster

        self.cluster = None
        self.scheduler = scheduler
        if scheduler:
            if not Path(scheduler).is_file() and not re.match(r"^([a-z0-9+]+://)?[\w.\-\[\]:]+:\d+$", scheduler):
                raise InputError(None, "--scheduler", f"'{scheduler}' is neither a scheduler file nor an address "
                                 "like tcp://host:8786")
            try:
                if Path(scheduler).is_file():
                    self.client = Client(scheduler_file=scheduler, timeout=SCHEDULER_TIMEOUT_S)
                else:
                    self.client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(None, "--scheduler", f"cannot reach the Dask scheduler at '{scheduler}' "
                                 f"within {SCHEDULER_TIMEOUT_S} s ({type(exc).__name__}: {exc}); give an "
                                 "address like tcp://host:8786 or a scheduler file") from None
            self.n_workers = len(self.client.scheduler_info().get("workers", {}))
            self.info = {"kind": "dask-scheduler", "address": self.client.scheduler.address,
                         "workers_at_start": self.n_workers}
        else:
            self.n_workers = workers or available_cores()
            # Dask makes glibc return freed memory at once (MALLOC_TRIM_THRESHOLD_); that also fixes
            # the mmap threshold, and the model's many short-lived numpy arrays then cost page
            # faults: runs measured ~30% slower. Simulation workers keep their memory instead.
            # Worker processes inherit an ignored SIGINT: Ctrl-C in a terminal reaches the whole
            # process group, and only this client should handle it (else each worker prints a traceback).
            # No dashboard; the scheduler's small HTTP server (health routes) takes any free port, so a
            # second sweep or calibration beside the first prints no "port 8787 in use" warning.
            with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}), \
                    sigint_ignored():
                self.cluster = LocalCluster(n_workers=self.n_workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                                            silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
            self.client.run(preload)   # imports happen while starting, not inside the first runs
            self.info = {"kind": "dask-local", "workers": self.n_workers, "threads_per_worker": 1}

    def describe(self) -> dict:
        return dict(self.info)

    def warm_up(self, spec: RunSpec) -> None:
        try:
            self.client.run(warm, spec)
        except Exception:  # noqa: BLE001 - only a head start: a worker that cannot warm fails its run visibly
            pass

    def results(self, specs: list[RunSpec], tag: str) -> Iterator[tuple[RunSpec, dict]]:
        from distributed import as_completed

        by_key = {}
        futures = []
        for spec in specs:
            # an explicit key makes resubmission after a crash or retry name the same task
            fut = self.client.submit(execute, spec, key=f"corridor-{tag}-{spec.run_id}", pure=False)
            by_key[fut.key] = spec
            futures.append(fut)
        for fut in as_completed(futures):
            spec = by_key[fut.key]
            try:
                result = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the run kept killing workers
                result = {"run_id": spec.run_id, "ok": False, "worker": None,
                          "error": f"{type(exc).__name__}: {exc}",
                          "traceback": "".join(traceback.format_exception(exc)), "wall_seconds": 0.0}
            fut.release()
            yield spec, result

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
