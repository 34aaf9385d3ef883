"""Wildlife by species group (model/agents/wildlife.py, MODEL.md §7.18): volumes, units,
the CITES training lever and the ledger per group, on the two-corridor toy map, with
outcomes worked out by hand."""

import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from model.agents.gang import Wildlife
from model.agents.wildlife import SpeciesTrade, groups_for, read_groups
from model.corridor import CorridorModel
from model.errors import InputError
from model.flows import Commodity, Ledger, Shipment
from model.scenario import load_scenario, parse_scenario
from model.world.geography import load_map
from model.world.routing import Router, RoutingGraph
from toy import write_two_corridors

ROOT = Path(__file__).resolve().parent.parent
GROUPS = '''
[[group]]
name = "parrots"
unit = "specimens"
per_year = 1200
low = 600
high = 2400
areas = ["Forest"]
destination = "port_of_entry"
loads_per_month = 2
source = "toy"
uncertainty = "toy"

[[group]]
name = "wood"
unit = "m3"
per_year = 120
low = 120
high = 120
areas = ["Forest"]
destination = "port_of_entry"
source = "toy"
uncertainty = "toy"
'''


@pytest.fixture(scope="module")
def folder():
    f = Path(tempfile.mkdtemp(prefix="wild"))
    write_two_corridors(f, biodiversity=True)
    (f / "groups.toml").write_text(GROUPS)
    return f


@pytest.fixture(scope="module")
def cmap(folder):
    return load_map(folder / "two_corridors.toml")


def scenario(folder, steps=12, detection=None, policy=(), estimate="central", **extra):
    sc = parse_scenario({"scenario": {"name": "wild", "steps": steps},
                         "routing": {"max_offshore_km": 0, "speed_km_per_step": 200},
                         "detection": detection or {},
                         "cartel": [{"name": "A", "sources": ["Source"], "ports_of_entry": ["Port"],
                                     "shipments_per_step": 1, "arms_per_tonne": 0}],
                         "gang": [{"name": "G", "home": "Source"}],
                         "wildlife": {"groups_file": "groups.toml", "estimate": estimate},
                         "policy": list(policy), **extra})
    sc.path = folder / "wild.toml"          # groups_file is relative to the scenario file
    return sc


def run(sc, cmap, months, seed=1):
    m = CorridorModel(sc, cmap, seed=seed)
    for _ in range(months):
        m.step()
    return m


def test_volumes_units_and_ledger_per_group(folder, cmap):
    # parrots: 1200 a year = 100 a month in 2 loads of 50 specimens; wood: 10 m3 a month in
    # one load. Nothing is detected (no units, no port seizures): after 12 months all of it
    # was shipped, and shipped = delivered + in transit, per group and per commodity
    sc = scenario(folder, detection={"port_of_entry": 0.0, "land": 0.0})
    m = run(sc, cmap, 12)
    assert isinstance(m.wildlife, SpeciesTrade)
    ts = m.recorder.timeseries()
    last = ts.iloc[-1]
    assert last.wildlife_parrots_shipped == pytest.approx(1200.0)
    assert last.wildlife_wood_shipped == pytest.approx(120.0)
    assert last.wildlife_shipped == pytest.approx(1200.0)          # specimens only
    assert last.timber_shipped == pytest.approx(120.0)             # m3 kept apart
    assert ts.wildlife_parrots_seized.max() == ts.wildlife_wood_seized.max() == 0
    for g in ("parrots", "wood"):
        gap = ts[f"wildlife_{g}_shipped"] - ts[f"wildlife_{g}_delivered"] - ts[f"wildlife_{g}_in_transit"]
        assert np.abs(gap).max() < 1e-9
    loads = m.recorder.load_table()
    par = loads[loads.species_group == "parrots"]
    assert set(par.volume.round(9)) == {50.0} and set(par.unit) == {"specimens"} and set(par.commodity) == {"wildlife"}
    wood = loads[loads.species_group == "wood"]
    assert set(wood.volume.round(9)) == {10.0} and set(wood.unit) == {"m3"} and set(wood.commodity) == {"timber"}
    assert set(wood.organisation) == {"G"}
    assert (loads[loads.commodity == "cocaine"].species_group == "").all()
    assert par.volume.sum() == pytest.approx(last.wildlife_parrots_delivered)


