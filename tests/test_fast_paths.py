"""The optimised parts of the model equal the plain computations they replace, bit for bit.

Each fast path (benchmarks/BENCHMARKS.md) is checked against the straightforward version
it replaced, on inputs hypothesis varies: equal floats, not approximately equal ones, so
the golden summaries cannot drift through an optimisation.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from model.agents.portfolio import distinct, distinct_all, marked_overlap, overlap
from model.corridor import CorridorModel, compose
from model.flows import Commodity, Ledger, Shipment
from model.world.geography import load_map
from model.world.routing import Route, Router, RoutingGraph
from toy import write_three_corridors

SHAPE = (23, 17)


class Grid:
    """Just what `stamp` and `around` need of a model: the map's shape and a unit's disk."""

    def __init__(self, radius: int):
        self.cmap = type("Map", (), {"shape": SHAPE})()
        yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
        self.disk = (xx ** 2 + yy ** 2 <= radius * radius + 1e-9).astype(float)
        self._disk_offsets = np.argwhere(self.disk > 0) - radius

    _cells_near = CorridorModel._cells_near
    stamp = CorridorModel.stamp
    around = CorridorModel.around


cells = st.lists(st.tuples(st.integers(0, SHAPE[0] - 1), st.integers(0, SHAPE[1] - 1)), max_size=40)


@given(cells, st.integers(0, 4))
def test_stamped_coverage_equals_the_convolution_of_unit_counts(units, radius):
    g = Grid(radius)
    xy = np.array(units, np.int64).reshape(-1, 2)
    counts = np.zeros(SHAPE)
    np.add.at(counts, (xy[:, 0], xy[:, 1]), 1.0)
    expected = ndimage.convolve(counts, g.disk, mode="constant")
    assert np.array_equal(g.stamp(xy[:, 0], xy[:, 1]), expected)


@given(cells.filter(len))
def test_risk_around_seizures_equals_the_3x3_sum_of_hits(hits):
    g = Grid(1)
    nodes = np.array([x * SHAPE[1] + y for x, y in hits])
    grid = np.bincount(nodes, minlength=SHAPE[0] * SHAPE[1]).astype(float).reshape(SHAPE)
    expected = ndimage.convolve(grid, np.ones((3, 3)), mode="constant").ravel()
    where, count = g.around(nodes)
    got = np.zeros(expected.size)
    got[where] = count
    assert np.array_equal(got, expected)


@given(st.lists(st.integers(0, 29), min_size=30, max_size=30), st.integers(1, 40))
def test_composed_jumps_equal_moving_hop_by_hop(nxt, k):
    nxt = np.array(nxt)
    walked = np.arange(30)
    for _ in range(k):
        walked = nxt[walked]
    assert np.array_equal(compose(nxt, k), walked)


# ----- transport: the vectorised month against the per-shipment loop it replaced ---------
def reference_advance(ledger, speed_km, hazard, final_seizure, country_bits, flow, rng, owner_flow):
    """The original one-shipment-at-a-time month (kept here as the specification)."""
    seizures, delivered = [], []
    still = []
    passed_nodes, lengths, vols, coms, owners = [], [], [], [], []
    draws = rng.exponential(size=len(ledger.active))
    finals = rng.random(size=len(ledger.active))
    for s, e_draw, f_draw in zip(ledger.active, draws, finals):
        r = s.route
        end = max(int(np.searchsorted(r.cum_km, s.pos_km + speed_km, side="right")) - 1, s.step_edge)
        edges = r.edges[s.step_edge:end]
        nodes = r.nodes[s.step_edge + 1:end + 1]
        k = len(edges)
        if k:
            k = int(np.searchsorted(np.cumsum(hazard[s.commodity, edges]), e_draw, side="right"))
        seized = k < len(edges)
        if seized:
            nodes = nodes[:k + 1]
        if len(nodes):
            s.countries |= int(np.bitwise_or.reduce(country_bits[nodes]))
            passed_nodes.append(nodes)
            lengths.append(len(nodes))
            vols.append(s.volume)
            coms.append(int(s.commodity))
            owners.append(s.owner)
        if seized:
            seizures.append((s.commodity, s.owner, int(nodes[-1]), s.volume, s.countries))
            ledger.seized[s.commodity] += s.volume
            continue
        s.step_edge = end
        s.pos_km = s.pos_km + speed_km
        if end == len(r.nodes) - 1:
            if f_draw < final_seizure[s.commodity]:
                seizures.append((s.commodity, s.owner, int(r.nodes[-1]), s.volume, s.countries))
                ledger.seized[s.commodity] += s.volume
            else:
                delivered.append((s.commodity, s.owner, s.volume, s.countries))
                ledger.delivered[s.commodity] += s.volume
            continue
        still.append(s)
    ledger.active = still
    if passed_nodes:
        nodes = np.concatenate(passed_nodes)
        vol = np.repeat(vols, lengths)
        com = np.repeat(coms, lengths)
        np.add.at(flow, (com, nodes), vol)
        own = np.repeat(owners, lengths)
        coke = com == Commodity.COCAINE
        np.add.at(owner_flow, (own[coke], nodes[coke]), vol[coke])
    return seizures, delivered


def random_ledger(seed: int, n_nodes: int, n_edges: int) -> Ledger:
    """Shipments on random paths, some already part-way along them."""
    rng = np.random.default_rng(seed)
    ledger = Ledger()
    for _ in range(int(rng.integers(0, 25))):
        length = int(rng.integers(1, 30))
        nodes = rng.integers(0, n_nodes, length + 1)
        edges = rng.integers(0, n_edges, length)
        cum = np.concatenate([[0.0], np.cumsum(rng.uniform(5.0, 80.0, length))])
        s = Shipment(Commodity(int(rng.integers(0, 3))), int(rng.integers(0, 3)), float(rng.uniform(0.1, 3.0)),
                     Route(nodes=nodes, edges=edges, cum_km=cum, cost=1.0))
        s.step_edge = int(rng.integers(0, length))
        s.pos_km = float(cum[s.step_edge] + rng.uniform(0.0, 5.0))
        ledger.ship(s)
    return ledger


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.floats(10.0, 900.0), st.floats(0.0, 0.5))
def test_vectorised_transport_equals_the_per_shipment_loop(seed, speed, level):
    n_nodes, n_edges = 40, 60
    rng = np.random.default_rng(seed)
    hazard = rng.uniform(0.0, level, (3, n_edges))
    final = np.array([0.2, 0.0, 0.3])
    bits = rng.integers(0, 2 ** 10, n_nodes)
    fast, slow = random_ledger(seed, n_nodes, n_edges), random_ledger(seed, n_nodes, n_edges)
    flows = [np.zeros((3, n_nodes)) for _ in range(4)]
    months = 3
    for month in range(months):
        ev = fast.advance(speed, lambda c, e: hazard[c, e], final, bits, flows[0],
                          np.random.default_rng(seed + month), owner_flow=flows[1])
        seized, delivered = reference_advance(slow, speed, hazard, final, bits, flows[2],
                                              np.random.default_rng(seed + month), flows[3])
        assert [(c, o, n, v) for c, o, n, v, _ in seized] == ev.seizures
        assert [(c, v, k) for c, _, _, v, k in seized] == ev.seized_done
        assert delivered == ev.delivered
    assert np.array_equal(flows[0], flows[2]) and np.array_equal(flows[1], flows[3])
    for a in ("shipped", "delivered", "seized"):
        assert np.array_equal(getattr(fast, a), getattr(slow, a))
    assert [(s.step_edge, s.pos_km, s.countries) for s in fast.active] == \
        [(s.step_edge, s.pos_km, s.countries) for s in slow.active]


def random_routes(seed: int, n: int, n_edges: int) -> list[Route]:
    """Simple paths (no edge twice) over `n_edges` edges, some of no length at all."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        length = int(rng.integers(0, 12))
        edges = rng.permutation(n_edges)[:length]
        cum = np.concatenate([[0.0], np.cumsum(rng.uniform(1.0, 90.0, length))])
        out.append(Route(nodes=np.arange(length + 1), edges=edges, cum_km=cum, cost=1.0))
    return out


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(0, 8), st.integers(0, 6), st.floats(0.05, 1.0))
def test_marked_overlaps_equal_the_pairwise_isin(seed, n_routes, n_others, max_overlap):
    n_edges = 25                  # few edges: routes share many
    routes = random_routes(seed, n_routes, n_edges)
    others = random_routes(seed + 1, n_others, n_edges)
    mark = np.zeros(n_edges, bool)
    for b in others:
        mark[b.edges] = True
        assert [marked_overlap(a, mark) for a in routes] == [overlap(a, b) for a in routes]
        mark[b.edges] = False
    assert distinct_all(routes, others, max_overlap, mark) == [distinct(r, others, max_overlap) for r in routes]
    assert not mark.any()          # the scratch array is left as it was found


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.floats(0.0, 500.0))
def test_edge_weights_equal_the_plain_expression(seed, mode_change):
    g = three_corridors_graph()
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0.1, 2.0, 3)
    premium = np.clip(rng.uniform(0.0, 3.0, g.n) ** 2, 1.0, 50.0)
    fee = np.where(rng.random(g.n) < 0.3, rng.uniform(0.0, 2.0, g.n), 0.0)
    w = Router(g).edge_weights(cost, premium, fee, mode_change)
    plain = g.km * cost[g.mode] * np.take(premium, g.dst) + g.km * np.take(fee, g.dst)
    plain = np.where(g.landing, plain + mode_change, plain)
    assert np.array_equal(w, plain)


_GRAPH = []


def three_corridors_graph() -> RoutingGraph:
    """The toy three-corridor map's graph (land and sea edges, mode changes), built once."""
    if not _GRAPH:
        cmap = load_map(write_three_corridors(Path(tempfile.mkdtemp(prefix="fastpaths"))))
        _GRAPH.append(RoutingGraph(cmap, air_max_range_km=0, max_offshore_km=60))
    return _GRAPH[0]
