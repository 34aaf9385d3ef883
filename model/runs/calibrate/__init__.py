"""History matching of a scenario to the historical record, on the sweep engine.

    spec     the calibration file's schema; loading it against scenario, map and record
    emulate  Gaussian-process emulators per target and the implausibility measure
    waves    each wave's seeded design, its runs and its results table
    runner   a calibration session: run_calibration (resumable), posterior, diagnostics
"""

from model.runs.calibrate.runner import CalibrationReport, run_calibration
from model.runs.calibrate.spec import Calibration, load_calibration

__all__ = ["Calibration", "CalibrationReport", "load_calibration", "run_calibration"]