def test_estimate_picks_the_range_ends(folder, cmap):
    for est, parrots in (("low", 600.0), ("high", 2400.0)):
        m = run(scenario(folder, estimate=est), cmap, 12)
        assert m.wildlife.shipped[0] == pytest.approx(parrots)


def test_shipped_is_delivered_plus_seized_plus_in_transit_per_group(folder, cmap):
    # with detection on, loads are seized too; the ledger per group still balances every month
    sc = scenario(folder, steps=24, detection={"port_of_entry": 0.3},
                  jurisdictions={"XW": {"enforcement_units": 6, "strategy": "static"}})
    ts = run(sc, cmap, 24, seed=3).recorder.timeseries()
    assert ts.wildlife_parrots_seized.iloc[-1] > 0
    for g in ("parrots", "wood"):
        gap = (ts[f"wildlife_{g}_shipped"] - ts[f"wildlife_{g}_delivered"] - ts[f"wildlife_{g}_seized"]
               - ts[f"wildlife_{g}_in_transit"])
        assert np.abs(gap).max() < 1e-9
    total = sum(ts[f"wildlife_parrots_{k}"] for k in ("delivered", "seized"))
    np.testing.assert_allclose(total, ts.wildlife_delivered + ts.wildlife_seized)


def test_cites_training_scales_wildlife_detection_as_documented(folder, cmap):
    # edge detection for wildlife and timber = the drug detection x detection.wildlife x
    # (1 + wildlife_training_gain x training), training where the edge enters: 0.3 x (1 + 3 x 0.5)
    policy = [{"lever": "wildlife_training", "target": ["XW"], "value": 0.5}]
    m = run(scenario(folder, policy=policy), cmap, 1)
    g = m.graph
    trained = m.node_levels["wildlife_training"][g.dst] == 0.5
    assert trained.any() and (~trained).any()
    coke = m._edge_detect[Commodity.COCAINE]
    for com in (Commodity.WILDLIFE, Commodity.TIMBER):
        np.testing.assert_allclose(m._edge_detect[com][trained], coke[trained] * 0.3 * 2.5)
        np.testing.assert_allclose(m._edge_detect[com][~trained], coke[~trained] * 0.3)


