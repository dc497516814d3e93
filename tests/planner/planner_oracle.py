"""Plain reference implementation of the planner's routing: networkx shortest paths, even split per hop.

Slow and obvious on purpose; the fast engine (:mod:`planner.engine`) must agree with it to 1e-9.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import networkx as nx
import numpy as np

from planner.engine import Demand, Failure


def reference(
    n: int,
    links: Sequence[tuple[int, int, float, float]],
    demands: Sequence[Demand],
    max_paths: int,
    failure: Failure | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (loads per arc, unrouted per demand) computed demand by demand, member by member."""
    failure = failure or Failure()
    dead_links, dead_nodes = set(failure.links), set(failure.nodes)
    g = nx.MultiDiGraph()
    g.add_nodes_from(v for v in range(n) if v not in dead_nodes)
    out: dict[int, list[tuple[int, int, float]]] = {v: [] for v in range(n)}
    for i, (a, b, cab, cba) in enumerate(links):
        if i in dead_links or a in dead_nodes or b in dead_nodes:
            continue
        for arc, t, h, c in ((2 * i, a, b, cab), (2 * i + 1, b, a, cba)):
            g.add_edge(t, h, key=arc, weight=c)
            out[t].append((arc, h, c))
    rev = g.reverse(copy=False)
    loads = np.zeros(2 * len(links))
    unrouted = np.zeros(len(demands))
    for di, d in enumerate(demands):
        src = [x for x in d.src if x not in dead_nodes]
        dst = [t for t in d.dst if t not in dead_nodes]
        if not src or not dst:
            unrouted[di] = d.rate
            continue
        dist = nx.multi_source_dijkstra_path_length(rev, set(dst), weight="weight")
        share = d.rate / len(src)
        for x in src:
            if x not in dist:
                unrouted[di] += share
                continue
            _push(x, share, dist, out, loads, max_paths)
    return loads, unrouted


def _push(
    x: int,
    amount: float,
    dist: dict[int, float],
    out: dict[int, list[tuple[int, int, float]]],
    loads: np.ndarray,
    max_paths: int,
) -> None:
    flows = {x: amount}
    heap = [(-dist[x], x)]
    while heap:
        _, u = heapq.heappop(heap)
        f = flows.pop(u, None)
        if f is None or dist[u] == 0:
            continue
        hops = sorted((arc, h) for arc, h, c in out[u] if h in dist and dist[u] == c + dist[h])
        hops = hops[:max_paths]
        for arc, h in hops:
            loads[arc] += f / len(hops)
            if h not in flows:
                heapq.heappush(heap, (-dist[h], h))
            flows[h] = flows.get(h, 0.0) + f / len(hops)
