"""A sweep's result folder: one Parquet file per finished run, the manifest, and compaction.

The client writes each finished run to its own file (temporary name, then rename);
`compact` gathers them into `summary.parquet` and `timeseries.parquet`. A folder is
checked before anything is written, and only what a sweep writes is ever removed.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from model.errors import InputError
from model.runs.folders import check_target, default_out, folder_kind, remove_stale_in, write_file, write_json
from model.runs.results import json_default
from model.runs.sweep.design import RunSpec
from model.runs.sweep.experiment import Experiment, canonical

RUN_METADATA_KEY = b"corridor.run"  # Parquet schema metadata holding a run's identity and outcomes
MANIFEST = "manifest.json"
DESIGN = "design.parquet"
RUNS = "runs"
FAILURES = "failures"
SUMMARY = "summary.parquet"
TIMESERIES = "timeseries.parquet"


def factor_columns(manifest_columns: dict) -> list[tuple[str, pa.DataType]]:
    types = {"float64": pa.float64(), "int64": pa.int64(), "bool": pa.bool_(), "string": pa.string()}
    return [(f["name"], types[f["type"]]) for f in manifest_columns["factors"]]


def summary_schema(columns: dict) -> pa.Schema:
    return pa.schema([("run_id", pa.string()), ("replicate", pa.int32()), ("seed", pa.int64()),
                      *factor_columns(columns), *[(o, pa.float64()) for o in columns["outcomes"]]])


def timeseries_schema(columns: dict) -> pa.Schema:
    return pa.schema([("run_id", pa.string()), ("step", pa.int32()), ("month", pa.string()),
                      *[(c, pa.float64()) for c in columns["timeseries"]]])


def design_schema(columns: dict, sample_columns: list[str]) -> pa.Schema:
    return pa.schema([("design_row", pa.int64()), ("sample", pa.int64()), ("replicate", pa.int32()),
                      ("run_id", pa.string()), ("seed", pa.int64()), *factor_columns(columns),
                      *[(c, pa.float64()) for c in sample_columns]])


def columns_of(exp: Experiment) -> dict:
    names = {pa.float64(): "float64", pa.int64(): "int64", pa.bool_(): "bool", pa.string(): "string"}
    return {"factors": [{"name": f.name, "role": exp.roles[f.name], "type": names[f.arrow_type],
                         "paths": f.paths, "unit": f.unit, "doc": f.doc} for f in exp.factors],
            "outcomes": exp.outcomes, "timeseries": exp.timeseries}


def write_table(path: Path, table: pa.Table, tidy: bool = True) -> None:
    # fsync'ed before the rename: it must never expose a file whose bytes are not on disk
    write_file(path, lambda tmp: pq.write_table(table, tmp), tidy=tidy)


def write_manifest(folder: Path, manifest: dict) -> None:
    write_json(folder / MANIFEST, manifest, default=json_default)


def write_run(folder: Path, spec: RunSpec, result: dict, columns: dict) -> None:
    """One finished run: its monthly table, with identity and outcomes in the schema metadata."""
    n = len(result["steps"])
    schema = timeseries_schema(columns)
    meta = {"run_id": spec.run_id, "replicate": spec.replicate, "seed": spec.seed, "factors": spec.factors,
            "outcomes": result["outcomes"], "worker": result["worker"], "corridor": result["corridor"],
            "wall_seconds": round(result["wall_seconds"], 4)}
    arrays = [pa.array([spec.run_id] * n, pa.string()), pa.array(result["steps"], pa.int32()),
              pa.array(result["months"], pa.string()),
              *[pa.array(result["columns"][c], pa.float64()) for c in columns["timeseries"]]]
    table = pa.Table.from_arrays(arrays, schema=schema.with_metadata({RUN_METADATA_KEY: canonical(meta)}))
    write_table(folder / RUNS / f"{spec.run_id}.parquet", table, tidy=False)  # runs/ tidied once
    (folder / FAILURES / f"{spec.run_id}.json").unlink(missing_ok=True)


def write_failure(folder: Path, spec: RunSpec, result: dict) -> None:
    rec = {"run_id": spec.run_id, "replicate": spec.replicate, "seed": spec.seed, "factors": spec.factors,
           "worker": result.get("worker"), "error": result["error"], "traceback": result.get("traceback", ""),
           "time": now()}
    write_json(folder / FAILURES / f"{spec.run_id}.json", rec, default=json_default)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise InputError(folder, None, f"not a sweep result folder (no {MANIFEST})")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, None, f"unreadable manifest: {exc}") from None


def done_runs(folder: Path) -> set[str]:
    return {p.stem for p in (Path(folder) / RUNS).glob("r*.parquet")}


def compact(folder: Path | str) -> dict:
    """Gather the run files into summary.parquet and timeseries.parquet (each written atomically)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    columns = manifest["columns"]
    order = {rid: i for i, rid in enumerate(pq.read_table(folder / DESIGN, columns=["run_id"])
                                            .column("run_id").to_pylist())} \
        if (folder / DESIGN).is_file() else {}
    files = sorted((folder / RUNS).glob("r*.parquet"), key=lambda p: (order.get(p.stem, len(order)), p.stem))
    s_schema, t_schema = summary_schema(columns), timeseries_schema(columns)
    rows, tables = [], []
    for f in files:
        table = pq.read_table(f)
        meta = json.loads(table.schema.metadata[RUN_METADATA_KEY])
        rows.append({"run_id": meta["run_id"], "replicate": meta["replicate"], "seed": meta["seed"],
                     **meta["factors"], **{o: meta["outcomes"].get(o) for o in columns["outcomes"]}})
        tables.append(table.replace_schema_metadata(None).select(t_schema.names).cast(t_schema))
    summary = pa.Table.from_pylist(rows, schema=s_schema)
    timeseries = pa.concat_tables(tables) if tables else t_schema.empty_table()
    write_table(folder / SUMMARY, summary)
    write_table(folder / TIMESERIES, timeseries)
    failed = sorted(p.stem for p in (folder / FAILURES).glob("r*.json"))
    return {"runs": len(rows), "failed": len(failed), "planned": manifest.get("counts", {}).get("planned")}


