"""Models stepped in threads of one process give the numbers of their serial runs.

Models on one map share its routing graph (the structure is costly to hold twice); each
keeps its own search weights and caches. The runs below step month by month behind a
barrier, so every month of every model overlaps the same month of the others: a write to
shared scratch would show up as different numbers. The dashboard builds its models with
the same constructor, so two sessions playing at once are covered too.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from pandas.testing import assert_frame_equal

from model.corridor import CorridorModel, routing_graph

STEPS = 12
THREADS = 4


@pytest.fixture(scope="module")
def cases(baseline, crackdown):
    """Four runs on one map object: two seeds of the baseline, two of an early crackdown."""
    early = crackdown[0].model_copy(deep=True)
    for p in early.policy:
        p.start = 2                   # the crackdown is in force for most of the months run
    cmap = crackdown[1]
    return cmap, [(baseline[0], 11), (early, 12), (baseline[0], 13), (early, 14)]


def _serial(cmap, cases):
    out = []
    for sc, seed in cases:
        m = CorridorModel(sc, cmap, seed=seed)
        for _ in range(STEPS):
            m.step()
        out.append(m.recorder.timeseries())
    return out


def _threaded(cmap, cases):
    barrier = threading.Barrier(len(cases))

    def run(case):
        sc, seed = case
        m = CorridorModel(sc, cmap, seed=seed)
        for _ in range(STEPS):
            barrier.wait()
            m.step()
        return m.recorder.timeseries()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, cases))


def test_models_in_threads_equal_their_serial_runs(cases):
    cmap, runs = cases
    serial = _serial(cmap, runs)
    assert not serial[0].equals(serial[1])          # the cases differ: a mix-up would show
    for _ in range(2):
        for (sc, seed), want, got in zip(runs, serial, _threaded(cmap, runs)):
            assert_frame_equal(got, want, check_exact=True, obj=f"{sc.scenario.name} seed {seed}")


def test_shared_graph_is_read_only(crackdown):
    sc, cmap = crackdown
    g = routing_graph(cmap, sc)
    with pytest.raises(ValueError):
        g.km[0] = 1.0
    with pytest.raises(ValueError):
        g.routable[0, 0] = not g.routable[0, 0]
    assert routing_graph(cmap, sc) is g


def test_graph_cache_builds_once_under_threads(baseline):
    """Threads asking at once for a graph not yet built all get the same object."""
    from model.world.geography import load_map
    sc, cmap = baseline
    fresh = load_map(cmap.path, maritime_zone_km=sc.routing.maritime_zone_km)
    barrier = threading.Barrier(THREADS)

    def get(_):
        barrier.wait()
        return routing_graph(fresh, sc)

    with ThreadPoolExecutor(THREADS) as pool:
        graphs = list(pool.map(get, range(THREADS)))
    assert all(g is graphs[0] for g in graphs)
    assert np.array_equal(graphs[0].routable, routing_graph(cmap, sc).routable)
