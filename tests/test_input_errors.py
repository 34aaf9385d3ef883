"""Bad input through the real CLI: one line, exit 2, no traceback, nothing written."""

import re

import pytest

from conftest import SCENARIOS, corridor_cli

MAP_TEXT = (SCENARIOS / "maps" / "transit_zone.toml").read_text()


def _raster(text: str, change) -> str:
    head, rest = text.split('raster = """', 1)
    raster, tail = rest.split('"""', 1)
    return head + 'raster = """' + change(raster) + '"""' + tail


def _no_tables(text: str, kind: str) -> str:
    """The map without its [[kind]] tables (they run up to the next kind of table or the end)."""
    return re.sub(rf"^\[\[{kind}\]\].*?(?=^\[\[(?!{kind}\]\])|\Z)", "", text, flags=re.S | re.M)


MAP_CASES = {
    "all sea": (lambda t: _raster(t, lambda r: re.sub(r"[^.\n]", ".", r)), "map.raster", "no land"),
    "NaN latitude": (lambda t: re.sub(r"(?m)^(lat = )[-0-9.]+", r"\1nan", t, count=1), "international_waters[0].lat", "finite"),
    "infinite west": (lambda t: t.replace("west = -118.0", "west = inf", 1), "map.west", "finite"),
    "text north": (lambda t: t.replace("north = 33.0", 'north = "x"', 1), "map.north", "finite"),
    "non-ASCII symbol": (lambda t: _raster(t, lambda r: r.replace("U", "Ü")).replace('symbol = "U"', 'symbol = "Ü"', 1),
                         "jurisdiction[", "ASCII"),
    "jurisdiction a string": (lambda t: 'jurisdiction = "MX"\n' + _no_tables(t, "jurisdiction"),
                              "jurisdiction", "[[jurisdiction]] tables"),
    "jurisdiction strings": (lambda t: 'jurisdiction = ["MX", "GT"]\n' + _no_tables(t, "jurisdiction"),
                             "jurisdiction", "[[jurisdiction]] tables"),
    "feature a string": (lambda t: 'feature = "port"\n' + _no_tables(t, "feature"), "feature", "[[feature]] tables"),
    "feature strings": (lambda t: 'feature = ["port"]\n' + _no_tables(t, "feature"), "feature", "[[feature]] tables"),
}


@pytest.mark.parametrize("case", sorted(MAP_CASES))
def test_malformed_map_gets_one_line_naming_the_field(tmp_path, case):
    change, field, expect = MAP_CASES[case]
    (tmp_path / "maps").mkdir()
    broken = tmp_path / "maps" / "broken.toml"
    new = change(MAP_TEXT)
    assert new != MAP_TEXT
    broken.write_text(new)
    sc = tmp_path / "sc.toml"
    sc.write_text((SCENARIOS / "baseline.toml").read_text().replace('map = "maps/transit_zone.toml"',
                                                                   'map = "maps/broken.toml"', 1))
    for cmd in (["validate", sc], ["run", sc, "--steps", "2", "--out", tmp_path / "out", "--quiet"]):
        r = corridor_cli(*cmd)
        assert r.returncode == 2, (case, r.stderr[-600:])
        msg = r.stderr.strip()
        assert "Traceback" not in msg and msg.count("\n") == 0, msg
        assert msg.startswith(f"corridor: error: {broken.resolve()}: field '{field}") and expect in msg, msg
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_scenario_in_another_folder_extends_a_shipped_one(tmp_path, how):
    """The inherited `map` resolves against the file that set it (scenarios/), not the new file."""
    import os
    base = SCENARIOS / "mexico_crackdown.toml"
    mine = tmp_path / "mine" / "my_crackdown.toml"
    mine.parent.mkdir()
    ref = str(base) if how == "absolute" else os.path.relpath(base, mine.parent)
    mine.write_text(f'[scenario]\nextends = "{ref}"\nname = "my_crackdown"\nsteps = 40\n')
    v = corridor_cli("validate", mine)
    assert v.returncode == 0, v.stderr
    assert "my_crackdown: 40 months" in v.stdout
    out = tmp_path / "out"
    r = corridor_cli("run", mine, "--steps", "2", "--out", out, "--quiet", "--no-charts", "--no-counterfactual")
    assert r.returncode == 0, r.stderr
    assert (out / "summary.json").is_file()