def default_folder(exp: Experiment) -> Path:
    return default_out("sweeps", exp.name)


def prepare_folder(folder: Path, exp: Experiment, fresh: bool) -> dict | None:
    """Check the folder can take this experiment; return the existing manifest (resume) or None.

    Raises before anything is written: a folder from a different experiment (or one whose
    scenario or map changed) is refused unless --fresh, and a folder that is not a sweep
    folder is never touched.
    """
    check_target(folder, "sweep")    # new, empty, or a sweep folder of ours; else refused untouched
    for place in (folder, folder / RUNS, folder / FAILURES):
        remove_stale_in(place)        # temporaries of ours whose writer died
    if not folder.exists() or not any(folder.iterdir()):
        return None
    old = read_manifest(folder)
    if fresh:
        return None
    changes = [(label, old.get(key), new) for label, key, new in (
        ("experiment file", "experiment_sha256", exp.sha256),
        ("base scenario (after extends and constants)", "scenario_sha256", exp.base_sha256),
        ("map file", "map_sha256", exp.map_sha256)) if old.get(key) != new]
    if changes:
        what = ", ".join(c[0] for c in changes)
        raise InputError(folder, None, f"holds results of a different experiment: the {what} changed since "
                         f"it was started (was {old.get('experiment_file')}). Rerun with --fresh to discard "
                         "them, or pick a new --out")
    return old


def wipe(folder: Path) -> None:
    """Remove only what a sweep writes, so a mistaken --out never loses other files."""
    if folder_kind(folder) != "sweep":    # prepare_folder checked; never wipe anything else
        raise InputError(folder, "--fresh", "is not a Corridor sweep result folder; nothing was changed")
    for name in (MANIFEST, DESIGN, SUMMARY, TIMESERIES):
        (folder / name).unlink(missing_ok=True)
    for sub in (RUNS, FAILURES):
        shutil.rmtree(folder / sub, ignore_errors=True)
