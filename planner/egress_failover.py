"""Internet egress under failures: demands move to the next level's egress, as routing would.

Internet demands (``egress/up``, ``egress/down``) leave at the egress of their own level
(:mod:`planner.demandgen`). An egress *site* is dead in a scenario when its egress devices (the
firewall, or the cores of a firewall-less exit) are failed or cut off, or when every one of its
carrier links is failed: a scenario ``egress:<name>`` fails one carrier link, and a ``carrier:X``
scenario fails the egress links of carrier X too (one carrier, one shared risk). A dead site's
default route is withdrawn, so its users follow the default another level advertises: the other
live egress site nearest by IGP cost (:func:`planner.egress.failover_of`, the BGP tie-break). Here
its internet demands are taken off their old paths and routed to that egress instead, exactly as
the engine routes any demand: the baseline routing matrix of the moved demands when the
scenario's failure does not touch their paths, else a full evaluation under the failure.

A site whose links only partly fail keeps its traffic on the links left: its egress utilisation
rises. :class:`EgressFailover` reports per egress site the busy-hour load (the larger direction)
over the capacity left, per scenario; the sweep keeps the worst.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from planner.demandgen import SiteDemand
from planner.egress import _cores, _graph
from planner.engine import Engine, FloatArray, Result
from planner.model import PlanModel, pack_demands
from planner.scenarios import Scenario

logger = logging.getLogger(__name__)
EGRESS_KIND = "egress"


def egress_scenarios(pm: PlanModel) -> list[Scenario]:
    """One scenario per egress carrier link (``egress:<name>``), in model order."""
    from planner.engine import Failure

    return [
        Scenario(f"egress:{name}", EGRESS_KIND, Failure(), egress=(name,))
        for name in pm.topo.egress
    ]


@dataclass(frozen=True)
class EgressState:
    """What one scenario does to the egress: dead sites, where they went, utilisation per site."""

    dead: tuple[str, ...]
    moved_to: dict[str, str | None]
    utilisation: dict[str, float]


class EgressFailover:
    """Egress failover for one plan model (built once, used by every scenario of a sweep)."""

    def __init__(self, pm: PlanModel) -> None:
        topo = self.topo = pm.topo
        self.pm = pm
        self.sites = [s.name for s in topo.sites.values() if s.egress]
        self.links = {s: topo.sites[s].egress for s in self.sites}
        self.devices = {
            s: tuple(dict.fromkeys(pm.host_index[topo.egress[e].device] for e in self.links[s]))
            for s in self.sites
        }
        eng = pm.engine
        self.node_links: dict[int, set[int]] = {}
        for i, (a, b) in enumerate(zip(eng.link_a.tolist(), eng.link_b.tolist(), strict=True)):
            self.node_links.setdefault(a, set()).add(i)
            self.node_links.setdefault(b, set()).add(i)
        self.moved: dict[str, list[int]] = {s: [] for s in self.sites}
        for i, d in enumerate(pm.demands):
            site = d.dst_site if d.kind == "egress/up" else d.src_site
            if d.kind in ("egress/up", "egress/down") and site in self.moved:
                self.moved[site].append(i)
        self.up = {s: self._sum(s, "egress/up") for s in self.sites}
        self.down = {s: self._sum(s, "egress/down") for s in self.sites}
        self.egress_nodes = {n for s in self.sites for n in self.devices[s]}
        self.egress_links = {i for n in self.egress_nodes for i in self.node_links.get(n, ())}
        self.graph = _graph(topo)
        self._dist: FloatArray | None = None
        self._fo: dict[
            tuple[tuple[str, str], ...], tuple[Engine, dict[int, int], sp.csc_matrix]
        ] = {}
        self._base: sp.csc_matrix | None = None

    # -- which sites die, where they go ---------------------------------------------------------
    def failed_links(self, sc: Scenario) -> set[str]:
        """Egress carrier links down in ``sc``: its own, and a failed carrier's."""
        out = set(sc.egress)
        if sc.kind == "carrier":
            carrier = sc.name.partition(":")[2]
            out |= {e.name for e in self.topo.egress.values() if e.carrier == carrier}
        return out

    def _device_dead(self, node: int, nodes: set[int], links: set[int]) -> bool:
        return node in nodes or self.node_links.get(node, set()) <= links

    def dead_sites(self, sc: Scenario, failed: set[str]) -> list[str]:
        """Egress sites with no device or no carrier link left."""
        nodes, links = set(sc.failure.nodes), set(sc.failure.links)
        if not failed and not (nodes & self.egress_nodes or links & self.egress_links):
            return []
        return [
            s
            for s in self.sites
            if set(self.links[s]) <= failed
            or all(self._device_dead(n, nodes, links) for n in self.devices[s])
        ]

    def failover(self, site: str, alive: list[str]) -> str | None:
        """The live egress site nearest (IGP cost) to ``site``'s cores."""
        if self._dist is None:
            self._dist = self._distances()
        row = self._dist[self.sites.index(site)]
        best = min(
            ((row[self.sites.index(o)], o) for o in alive if o != site), default=(np.inf, "")
        )
        return best[1] if np.isfinite(best[0]) else None

    def _distances(self) -> FloatArray:
        """IGP distance between every two egress sites' cores (nearest core pair), at once."""
        hosts = self.pm.host_index
        g = self.graph
        nodes = list(g.nodes)
        at = {h: k for k, h in enumerate(nodes)}
        rows, cols, w = [], [], []
        for a, b, d in g.edges(data="weight"):
            rows += [at[a], at[b]]
            cols += [at[b], at[a]]
            w += [d, d]
        m = sp.csr_matrix((w, (rows, cols)), shape=(len(nodes), len(nodes)))
        cores = {
            s: [at[h] for h in _cores(self.topo, s) if h in at and h in hosts] for s in self.sites
        }
        src = sorted({n for c in cores.values() for n in c})
        dist = csgraph.dijkstra(m, indices=src) if src else np.zeros((0, len(nodes)))
        pos = {n: k for k, n in enumerate(src)}
        out = np.full((len(self.sites), len(self.sites)), np.inf)
        for i, s in enumerate(self.sites):
            if not cores[s]:
                continue
            near = dist[[pos[n] for n in cores[s]]].min(0)
            for j, o in enumerate(self.sites):
                out[i, j] = min((near[n] for n in cores[o]), default=np.inf)
        return out

    def capacity_left(self, failed: set[str]) -> dict[str, float]:
        """Egress capacity per site with the failed links taken out."""
        return {
            s: float(
                sum(self.topo.egress[e].capacity_bps for e in self.links[s] if e not in failed)
            )
            for s in self.sites
        }

    # -- loads --------------------------------------------------------------------------------------
    def adjust(self, sc: Scenario, res: Result) -> tuple[FloatArray, FloatArray, EgressState]:
        """Loads and unrouted rates of ``res`` with the dead egress sites' demands moved."""
        failed = self.failed_links(sc)
        dead = self.dead_sites(sc, failed)
        alive = [s for s in self.sites if s not in dead]
        moved_to = {s: self.failover(s, alive) for s in dead}
        loads, unrouted = res.loads, res.unrouted
        if dead:
            loads, unrouted = self._move(sc, res, moved_to)
        util = self._utilisation(failed, moved_to)
        return loads, unrouted, EgressState(tuple(dead), moved_to, util)

    def _move(
        self, sc: Scenario, res: Result, moved_to: dict[str, str | None]
    ) -> tuple[FloatArray, FloatArray]:
        eng = self.pm.engine
        idx = np.array([i for s in moved_to for i in self.moved[s]], np.int64)
        loads, unrouted = res.loads.copy(), res.unrouted.copy()
        routed = eng.rate[idx] - unrouted[idx]
        still = idx[routed > 1e-9 * np.maximum(eng.rate[idx], 1.0)]
        if still.size:  # the old egress is cut off by its links only: its paths still carry them
            loads -= self._loads(eng, still, sc, self._baseline_matrix())
        unrouted[idx] = eng.rate[idx]
        pairs = tuple(sorted((s, f) for s, f in moved_to.items() if f is not None))
        if not pairs:
            return loads, unrouted
        fo, col, matrix = self._fo_model(pairs)
        go = np.array([i for s, _ in pairs for i in self.moved[s]], np.int64)
        cols = np.array([col[i] for i in go.tolist()], np.int64)
        if self._untouched(matrix, sc):
            loads += matrix @ fo.rate
            unrouted[go] = fo.baseline.unrouted[cols]
        else:
            r = fo.evaluate(sc.failure)
            loads += r.loads
            unrouted[go] = r.unrouted[cols]
        return loads, unrouted

    def _loads(
        self, eng: Engine, which: np.ndarray, sc: Scenario, base: sp.csc_matrix
    ) -> FloatArray:
        if not sc.failure.links and not sc.failure.nodes:
            return np.asarray(base[:, which] @ eng.rate[which], np.float64)
        return eng.with_rates(_only(eng.rate, which)).evaluate(sc.failure).loads

    def _baseline_matrix(self) -> sp.csc_matrix:
        if self._base is None:
            self._base = self.pm.engine.demand_matrix().tocsc()
        return self._base

    def _untouched(self, matrix: sp.csc_matrix, sc: Scenario) -> bool:
        """No failed arc carries any of the moved demands on their baseline paths."""
        if not sc.failure.links and not sc.failure.nodes:
            return True
        _, _, dead_arcs = self.pm.engine.masks(sc.failure)
        used = np.asarray(abs(matrix).sum(1)).reshape(-1) > 0
        return not bool((used & dead_arcs).any())

    def _fo_model(
        self, pairs: tuple[tuple[str, str], ...]
    ) -> tuple[Engine, dict[int, int], sp.csc_matrix]:
        """An engine routing exactly the moved sites' internet demands to their new egress
        (cached per set of moves: a site failing alone reuses its own in every scenario)."""
        hit = self._fo.get(pairs)
        if hit is None:
            hit = self._fo[pairs] = self._build(pairs)
        return hit

    def _build(
        self, pairs: tuple[tuple[str, str], ...]
    ) -> tuple[Engine, dict[int, int], sp.csc_matrix]:
        pm, topo = self.pm, self.topo
        demands: list[SiteDemand] = []
        col: dict[int, int] = {}
        for site, to in pairs:
            group = tuple(pm.hosts[n] for n in self.devices[to])
            for i in self.moved[site]:
                d = pm.demands[i]
                col[i] = len(demands)
                rate = float(pm.engine.rate[i])
                if d.kind == "egress/up":
                    demands.append(d._replace(dst=group, dst_site=to, rate_bps=rate))
                else:
                    demands.append(d._replace(src=group, src_site=to, rate_bps=rate))
        links = [
            (
                pm.host_index[c.a.device],
                pm.host_index[c.b.device],
                float(c.cost_ab),
                float(c.cost_ba),
            )
            for c in pm.circuits
        ]
        eng = Engine(
            len(pm.hosts), links, pack_demands(demands, pm.host_index, {}), topo.policy.max_paths
        )
        return eng, col, eng.demand_matrix().tocsc()

    def _utilisation(self, failed: set[str], moved_to: dict[str, str | None]) -> dict[str, float]:
        if not failed and not moved_to:
            return {}  # the baseline: nothing to record
        cap = self.capacity_left(failed)
        up, down = dict(self.up), dict(self.down)
        for s, to in moved_to.items():
            if to is not None:
                up[to] += up[s]
                down[to] += down[s]
            up[s] = down[s] = 0.0
        return {s: (max(up[s], down[s]) / cap[s] if cap[s] > 0 else 0.0) for s in self.sites}

    def _sum(self, site: str, kind: str) -> float:
        rate = self.pm.engine.rate
        return float(sum(rate[i] for i in self.moved[site] if self.pm.demands[i].kind == kind))

    def baseline(self) -> dict[str, float]:
        """Egress utilisation per site with nothing failed."""
        cap = self.capacity_left(set())
        return {
            s: (max(self.up[s], self.down[s]) / cap[s] if cap[s] > 0 else 0.0) for s in self.sites
        }


def _only(rate: FloatArray, keep: np.ndarray) -> FloatArray:
    out = np.zeros_like(rate)
    out[keep] = rate[keep]
    return out
