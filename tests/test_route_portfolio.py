"""Route portfolio on three parallel corridors: enforcement on the cheapest spreads the flow
over the other two, it comes back when enforcement ends, and the portfolio grows after
losses and shrinks when quiet (model/agents/portfolio.py, MODEL.md §7.5)."""

import tempfile
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from model.agents.portfolio import overlap
from model.corridor import CorridorModel
from model.metrics import entropy
from model.scenario import parse_scenario
from model.world.geography import load_map
from toy import write_three_corridors

START, END, STEPS = 10, 30, 70
BEFORE, DURING, AFTER = slice(0, START), slice(START + 2, END), slice(45, STEPS)


@pytest.fixture(scope="module")
def cmap():
    return load_map(write_three_corridors(Path(tempfile.mkdtemp(prefix="toy3"))))


def run(cmap, enabled, seed=3, **portfolio):
    data = {
        "scenario": {"name": "toy3", "steps": STEPS},
        "routing": {"max_offshore_km": 0, "speed_km_per_step": 200, "risk_decay": 0.3},
        # one-cell coverage, no seizures at the port: every loss is on the enforced corridor
        "detection": {"coverage_radius_km": 20, "port_of_entry": 0.0},
        "portfolio": {"enabled": enabled, **portfolio},
        "cartel": [{"name": "A", "sources": ["Source"], "ports_of_entry": ["Port"],
                    "shipments_per_step": 5, "arms_per_tonne": 0}],
        "jurisdictions": {"XA": {"strategy": "static"}},
        "policy": [{"lever": "enforcement_units", "target": ["XA"], "start": START, "end": END, "value": 12}],
    }
    m = CorridorModel(parse_scenario(data), cmap, seed=seed)
    masks = [cmap.mask(c) for c in ("XA", "XB", "XC")]
    rows = []
    for _ in range(STEPS):
        m.step()
        f = m.step_flow[0].reshape(cmap.shape)
        c = m.cartels[0]
        assert all(overlap(a, b) < m.config.portfolio.max_overlap
                   for a, b in combinations(c.portfolio.routes, 2) for a, b in ((a, b), (b, a)))
        rows.append([*(f[k].sum() for k in masks), (f > 0).sum(), entropy(f.ravel()), len(c.portfolio.routes)])
    return np.array(rows)


def shares(r, span):
    x = r[span, :3].sum(0)
    return x / x.sum()


@pytest.mark.parametrize("seed", [3, 4])
def test_enforcement_on_the_cheap_corridor_spreads_flow_over_the_other_two_and_it_returns(cmap, seed):
    on, off = run(cmap, True, seed), run(cmap, False, seed)
    assert shares(on, BEFORE)[0] > 0.99                    # unenforced: corridor 1 (cost 1 : 1.4 : 1.6)
    during = shares(on, DURING)
    assert during[1] > 0.3 and during[2] > 0.05            # both other corridors carry flow
    assert on[DURING, 3].mean() > 1.3 * on[BEFORE, 3].mean()     # more active cells
    assert on[DURING, 4].mean() > on[BEFORE, 4].mean() + 0.3     # route entropy up
    # more spread than one route per port gives in the same months
    assert on[DURING, 3].mean() > off[DURING, 3].mean()
    assert on[DURING, 4].mean() > off[DURING, 4].mean()
    assert shares(on, AFTER)[0] > 0.95                      # back on corridor 1 after the end


def test_portfolio_grows_after_losses_and_shrinks_when_quiet(cmap):
    # no alternatives kept when quiet; any loss above 5% of shipments expands
    n = run(cmap, True, seed=3, min_routes=0, loss_tolerance=0.05)[:, 5]
    assert n[BEFORE].max() == 0                 # no seizures before enforcement: nothing to adapt to
    assert n[START:END + 6].max() >= 2          # losses: distinct alternatives added (two corridors)
    quiet = n[END + 6:]                         # loss window (6 months) past the end: losses stop
    assert np.all(np.diff(quiet) <= 0)          # consolidation only
    assert quiet[-1] == 0                       # back to none, one route dropped per 6 quiet months


def test_portfolio_off_by_default_has_one_route_per_port(cmap):
    r = run(cmap, False, seed=3)
    assert r[:, 5].max() == 0
