"""The transit-zone map (to 59 W): it loads, its new features are routable, the routing
graph reaches the US by every vector when the others are closed, and so do the model's
loads (issue 13)."""

import numpy as np
import pytest
from scipy import ndimage

from model.corridor import CorridorModel
from model.scenario import load_scenario
from model.world.geography import load_map
from model.vectors import FLAGS, VECTORS, edge_tags
from model.world.routing import Mode, Router, RoutingGraph
from conftest import ROOT, SCENARIOS

MAP = ROOT / "scenarios" / "maps" / "transit_zone.toml"
LAND_PORTS = ["Tijuana", "Mexicali", "Nogales", "Ciudad Juárez", "Ciudad Acuña", "Piedras Negras",
              "Nuevo Laredo", "Reynosa", "Matamoros"]
CENTRAL_AMERICA = ["GT", "BZ", "SV", "HN", "NI", "CR", "PA"]


@pytest.fixture(scope="module")
def net():
    cmap = load_map(MAP)
    g = RoutingGraph(cmap, air_max_range_km=2200, max_offshore_km=700)
    return cmap, g


def node(cmap, g, name):
    return g.node(cmap.feature(name).cell)


def country_mask(cmap, codes):
    return np.isin(np.array(cmap.country_codes)[cmap.country], codes) & cmap.land


def pacific_sea(cmap):
    """The sea component holding the Eastern Pacific (the isthmus splits it from the Caribbean)."""
    lab, _ = ndimage.label(~cmap.land, structure=np.ones((3, 3), bool))
    return lab == lab[cmap.cell_of(5.0, -85.0)]


def search(cmap, g, sources, blocked, air=False, air_into=None):
    """Least-cost search with edges into `blocked` cells (and air, unless allowed) at inf."""
    w = g.km * np.array([1.0, 0.5, 0.9])[g.mode] + g.landing * 150.0
    w[blocked.ravel()[g.dst]] = np.inf
    if not air:
        w[g.mode == Mode.AIR] = np.inf
    elif air_into is not None:
        w[(g.mode == Mode.AIR) & ~air_into.ravel()[g.dst]] = np.inf
    src = np.array([node(cmap, g, s) for s in sources])
    dist, pred, origin = Router(g).search(w, src)
    return dist, pred, origin


def best_route(cmap, g, dist, pred, origin, targets):
    t = min((node(cmap, g, p) for p in targets), key=lambda n: dist[n])
    assert np.isfinite(dist[t]), f"no route to any of {targets}"
    return g.path(pred, int(origin[t]), t, float(dist[t]))


def test_map_loads_with_new_countries_and_features(net):
    cmap, g = net
    assert cmap.shape == (236, 128)
    for cc in ("VE", "PR", "CU", "JM", "HT", "DO", "BS", "TT", "US"):
        assert cc in cmap.country_codes
    for name in ("Miami", "Port Everglades", "San Juan", "Maracaibo", "Paria peninsula (Güiria, Sucre)",
                 "Guajira peninsula (Puerto Bolívar)", "Apure (Venezuela)", "Sur del Lago (Zulia)",
                 "Olancho (Catacamas)", "Barahona-Pedernales (Dominican Republic)", "Miami air cargo"):
        assert cmap.feature(name) is not None, name
    old = load_map(ROOT / "scenarios" / "maps" / "corridor.toml")
    assert {f.name for f in old.features} < {f.name for f in cmap.features}   # nothing dropped


def test_international_waters_split_by_ocean(net):
    cmap, _ = net
    pac, car = cmap.mask("INTL-PAC"), cmap.mask("INTL-CAR")
    assert pac.sum() > 1000 and car.sum() > 1000 and not (pac & car).any()
    assert (cmap.mask("INTL") == (pac | car | (cmap.jur == cmap.jurisdiction_codes.index("INTL")))).all()
    assert (cmap.lon[car] > -95).all() and not (pacific_sea(cmap) & car).any()
    old = load_map(ROOT / "scenarios" / "maps" / "corridor.toml")
    assert [c for c in old.jurisdiction_codes if c.startswith("INTL")] == ["INTL"]


def test_new_features_are_routable_and_us_ports_touch_the_sea(net):
    cmap, g = net
    for f in cmap.features:
        if f.kind in ("port_of_entry", "source", "airstrip"):
            assert g.routable[f.cell], f.name
    for name in ("Miami", "Port Everglades", "San Juan"):
        assert (g.mode[g.dst == node(cmap, g, name)] == Mode.SEA).any(), name
    us = country_mask(cmap, ["US"])
    assert g.routable[us].sum() == 2       # Miami and Port Everglades only: US soil is the destination
    assert node(cmap, g, "Miami air cargo") == node(cmap, g, "Miami")


def test_eastern_pacific_then_overland_through_mexico(net):
    cmap, g = net
    pac = pacific_sea(cmap)
    blocked = (~cmap.land & ~pac) | country_mask(cmap, CENTRAL_AMERICA + ["CO", "EC", "VE"])
    dist, pred, origin = search(cmap, g, ["Buenaventura", "Tumaco"], blocked)
    r = best_route(cmap, g, dist, pred, origin, LAND_PORTS)
    modes = g.mode[r.edges]
    assert (modes == Mode.SEA).any() and modes[-1] == Mode.LAND
    assert pac.ravel()[r.nodes[~cmap.land.ravel()[r.nodes]]].all()