def test_a_wildlife_load_is_seized_with_the_probability_of_its_hazard(cmap):
    # a load crossing k edges of hazard h each is seized within the month with probability
    # 1 - exp(-k h): 4,000 wildlife loads over 3 edges of 0.1, so P = 1 - e^-0.3 = 0.2592
    graph = RoutingGraph(cmap, 0.0, 0.0)
    src = graph.node(cmap.feature("Source").cell)
    router = Router(graph)
    w = router.edge_weights(np.array([1.0, 1.0, 1.0]), np.ones(graph.n), np.zeros(graph.n), 0.0)
    dist, pred, _ = router.search(w, np.array([src]))
    port = graph.node(cmap.feature("Port").cell)
    route = graph.path(pred, src, port, float(dist[port]))
    assert len(route.edges) > 3
    km3 = route.cum_list[3]                    # the load moves exactly 3 edges this month
    ledger = Ledger()
    n = 4000
    for _ in range(n):
        ledger.ship(Shipment(Commodity.WILDLIFE, -1, 1.0, route, group=0))
    flow = np.zeros((len(Commodity), graph.n))
    ev = ledger.advance(km3 + 1e-9, lambda com, edges: np.full(len(edges), 0.1), np.zeros(len(Commodity)),
                        np.zeros(graph.n, np.int64), flow, np.random.default_rng(11))
    p = 1 - math.exp(-0.3)
    seized = len(ev.seizures) / n
    assert abs(seized - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert ledger.seized[Commodity.WILDLIFE] + ledger.in_transit()[Commodity.WILDLIFE] == n


def test_without_a_groups_file_gangs_keep_their_illustrative_wildlife(cmap):
    sc = parse_scenario({"scenario": {"name": "plain"}, "routing": {"max_offshore_km": 0},
                         "cartel": [{"name": "A", "sources": ["Source"], "ports_of_entry": ["Port"]}],
                         "gang": [{"name": "G", "home": "Source", "wildlife_per_step": 7}]})
    m = run(sc, cmap, 2)
    assert isinstance(m.wildlife, Wildlife)
    ts = m.recorder.timeseries()
    assert ts.wildlife_shipped.iloc[-1] == 14 and not [c for c in ts.columns if c.startswith("wildlife_G")]
    assert (m.recorder.load_table().species_group == "").all()


@pytest.mark.parametrize("edit,field", [
    (('unit = "m3"', 'unit = "logs"'), "group[1].unit"),
    (('areas = ["Forest"]\ndestination = "port_of_entry"\nloads_per_month', 'areas = ["Nowhere"]\ndestination = '
      '"port_of_entry"\nloads_per_month'), "group[0].areas"),
    (("per_year = 1200", "per_year = 5000"), "group[0].per_year"),
    (('destination = "port_of_entry"\nsource = "toy"', 'destination = "airport"\nsource = "toy"'),
     "group[1].destination"),
])
def test_bad_groups_file_names_file_and_field(folder, cmap, edit, field):
    bad = folder / "bad.toml"
    assert GROUPS.count(edit[0]) == 1
    bad.write_text(GROUPS.replace(*edit))
    with pytest.raises(InputError) as e:
        read_groups(bad, cmap)
    assert e.value.field == field and str(bad) in str(e.value)


def test_cli_reports_a_bad_groups_file_without_traceback(tmp_path):
    write_two_corridors(tmp_path, biodiversity=True)
    (tmp_path / "groups.toml").write_text(GROUPS.replace('unit = "m3"', 'unit = "logs"'))
    (tmp_path / "s.toml").write_text('[scenario]\nname = "s"\nsteps = 2\nmap = "two_corridors.toml"\n'
                                     '[routing]\nmax_offshore_km = 0\n'
                                     '[[cartel]]\nname = "A"\nsources = ["Source"]\nports_of_entry = ["Port"]\n'
                                     '[[gang]]\nname = "G"\nhome = "Source"\n'
                                     '[wildlife]\ngroups_file = "groups.toml"\n')
    r = subprocess.run([sys.executable, "-m", "model.cli", "run", str(tmp_path / "s.toml"), "--out",
                        str(tmp_path / "out"), "--no-charts"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2, r.stderr
    assert "group[1].unit" in r.stderr and "groups.toml" in r.stderr and "Traceback" not in r.stderr


def test_shipped_data_file_reads_on_the_transit_zone_map():
    sc, cm = load_scenario(ROOT / "scenarios" / "wildlife.toml")
    groups = groups_for(sc, cm)
    assert [g.name for g in groups] == ["parrots_macaws", "reptiles", "orchids_plants", "hardwoods"]
    assert [g.unit for g in groups] == ["specimens", "specimens", "specimens", "m3"]
    assert all(g.source and g.uncertainty for g in groups)


def test_summary_reports_each_group_in_its_unit(folder, cmap):
    from model.metrics import summarize
    m = run(scenario(folder, detection={"port_of_entry": 0.0, "land": 0.0}), cmap, 12)
    ts = m.recorder.timeseries()
    s = summarize(ts, m.recorder.cells(), (0, 12), wildlife_units={"parrots": "specimens", "wood": "m3"})
    assert s["wildlife_by_group"]["wood"] == {"unit": "m3", "shipped": pytest.approx(120.0),
                                              "delivered": ts.wildlife_wood_delivered.iloc[-1],
                                              "seized": 0.0, "in_transit": ts.wildlife_wood_in_transit.iloc[-1]}
    assert s["timber"]["shipped"] == pytest.approx(120.0)
    assert "wildlife_by_group" not in summarize(ts, m.recorder.cells(), (0, 12))