def test_extends_a_file_whose_scenario_is_not_a_table(tmp_path):
    (tmp_path / "base.toml").write_text('scenario = "baseline"\n')
    child = tmp_path / "child.toml"
    child.write_text('[scenario]\nextends = "base.toml"\nname = "child"\n')
    for cmd in (["validate", child], ["run", child, "--steps", "2", "--out", tmp_path / "out", "--quiet"]):
        r = corridor_cli(*cmd)
        assert r.returncode == 2, r.stderr
        msg = r.stderr.strip()
        assert "Traceback" not in msg and msg.count("\n") == 0, msg
        assert msg.startswith(f"corridor: error: {(tmp_path / 'base.toml').resolve()}: field 'scenario': "
                              "expected a [scenario] table"), msg
    assert not (tmp_path / "out").exists()


def _cli_into_closed_pipe(*args, read=0):
    """Run the CLI with stdout on a real pipe whose reader reads `read` bytes, then goes away."""
    import os
    import subprocess
    import sys
    r, w = os.pipe()
    if read:
        # the smallest pipe (one page): the output (~6 kB) cannot all fit before the reader goes away
        fcntl = pytest.importorskip("fcntl")
        if not hasattr(fcntl, "F_SETPIPE_SZ"):
            pytest.skip("needs Linux pipes (F_SETPIPE_SZ)")
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)
    env = dict(os.environ, MPLBACKEND="Agg")
    if not read:
        os.close(r)                      # the reader is gone before the first write
    proc = subprocess.Popen([sys.executable, "-m", "model.cli", *map(str, args)], cwd=SCENARIOS.parent,
                            stdout=w, stderr=subprocess.PIPE, text=True, env=env)
    os.close(w)
    if read:
        with os.fdopen(r, "rb") as reader:
            assert reader.read(read)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.mark.parametrize("explain,read", [(True, 0), (False, 0), (True, 100)])
def test_closed_pipe_stops_quietly(explain, read):
    """`corridor validate --explain | head`: no traceback, no 'Exception ignored', status 141."""
    code, err = _cli_into_closed_pipe("validate", SCENARIOS / "baseline.toml", *(["--explain"] if explain else []),
                                      read=read)
    assert err == "" and code == 141, (code, err)


@pytest.mark.parametrize("command", ["run", "compare", "brief"])
def test_steps_flag_is_held_to_the_schema_bound(tmp_path, command):
    """`--steps 10000000` would start a 92-hour run: refused at once, like steps = 10000000 in a file."""
    import time
    out = tmp_path / ("b.pdf" if command == "brief" else "o")
    t0 = time.perf_counter()
    r = corridor_cli(command, SCENARIOS / "mexico_crackdown.toml", "--steps", "10000000", "--out", out, "--quiet",
                     timeout=60)
    assert time.perf_counter() - t0 < 30
    assert r.returncode == 2, r.stderr[-600:]
    msg = r.stderr.strip()
    assert "Traceback" not in msg and msg.count("\n") == 0, msg
    assert "field '--steps'" in msg and "less than or equal to 1200" in msg and "10000000" in msg, msg
    assert list(tmp_path.iterdir()) == []


def test_steps_bound_is_the_schema_one():
    from model.errors import InputError
    from model.scenario import Meta, check_steps
    bound = next(m.le for m in Meta.model_fields["steps"].metadata if getattr(m, "le", None) is not None)
    assert check_steps(bound) == bound
    with pytest.raises(InputError, match="--steps"):
        check_steps(bound + 1)