def test_western_caribbean_along_central_america(net):
    cmap, g = net
    lon, lat = cmap.lon, cmap.lat
    east = ~cmap.land & (lon > -77) & (lat > 13)
    blocked = (~cmap.land & pacific_sea(cmap)) | east | country_mask(cmap, ["CO", "PA", "CR", "VE"])
    dist, pred, origin = search(cmap, g, ["Cartagena", "Barranquilla"], blocked)
    r = best_route(cmap, g, dist, pred, origin, LAND_PORTS)
    sea = r.nodes[~cmap.land.ravel()[r.nodes]]
    assert len(sea) and (lon.ravel()[sea] < -80).any()       # went west along the isthmus


@pytest.mark.parametrize("port", ["San Juan", "Miami"])
def test_eastern_caribbean_and_islands(net, port):
    cmap, g = net
    lon, lat = cmap.lon, cmap.lat
    west = ~cmap.land & (lon < -77) & (lat < 23)              # Western Caribbean and the Gulf
    blocked = (~cmap.land & pacific_sea(cmap)) | west | country_mask(cmap, CENTRAL_AMERICA + ["MX"])
    dist, pred, origin = search(cmap, g, ["Paria peninsula (Güiria, Sucre)", "Maracaibo"], blocked)
    r = best_route(cmap, g, dist, pred, origin, [port])
    assert (g.mode[r.edges] == Mode.SEA).any()


def test_air_bridge_venezuela_to_honduras_then_north(net):
    cmap, g = net
    blocked = ~cmap.land | country_mask(cmap, ["CO", "PA", "CR", "NI"])
    dist, pred, origin = search(cmap, g, ["Apure (Venezuela)", "Sur del Lago (Zulia)"], blocked,
                                air=True, air_into=country_mask(cmap, ["HN"]))
    r = best_route(cmap, g, dist, pred, origin, LAND_PORTS)
    air = r.edges[g.mode[r.edges] == Mode.AIR]
    assert len(air) == 1
    landed = g.dst[air[0]]
    assert cmap.country_codes[cmap.country.ravel()[landed]] == "HN"
    assert (g.mode[r.edges] != Mode.SEA).all()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["baseline.toml", "caribbean_squeeze.toml"])
def test_four_months_run_and_conserve(name):
    sc, cmap = load_scenario(SCENARIOS / name)
    m = CorridorModel(sc, cmap, seed=3)
    for _ in range(4):
        m.step()
        gaps = m.invariant_gaps()
        np.testing.assert_allclose(gaps, 0.0, atol=1e-9 * max(m.ledger.shipped.max(), 1.0))
    assert m.ledger.shipped[0] > 0
    caribbean = {m.graph.node(cmap.feature(p).cell) for p in ("Miami", "Port Everglades", "San Juan")}
    ends = {int(r.nodes[-1]) for c in m.cartels for r in c.routes}
    assert ends & caribbean              # the model itself plans loads to the Caribbean ports
    if name == "caribbean_squeeze":
        assert m.schedule.at(12).pool_units["INTL-CAR:sea"] == 10     # US units in the Caribbean only
        assert m.schedule.at(12).pool_units["INTL:sea"] == 20


# ----- loads, not just paths: the model delivers by each vector when the others are closed

@pytest.fixture(scope="module")
def baseline():
    return load_scenario(SCENARIOS / "baseline.toml")      # one map load for every vector


def run_with_only(sc, cmap, vector: str, months: int):
    """The baseline with every edge of the other vectors (model/vectors.py's tags) made
    impassable in the organisations' route weights: a toy override of the costs, no lever."""
    m = CorridorModel(sc, cmap, seed=sc.scenario.seed)
    tags, _ = edge_tags(m.graph)
    others = sum(FLAGS[f"vector_{v}"] for v in VECTORS if v != vector)
    closed = (tags & others) != 0
    plain = m.router.edge_weights

    def edge_weights(*args):
        w = plain(*args)
        w[closed] = np.inf
        return w

    m.router.edge_weights = edge_weights
    for _ in range(months):
        m.step()
    return m, closed


@pytest.mark.slow
@pytest.mark.parametrize("vector", VECTORS)
def test_delivered_loads_use_each_vector_when_the_others_are_closed(baseline, vector):
    sc, cmap = baseline
    m, closed = run_with_only(sc, cmap, vector, months=8)    # overland loads take 3-4 months
    assert closed.any() and not closed.all()
    loads = m.recorder.load_table()
    coke = loads[(loads.commodity == "cocaine") & (loads.outcome == "delivered")]
    assert len(coke) > 0, f"no cocaine delivered with only {vector} open"
    assert coke[f"vector_{vector}"].sum() > 0, f"no delivered load used {vector}"
    for other in VECTORS:
        if other != vector:
            assert not coke[f"vector_{other}"].any(), f"{other} closed, yet a delivered load used it"
    # every organisation still plans, and only on edges left open
    for c in m.cartels:
        for r in c.routes:
            assert not closed[r.edges].any()
