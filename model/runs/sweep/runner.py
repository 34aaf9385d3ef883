"""A sweep session: validate, lock the folder, run every missing run, compact; resumable."""

from __future__ import annotations

import contextlib
import itertools
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from model.runs.results import command_line, git_commit, versions
from model.runs.seeds import design_seed
from model.runs.sweep.backends import DaskBackend, SerialBackend
from model.runs.sweep.design import DesignTable, build_design
from model.runs.sweep.experiment import Experiment, load_experiment
from model.runs.sweep.guard import (SweepInterrupted, check_size, count_line, estimate_line, folder_lock,
                                    measured_run_seconds, quiet_dask, sigint_ignored)
from model.runs.sweep.store import (DESIGN, FAILURES, MANIFEST, RUN_METADATA_KEY, RUNS, columns_of, compact,
                                    default_folder, design_schema, done_runs, now, prepare_folder, wipe,
                                    write_failure, write_manifest, write_run, write_table)


@dataclass
class SweepReport:
    folder: Path
    planned: int
    skipped: int
    ran: int
    failed: int
    seconds: float          # from the first submission to the last result written
    setup_seconds: float    # starting or connecting to the cluster, loading the map on the workers
    backend: dict


def run_sweep(experiment: Path | str, out: Path | None = None, workers: int | None = None,
              scheduler: str | None = None, fresh: bool = False, progress: bool = True,
              argv: list[str] | None = None, exp: Experiment | None = None,
              max_runs: int | None = None) -> SweepReport:
    """Validate, then run every missing run and compact; resumable at any point.

    The size is checked from the experiment before any design is built; the folder is
    locked for the whole session; Ctrl-C saves what finished and raises SweepInterrupted.
    """
    exp = exp or load_experiment(experiment)
    check_size(exp, max_runs)                   # analytic: a huge design is refused before it is built
    design = build_design(exp)
    folder = Path(out) if out else default_folder(exp)
    prepare_folder(folder, exp, fresh)          # refuses before anything is written
    command = argv if argv is not None else command_line()
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with folder_lock(folder, command, _say):
            # read again under the lock: another client may have written the folder meanwhile
            old = prepare_folder(folder, exp, fresh) if (folder / MANIFEST).is_file() else None
            resume = shlex.join(["corridor", "sweep", str(exp.path), "--out", str(folder),
                                 *(["--workers", str(workers)] if workers is not None else []),
                                 *(["--scheduler", scheduler] if scheduler else []),
                                 *(["--max-runs", str(max_runs)] if max_runs is not None else [])])
            return _run_locked(exp, design, folder, old, workers, scheduler, fresh, progress, command, resume)
    except BaseException:
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()                      # refused or failed before writing: leave no trace
        raise


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _run_locked(exp: Experiment, design: DesignTable, folder: Path, old: dict | None, workers, scheduler,
                fresh: bool, progress: bool, command: list[str], resume: str) -> SweepReport:
    from tqdm import tqdm

    t_setup = time.perf_counter()
    backend = SerialBackend() if (workers == 0 and not scheduler) else DaskBackend(workers, scheduler)
    setup = time.perf_counter() - t_setup
    interrupted = False
    try:
        if fresh and folder.exists():
            wipe(folder)
        for sub in (RUNS, FAILURES):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        for stale in itertools.chain((folder / RUNS).glob(".*.tmp-*"), folder.glob(".*.tmp-*")):
            stale.unlink(missing_ok=True)    # left by a client killed mid-write
        columns = columns_of(exp)
        dtable = pa.Table.from_pylist(design.rows, schema=design_schema(columns, design.sample_columns))
        write_table(folder / DESIGN, dtable)
        done = done_runs(folder)
        todo = [r for r in design.runs if r.run_id not in done]
        session = {"started": now(), "command": command,
                   "backend": backend.describe(), "git_commit": git_commit(), "to_run": len(todo)}
        manifest = old or {
            "tool": "corridor", "kind": "sweep",
            "experiment": exp.name, "experiment_file": str(exp.path), "experiment_sha256": exp.sha256,
            "scenario_file": str(exp.scenario_path), "scenario_sha256": exp.base_sha256,
            "map_file": str(exp.map_path), "map_sha256": exp.map_sha256,
            "versions": versions(), "git_commit": git_commit(), "created": now(), "sessions": []}
        manifest.update({  # derived from the experiment file, the same in every session
            "design": {**exp.spec.design.model_dump(mode="json"),
                       "seed": design_seed(exp.spec.experiment.root_seed),
                       "replications": exp.spec.experiment.replications,
                       "root_seed": exp.spec.experiment.root_seed,
                       "counterfactual": exp.spec.experiment.counterfactual},
            "salib_problem": exp.salib_problem(), "columns": columns})
        if old and old.get("git_commit") != session["git_commit"]:
            print(f"corridor: warning: {folder} was started at commit {old.get('git_commit')}, resuming at "
                  f"{session['git_commit']}; runs from both are mixed", file=sys.stderr)
        manifest["sessions"].append(session)
        manifest["counts"] = {"planned": len(design.runs), "design_rows": len(design.rows),
                              "done": len(design.runs) - len(todo), "failed": 0}
        manifest["status"] = "running"
        write_manifest(folder, manifest)
        n_workers = 0 if isinstance(backend, SerialBackend) else max(1, backend.n_workers)
        measured = measured_run_seconds(sorted((folder / RUNS).glob("r*.parquet")), RUN_METADATA_KEY)
        _say(count_line(exp.name, len(design.runs), len(todo), n_workers, measured))

        ran = failed = 0
        t0 = time.perf_counter()
        try:
            if todo:
                t_warm = time.perf_counter()
                backend.warm_up(todo[0])
                setup += time.perf_counter() - t_warm
            t0 = time.perf_counter()
            with tqdm(total=len(design.runs), initial=len(design.runs) - len(todo), unit="run", desc=exp.name,
                      disable=not progress, file=sys.stderr, dynamic_ncols=True) as bar:
                bar.set_postfix(failed=0)
                for spec, result in backend.results(todo, exp.key):
                    if result["ok"]:
                        write_run(folder, spec, result, columns)
                        ran += 1
                    else:
                        failed += 1
                        write_failure(folder, spec, result)
                        bar.set_postfix(failed=failed)
                    if measured is None and ran + failed == 1 and len(todo) > 1 and result["ok"]:
                        bar.write(estimate_line(result["wall_seconds"], len(todo) - 1, n_workers), file=sys.stderr)
                    bar.update()
        except KeyboardInterrupt:
            interrupted = True
        seconds = time.perf_counter() - t0
    finally:
        with sigint_ignored() if interrupted else contextlib.nullcontext():
            with quiet_dask() if interrupted else contextlib.nullcontext():
                backend.close()
    with sigint_ignored() if interrupted else contextlib.nullcontext():
        counts = compact(folder)
        session.update(ended=now(), ran=ran, failed=failed, seconds=round(seconds, 3))
        manifest["counts"] = {"planned": len(design.runs), "design_rows": len(design.rows),
                              "done": counts["runs"], "failed": counts["failed"]}
        manifest["status"] = "interrupted" if interrupted else \
            "complete" if counts["runs"] == len(design.runs) else "incomplete"
        if interrupted:
            session["interrupted"] = True
        manifest["ended"] = session["ended"]
        write_manifest(folder, manifest)
    if interrupted:
        raise SweepInterrupted(f"interrupted: {counts['runs']} of {len(design.runs)} runs saved in {folder}/ "
                               f"(summary.parquet), {len(design.runs) - counts['runs']} left; resume with: {resume}")
    return SweepReport(folder, len(design.runs), len(design.runs) - len(todo), ran, failed,
                       seconds, setup, backend.describe())