def _early_policy(tmp_path):
    """demand_reduction with its policy from month 0, so a 2-month run has it in force."""
    p = tmp_path / "early_demand.toml"
    p.write_text(f'[scenario]\nextends = "{SCENARIOS / "demand_reduction.toml"}"\nname = "early_demand"\n\n'
                 '[[policy]]\nlever = "us_demand"\nstart = 0\noperation = "multiply"\nvalue = 0.7\n')
    return p


def test_run_says_when_the_policy_never_comes_into_force(tmp_path):
    """mexico_crackdown starts at month 35: a 10-month run must not report '+0%' against its counterfactual."""
    import json
    out = tmp_path / "o"
    r = corridor_cli("run", SCENARIOS / "mexico_crackdown.toml", "--steps", "10", "--out", out, "--quiet", "--no-charts")
    assert r.returncode == 0, r.stderr
    warning = r.stderr.strip()
    assert warning.count("\n") == 0 and warning.startswith("corridor: warning: "), warning
    assert "policy[0]" in warning and "policy[1]" in warning and "month 35" in warning and "10 months" in warning
    assert "+0%" not in r.stdout and "policy not in force within the run" in r.stdout
    s = json.loads((out / "summary.json").read_text())
    assert s["policy_in_force"] is False and s["warnings"] == [warning.removeprefix(
        f"corridor: warning: {SCENARIOS / 'mexico_crackdown.toml'}: field 'policy': ")]
    assert "displacement" not in s and not (out / "counterfactual_timeseries.parquet").exists()


def test_compare_skips_files_without_a_policy_in_force(tmp_path):
    """`corridor compare scenarios/*.toml` includes baseline.toml: skipped with a note, the rest compared."""
    import pandas as pd
    early = _early_policy(tmp_path)
    out = tmp_path / "c"
    r = corridor_cli("compare", SCENARIOS / "baseline.toml", early, SCENARIOS / "mexico_crackdown.toml",
                     "--replications", "1", "--steps", "2", "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().split("\n")
    assert len(lines) == 2 and all(line.startswith("corridor: warning: ") for line in lines), lines
    assert "baseline.toml" in lines[0] and "skipped" in lines[0] and "no policy schedule" in lines[0]
    assert "mexico_crackdown.toml" in lines[1] and "not in force" in lines[1] and "month 35" in lines[1]
    assert list(pd.read_csv(out / "compare.csv").scenario) == ["early_demand"]
    table = r.stdout.split("\n\nmean")[0]                 # the skipped files have no row of "+0%"
    assert "early_demand" in table and "mexico_crackdown" not in table and "baseline " not in table


@pytest.mark.parametrize("command", ["compare", "brief"])
def test_nothing_to_compare_is_one_error(tmp_path, command):
    out = tmp_path / ("b.pdf" if command == "brief" else "c")
    r = corridor_cli(command, SCENARIOS / "baseline.toml", SCENARIOS / "mexico_crackdown.toml", "--steps", "10",
                     "--out", out, "--quiet")
    assert r.returncode == 2, r.stderr
    msg = r.stderr.strip()
    assert msg.count("\n") == 0 and "Traceback" not in msg and "field 'policy'" in msg, msg
    assert "none of the 2 scenarios" in msg and "baseline.toml" in msg and "mexico_crackdown.toml" in msg
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_brief_skips_files_without_a_policy_in_force(tmp_path):
    early = _early_policy(tmp_path)
    out = tmp_path / "b" / "b.pdf"
    r = corridor_cli("brief", SCENARIOS / "baseline.toml", early, "--replications", "1", "--steps", "2",
                     "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().split("\n")
    assert len(lines) == 1 and "baseline.toml" in lines[0] and "skipped" in lines[0], lines
    assert out.is_file() and out.with_suffix(".html").is_file()
    assert out.with_suffix(".html").read_text().count("compared with the same world without the policy") == 1
