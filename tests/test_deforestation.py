"""Narco-deforestation (model/deforestation.py, MODEL.md §7.19) on the mode toy map: flights
from the origin strip land at Strip A (XA) or Strip B (XB); a biodiversity area on Strip A
makes its cell, and only it, forest. Outcomes worked out by hand."""

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from model.corridor import CorridorModel
from model.deforestation import Deforestation, cell_area_ha, forest_proxy
from model.metrics import summarize
from model.outputs.deforestation import deforestation_map, has_forest_loss
from model.outputs.run_data import load_run
from model.scenario import parse_scenario
from model.scenario.wildlife import Deforestation as DeforestationSpec
from model.world.geography import load_map
from toy import write_modes

ROOT = Path(__file__).resolve().parent.parent
FOREST = '\n[[feature]]\nkind = "biodiversity"\nname = "Reserve A"\n'


def write_forest_modes(folder: Path) -> Path:
    """The mode map with a biodiversity area on Strip A."""
    path = write_modes(folder)
    text = path.read_text()
    strip_a = text.split('name = "Strip A"\n')[1].split("\n\n")[0]      # its lat/lon lines
    path.write_text(text + FOREST + strip_a + "\n")
    return path


@pytest.fixture(scope="module")
def cmap():
    return load_map(write_forest_modes(Path(tempfile.mkdtemp(prefix="forest"))))


def spec(**kw):
    return DeforestationSpec(enabled=True, forest_radius_km=1.0, **kw)


def flights(deforestation, steps=12):
    """Ten flights of 1.2 t a month from the origin strip, none stopped (air detection 0, no
    port seizures); the sea is closed."""
    return parse_scenario({"scenario": {"name": "forest", "steps": steps},
                           "routing": {"max_offshore_km": 0},
                           "detection": {"port_of_entry": 0.0, "air": 0.0},
                           "cartel": [{"name": "A", "sources": ["Origin"], "airstrips": ["Origin strip"],
                                       "ports_of_entry": ["Port W", "Port E"], "shipments_per_step": 10,
                                       "arms_per_tonne": 0}],
                           "jurisdictions": {"default": {"corruption": 0.0}},
                           "deforestation": deforestation})


def run(sc, cmap, months=12, seed=3):
    m = CorridorModel(sc, cmap, seed=seed)
    for _ in range(months):
        m.step()
    return m


def test_forest_proxy_is_the_land_near_the_biodiversity_areas(cmap):
    # within 1 km of the reserve: its own cell only, with cover x the cell's area, where a
    # 0.25-degree cell is (0.25 pi/180 x 6371 km)^2 x cos(lat) x 100 ha/km2
    f = forest_proxy(cmap, 1.0, 0.5)
    a = cmap.feature("Reserve A").cell
    assert np.count_nonzero(f) == 1 and f[a] > 0
    side = 0.25 * math.pi / 180 * 6371.0
    assert f[a] == pytest.approx(0.5 * side ** 2 * math.cos(math.radians(cmap.lat[a])) * 100)
    assert cell_area_ha(cmap)[a] == pytest.approx(f[a] / 0.5)
    wide = forest_proxy(cmap, 60.0, 0.5)
    assert np.count_nonzero(wide) > 1 and not wide[~cmap.land].any()      # never at sea


def test_one_landing_in_a_forest_cell_clears_exactly_the_documented_hectares(cmap):
    d = Deforestation(spec(ha_per_landing=2.6, ha_per_tonne_landed=100.0), cmap)
    a, b = cmap.feature("Strip A").cell, cmap.feature("Strip B").cell
    landings, tonnes = np.zeros(cmap.shape), np.zeros(cmap.shape)
    landings[a] = landings[b] = 1
    tonnes[a] = tonnes[b] = 1.2
    lost = d.month(landings, tonnes)
    assert lost[a] == pytest.approx(2.6 + 100.0 * 1.2)       # strip + land use for 1.2 t
    assert lost[b] == 0.0                                    # Strip B is not forest
    assert lost.sum() == pytest.approx(lost[a])
    assert d.forest[a] == pytest.approx(d.forest0[a] - lost[a])


def test_loss_never_exceeds_the_forest_left(cmap):
    d = Deforestation(spec(ha_per_landing=2.6, ha_per_tonne_landed=0.0, forest_cover=1e-4), cmap)
    a = cmap.feature("Strip A").cell
    f0 = d.forest0[a]
    landings = np.zeros(cmap.shape)
    landings[a] = math.ceil(f0 / 2.6) + 5                  # more strips than the forest holds
    assert d.month(landings, np.zeros(cmap.shape))[a] == pytest.approx(f0)
    assert d.forest[a] == 0.0
    assert d.month(landings, np.zeros(cmap.shape)).sum() == 0.0


