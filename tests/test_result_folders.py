"""What a command may write: only new, empty or its own result folders, whole or not at all.

Each test pins one defect of issue 12 ("data loss and writing outside the chosen place",
environment errors when writing). CLI tests run the real command in a fresh process.
"""

import errno
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SCENARIOS, corridor_cli
from sweep_toy import write_toy_experiment

QUICK = ("--steps", "2", "--no-charts", "--quiet")
CRACKDOWN = SCENARIOS / "mexico_crackdown.toml"
BASELINE = SCENARIOS / "baseline.toml"     # no policy: a 2-month run prints no policy warning


def cli(*args, cwd, umask=None):
    """`corridor` run from another folder (this checkout's package on the path)."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "model.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=env, umask=-1 if umask is None else umask)


def snapshot(folder: Path) -> dict:
    """Every file under `folder` with its bytes: to show nothing in it changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def temporaries(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if "corridor-tmp" in p.name or p.name.startswith(".")]


def one_line(stderr: str) -> bool:
    return len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "crackdown"
    r = corridor_cli("run", CRACKDOWN, *QUICK, "--out", out)
    assert r.returncode == 0, r.stderr
    return out


def user_folder(tmp_path: Path) -> Path:
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "thesis.docx").write_bytes(b"years of work")
    (mine / "sub" / "data.csv").write_text("a,b\n1,2\n")
    return mine


# ------------------------------------------------------------------ folders that are not ours

def test_run_out_a_user_folder_is_refused_and_untouched(tmp_path):
    mine = user_folder(tmp_path)
    before = snapshot(mine)
    r = corridor_cli("run", CRACKDOWN, *QUICK, "--out", mine)
    assert r.returncode == 2 and one_line(r.stderr), r.stderr
    assert "is not a run result folder" in r.stderr and str(mine) in r.stderr
    assert snapshot(mine) == before and temporaries(tmp_path) == []


def test_run_out_current_folder_is_refused(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    r = cli("run", CRACKDOWN, *QUICK, "--out", ".", cwd=tmp_path)
    assert r.returncode == 2 and one_line(r.stderr) and "current folder" in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_sweep_fresh_on_a_run_folder_is_refused(tmp_path, run_folder):
    exp = write_toy_experiment(tmp_path / "exp", steps=6, replications=1, units=(4.0,), decays=(0.1,))
    before = snapshot(run_folder)
    r = corridor_cli("sweep", exp, "--workers", "0", "--fresh", "--out", run_folder)
    assert r.returncode == 2 and one_line(r.stderr), r.stderr
    assert "run result, not a sweep result" in r.stderr
    assert snapshot(run_folder) == before


def test_compare_out_an_existing_file_is_refused_before_running(tmp_path):
    f = tmp_path / "compare"
    f.write_text("not a folder")
    t0 = time.perf_counter()
    r = corridor_cli("compare", CRACKDOWN, "--replications", "1", "--steps", "2", "--quiet", "--out", f)
    assert r.returncode == 2 and one_line(r.stderr) and "is a file" in r.stderr, r.stderr
    assert "pair" not in r.stderr            # no progress: nothing ran
    assert f.read_text() == "not a folder" and time.perf_counter() - t0 < 30


def early_crackdown(folder: Path) -> Path:
    """The crackdown from month 1, so a 2-month compare has a policy in force to compare."""
    path = folder / "early_crackdown.toml"
    path.write_text(f'[scenario]\nextends = "{CRACKDOWN}"\nname = "early_crackdown"\n\n'
                    '[[policy]]\nlever = "enforcement_units"\ntarget = ["MX"]\nstart = 1\n'
                    'operation = "multiply"\nvalue = 3.0\n')
    return path


def test_compare_writes_a_folder_of_its_own_and_replaces_it(tmp_path):
    out = tmp_path / "cmp"
    scenario = early_crackdown(tmp_path)
    for _ in range(2):
        r = corridor_cli("compare", scenario, "--replications", "1", "--steps", "2", "--quiet", "--out", out)
        assert r.returncode == 0, r.stderr
    assert json.loads((out / "manifest.json").read_text())["kind"] == "compare"
    mine = user_folder(tmp_path)
    r = corridor_cli("compare", scenario, "--replications", "1", "--steps", "2", "--quiet", "--out", mine)
    assert r.returncode == 2 and "pair" not in r.stderr and (mine / "thesis.docx").is_file()


@pytest.mark.slow
def test_brief_out_over_a_users_file_is_refused(tmp_path):
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(b"%PDF-1.4 the minister's own copy")
    r = corridor_cli("brief", SCENARIOS / "demand_reduction.toml", "--replications", "1", "--steps", "25",
                     "--quiet", "--out", pdf)
    assert r.returncode == 2 and one_line(r.stderr) and "not written by Corridor" in r.stderr, r.stderr
    assert pdf.read_bytes() == b"%PDF-1.4 the minister's own copy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.pdf"]


