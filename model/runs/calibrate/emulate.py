"""Gaussian-process emulators of the targets and the implausibility measure of history matching.

One scikit-learn GaussianProcessRegressor per target, fitted on a wave's design points (the
mean of the target over the point's seeds) in the unit cube of the parameters. For a
parameter point x and target z (the record's value):

    I(x) = |z - E[f(x)]| / sqrt(Var_emulator(x) + Var_obs + Var_seed + Var_discrepancy)

with Var_obs = ((high - low) / 4)^2 (the record's range read as +-2 sd), Var_seed the mean
over the wave's points of the variance between seeds (one history is one realisation, so the
whole seed variance counts), and Var_discrepancy = (discrepancy x |z|)^2.
"""

from __future__ import annotations

import platform
import warnings
from dataclasses import dataclass

import numpy as np

ALPHA = 1e-8          # jitter on the kernel's diagonal (the WhiteKernel carries the noise)
RESTARTS = 3          # optimiser restarts of the kernel's hyperparameters, seeded
LENGTH_MIN = 0.1      # shortest length-scale in the unit cube: a wave of tens of points cannot resolve less


def fit_environment() -> dict:
    """What an emulator fit depends on beyond its inputs: scikit-learn and the BLAS it runs on.

    The runs of a calibration are the same on every machine; the kernels' hyperparameter
    optimiser is not: a BLAS built for another CPU rounds differently and L-BFGS can end in
    another local optimum, so later waves' designs may differ between machines.
    """
    import sklearn
    from threadpoolctl import threadpool_info

    blas = sorted({f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')})"
                   for i in threadpool_info() if i.get("user_api") == "blas"})
    return {"scikit-learn": sklearn.__version__, "blas": blas, "machine": platform.machine(),
            "processor": _cpu_model()}


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


@dataclass
class Emulator:
    target: str
    gp: object              # fitted GaussianProcessRegressor
    z: float                # the record's value
    var_obs: float
    var_seed: float
    var_disc: float
    r2_fit: float
    r2_loo: float
    constant: float | None = None    # every training point gave the same value: no GP needed

    def predict(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.constant is not None:
            return np.full(len(u), self.constant), np.zeros(len(u))
        mean, sd = self.gp.predict(u, return_std=True)
        return mean, sd ** 2

    def implausibility(self, u: np.ndarray) -> np.ndarray:
        mean, var = self.predict(u)
        return np.abs(self.z - mean) / np.sqrt(var + self.var_obs + self.var_seed + self.var_disc)

    def describe(self) -> dict:
        return {"target": self.target, "r2_fit": _round(self.r2_fit), "r2_loo": _round(self.r2_loo),
                "kernel": "constant" if self.constant is not None else str(self.gp.kernel_),
                "var_obs": _round(self.var_obs), "var_seed": _round(self.var_seed), "var_disc": _round(self.var_disc)}


def _round(v: float) -> float | None:
    return None if v is None or not np.isfinite(v) else float(f"{v:.6g}")


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float(((y - pred) ** 2).sum()) / ss if ss > 0 else float("nan")


def fit_emulator(target: str, u: np.ndarray, runs: np.ndarray, z: float, var_obs: float, discrepancy: float,
                 seed: int) -> Emulator:
    """`u`: points x parameters in [0, 1]; `runs`: points x seeds of the target's simulated value."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    y = runs.mean(axis=1)
    var_seed = float(np.mean(runs.var(axis=1, ddof=1))) if runs.shape[1] > 1 else 0.0
    var_disc = (discrepancy * abs(z)) ** 2
    if np.ptp(y) == 0:
        return Emulator(target, None, z, var_obs, var_seed, var_disc, 1.0, 1.0, constant=float(y[0]))
    d = u.shape[1]
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.full(d, 0.3), (LENGTH_MIN, 1e2)) + \
        WhiteKernel(1e-2, (1e-8, 1.0))
    gp = GaussianProcessRegressor(kernel, alpha=ALPHA, normalize_y=True, n_restarts_optimizer=RESTARTS,
                                  random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # convergence notes on bounds: the fit is still used
        gp.fit(u, y)
    return Emulator(target, gp, z, var_obs, var_seed, var_disc, _r2(y, gp.predict(u)), _loo_r2(gp, u, y))


def _loo_r2(gp, u: np.ndarray, y: np.ndarray) -> float:
    """Leave-one-out R^2 with the fitted hyperparameters (closed form: r_i = [K^-1 y]_i / [K^-1]_ii)."""
    ys = (y - gp._y_train_mean) / gp._y_train_std
    K = gp.kernel_(u) + ALPHA * np.eye(len(u))
    try:
        Kinv = np.linalg.inv(K)
    except np.linalg.LinAlgError:
        return float("nan")
    resid = (Kinv @ ys) / np.diag(Kinv) * gp._y_train_std
    return _r2(y, y - resid)


def implausibility(emulators: list[Emulator], u: np.ndarray, measure: str) -> np.ndarray:
    """The max (or second largest) implausibility over targets at each point."""
    if not emulators:
        return np.zeros(len(u))
    imp = np.column_stack([e.implausibility(u) for e in emulators])
    return reduce_over_targets(imp, measure)


def reduce_over_targets(imp: np.ndarray, measure: str) -> np.ndarray:
    if measure == "second_max" and imp.shape[1] >= 3:
        return np.sort(imp, axis=1)[:, -2]
    return imp.max(axis=1)
