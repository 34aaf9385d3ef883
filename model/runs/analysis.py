"""Analysis of a finished sweep: sensitivity indices and scenario discovery.

What the design allows decides the method: Sobol indices need Saltelli samples, Morris
elementary effects need Morris trajectories (both from SALib); a grid gets main effects
(the mean outcome at each factor value) and a Latin hypercube rank correlations.
Scenario discovery (PRIM, from EMA Workbench, an optional extra) finds the factor box
where an outcome crosses a threshold. Replicates are averaged per design point first, so
the indices describe the expected outcome, not one seed's noise.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from model.errors import InputError
from model.runs.sweep import DESIGN, SUMMARY, DesignKind, compact, done_runs, read_manifest

METHODS = ("auto", "sobol", "morris", "effects", "correlation", "none")
CONFIDENCE = 0.95            # level of the bootstrap confidence intervals SALib reports
RESAMPLES = 200              # bootstrap resamples behind those intervals
PRIM_MIN_DENSITY = 0.8       # default: keep the widest box in which at least 80% of runs are of interest
ANALYSIS_DIR = "analysis"


def load_results(folder: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Manifest, design and summary tables; compacts first if run files are newer than the summary."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, None, "not a folder; give the result folder of `corridor sweep`")
    manifest = read_manifest(folder)
    if not (folder / DESIGN).is_file():
        raise InputError(folder, None, f"no {DESIGN}: the sweep never started")
    summary_path = folder / SUMMARY
    runs = list((folder / "runs").glob("r*.parquet"))
    if not summary_path.is_file() or any(p.stat().st_mtime_ns > summary_path.stat().st_mtime_ns for p in runs):
        compact(folder)
    return manifest, pq.read_table(folder / DESIGN).to_pandas(), pq.read_table(summary_path).to_pandas()


def _check_outcomes(folder: Path, manifest: dict, wanted: list[str] | None) -> list[str]:
    have = manifest["columns"]["outcomes"]
    if not wanted:
        return list(have)
    for o in wanted:
        if o not in have:
            raise InputError(folder, "--outcome", f"'{o}' is not an outcome of this sweep; it kept: {', '.join(have)}")
    return list(wanted)


def undefined(summary: pd.DataFrame, outcome: str) -> str:
    """Why an outcome gets no index ('' if every run has a value): a NaN is not an influence of 0."""
    k = int(summary[outcome].isna().sum())
    return f"n/a: outcome undefined (NaN) in {k} of {len(summary)} runs" if k else ""


def _missing(names: list[str], columns: tuple[str, ...], note: str) -> pd.DataFrame:
    """An index table for an outcome without a value in some runs: every index n/a, and why."""
    t = pd.DataFrame(np.nan, index=pd.Index(names, name="factor"), columns=list(columns))
    t["note"] = note
    return t


def _per_point(design: pd.DataFrame, summary: pd.DataFrame, outcomes: list[str], folder: Path) -> pd.DataFrame:
    """Mean outcome over replicates for every design point, in sample order; all points required.

    A run that has a result but an undefined (NaN) outcome keeps its NaN: the caller reports
    that outcome as missing instead of computing indices from part of the design.
    """
    joined = design.merge(summary[["run_id", *outcomes]], on="run_id", how="left")
    missing = ~joined["run_id"].isin(summary["run_id"])
    if missing.any():
        n_runs = joined.loc[missing, "run_id"].nunique()
        raise InputError(folder, None, f"{n_runs} run(s) of the design have no result (missing or failed); "
                         "finish the sweep (`corridor sweep` resumes) before computing indices")
    holes = joined[outcomes].isna().groupby(joined["sample"], sort=True).any()
    return joined.groupby("sample", sort=True)[outcomes].mean().mask(holes)


def sobol_indices(manifest, design, summary, outcomes, folder) -> dict[str, pd.DataFrame]:
    from SALib.analyze import sobol

    problem = manifest["salib_problem"]
    y = _per_point(design, summary, outcomes, folder)
    out = {}
    for o in outcomes:
        if note := undefined(summary, o):
            out[o] = _missing(problem["names"], ("S1", "S1_conf", "ST", "ST_conf"), note)
            continue
        res = sobol.analyze(problem, y[o].to_numpy(), calc_second_order=manifest["design"]["second_order"],
                            num_resamples=RESAMPLES, conf_level=CONFIDENCE, seed=manifest["design"]["seed"])
        out[o] = pd.DataFrame({k: res[k] for k in ("S1", "S1_conf", "ST", "ST_conf")},
                              index=pd.Index(problem["names"], name="factor"))
    return out


def morris_indices(manifest, design, summary, outcomes, folder) -> dict[str, pd.DataFrame]:
    from SALib.analyze import morris

    problem = manifest["salib_problem"]
    y = _per_point(design, summary, outcomes, folder)
    cols = [f"sample_{n}" for n in problem["names"]]
    X = design.groupby("sample", sort=True)[cols].first().to_numpy()
    out = {}
    for o in outcomes:
        if note := undefined(summary, o):
            out[o] = _missing(problem["names"], ("mu", "mu_star", "sigma", "mu_star_conf"), note)
            continue
        res = morris.analyze(problem, X, y[o].to_numpy(), num_resamples=RESAMPLES, conf_level=CONFIDENCE,
                             num_levels=manifest["design"]["levels"], seed=manifest["design"]["seed"])
        out[o] = pd.DataFrame({k: res[k] for k in ("mu", "mu_star", "sigma", "mu_star_conf")},
                              index=pd.Index(problem["names"], name="factor"))
    return out


def main_effects(manifest, summary, outcomes) -> dict[str, pd.DataFrame]:
    """Mean of each outcome at each value of each factor (over all other runs), and its range.

    A mean over the runs that happen to have a value would compare different subsets of the
    design, so a value with an undefined outcome in any run is n/a, its range too, with a note.
    """
    notes = {o: undefined(summary, o) for o in outcomes}
    out = {}
    for f in manifest["columns"]["factors"]:
        by = summary[f["name"]]
        holes = summary[outcomes].isna().groupby(by, sort=True).any()
        means = summary.groupby(f["name"], sort=True)[outcomes].mean().mask(holes).T
        means.columns = [f"{f['name']}={v}" for v in means.columns]
        means["range"] = means.max(axis=1, skipna=False) - means.min(axis=1, skipna=False)
        if any(notes.values()):
            means["note"] = [notes[o] for o in means.index]
        out[f["name"]] = means.rename_axis("outcome")
    return out


def rank_correlations(manifest, summary, outcomes) -> dict[str, pd.DataFrame]:
    """Spearman correlation of each factor with each outcome (categorical factors by value index).

    An outcome undefined in some runs gets n/a, not a correlation over the other runs; the
    reason is in the table's attrs["notes"] (printed under the table).
    """
    notes = {o: n for o in outcomes if (n := undefined(summary, o))}
    notes |= {o: "n/a: outcome is the same in every run (nothing to correlate)" for o in outcomes
              if o not in notes and summary[o].nunique() <= 1}
    table = {}
    for f in manifest["columns"]["factors"]:
        x = summary[f["name"]]
        if not pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x):
            x = pd.Series(pd.factorize(x, sort=True)[0], index=x.index)
        table[f["name"]] = {o: np.nan if o in notes else x.corr(summary[o], method="spearman") for o in outcomes}
    out = pd.DataFrame(table).T.rename_axis("factor")
    out.attrs["notes"] = notes
    return {"spearman": out}


_THRESHOLD = re.compile(r"^\s*(?P<outcome>[^<>=\s]+)\s*(?P<op>[<>]=?)\s*(?P<value>[-+0-9.eE]+)\s*$")


def parse_threshold(text: str, folder: Path, outcomes: list[str]) -> tuple[str, str, float]:
    m = _THRESHOLD.match(text or "")
    if not m:
        raise InputError(folder, "--prim", f"expected OUTCOME>VALUE or OUTCOME<VALUE, e.g. "
                         f"'displacement.ratio>1', got '{text}'")
    try:
        value = float(m["value"])
    except ValueError:
        raise InputError(folder, "--prim", f"'{m['value']}' is not a number") from None
    if m["outcome"] not in outcomes:
        raise InputError(folder, "--prim", f"'{m['outcome']}' is not an outcome of this sweep; it kept: "
                         f"{', '.join(outcomes)}")
    return m["outcome"], m["op"], value


def prim_box(manifest, summary, threshold: tuple[str, str, float], min_density: float,
             folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The PRIM box of factor values where the outcome condition holds (EMA Workbench)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # it warns about its own optional parallel extras
            from ema_workbench.analysis import prim
    except ImportError:
        raise InputError(folder, "--prim", "scenario discovery needs EMA Workbench, an optional extra: "
                         "pip install -e '.[analysis]'") from None
    outcome, op, value = threshold
    names = [f["name"] for f in manifest["columns"]["factors"]]
    data = summary.dropna(subset=[outcome])
    x = data[names].copy()
    for n in names:
        # categorical factors as value indices (false/true -> 0/1, text in sorted order): box limits
        # on categories trip EMA Workbench 3.0 under pandas 3
        if not pd.api.types.is_numeric_dtype(x[n]) or pd.api.types.is_bool_dtype(x[n]):
            x[n] = pd.factorize(x[n], sort=True)[0].astype(float)
    y = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op](data[outcome], value)
    y = y.to_numpy(bool)
    if y.all() or not y.any():
        raise InputError(folder, "--prim", f"'{outcome}{op}{value}' holds in {'all' if y.all() else 'none'} "
                         f"of the {len(y)} runs; choose a threshold that splits them")
    import logging
    logging.getLogger("EMA").setLevel(logging.ERROR)
    finder = prim.Prim(x.reset_index(drop=True), y)
    box = finder.find_box()
    traj = box.peeling_trajectory
    ok = traj[traj["density"] >= min_density]
    pick = int(ok["coverage"].idxmax()) if len(ok) else int(traj.index[-1])
    box.select(pick)
    stats, lims = box.inspect(pick, style="data")[0]
    lims.columns = ["min", "max", "qp value (min)", "qp value (max)"]
    stats = pd.DataFrame({"value": stats}).rename_axis("statistic")
    return stats, lims.rename_axis("factor")


def analyze(folder: Path | str, outcomes: list[str] | None = None, method: str = "auto",
            prim: str | None = None, prim_density: float = PRIM_MIN_DENSITY,
            out: Path | None = None) -> list[tuple[str, pd.DataFrame, Path]]:
    """Compute the tables the design allows; write each as CSV; return (title, table, file)."""
    folder = Path(folder)
    if method not in METHODS:
        raise InputError(folder, "--method", f"expected one of {', '.join(METHODS)}, got '{method}'")
    manifest, design, summary = load_results(folder)
    chosen = _check_outcomes(folder, manifest, outcomes)
    threshold = parse_threshold(prim, folder, manifest["columns"]["outcomes"]) if prim else None
    kind = manifest["design"]["kind"]
    if method == "auto":
        method = {DesignKind.SOBOL: "sobol", DesignKind.MORRIS: "morris",
                  DesignKind.GRID: "effects"}.get(kind, "correlation")
    if method in ("sobol", "morris") and kind != method:
        raise InputError(folder, "--method", f"{method} indices need a '{method}' design; this sweep's design "
                         f"is '{kind}' (try --method {'effects' if kind == 'grid' else 'correlation'})")
    if summary.empty:
        raise InputError(folder, None, "no finished runs to analyse yet")

    tables: list[tuple[str, pd.DataFrame]] = []
    if method == "sobol":
        tables += [(f"sobol_{o}", t) for o, t in sobol_indices(manifest, design, summary, chosen, folder).items()]
    elif method == "morris":
        tables += [(f"morris_{o}", t) for o, t in morris_indices(manifest, design, summary, chosen, folder).items()]
    elif method == "effects":
        tables += [(f"effects_{f}", t) for f, t in main_effects(manifest, summary, chosen).items()]
    elif method == "correlation":
        tables += [(f"correlation_{k}", t) for k, t in rank_correlations(manifest, summary, chosen).items()]
    if threshold:
        stats, lims = prim_box(manifest, summary, threshold, prim_density, folder)
        tables += [("prim_stats", stats), ("prim_box", lims)]

    out = Path(out) if out else folder / ANALYSIS_DIR
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for title, table in tables:
        path = out / f"{_safe(title)}.csv"
        table.to_csv(path)
        written.append((title, table, path))
    (out / "analysis.json").write_text(json.dumps({
        "method": method, "outcomes": chosen, "prim": prim, "runs": int(len(summary)),
        "planned": manifest.get("counts", {}).get("planned"), "tables": [str(p.name) for _, _, p in written],
        "done_runs": len(done_runs(folder)),
        "undefined": {o: n for o in chosen if (n := undefined(summary, o))}}, indent=2) + "\n")
    return written


def _safe(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", title)