def test_brief_html_beside_is_checked_too(tmp_path):
    (tmp_path / "brief.html").write_text("<html>my notes</html>")
    r = corridor_cli("brief", SCENARIOS / "demand_reduction.toml", "--replications", "1", "--steps", "25",
                     "--quiet", "--out", tmp_path / "brief.pdf")
    assert r.returncode == 2 and "brief.html" in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.html"]


def test_brief_recognises_its_own_files():
    from model.outputs.brief import HTML_MARK, PDF_MARK, html_document
    assert HTML_MARK in html_document([], [], None).encode()
    import io

    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from model.outputs.brief import PDF_CREATOR
    buf = io.BytesIO()
    with PdfPages(buf, metadata={"Creator": f"{PDF_CREATOR} 1.0"}) as pdf:
        pdf.savefig(plt.figure())
    assert PDF_MARK in buf.getvalue()


def test_plot_out_a_user_folder_is_refused(tmp_path, run_folder):
    mine = user_folder(tmp_path)
    before = snapshot(mine)
    r = corridor_cli("plot", run_folder, "--out", mine)
    assert r.returncode == 2 and one_line(r.stderr) and "not a plot result folder" in r.stderr, r.stderr
    assert snapshot(mine) == before


# ------------------------------------------------------------------ names that leave results/

@pytest.mark.parametrize("name", ["../../x", "ABS"])
def test_scenario_name_must_be_a_plain_slug(tmp_path, name):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    if name == "ABS":
        name = str(tmp_path / "abs")
    sc = tmp_path / "bad.toml"
    sc.write_text(f'[scenario]\nname = "{name}"\nextends = "{SCENARIOS / "mexico_crackdown.toml"}"\n'
                  f'map = "{SCENARIOS / "maps" / "transit_zone.toml"}"\n')
    r = cli("run", sc, *QUICK, cwd=work)
    assert r.returncode == 2 and one_line(r.stderr), r.stderr
    assert "field 'scenario.name'" in r.stderr and "plain name" in r.stderr
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["a", "a/b", "bad.toml"]


def test_shipped_names_are_slugs():
    from model.scenario import load_scenario, read_toml
    from model.runs.calibrate.spec import load_calibration
    from model.runs.sweep import load_experiment
    for p in SCENARIOS.glob("*.toml"):
        load_scenario(p)
    for p in (ROOT / "experiments").glob("*.toml"):      # sweeps, and calibrations ([calibration])
        (load_calibration if "calibration" in read_toml(p) else load_experiment)(p)


def test_default_out_stays_inside_results():
    from model.errors import InputError
    from model.runs.folders import default_out
    assert default_out("sweeps", "smoke") == Path("results/sweeps/smoke")
    for bad in ("..", "../x", "/abs", ""):
        with pytest.raises(InputError):
            default_out(bad)


# ------------------------------------------------------------------ temporaries and modes

