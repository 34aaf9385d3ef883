"""Policy sweeps: an experiment file, its design, a resumable runner on Dask, and compaction.

    experiment  the experiment file's schema; loading it against the scenario and map
    design      design points x replicates -> runs, each named and seeded by its identity
    worker      one run on a worker process (what Dask pickles by module path)
    backends    in this process, or Dask (LocalCluster or a running scheduler)
    store       the result folder: run files, manifest, compaction, folder checks
    guard       size limits, the folder lock, time estimates, Ctrl-C
    runner      a sweep session: run_sweep

The names below are the package's interface for the CLI, analysis, charts and tests.
"""

from model.runs.sweep.backends import DaskBackend, SerialBackend
from model.runs.sweep.design import DesignTable, RunSpec, build_design, design_points, run_id_of, run_identity
from model.runs.sweep.experiment import DesignKind, Experiment, flatten, load_experiment, parse_path, set_path
from model.runs.sweep.guard import SweepInterrupted, check_size, count_runs
from model.runs.sweep.runner import SweepReport, run_sweep
from model.runs.sweep.store import (DESIGN, FAILURES, MANIFEST, RUNS, SUMMARY, TIMESERIES, compact, default_folder,
                                    done_runs, read_manifest, write_run)
from model.runs.sweep.worker import available_cores, execute

__all__ = ["DESIGN", "FAILURES", "MANIFEST", "RUNS", "SUMMARY", "TIMESERIES", "DaskBackend", "DesignKind",
           "DesignTable", "Experiment", "RunSpec", "SerialBackend", "SweepInterrupted", "SweepReport",
           "available_cores", "build_design", "check_size", "compact", "count_runs", "default_folder",
           "design_points", "done_runs", "execute", "flatten", "load_experiment", "parse_path", "read_manifest",
           "run_id_of", "run_identity", "run_sweep", "set_path", "write_run"]
