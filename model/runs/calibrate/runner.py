"""A calibration session: waves of runs on the sweep engine, emulators, the posterior; resumable.

The folder (kind "calibration"):
    manifest.json          what ran, with which files (hashes), sessions, status
    wave_<k>/design.parquet   the wave's points x seeds (parameters, run_id, seed)
    wave_<k>/runs/         one Parquet file per finished run (the sweep store's format)
    wave_<k>/results.parquet  parameters, seed and each target's observable, one row per run
    posterior.parquet      the last wave's runs whose points are non-implausible by their simulated outputs
    diagnostics.json       per wave: runs, non-implausible fractions, emulator R^2 (fit, leave-one-out),
                           implausibility
    posterior_marginals.png, predictive_check.png
A killed session resumes: finished run files are kept; each wave's emulators and the next
design are recomputed from them, deterministically.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from model.errors import InputError
from model.runs.calibrate.emulate import fit_emulator, fit_environment, reduce_over_targets
from model.runs.calibrate.spec import Calibration
from model.runs.calibrate.waves import (check_corners, design_points, per_point, results_table, run_specs,
                                        simulated_implausibility, stream_seed, wave_design)
from model.runs.folders import check_target, default_out, folder_kind, mark, remove_stale_in, write_json
from model.runs.results import command_line, git_commit, json_default, versions
from model.runs.sweep.guard import folder_lock
from model.runs.sweep.store import FAILURES, MANIFEST, RUNS, done_runs, now, write_failure, write_run, write_table

KIND = "calibration"
POSTERIOR = "posterior.parquet"
DIAGNOSTICS = "diagnostics.json"
DESIGN = "design.parquet"


@dataclass
class CalibrationReport:
    folder: Path
    waves_run: int
    runs: int            # runs of all waves (done before or in this session)
    ran: int             # runs simulated in this session
    posterior_points: int
    posterior_runs: int
    seconds: float


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def default_folder(cal: Calibration) -> Path:
    return default_out("calibrations", cal.name)


def prepare(folder: Path, cal: Calibration, resume: bool) -> dict | None:
    """Refuse a folder that is not ours, or holds another calibration; the old manifest or None."""
    check_target(folder, KIND)
    remove_stale_in(folder)
    if not folder.exists() or not any(folder.iterdir()):
        return None
    if folder_kind(folder) != KIND:
        raise InputError(folder, "--out", "is not a calibration folder; nothing was changed")
    from model.runs.sweep.store import read_manifest

    old = read_manifest(folder)
    if not resume:
        raise InputError(folder, "--out", f"already holds calibration '{old.get('name')}' ({old.get('status')}); "
                         "give --resume to continue it, or a new --out")
    changed = [label for label, key, new in (("calibration file", "calibration_sha256", cal.sha256),
                                              ("scenario", "scenario_sha256", cal.base_sha256),
                                              ("map", "map_sha256", cal.map_sha256),
                                              ("record", "record_sha256", cal.record_sha256))
               if old.get(key) != new]
    if changed:
        raise InputError(folder, "--resume", f"the {', '.join(changed)} changed since this calibration was "
                         "started; give a new --out")
    return old


def run_calibration(cal: Calibration, out: Path | None = None, workers: int | None = None,
                    scheduler: str | None = None, resume: bool = False, progress: bool = True,
                    argv: list[str] | None = None) -> CalibrationReport:
    check_corners(cal)
    folder = Path(out) if out else default_folder(cal)
    old = prepare(folder, cal, resume)
    command = argv if argv is not None else command_line()
    folder.mkdir(parents=True, exist_ok=True)
    with folder_lock(folder, command, _say):
        manifest = old or mark({
            "name": cal.name, "calibration_file": str(cal.path), "calibration_sha256": cal.sha256,
            "scenario_file": str(cal.scenario_path), "scenario_sha256": cal.base_sha256,
            "map_file": str(cal.map_path), "map_sha256": cal.map_sha256,
            "record_file": str(cal.record_path), "record_sha256": cal.record_sha256,
            "targets": [t.id for t in cal.targets], "parameters": [p.model_dump() for p in cal.parameters],
            "settings": cal.meta.model_dump(mode="json", exclude={"targets"}),
            "versions": versions(), "git_commit": git_commit(), "created": now(), "sessions": []}, KIND)
        session = {"started": now(), "command": command, "git_commit": git_commit(),
                   "emulator_environment": fit_environment()}
        manifest["sessions"].append(session)
        manifest["status"] = "running"
        write_json(folder / MANIFEST, manifest, default=json_default)
        t0 = time.perf_counter()
        backend = _Backend(workers, scheduler)
        try:
            report = _waves(cal, folder, backend, progress, manifest)
        except KeyboardInterrupt:
            manifest["status"] = "interrupted"
            session.update(ended=now(), interrupted=True)
            write_json(folder / MANIFEST, manifest, default=json_default)
            raise
        finally:
            backend.close()
        session.update(ended=now(), ran=report.ran, seconds=round(time.perf_counter() - t0, 3),
                       backend=backend.info)
        manifest["status"] = "complete"
        manifest["counts"] = {"runs": report.runs, "posterior_points": report.posterior_points,
                              "posterior_runs": report.posterior_runs}
        write_json(folder / MANIFEST, manifest, default=json_default)
    report.seconds = time.perf_counter() - t0
    return report


class _Backend:
    """The sweep's backends, started only when a wave has runs to do."""

    def __init__(self, workers, scheduler):
        self.workers, self.scheduler, self.b, self.info = workers, scheduler, None, {"kind": "none (all runs done)"}

    def get(self, first_spec):
        from model.runs.sweep.backends import DaskBackend, SerialBackend

        if self.b is None:
            self.b = SerialBackend() if (self.workers == 0 and not self.scheduler) else \
                DaskBackend(self.workers, self.scheduler)
            self.info = self.b.describe()
            self.b.warm_up(first_spec)
        return self.b

    @property
    def n_workers(self) -> int:
        return 0 if self.b is None else max(0, self.b.n_workers)

    def close(self):
        if self.b is not None:
            self.b.close()