def test_flights_clear_forest_where_they_land_and_nothing_is_created_or_lost(cmap):
    # every flight lands (at A or B); with a = 2 ha per landing and b = 0.5 ha per tonne, the
    # month's loss in XA is 2 x flights at A + 0.5 x 1.2 t x flights at A; none in XB
    m = run(flights({"enabled": True, "forest_radius_km": 1.0, "ha_per_landing": 2.0,
                     "ha_per_tonne_landed": 0.5}), cmap)
    ts = m.recorder.timeseries()
    at_a = ts.air_landings_XA / 1.2
    assert at_a.sum() > 0 and ts.air_landings_XB.sum() > 0
    np.testing.assert_allclose(ts.air_flights_XA, at_a)
    np.testing.assert_allclose(ts.forest_lost_ha_XA, 2.0 * at_a + 0.5 * ts.air_landings_XA)
    assert "forest_lost_ha_XB" not in ts.columns                       # no forest there
    cells = m.recorder.cells()["forest_lost"]
    a = cmap.feature("Strip A").cell
    assert cells.sum(axis=(1, 2)) == pytest.approx(cells[:, a[0], a[1]])   # only Strip A's cell
    countries = ts[[c for c in ts.columns if c.startswith("forest_lost_ha_")]].sum(axis=1)
    np.testing.assert_allclose(countries, cells.sum(axis=(1, 2)), rtol=1e-6)   # float32 cells
    np.testing.assert_allclose(ts.forest_lost_ha, countries)
    left = ts.forest_left_ha_XA.to_numpy()
    np.testing.assert_allclose(left[0] + ts.forest_lost_ha_XA.iloc[0], m.deforestation.forest0.sum())
    np.testing.assert_allclose(-np.diff(left), ts.forest_lost_ha_XA.to_numpy()[1:])
    s = summarize(ts, m.recorder.cells(), (0, len(ts)))["deforestation"]
    assert s["by_country"]["XA"] == pytest.approx(ts.forest_lost_ha_XA.sum())
    assert sum(s["by_country_year"]["XA"].values()) == pytest.approx(s["by_country"]["XA"])
    assert s["flights_landed"]["XA"] == pytest.approx(at_a.sum())


def test_deforestation_off_records_nothing_and_changes_nothing(cmap):
    on = run(flights({"enabled": True, "forest_radius_km": 1.0}), cmap, 6).recorder
    off = run(flights({}), cmap, 6).recorder
    ts_on, ts_off = on.timeseries(), off.timeseries()
    assert not [c for c in ts_off.columns if c.startswith("forest_")]
    assert "forest_lost" not in off.cells()
    for c in ts_off.columns:
        np.testing.assert_array_equal(ts_on[c].to_numpy(), ts_off[c].to_numpy(), err_msg=c)


def test_corridor_run_writes_the_cells_and_the_map_is_drawn(tmp_path):
    write_forest_modes(tmp_path)
    (tmp_path / "s.toml").write_text('[scenario]\nname = "forest"\nsteps = 6\nmap = "modes.toml"\n'
                                     '[routing]\nmax_offshore_km = 0\n[detection]\nair = 0.0\n'
                                     '[[cartel]]\nname = "A"\nsources = ["Origin"]\nairstrips = ["Origin strip"]\n'
                                     'ports_of_entry = ["Port W", "Port E"]\nshipments_per_step = 10\n'
                                     '[deforestation]\nenabled = true\nforest_radius_km = 1.0\n')
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "model.cli", "run", str(tmp_path / "s.toml"), "--out", str(out),
                        "--no-charts"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())["deforestation"]
    assert s["forest_lost_ha"] > 0
    run = load_run(out)
    assert has_forest_loss(run)                  # so `corridor run` and `plot` draw the map
    deforestation_map(out, out=tmp_path / "deforestation.png", run=run)
    assert (tmp_path / "deforestation.png").stat().st_size > 10_000
    with np.load(out / "cells.npz") as z:
        assert z["scenario_forest_lost"].sum() == pytest.approx(s["forest_lost_ha"], rel=1e-5)
        assert np.count_nonzero(z["forest_at_start"]) == 1


def test_forest_jurisdictions_add_their_land_to_the_proxy(cmap):
    f = forest_proxy(cmap, 1.0, 0.5, ["XB"])
    xb = cmap.mask("XB") & cmap.land
    assert (f[xb] > 0).all() and np.count_nonzero(f) == xb.sum() + 1     # XB's land and the reserve's cell
    d = Deforestation(spec(forest_jurisdictions=["XB"]), cmap)
    b = cmap.feature("Strip B").cell
    landings = np.zeros(cmap.shape)
    landings[b] = 1
    assert d.month(landings, np.zeros(cmap.shape))[b] == pytest.approx(2.6)   # now forest


def test_an_unknown_forest_jurisdiction_is_refused(tmp_path):
    from model.errors import InputError
    from model.scenario import load_scenario
    write_forest_modes(tmp_path)
    (tmp_path / "s.toml").write_text('[scenario]\nname = "s"\nmap = "modes.toml"\n[routing]\nmax_offshore_km = 0\n'
                                     '[[cartel]]\nname = "A"\nsources = ["Origin"]\nports_of_entry = ["Port W"]\n'
                                     '[deforestation]\nenabled = true\nforest_jurisdictions = ["XZ"]\n')
    with pytest.raises(InputError) as e:
        load_scenario(tmp_path / "s.toml")
    assert e.value.field == "deforestation.forest_jurisdictions[0]"
