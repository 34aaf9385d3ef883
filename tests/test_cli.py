"""The command line through a real subprocess, including bad input."""

import json
import shutil

import pandas as pd
import pytest

from conftest import SCENARIOS, corridor_cli


def test_run_writes_every_output(tmp_path):
    out = tmp_path / "crackdown"
    r = corridor_cli("run", SCENARIOS / "mexico_crackdown.toml", "--steps", "40", "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    for name in ("timeseries.parquet", "counterfactual_timeseries.parquet", "cells.npz", "summary.json",
                 "manifest.json", "route_density.png", "flow_share.png"):
        assert (out / name).is_file(), name
    s = json.loads((out / "summary.json").read_text())
    assert set(s["cocaine"]) == {"shipped", "delivered", "seized", "in_transit"}
    assert set(s["migrants"]) == {"arrived", "trafficked", "rescued", "returned", "travelling"}
    assert "MX" in s["transit_share"] and 0 < s["transit_share"]["MX"] <= 1
    d = s["displacement"]
    for k in ("flow_lost_targeted", "flow_gained_elsewhere", "ratio", "delivered_change"):
        assert k in d
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == s["seed"] and m["steps"] == 40 and m["versions"]["mesa"].startswith("3.5")
    assert m["command"][1:3] == ["run", str(SCENARIOS / "mexico_crackdown.toml")]
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 40 and ts.step.tolist() == list(range(40))
    assert "shipped" in r.stdout and str(out) in r.stdout
    # PNGs are real images
    assert (out / "route_density.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_counterfactual_flag(tmp_path):
    out = tmp_path / "nocf"
    r = corridor_cli("run", SCENARIOS / "mexico_crackdown.toml", "--steps", "3", "--out", out,
                     "--no-counterfactual", "--quiet", "--no-charts")
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert "displacement" not in s and not (out / "counterfactual_timeseries.parquet").exists()


def test_validate_all_scenarios():
    files = sorted(SCENARIOS.glob("*.toml"))
    r = corridor_cli("validate", *files)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(": ok") == len(files)


def test_validate_explain_lists_units_and_sources():
    r = corridor_cli("validate", SCENARIOS / "baseline.toml", "--explain")
    assert r.returncode == 0
    assert "routing.risk_threshold" in r.stdout and "NarcoLogic" in r.stdout
    assert "events/month" in r.stdout
    # the jurisdiction levers too, with the built-in default an unset jurisdiction gets
    for lever, default in (("land_interdiction", "1.0"), ("maritime_interdiction", "1.0"),
                           ("air_interdiction", "0.0")):
        line = next(x for x in r.stdout.splitlines() if x.startswith(f"jurisdictions.<code>.{lever} "))
        assert f"default={default} (built in)" in line and "CSIS 2009" in line


def _bad(tmp_path, text_change, name="bad.toml"):
    """Copy the baseline next to its map, apply a change to its text, return the path."""
    base = (SCENARIOS / "baseline.toml").read_text()
    new = text_change(base)
    assert new != base
    folder = tmp_path / "sc"
    folder.mkdir(exist_ok=True)
    if not (folder / "maps").exists():
        shutil.copytree(SCENARIOS / "maps", folder / "maps")
    p = folder / name
    p.write_text(new)
    return p


BAD_CASES = {
    "unknown field": (lambda t: t.replace("[routing]", "[routing]\nspeeed_km = 3", 1), "routing.speeed_km", "unknown field"),
    "wrong type": (lambda t: t.replace("steps = 96", 'steps = "ninety"', 1), "scenario.steps", "integer"),
    "out of range": (lambda t: t.replace("corruption = 0.35\n", "corruption = 1.5\n", 1),
                     "jurisdictions.MX.corruption", "less than or equal to 1"),
    "missing map": (lambda t: t.replace('map = "maps/transit_zone.toml"', 'map = "maps/nowhere.toml"', 1),
                    "scenario.map", "not found"),
    "unknown jurisdiction": (lambda t: t + "\n[jurisdictions.XX]\ncorruption = 0.2\n",
                             "jurisdictions.XX", "unknown jurisdiction"),
    "malformed toml": (lambda t: t.replace("[routing]", "[routing", 1), None, "malformed TOML"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_scenario_gets_one_clear_message_and_writes_nothing(tmp_path, case):
    change, field, expect = BAD_CASES[case]
    path = _bad(tmp_path, change)
    out = tmp_path / "out"
    r = corridor_cli("run", path, "--out", out, "--steps", "2", "--quiet")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    msg = r.stderr.strip()
    assert msg.count("\n") == 0, msg
    assert str(path) in msg and expect in msg
    if field:
        assert f"field '{field}'" in msg
    assert not out.exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())
    # validate says the same
    v = corridor_cli("validate", path)
    assert v.returncode == 2 and v.stderr.strip() == msg


def test_bad_map_file_is_reported(tmp_path):
    path = _bad(tmp_path, lambda t: t.replace('map = "maps/transit_zone.toml"', 'map = "maps/broken.toml"', 1))
    text = (SCENARIOS / "maps" / "transit_zone.toml").read_text()
    lines = text.split("\n")
    i = next(k for k, line in enumerate(lines) if line.startswith('raster = """')) + 5
    lines[i] = lines[i][:-3]                       # one short row
    (path.parent / "maps" / "broken.toml").write_text("\n".join(lines))
    r = corridor_cli("validate", path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "broken.toml" in r.stderr and "map.raster" in r.stderr and "row 5" in r.stderr


@pytest.mark.parametrize("flags", [["--steps", "0"], ["--seed", "-1"], ["--steps", "ten"], ["--bogus"]])
def test_bad_flags_exit_2(tmp_path, flags):
    r = corridor_cli("run", SCENARIOS / "baseline.toml", "--out", tmp_path / "o", *flags)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


def test_missing_scenario_file(tmp_path):
    r = corridor_cli("run", tmp_path / "nope.toml")
    assert r.returncode == 2 and "nope.toml" in r.stderr and "file not found" in r.stderr


def test_compare_prints_a_table_and_writes_files(tmp_path):
    out = tmp_path / "cmp"
    r = corridor_cli("compare", SCENARIOS / "mexico_crackdown.toml", SCENARIOS / "demand_reduction.toml",
                     "--replications", "2", "--steps", "40", "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "mexico_crackdown" in r.stdout and "demand_reduction" in r.stdout and "delivered %" in r.stdout
    t = pd.read_csv(out / "compare.csv")
    assert list(t.scenario) == ["mexico_crackdown", "demand_reduction"] and (t.runs == 2).all()
    runs = pd.read_parquet(out / "runs.parquet")
    # paired seeds: replicate k has the same seed in every scenario
    assert runs.groupby("replicate").seed.nunique().eq(1).all()
    # less demand, less delivered, in every seed
    assert (runs[runs.scenario == "demand_reduction"].delivered_change_pct < -10).all()


def test_compare_refuses_a_scenario_without_policy(tmp_path):
    r = corridor_cli("compare", SCENARIOS / "baseline.toml", "--out", tmp_path / "c", "--quiet")
    assert r.returncode == 2 and "no policy schedule" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "c").exists()