def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temporary_is_removed_on_next_run(tmp_path):
    host = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
    out = tmp_path / "r"
    stale = tmp_path / f".r.corridor-tmp-{host}-{_dead_pid()}-0badc0de"
    live = tmp_path / f".r.corridor-tmp-{host}-{os.getpid()}-0badc0de"   # a writer still running
    for t in (stale, live):
        t.mkdir()
        (t / "timeseries.parquet").write_bytes(b"half")
    r = corridor_cli("run", CRACKDOWN, *QUICK, "--out", out)
    assert r.returncode == 0, r.stderr
    assert not stale.exists() and live.exists()


def test_files_and_folders_follow_the_umask(tmp_path):
    r = cli("run", CRACKDOWN, *QUICK, "--out", tmp_path / "r", cwd=ROOT, umask=0o022)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "r").stat().st_mode & 0o777 == 0o755
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "r").iterdir()}
    assert set(modes.values()) == {0o644}, modes


def test_replacing_our_own_run_folder_works_also_from_an_older_version(tmp_path):
    out = tmp_path / "r"
    assert corridor_cli("run", CRACKDOWN, *QUICK, "--out", out).returncode == 0
    m = json.loads((out / "manifest.json").read_text())
    assert (m["tool"], m["kind"]) == ("corridor", "run")
    old = {k: v for k, v in m.items() if k not in ("tool", "kind")}     # as the older version wrote it
    (out / "manifest.json").write_text(json.dumps(old))
    r = corridor_cli("run", CRACKDOWN, *QUICK, "--seed", "7", "--out", out)
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "manifest.json").read_text())["seed"] == 7 and temporaries(tmp_path) == []


# ------------------------------------------------------------------ environment errors

def test_full_disk_is_one_line_exit_1_and_nothing_half_written(tmp_path, monkeypatch, capsys):
    import numpy as np

    from model.cli import main as corridor

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(np, "savez_compressed", full)
    out = tmp_path / "r"
    assert corridor.main(["run", str(BASELINE), *QUICK, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert one_line(err) and f"cannot write {out}: No space left on device" in err, err
    assert list(tmp_path.iterdir()) == []


def test_full_disk_in_a_sweep_is_one_line_exit_1(tmp_path, monkeypatch, capsys):
    import pyarrow.parquet as pq

    from model.cli import main as corridor

    exp = write_toy_experiment(tmp_path / "exp", steps=6, replications=1, units=(4.0,), decays=(0.1,))
    real = pq.write_table

    def full(table, where, *a, **k):
        if "runs" in str(where):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(table, where, *a, **k)
    monkeypatch.setattr(pq, "write_table", full)
    out = tmp_path / "sw"
    assert corridor.main(["sweep", str(exp), "--workers", "0", "--quiet", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("corridor: error")]   # after the run count
    assert len(errors) == 1 and "No space left on device" in errors[0] and "Traceback" not in err, err
    assert [p.name for p in (out / "runs").iterdir()] == []


def _mount_tmpfs(where: Path, opts: str) -> bool:
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True)
    return r.returncode == 0


@pytest.fixture
def mounted(tmp_path):
    made = []

    def mount(opts):
        where = tmp_path / f"fs{len(made)}"
        if not _mount_tmpfs(where, opts):
            pytest.skip("cannot mount a tmpfs here (needs root)")
        made.append(where)
        return where
    yield mount
    for where in made:
        subprocess.run(["umount", str(where)], capture_output=True)


def test_read_only_out_is_one_line_exit_1(mounted):
    ro = mounted("ro,size=1m")
    r = corridor_cli("run", BASELINE, *QUICK, "--out", ro / "r")
    assert r.returncode == 1 and one_line(r.stderr), r.stderr
    assert f"cannot write {ro / 'r'}: Read-only file system" in r.stderr


def test_really_full_disk_is_one_line_exit_1(mounted):
    small = mounted("size=16k")
    r = corridor_cli("run", BASELINE, *QUICK, "--out", small / "r")
    assert r.returncode == 1 and one_line(r.stderr), r.stderr
    assert "No space left on device" in r.stderr and list(small.iterdir()) == []