def _waves(cal: Calibration, folder: Path, backend: _Backend, progress: bool, manifest: dict) -> CalibrationReport:
    emulators: list[list] = []
    waves_diag: list[dict] = []
    total = ran = 0
    last_results = last_imp = None
    prev_fraction = None
    for wave in range(1, cal.meta.waves + 1):
        u, how = wave_design(cal, wave, emulators)
        if len(u) < 4:
            waves_diag.append({"wave": wave, "stopped": f"only {len(u)} of {how['candidates']} candidates are "
                               "non-implausible: too few for a wave; the previous wave is final", **how})
            _say(f"corridor: {cal.name}: wave {wave}: {waves_diag[-1]['stopped']}")
            break
        wdir = folder / f"wave_{wave}"
        for sub in (RUNS, FAILURES):
            (wdir / sub).mkdir(parents=True, exist_ok=True)
            remove_stale_in(wdir / sub)
        u, how = _started_design(cal, wdir, u, how)
        specs, design = run_specs(cal, u)
        write_table(wdir / DESIGN, pa.Table.from_pandas(design, preserve_index=False))
        ran += _run_wave(cal, wave, wdir, specs, backend, progress, prev_fraction)
        total += len(specs)
        results = results_table(cal, wdir, design)
        write_table(wdir / "results.parquet", pa.Table.from_pandas(results, preserve_index=False))
        uu, runs = per_point(cal, results)
        ems = [fit_emulator(t.id, uu, runs[t.id], t.value, t.obs_sd ** 2, cal.meta.discrepancy,
                            stream_seed(cal, "emulator", wave, t.id)) for t in cal.targets]
        emulators.append(ems)
        imp_t = simulated_implausibility(cal, runs, ems)
        imp = reduce_over_targets(imp_t, cal.meta.measure)
        ok = imp <= cal.meta.cutoff
        prev_fraction = float(ok.mean())
        waves_diag.append({"wave": wave, "points": len(uu), "runs": len(specs), **how,
                           "non_implausible_points": int(ok.sum()), "non_implausible_fraction": prev_fraction,
                           "implausibility_min": float(imp.min()), "implausibility_max": float(imp.max()),
                           "implausibility_median": float(np.median(imp)),
                           "emulators": [e.describe() for e in ems]})
        _say(f"corridor: {cal.name}: wave {wave}: {int(ok.sum())} of {len(uu)} points non-implausible "
             f"(simulated; cut-off {cal.meta.cutoff:g}); emulator LOO R^2 "
             + ", ".join(f"{e.target} {e.r2_loo:.2f}" for e in ems))
        last_results, last_imp = results, (imp, imp_t)
    final = _final_region(cal, emulators)
    posterior = _posterior(cal, last_results, *last_imp)
    write_table(folder / POSTERIOR, pa.Table.from_pandas(posterior, preserve_index=False))
    diag = {"name": cal.name, "measure": cal.meta.measure, "cutoff": cal.meta.cutoff,
            "var_obs": "((high - low) / 4)^2 per target: the record's range read as +-2 sd",
            "targets": [{"id": t.id, "quantity": t.quantity, "place": t.place, "start": t.start, "end": t.end,
                         "value": t.value, "low": t.low, "high": t.high, "unit": t.unit} for t in cal.targets],
            "waves": waves_diag, "non_implausible_fraction_of_prior": final, "posterior_points": int(posterior.point.nunique()) if len(posterior) else 0,
            "posterior_runs": len(posterior), "runs_total": total}
    write_json(folder / DIAGNOSTICS, diag, default=json_default)
    _charts(cal, folder)
    return CalibrationReport(folder, len([w for w in waves_diag if "points" in w]), total, ran,
                             diag["posterior_points"], len(posterior), 0.0)


