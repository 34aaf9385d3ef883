"""A cartel's route portfolio: distinct near-best paths beyond its least-cost route per port.

New routes come from the iterative penalty method (Akgün, Erkut & Batta 2000, "On finding
dissimilar paths", EJOR): after each path found, the weights of its edges are multiplied
by a penalty and the search is run again, so the next least-cost path avoids it where it
can. A path is kept only if it shares little with the routes already held and its true
(unpenalised) cost is near the best. The portfolio grows after losses and shrinks when
quiet, as NarcoLogic's traffickers expand to new nodes when interdiction costs them more
than they tolerate and consolidate otherwise (Magliocca et al., PNAS 2019). No randomness.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from model.world.routing import Route


def overlap(a: Route, b: Route) -> float:
    """Share of `a`'s length on edges that `b` also uses (shared km / km of a)."""
    if a.km <= 0:
        return 1.0
    km = np.diff(a.cum_km)
    return float(km[np.isin(a.edges, b.edges)].sum() / a.km)


def current_cost(route: Route, weights: np.ndarray) -> float:
    return float(weights[route.edges].sum())


def distinct(route: Route, others: list[Route], max_overlap: float) -> bool:
    return all(overlap(route, o) < max_overlap for o in others)


def distinct_all(routes: list[Route], others: list[Route], max_overlap: float, mark: np.ndarray) -> list[bool]:
    """`[distinct(r, others, max_overlap) for r in routes]`, with each of `others` marked once
    on `mark` (a False scratch array over the graph's edges, left False) instead of one
    `np.isin` per pair: the same edges are selected and summed in the same order, so the
    same numbers (tests/test_fast_paths.py)."""
    keep = list(range(len(routes)))
    for o in others:
        if not keep:
            break
        mark[o.edges] = True
        keep = [i for i in keep if marked_overlap(routes[i], mark) < max_overlap]
        mark[o.edges] = False
    kept = set(keep)
    return [i in kept for i in range(len(routes))]


def marked_overlap(a: Route, mark: np.ndarray) -> float:
    """`overlap(a, b)` with `b`'s edges marked True on `mark`, a bool array over edges."""
    if a.km <= 0:
        return 1.0
    return float(a.step_km[mark[a.edges]].sum() / a.km)


class Portfolio:
    """The alternatives one cartel holds across months, and the losses it adapts them to."""

    def __init__(self, params, graph):
        self.p = params
        self.graph = graph
        self.routes: list[Route] = []            # alternatives, beyond one route per port
        self.shipped = deque(maxlen=params.loss_window)   # t of cocaine shipped, per month
        self.seized = deque(maxlen=params.loss_window)    # t of its cocaine seized, per month
        self.quiet = 0                           # months in a row at or below tolerance
        self.wait = 0                            # months before a failed search is retried
        self.searches = 0                        # penalised searches run so far
        self._mark = np.zeros(graph.n_edges, bool)   # scratch for distinct_all, always left False

    def record(self, shipped: float, seized: float) -> None:
        self.shipped.append(shipped)
        self.seized.append(seized)

    def loss_share(self) -> float:
        shipped = sum(self.shipped)
        return sum(self.seized) / shipped if shipped > 0 else 0.0

    def adapt(self, router, weights: np.ndarray, sources: np.ndarray, ports: np.ndarray,
              port_routes: list[Route], best: float) -> None:
        """Expand after losses, consolidate after a quiet spell, fill up to the minimum."""
        p = self.p
        want = 0
        if self.loss_share() > p.loss_tolerance:
            self.quiet = 0
            want = p.expand_routes
        else:
            self.quiet += 1
            if self.quiet >= p.quiet_months:
                self.quiet = 0
                self.consolidate(weights, p.consolidate_routes)
        want = min(max(want, p.min_routes - len(self.routes)), p.max_routes - len(self.routes))
        if self.wait > 0:
            self.wait -= 1
            return
        if want > 0 and self.expand(router, weights, sources, ports, port_routes, best, want) < want:
            self.wait = p.retry_months

    def consolidate(self, weights: np.ndarray, n: int) -> None:
        """Drop the `n` costliest alternatives now (the least used), keeping `min_routes`."""
        n = min(n, len(self.routes) - self.p.min_routes)
        if n <= 0:
            return
        costs = [current_cost(r, weights) for r in self.routes]
        drop = set(np.argsort(costs, kind="stable")[len(costs) - n:].tolist())
        self.routes = [r for i, r in enumerate(self.routes) if i not in drop]

    def expand(self, router, weights, sources, ports, port_routes, best, want: int) -> int:
        """Up to `want` new distinct routes by penalised repeated search; returns how many."""
        p = self.p
        held = list(port_routes) + self.routes
        pen = weights.copy()
        for r in held:
            pen[r.edges] *= p.penalty
        found = 0
        for _ in range(p.max_searches):
            if found >= want:
                break
            dist, pred, origin = router.search(pen, sources)
            self.searches += 1
            order = sorted((float(dist[t]), int(t)) for t in ports if np.isfinite(dist[t]))
            first = None
            for _d, t in order:
                r = self.graph.path(pred, int(origin[t]), t, 0.0)
                if r is None:
                    continue
                first = first or r
                cost = current_cost(r, weights)
                if cost <= p.stretch * best and distinct_all([r], held, p.max_overlap, self._mark)[0]:
                    r.cost = cost
                    self.routes.append(r)
                    held.append(r)
                    pen[r.edges] *= p.penalty
                    found += 1
                    break
            else:
                if first is None:
                    break
                pen[first.edges] *= p.penalty     # push the next search off this path
        return found

    def choice_set(self, port_routes: list[Route], weights: np.ndarray) -> tuple[list[Route], np.ndarray]:
        """This month's routes and current costs: the port routes, then the alternatives that
        are still distinct from them (one the least-cost path has moved onto is shadowed)."""
        ok = distinct_all(self.routes, port_routes, self.p.max_overlap, self._mark)
        alts = [r for r, k in zip(self.routes, ok) if k]
        routes = list(port_routes) + alts
        return routes, np.array([r.cost for r in port_routes] + [current_cost(r, weights) for r in alts])
