"""Cocaine by mode and vector, and the table of loads: they add up to the ledger and each other."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.corridor import CorridorModel
from model.metrics import FLAGS, summarize
from model.scenario import parse_scenario
from model.world.geography import load_map
from toy import write_coast

ROOT = Path(__file__).resolve().parent.parent


def coast_scenario(steps=24, fly=False, **routing):
    """Two cartels on the coast map; with `fly`, one cartel whose only cheap way is the air hop."""
    cartels = [{"name": "A", "sources": ["Source", "Coast source"], "ports_of_entry": ["West port", "East port"],
                "shipments_per_step": 4, "arms_per_tonne": 5},
               {"name": "B", "sources": ["Source"], "airstrips": ["Origin strip"],
                "ports_of_entry": ["East port"], "shipments_per_step": 3, "arms_per_tonne": 0}]
    # land dear, sea cheap, air between: A sails up the coast or trucks through Guatemala, B flies
    r = {"max_offshore_km": 100, "speed_km_per_step": 150, "land_cost_per_km": 2, "sea_cost_per_km": 0.1,
         "air_cost_per_km": 0.5} | routing
    if fly:
        cartels = cartels[1:]
        r |= {"land_cost_per_km": 50, "sea_cost_per_km": 50, "air_cost_per_km": 0.1}
    return parse_scenario({"scenario": {"name": "coast", "steps": steps, "seed": 3}, "routing": r,
                           "cartel": cartels, "detection": {"land": 0.3, "sea": 0.3}})


@pytest.fixture(scope="module")
def coast(tmp_path_factory):
    return load_map(write_coast(tmp_path_factory.mktemp("coast")))


def run(scenario, cmap):
    m = CorridorModel(scenario, cmap, seed=3)
    for _ in range(scenario.scenario.steps):
        m.step()
    return m, m.recorder.timeseries(), m.recorder.load_table()


def test_mode_and_vector_columns_are_the_sums_of_the_loads_table(coast):
    m, ts, loads = run(coast_scenario(), coast)
    coke = loads[loads.commodity == "cocaine"]
    assert set(coke.outcome) == {"delivered", "seized"}
    assert coke.mode_sea.any() and coke.mode_overland.any() and coke.mode_air.any()
    assert coke.vector_eastern_pacific.any() and coke.vector_mexico_overland.any()
    assert not coke.vector_western_caribbean.any() and not coke.vector_eastern_caribbean.any()  # no Atlantic here
    for name in FLAGS:
        per_month = coke[coke[name]].groupby("step_finished").volume.sum()
        expect = per_month.reindex(ts.step, fill_value=0.0).to_numpy()
        np.testing.assert_allclose(ts[name].to_numpy(), expect, err_msg=name)
    for code in ("MX", "GT", "CO"):
        landed = coke[coke.air_landed.str.split(";").apply(lambda c: code in c)]
        np.testing.assert_allclose(ts[f"air_landed_{code}"].sum(), landed.volume.sum())
    np.testing.assert_allclose(ts.cocaine_completed.to_numpy(),
                               coke.groupby("step_finished").volume.sum().reindex(ts.step, fill_value=0).to_numpy())
    # every finished load is in the table, as the ledger counts it, for each commodity
    L = m.ledger
    for k, name in enumerate(("cocaine", "arms", "wildlife")):
        rows = loads[loads.commodity == name]
        assert rows[rows.outcome == "delivered"].volume.sum() == pytest.approx(L.delivered[k])
        assert rows[rows.outcome == "seized"].volume.sum() == pytest.approx(L.seized[k])
    s = summarize(ts, m.recorder.cells(), (0, len(ts)))
    assert s["by_vector"]["eastern_caribbean"] == {"t": 0.0, "share": 0.0}
    assert s["by_mode"]["sea"]["t"] == pytest.approx(coke[coke.mode_sea].volume.sum())


def test_when_every_load_flies_air_tonnes_are_all_the_finished_tonnes(coast):
    m, ts, loads = run(coast_scenario(steps=12, fly=True), coast)
    assert ts.cocaine_completed.sum() > 0
    np.testing.assert_allclose(ts.mode_air.to_numpy(), ts.cocaine_completed.to_numpy())
    np.testing.assert_allclose(ts.air_landed_MX.to_numpy(), ts.cocaine_completed.to_numpy())
    s = summarize(ts, m.recorder.cells(), (0, len(ts)))
    assert s["by_mode"]["air"]["share"] == pytest.approx(1.0)
    assert list(s["by_mode"]["air_landed"]) == ["MX"]


DOCUMENTED = {  # README's loads.parquet table: column -> dtype kind
    "organisation": "O", "commodity": "O", "volume": "f", "unit": "O", "step_shipped": "i",
    "month_shipped": "O", "step_finished": "i", "month_finished": "O", "outcome": "O", "seized_x": "i",
    "seized_y": "i", "seized_lon": "f", "seized_lat": "f", "seized_jurisdiction": "O", "seized_country": "O",
    "seized_by": "O", **{k: "b" for k in FLAGS}, "vectors": "O", "air_landed": "O", "countries": "O",
    "cells": "i", "km": "f", "species_group": "O"}


def test_loads_columns_and_units_are_the_documented_ones(coast):
    _, ts, loads = run(coast_scenario(steps=12), coast)
    assert {c: loads[c].dtype.kind for c in loads.columns} == DOCUMENTED
    readme = (ROOT / "README.md").read_text()
    for c in DOCUMENTED:
        assert f"`{c}`" in readme, c
    units = dict(zip(loads.commodity, loads.unit))
    assert units == {"cocaine": "t", "arms": "firearms"}
    assert (loads.step_finished >= loads.step_shipped).all()
    seized = loads[loads.outcome == "seized"]
    assert (seized.seized_x >= 0).all() and seized.seized_by.isin(["port of entry", "MX", "GT", "CO"]).all()
    assert (loads[loads.outcome == "delivered"].seized_by == "").all()
    assert set(loads.organisation) == {"A", "B"}


def test_the_run_folder_holds_loads_parquet(tmp_path):
    out = tmp_path / "run"
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "model.cli", "run", str(ROOT / "scenarios" / "mexico_crackdown.toml"),
                    "--steps", "3", "--no-charts", "--out", str(out)], check=True, env=env, cwd=tmp_path,
                   capture_output=True)
    loads = pd.read_parquet(out / "loads.parquet")
    assert set(DOCUMENTED) == set(loads.columns) and len(loads) > 0
    summary = json.loads((out / "summary.json").read_text())
    assert {"by_mode", "by_vector", "loads_finished"} <= set(summary)
    if (out / "counterfactual_timeseries.parquet").exists():
        assert (out / "counterfactual_loads.parquet").exists()