def _started_design(cal: Calibration, wdir: Path, u: np.ndarray, how: dict) -> tuple[np.ndarray, dict]:
    """A resumed wave goes on with the points it was started on. The emulators that chose them
    are refitted on resume, and on another machine (another BLAS build) their optimiser may
    end elsewhere and choose other points: the finished runs would then be orphans."""
    saved = wdir / DESIGN
    if not saved.exists():
        return u, how
    started = design_points(cal, pd.read_parquet(saved))
    if started.shape == u.shape and np.array_equal(started, u):
        return u, how
    _say(f"corridor: {cal.name}: {wdir.name}: going on with the points it was started on "
         "(this session's emulators would choose others)")
    return started, {**how, "design": "the points the interrupted session started; this session's "
                                      "emulators chose others"}


def _final_region(cal: Calibration, emulators: list[list]) -> float:
    """Share of the prior that every wave's emulators, the last one's included, judge non-implausible."""
    from model.runs.calibrate.emulate import implausibility
    from model.runs.calibrate.waves import lhs

    cand = lhs(cal, cal.meta.candidates, "final region")
    ok = np.ones(len(cand), bool)
    for ems in emulators:
        ok &= implausibility(ems, cand, cal.meta.measure) <= cal.meta.cutoff
    return float(ok.mean())


def _run_wave(cal, wave, wdir, specs, backend, progress, prev_fraction) -> int:
    from tqdm import tqdm

    done = done_runs(wdir)
    todo = [s for s in specs if s.run_id not in done]
    columns = {"timeseries": list(cal.timeseries)}
    failed = 0
    if todo:
        b = backend.get(todo[0])
        with tqdm(total=len(specs), initial=len(specs) - len(todo), unit="run",
                  desc=f"{cal.name} wave {wave}/{cal.meta.waves}", disable=not progress, file=sys.stderr,
                  dynamic_ncols=True) as bar:
            if prev_fraction is not None:
                bar.set_postfix(non_implausible=f"{prev_fraction:.0%}")
            for spec, result in b.results(todo, f"cal{cal.sha256[:8]}w{wave}"):
                if result["ok"]:
                    write_run(wdir, spec, result, columns)
                else:
                    failed += 1
                    write_failure(wdir, spec, result)
                bar.update()
    if failed:
        raise InputError(wdir / FAILURES, None, f"{failed} run(s) of wave {wave} failed (errors in {wdir / FAILURES}/); "
                         "fix the cause and resume with --resume")
    return len(todo)


def _posterior(cal: Calibration, results: pd.DataFrame, imp: np.ndarray, imp_t: np.ndarray) -> pd.DataFrame:
    """The last wave's runs whose points are non-implausible by their simulated outputs."""
    points = np.sort(results.point.unique())
    per = pd.DataFrame({"point": points, "implausibility": imp,
                        **{f"implausibility_{t.id}": imp_t[:, i] for i, t in enumerate(cal.targets)}})
    keep = per[per.implausibility <= cal.meta.cutoff]
    post = results.merge(keep, on="point").sort_values(["point", "replicate"]).reset_index(drop=True)
    return post.drop(columns=["wall_seconds"])


def _charts(cal: Calibration, folder: Path) -> None:
    from model.outputs.calibration_charts import draw_calibration_charts

    draw_calibration_charts(cal, folder)
