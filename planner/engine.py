"""Exact, fast IGP routing with ECMP: loads per link direction under any set of failures.

The engine knows nothing of the inventory: nodes are integers, links are undirected pairs with a cost
per direction (link ``i`` gives arc ``2i`` = a→b and arc ``2i+1`` = b→a), and a demand sends ``rate``
from a group of source nodes (split evenly over the members that are up) to the nearest member of a
destination group (ECMP between equally near members).

Routing model (what a link-state IGP does): at every node the traffic toward a destination is split
evenly over the next hops on shortest paths, at most ``max_paths`` of them, taking the arcs in index
order. Traffic that has no path is *unrouted*: it is reported and loads no link.

How it stays fast at province scale:

* **Tree peeling.** Nodes hanging off the meshed core in trees (single-homed townships and their
  service-centre switches) have exactly one path to the core; their traffic is mapped onto the tree
  path plus an injection at the tree's root. Shortest paths only run on the remaining *core* graph,
  which is a few hundred nodes.
* **Aggregation by destination group** and batched, vectorised accumulation along the shortest-path
  DAGs (numpy), with distances from ``scipy.sparse.csgraph.dijkstra``.
* **Incremental failures.** A failure only re-routes the destination groups whose baseline flow
  crosses a failed element (or whose injections change); every other group keeps its baseline loads,
  which is exact because removing elements only lengthens paths.

``tests/planner`` hold a plain networkx reference implementation that checks all of this.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Demand:
    """One demand: ``rate`` from ``src`` members (even split) to the nearest ``dst`` member."""

    src: tuple[int, ...]
    dst: tuple[int, ...]
    rate: float
    standby: bool = False  # src[0] sends alone while up; the others share only when it is down


@dataclass(frozen=True)
class DemandSet:
    """Demands as arrays: members of demand ``d`` are ``src[src_ptr[d]:src_ptr[d+1]]``.

    ``level`` (per member, optional): a demand sends from its up members of the lowest level,
    split evenly (all 0: load sharing; master 0 and the others 1: active/standby).
    """

    rate: FloatArray
    src_ptr: IntArray
    src: IntArray
    dst: IntArray
    dst_groups: tuple[tuple[int, ...], ...]
    level: IntArray | None = None

    @classmethod
    def of(cls, demands: Sequence[Demand]) -> DemandSet:
        """Pack a list of demands.

        Examples:
            >>> ds = DemandSet.of([Demand((0, 1), (2,), 5.0), Demand((2,), (1, 0), 1.0)])
            >>> ds.src_ptr.tolist(), ds.dst.tolist(), ds.dst_groups
            ([0, 2, 3], [0, 1], ((2,), (0, 1)))
        """
        keys: dict[tuple[int, ...], int] = {}
        dst = [keys.setdefault(tuple(sorted(set(d.dst))), len(keys)) for d in demands]
        ptr = np.zeros(len(demands) + 1, np.int64)
        ptr[1:] = np.cumsum([len(d.src) for d in demands])
        src = np.array([x for d in demands for x in d.src], np.int64).reshape(-1)
        level = [min(k, 1) if d.standby else 0 for d in demands for k in range(len(d.src))]
        return cls(
            np.array([d.rate for d in demands], np.float64).reshape(-1),
            ptr,
            src,
            np.array(dst, np.int64).reshape(-1),
            tuple(keys),
            np.array(level, np.int64).reshape(-1) if any(level) else None,
        )


@dataclass(frozen=True)
class Failure:
    """Failed links and nodes (a failed node takes all its links down)."""

    links: tuple[int, ...] = ()
    nodes: tuple[int, ...] = ()


@dataclass(frozen=True)
class Result:
    """Loads per arc (``2*links``) and unrouted rate per demand for one scenario."""

    loads: FloatArray
    unrouted: FloatArray
    groups: IntArray | None = None  # destination groups re-routed (None: baseline)
    used: BoolArray | None = None  # core arcs where the flow of one of those groups changed


@dataclass(frozen=True)
class Trees:
    """Result of peeling: which nodes hang in trees off the core, and how."""

    core: BoolArray
    parent: IntArray
    parent_link: IntArray
    root: IntArray
    link_a: IntArray


def peel_trees(n: int, link_a: IntArray, link_b: IntArray, pinned: BoolArray) -> Trees:
    """Peel degree-1 nodes repeatedly; what remains is the core (pinned nodes always stay).

    Examples:
        >>> tri = peel_trees(4, np.array([0, 1, 2, 1]), np.array([1, 2, 0, 3]), np.zeros(4, bool))
        >>> tri.core.tolist(), tri.root.tolist()
        ([True, True, True, False], [0, 1, 2, 1])
    """
    deg = np.bincount(link_a, minlength=n) + np.bincount(link_b, minlength=n)
    adj: list[list[int]] = [[] for _ in range(n)]
    for i, (a, b) in enumerate(zip(link_a.tolist(), link_b.tolist(), strict=True)):
        adj[a].append(i)
        adj[b].append(i)
    core = np.ones(n, bool)
    parent = np.full(n, -1, np.int64)
    parent_link = np.full(n, -1, np.int64)
    stack = [int(v) for v in np.flatnonzero((deg == 1) & ~pinned)]
    order: list[int] = []
    while stack:
        x = stack.pop()
        if not core[x] or deg[x] != 1:
            continue
        link = next(i for i in adj[x] if core[link_a[i]] and core[link_b[i]])
        y = int(link_b[link] if link_a[link] == x else link_a[link])
        core[x] = False
        parent[x], parent_link[x] = y, link
        order.append(x)
        deg[x] -= 1
        deg[y] -= 1
        if deg[y] == 1 and not pinned[y]:
            stack.append(y)
    root = np.arange(n, dtype=np.int64)
    for x in reversed(order):
        root[x] = root[parent[x]]
    return Trees(core, parent, parent_link, root, link_a)


def _tree_path(trees: Trees, x: int) -> tuple[list[int], list[int]]:
    """Arcs and nodes from tree node ``x`` up to its root (arcs point upward)."""
    arcs: list[int] = []
    nodes: list[int] = [x]
    while not trees.core[x]:
        link = int(trees.parent_link[x])
        y = int(trees.parent[x])
        arcs.append(2 * link + (0 if _is_a(trees, link, x) else 1))
        nodes.append(y)
        x = y
    return arcs, nodes


def _is_a(trees: Trees, link: int, x: int) -> bool:
    return bool(trees.link_a[link] == x)


@dataclass
class _Shares:
    """One row per (demand, source member): its core group, injection node and tree part."""

    demand: IntArray
    member: IntArray
    group: IntArray  # -1: stays inside one tree
    inject: IntArray  # core index of the injection node
    arcs: sp.csr_matrix  # rows: shares, cols: arcs of the tree part (up and down)
    nodes: sp.csr_matrix  # rows: shares, cols: nodes that must be up for the tree part


class Engine:
    """Routing engine over a fixed graph and demand set (see the module docstring)."""

    def __init__(
        self,
        n_nodes: int,
        links: Sequence[tuple[int, int, float, float]],
        demands: Sequence[Demand] | DemandSet,
        max_paths: int,
    ) -> None:
        """Prepare trees, core graph, shares and the baseline routing.

        Args:
            n_nodes: number of nodes (0..n-1).
            links: (a, b, cost a→b, cost b→a) per link; costs must be positive.
            demands: the demands to route.
            max_paths: ECMP limit per node (at least 1).
        """
        if max_paths < 1:
            raise ValueError("max_paths must be at least 1")
        self.n = n_nodes
        self.max_paths = max_paths
        arr = np.array(links, dtype=np.float64).reshape(-1, 4)
        self.link_a = arr[:, 0].astype(np.int64)
        self.link_b = arr[:, 1].astype(np.int64)
        if arr.size and (arr[:, 2:] <= 0).any():
            raise ValueError("link costs must be positive")
        self.arc_tail = np.stack([self.link_a, self.link_b], 1).reshape(-1)
        self.arc_head = np.stack([self.link_b, self.link_a], 1).reshape(-1)
        self.arc_cost = arr[:, 2:4].reshape(-1).copy()
        self.ds = demands if isinstance(demands, DemandSet) else DemandSet.of(demands)
        self.rate = self.ds.rate
        self.n_demands = len(self.rate)
        pinned = np.zeros(n_nodes, bool)
        multi = np.diff(self.ds.src_ptr) > 1
        pinned[self.ds.src[np.repeat(multi, np.diff(self.ds.src_ptr))]] = True
        for grp in self.ds.dst_groups:
            if len(grp) > 1:
                pinned[list(grp)] = True
        self.trees = peel_trees(n_nodes, self.link_a, self.link_b, pinned)
        self._build_core()
        self.link_core = self.trees.core[self.link_a] & self.trees.core[self.link_b]
        self.tree_arcs = np.flatnonzero(~np.repeat(self.link_core, 2))
        self._build_shares()
        self._baseline()

    # -- preparation ------------------------------------------------------------------------------
    def _build_core(self) -> None:
        core = self.trees.core
        self.core_nodes = np.flatnonzero(core)
        self.core_index = np.full(self.n, -1, np.int64)
        self.core_index[self.core_nodes] = np.arange(len(self.core_nodes))
        arcs = np.flatnonzero(core[self.arc_tail] & core[self.arc_head])
        t = self.core_index[self.arc_tail[arcs]]
        order = np.lexsort((arcs, t))
        self.carcs = arcs[order]
        self.ct = t[order]
        self.ch = self.core_index[self.arc_head[self.carcs]]
        self.cc = self.arc_cost[self.carcs]
        nc = len(self.core_nodes)
        starts = np.searchsorted(self.ct, np.arange(nc))
        self.seg_start = starts[self.ct] if len(self.ct) else np.zeros(0, np.int64)
        # reversed core graph (one entry per node pair; parallel arcs share it) for dijkstra
        pair = self.ch * nc + self.ct
        uniq, self.rev_entry = np.unique(pair, return_inverse=True)
        self.rev_indices = (uniq % nc).astype(np.int32)
        self.rev_indptr = np.searchsorted(uniq // nc, np.arange(nc + 1)).astype(np.int32)
        outdeg = np.bincount(self.ct, minlength=nc)
        self.need_cap = bool(len(outdeg) and outdeg.max() > self.max_paths)

    def _build_shares(self) -> None:
        ds, tr = self.ds, self.trees
        share_demand = np.repeat(np.arange(len(ds.rate)), np.diff(ds.src_ptr))
        member = ds.src
        self.share_level = ds.level if ds.level is not None else np.zeros(len(member), np.int64)
        single = np.array([len(g) == 1 and not tr.core[g[0]] for g in ds.dst_groups], bool)
        target = np.array([g[0] if len(g) == 1 else -1 for g in ds.dst_groups], np.int64)
        keys: dict[tuple[int, ...], int] = {}
        cg = np.array(
            [
                keys.setdefault((int(tr.root[g[0]]),) if one else g, len(keys))
                for g, one in zip(ds.dst_groups, single.tolist(), strict=True)
            ],
            np.int64,
        )
        self.groups = [np.array(k, np.int64) for k in keys]
        self.group_size = np.array([len(k) for k in keys], np.int64).reshape(-1)
        self.group_first = self.core_index[np.array([k[0] for k in keys], np.int64).reshape(-1)]
        sdg = ds.dst[share_demand]
        tree_dst = single[sdg]
        t = np.where(tree_dst, target[sdg], 0)
        same = tree_dst & (tr.root[member] == tr.root[t]) & ~tr.core[member]
        group = np.where(same, -1, cg[sdg]) if len(sdg) else np.zeros(0, np.int64)
        inject = np.where(same, -1, self.core_index[tr.root[member]])
        up_a, up_n = self._node_paths()
        down = np.where(tree_dst & ~same, t, -1)
        special = {
            i: self._same_tree(up_a, up_n, int(member[i]), int(t[i]))
            for i in np.flatnonzero(same).tolist()
        }
        self.sh = _Shares(
            demand=share_demand,
            member=member,
            group=group,
            inject=inject,
            arcs=_share_matrix(
                up_a, member, down, {i: v[0] for i, v in special.items()}, 1, 2 * len(self.link_a)
            ),
            nodes=_share_matrix(
                up_n, member, down, {i: v[1] for i, v in special.items()}, 0, self.n
            ),
        )
        self.core_share = self.sh.group >= 0
        self.arcs_csc = self.sh.arcs.tocsc()
        self.nodes_csc = self.sh.nodes.tocsc()
        self.arcs_t = self.sh.arcs.T.tocsr()
        self.group_order = np.argsort(self.sh.group, kind="stable")
        gs = self.sh.group[self.group_order]
        self.group_ptr = np.searchsorted(gs, np.arange(len(self.groups) + 1)).astype(np.int64)
        self.demand_ptr = ds.src_ptr
        core_rows = np.flatnonzero(self.core_share)
        gi = self.sh.group[core_rows] * len(self.core_nodes) + self.sh.inject[core_rows]
        order = np.argsort(gi, kind="stable")
        self.gi_order, self.gi_keys = core_rows[order], gi[order]
        ns = len(self.sh.member)
        self.member_csc = sp.csc_matrix(
            (np.ones(ns), (np.arange(ns), self.sh.member)), shape=(ns, self.n)
        )

    def _node_paths(self) -> tuple[list[list[int]], list[list[int]]]:
        """Per node: the arcs and nodes of its path up to its tree's root."""
        tr = self.trees
        arcs: list[list[int]] = [[] for _ in range(self.n)]
        nodes: list[list[int]] = [[v] for v in range(self.n)]
        for x in self._peel_order_down():
            p, link = int(tr.parent[x]), int(tr.parent_link[x])
            arcs[x] = [2 * link + (0 if self.link_a[link] == x else 1), *arcs[p]]
            nodes[x] = [x, *nodes[p]]
        return arcs, nodes

    def _peel_order_down(self) -> list[int]:
        """Tree nodes ordered so that every parent comes before its children."""
        tr = self.trees
        depth = np.zeros(self.n, np.int64)
        todo = np.flatnonzero(~tr.core)
        for x in todo.tolist():
            d, y = 0, x
            while not tr.core[y]:
                d, y = d + 1, int(tr.parent[y])
            depth[x] = d
        return [int(x) for x in todo[np.argsort(depth[todo], kind="stable")]]

    @staticmethod
    def _same_tree(
        up_a: list[list[int]], up_n: list[list[int]], x: int, t: int
    ) -> tuple[list[int], list[int]]:
        """Arcs and nodes of the unique tree path from ``x`` to ``t`` (same tree)."""
        up_arcs, up_nodes = up_a[x], up_n[x]
        down_arcs, down_nodes = up_a[t], up_n[t]
        common = set(down_nodes)
        cut_up = next(i for i, v in enumerate(up_nodes) if v in common)
        cut_down = down_nodes.index(up_nodes[cut_up])
        return (
            up_arcs[:cut_up] + [a ^ 1 for a in down_arcs[:cut_down]],
            up_nodes[: cut_up + 1] + down_nodes[:cut_down],
        )

    def _baseline(self) -> None:
        nc, ng = len(self.core_nodes), len(self.groups)
        self.base_srate = self.rate[self.sh.demand] * self._fractions(
            np.ones(len(self.sh.member), bool)
        )
        self.base_inj = self._inject(self.base_srate)
        alive_arc = np.ones(len(self.carcs), bool)
        self.base_dist = self._dist(np.arange(ng), alive_arc, np.ones(nc, bool))
        flow, node_flow = self._route(self.base_dist, self.base_inj, alive_arc)
        self.base_gflow = flow
        self.base_nflow = node_flow
        self.base_core_total = flow.sum(0)
        self.base_reach = np.isfinite(self.base_dist)
        m = self.core_share
        core_ok = np.ones(len(m), bool)
        core_ok[m] = self.base_reach[self.sh.group[m], self.sh.inject[m]]
        self.base_routed = self.base_srate * core_ok
        self.base_tree_loads = np.asarray(self.arcs_t @ self.base_routed, dtype=np.float64)
        self.base_unrouted = self.rate - np.bincount(
            self.sh.demand, weights=self.base_routed, minlength=self.n_demands
        )
        self.base_unrouted[np.abs(self.base_unrouted) < 1e-6 * np.maximum(self.rate, 1.0)] = 0.0
        loads = self.base_tree_loads.copy()
        loads[self.carcs] += self.base_core_total
        self.baseline = Result(loads=loads, unrouted=self.base_unrouted.copy())

    def _fractions(self, up: BoolArray) -> FloatArray:
        """Per share: its part of its demand's rate when the members ``up`` are up (even split
        over the up members of the demand's lowest level that has one up)."""
        d = self.sh.demand
        big = np.iinfo(np.int64).max
        lowest = np.full(self.n_demands, big, np.int64)
        np.minimum.at(lowest, d[up], self.share_level[up])
        active = up & (self.share_level == lowest[d])
        n = np.bincount(d, weights=active, minlength=self.n_demands)
        out: FloatArray = np.where(active, 1.0 / n[d].clip(min=1), 0.0)
        return out

    def _inject(self, srate: FloatArray) -> FloatArray:
        nc, ng = len(self.core_nodes), len(self.groups)
        m = self.core_share
        idx = self.sh.group[m] * nc + self.sh.inject[m]
        out: FloatArray = np.bincount(idx, weights=srate[m], minlength=ng * nc).astype(np.float64)
        return out.reshape(ng, nc)

    # -- routing on the core graph -----------------------------------------------------------------
    def _dist(self, groups: IntArray, alive_arc: BoolArray, alive_node: BoolArray) -> FloatArray:
        """Distance from every core node to each group (its nearest member that is up)."""
        nc = len(self.core_nodes)
        out = np.full((len(groups), nc), np.inf)
        if not len(groups) or not nc:
            return out
        first = self.group_first[groups]
        multi = np.flatnonzero(self.group_size[groups] > 1)
        members = [self.core_index[self.groups[g]] for g in groups[multi]]
        sources = np.unique(np.concatenate([first, *members]))
        sources = sources[alive_node[sources]]
        if not len(sources):
            return out
        keep = alive_arc & alive_node[self.ct] & alive_node[self.ch]
        w = np.full(len(self.rev_indices), np.inf)
        np.minimum.at(w, self.rev_entry[keep], self.cc[keep])
        rev = sp.csr_matrix((w, self.rev_indices, self.rev_indptr), shape=(nc, nc))
        d = dijkstra(rev, directed=True, indices=sources)
        single = np.flatnonzero(self.group_size[groups] == 1)
        at = np.searchsorted(sources, first[single]).clip(max=len(sources) - 1)
        up = sources[at] == first[single]
        out[single[up]] = d[at[up]]
        for k, mem in zip(multi.tolist(), members, strict=True):
            rows = np.searchsorted(sources, mem).clip(max=len(sources) - 1)
            rows = rows[sources[rows] == mem]
            if rows.size:
                out[k] = d[rows].min(0)
        return out

    def _route(
        self, dist: FloatArray, inj: FloatArray, alive_arc: BoolArray
    ) -> tuple[FloatArray, FloatArray]:
        """Accumulate ``inj`` along the ECMP DAGs given by ``dist``; return arc and node flows."""
        k, nc = dist.shape
        if not k:
            return np.zeros((0, len(self.ct))), np.zeros((0, nc))
        dag = self._dag(dist, alive_arc)
        rows = (np.arange(k) * nc)[:, None]
        cnt = np.bincount((rows + self.ct)[dag], minlength=k * nc).reshape(k, nc)
        w = np.where(dag, 1.0 / np.maximum(cnt[:, self.ct], 1), 0.0)
        head_idx = np.broadcast_to(rows + self.ch, dag.shape).reshape(-1)
        f = inj.copy()
        for _ in range(nc + 1):
            out = f[:, self.ct] * w
            nf = inj + np.bincount(head_idx, weights=out.reshape(-1), minlength=k * nc).reshape(
                k, nc
            )
            if np.array_equal(nf, f):
                break
            f = nf
        return f[:, self.ct] * w, f

    def _dag(self, dist: FloatArray, alive_arc: BoolArray) -> BoolArray:
        """Per group, the core arcs on shortest paths (at most ``max_paths`` per node)."""
        dh = dist[:, self.ch]
        dag: BoolArray = alive_arc & np.isfinite(dh) & (dist[:, self.ct] == self.cc + dh)
        if self.need_cap:
            excl: IntArray = np.cumsum(dag, axis=1) - dag
            rank: IntArray = excl - excl[:, self.seg_start]
            dag &= rank < self.max_paths
        return dag

    def route_links(self) -> sp.csr_matrix:
        """Rows: (group, injection node) with traffic in the baseline; columns: links; an entry
        for every link on that source's ECMP routes (for deciding which failures interact)."""
        nc = len(self.core_nodes)
        dag = self._dag(self.base_dist, np.ones(len(self.ct), bool))
        link_of = self.carcs // 2
        blocks = []
        for g in range(len(self.groups)):
            src = np.flatnonzero(self.base_inj[g] > 0)
            if not src.size:
                continue
            arcs = np.flatnonzero(dag[g])
            step = sp.csr_matrix(
                (np.ones(arcs.size, bool), (self.ct[arcs], self.ch[arcs])), shape=(nc, nc)
            )
            reach = sp.csr_matrix(
                (np.ones(src.size, bool), (np.arange(src.size), src)), shape=(src.size, nc)
            )
            while True:
                grown = ((reach + reach @ step) > 0).astype(bool)
                if grown.nnz == reach.nnz:
                    break
                reach = grown
            tails = sp.csr_matrix(
                (np.ones(arcs.size), (self.ct[arcs], link_of[arcs])), shape=(nc, len(self.link_a))
            )
            blocks.append((reach.astype(np.float64) @ tails) > 0)
        if not blocks:
            return sp.csr_matrix((0, len(self.link_a)), dtype=bool)
        return sp.vstack(blocks).tocsr()

    def with_rates(self, rate: FloatArray) -> Engine:
        """The same graph and demands with other rates (growth, per-class decomposition)."""
        other = copy.copy(self)
        other.rate = np.asarray(rate, dtype=np.float64)
        other._baseline()
        return other

    # -- scenarios -----------------------------------------------------------------------------------
    def masks(self, failure: Failure) -> tuple[BoolArray, BoolArray, BoolArray]:
        """Failed links, nodes and arcs (a failed node takes its links' arcs down)."""
        fl = np.zeros(len(self.link_a), bool)
        fl[list(failure.links)] = True
        fn = np.zeros(self.n, bool)
        fn[list(failure.nodes)] = True
        return fl, fn, np.repeat(fl, 2) | fn[self.arc_tail] | fn[self.arc_head]

    def _touched(self, fn: BoolArray, fa: BoolArray) -> tuple[IntArray, FloatArray, BoolArray]:
        """Shares whose rate or tree path a failure changes, with their new rate and path state."""
        if not fn.any() and not fa[self.tree_arcs].any():
            return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool)
        broken = np.union1d(
            _gather(self.arcs_csc, np.flatnonzero(fa)), _gather(self.nodes_csc, np.flatnonzero(fn))
        )
        dead = np.flatnonzero(fn)
        demands = np.unique(self.sh.demand[_gather(self.member_csc, dead)])
        renorm = _ranges(self.demand_ptr, demands)
        touched = np.union1d(broken, renorm)
        member_up = ~fn[self.sh.member[touched]]
        srate = self.base_srate[touched].copy()
        if len(renorm):
            d = self.sh.demand[touched]
            frac = self._fractions(~fn[self.sh.member])[touched]
            hit = np.isin(d, demands)
            srate[hit] = self.rate[d[hit]] * frac[hit]
        ok = member_up & ~np.isin(touched, broken)
        return touched, srate, ok

    def evaluate(self, failure: Failure) -> Result:
        """Route every demand with ``failure`` applied; exact."""
        _, fn, fa = self.masks(failure)
        touched, srate_t, ok_t = self._touched(fn, fa)
        alive_arc = ~fa[self.carcs]
        alive_node = ~fn[self.core_nodes]
        inj_d = srate_t * ok_t - self.base_srate[touched]
        cs = self.core_share[touched] & (inj_d != 0)
        groups = np.unique(self.sh.group[touched[cs]])
        if not alive_arc.all() or not alive_node.all():
            hit = (self.base_gflow[:, ~alive_arc] > 0).any(1) | (
                self.base_nflow[:, ~alive_node] > 0
            ).any(1)
            groups = np.union1d(groups, np.flatnonzero(hit))
            dist = self._dist(groups, alive_arc, alive_node)
        else:
            dist = self.base_dist[groups]
        inj = self.base_inj[groups].copy()
        pos = np.searchsorted(groups, self.sh.group[touched[cs]])
        np.add.at(inj, (pos, self.sh.inject[touched[cs]]), inj_d[cs])
        flow, _ = self._route(dist, inj, alive_arc)
        core_loads = self.base_core_total
        if len(groups):
            core_loads = core_loads - self.base_gflow[groups].sum(0) + flow.sum(0)
            core_loads[np.abs(core_loads) < 1e-6] = 0.0
        res = self._assemble(groups, dist, core_loads, touched, srate_t, ok_t)
        base = self.base_gflow[groups]
        moved = np.abs(flow - base) > 1e-9 * np.maximum(np.abs(base), 1.0)
        used = np.zeros(len(self.arc_tail), bool)
        used[self.carcs[moved.any(0)]] = True
        return Result(res.loads, res.unrouted, groups, used)

    def _assemble(
        self,
        groups: IntArray,
        dist: FloatArray,
        core_loads: FloatArray,
        touched: IntArray,
        srate_t: FloatArray,
        ok_t: BoolArray,
    ) -> Result:
        flips = np.zeros(0, np.int64)
        if len(groups):  # shares whose injection node gained or lost its path to the group
            gi, r = np.nonzero(np.isfinite(dist) != self.base_reach[groups])
            keys = groups[gi] * len(self.core_nodes) + r
            lo = np.searchsorted(self.gi_keys, keys)
            hi = np.searchsorted(self.gi_keys, keys, side="right")
            ptr = np.stack([lo, hi], 1).reshape(-1)
            flips = self.gi_order[_ranges(ptr, np.arange(0, 2 * len(keys), 2))]
        changed = np.union1d(touched, flips)
        srate = self.base_srate[changed].copy()
        ok = np.ones(len(changed), bool)
        at = np.searchsorted(changed, touched)
        srate[at], ok[at] = srate_t, ok_t
        g = self.sh.group[changed]
        r = self.sh.inject[changed]
        core_ok = np.ones(len(changed), bool)
        m = g >= 0
        core_ok[m] = self.base_reach[g[m], r[m]]
        if len(groups):
            gp = np.searchsorted(groups, g).clip(max=len(groups) - 1)
            mine = m & (groups[gp] == g)
            core_ok[mine] = np.isfinite(dist[gp[mine], r[mine]])
        delta = srate * ok * core_ok - self.base_routed[changed]
        loads = self.base_tree_loads.copy()
        _scatter_rows(self.sh.arcs, changed, delta, loads)
        loads[self.carcs] += core_loads
        unrouted = self.base_unrouted - np.bincount(
            self.sh.demand[changed], weights=delta, minlength=self.n_demands
        )
        unrouted[np.abs(unrouted) < 1e-6 * np.maximum(self.rate, 1.0)] = 0.0
        return Result(loads=loads, unrouted=unrouted)

    def demand_matrix(self, failure: Failure | None = None, chunk: int = 256) -> sp.csr_matrix:
        """The routing matrix: arcs x demands, the fraction of each demand's rate on each arc.

        Exactly the model of :meth:`evaluate` (even split over the source members that are up,
        ECMP on the core, tree paths), so ``demand_matrix(f) @ rate == evaluate(f).loads``
        (tests check it). Traffic estimation uses it as the routing matrix; ``--explain`` reads a
        direction's row.
        """
        failure = failure or Failure()
        _, fn, fa = self.masks(failure)
        nc, na = len(self.core_nodes), len(self.arc_tail)
        sh = self.sh
        frac = self._fractions(~fn[sh.member])
        dead_arcs = np.flatnonzero(fa)
        dead_nodes = np.flatnonzero(fn)
        tree_ok = np.ones(len(sh.member), bool)
        if dead_arcs.size or dead_nodes.size:
            tree_ok[_gather(self.arcs_csc, dead_arcs)] = False
            tree_ok[_gather(self.nodes_csc, dead_nodes)] = False
        alive_arc = ~fa[self.carcs]
        alive_node = ~fn[self.core_nodes]
        dist = (
            self.base_dist
            if alive_arc.all() and alive_node.all()
            else self._dist(np.arange(len(self.groups)), alive_arc, alive_node)
        )
        core = np.flatnonzero(self.core_share & tree_ok)
        reach = np.isfinite(dist[sh.group[core], sh.inject[core]])
        ok = tree_ok.copy()
        ok[core[~reach]] = False
        w = frac * ok
        ns = len(sh.member)
        to_demand = sp.csr_matrix((w, (np.arange(ns), sh.demand)), shape=(ns, self.n_demands))
        out = (self.arcs_t @ to_demand).tocsr()
        core = core[reach]
        if core.size:
            key = sh.group[core] * nc + sh.inject[core]
            pairs, pair_of = np.unique(key, return_inverse=True)
            rows: list[IntArray] = []
            cols: list[IntArray] = []
            vals: list[FloatArray] = []
            for lo in range(0, len(pairs), chunk):
                part = pairs[lo : lo + chunk]
                g, r = part // nc, part % nc
                inj = np.zeros((len(part), nc))
                inj[np.arange(len(part)), r] = 1.0
                flow, _ = self._route(dist[g], inj, alive_arc)
                pi, ai = np.nonzero(flow > 1e-15)
                rows.append(pi + lo)
                cols.append(self.carcs[ai])
                vals.append(flow[pi, ai])
            pair_arc = sp.csr_matrix(
                (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                shape=(len(pairs), na),
            )
            pair_demand = sp.csr_matrix(
                (w[core], (pair_of.reshape(-1), sh.demand[core])),
                shape=(len(pairs), self.n_demands),
            )
            out = (out + pair_arc.T.tocsr() @ pair_demand).tocsr()
        out.eliminate_zeros()
        return out

    def tree_only(self, failure: Failure) -> bool:
        """True when the failure touches only tree elements: no load anywhere can rise."""
        return not (
            self.trees.core[list(failure.nodes)].any() or self.link_core[list(failure.links)].any()
        )

    def unrouted_tree_only(self, failures: Sequence[Failure]) -> sp.csr_matrix:
        """Extra unrouted rate per (scenario, demand) for tree-only failures, all at once.

        Core routing is unchanged by such failures and no source share is renormalised (every
        member of a multi-member group is pinned in the core), so the traffic lost is exactly the
        baseline-routed shares whose tree path holds a failed element.
        """
        k = len(failures)
        fa_rows = [sorted({a for i in f.links for a in (2 * i, 2 * i + 1)}) for f in failures]
        fn_rows = [sorted(set(f.nodes)) for f in failures]
        fa = _incidence(fa_rows, 2 * len(self.link_a))
        fn = _incidence(fn_rows, self.n)
        hit = (fa @ self.arcs_t + fn @ self.sh.nodes.T.tocsr()).tocsr()
        hit.data[:] = 1.0
        lost = hit.multiply(self.base_routed[None, :]).tocsr()
        to_demand = sp.csr_matrix(
            (np.ones(len(self.sh.demand)), (np.arange(len(self.sh.demand)), self.sh.demand)),
            shape=(len(self.sh.demand), self.n_demands),
        )
        out = (lost @ to_demand).tocsr()
        out.eliminate_zeros()
        return out.reshape((k, self.n_demands)).tocsr()


def _ranges(ptr: IntArray, keys: IntArray) -> IntArray:
    """Concatenate ``range(ptr[k], ptr[k+1])`` for every key, vectorised.

    Examples:
        >>> _ranges(np.array([0, 2, 2, 5]), np.array([0, 2])).tolist()
        [0, 1, 2, 3, 4]
    """
    starts, ends = ptr[keys], ptr[keys + 1]
    lens = ends - starts
    if not lens.sum():
        return np.zeros(0, np.int64)
    offs = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    out: IntArray = (np.arange(lens.sum()) + offs).astype(np.int64)
    return out


def _gather(m: sp.csc_matrix, cols: IntArray) -> IntArray:
    """Unique row indices of the entries in columns ``cols``."""
    return np.unique(m.indices[_ranges(m.indptr.astype(np.int64), cols)]).astype(np.int64)


def _scatter_rows(m: sp.csr_matrix, rows: IntArray, weights: FloatArray, out: FloatArray) -> None:
    """``out += m[rows].T @ weights`` without slicing the matrix."""
    ptr = m.indptr.astype(np.int64)
    idx = _ranges(ptr, rows)
    if len(idx):
        w = np.repeat(weights, ptr[rows + 1] - ptr[rows])
        out += np.bincount(m.indices[idx], weights=w * m.data[idx], minlength=len(out))


def _share_matrix(
    paths: list[list[int]],
    member: IntArray,
    down: IntArray,
    special: dict[int, list[int]],
    flip: int,
    ncols: int,
) -> sp.csr_matrix:
    """Rows: shares; entries: the member's upward path, the target's path (``xor flip``), or the
    explicit path of ``special`` rows."""
    ptr = np.zeros(len(paths) + 1, np.int64)
    ptr[1:] = np.cumsum([len(p) for p in paths])
    flat = np.array([v for p in paths for v in p], np.int64)
    lens = ptr[member + 1] - ptr[member]
    rows = [np.repeat(np.arange(len(member)), lens)]
    cols = [flat[_ranges(ptr, member)]]
    sel = np.flatnonzero(down >= 0)
    dl = ptr[down[sel] + 1] - ptr[down[sel]]
    rows.append(np.repeat(sel, dl))
    cols.append(flat[_ranges(ptr, down[sel])] ^ flip)
    keep = ~np.isin(rows[0], list(special)) if special else slice(None)
    rows[0], cols[0] = rows[0][keep], cols[0][keep]
    for i, path in special.items():
        rows.append(np.full(len(path), i, np.int64))
        cols.append(np.array(path, np.int64))
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(member), ncols))


def _incidence(rows: list[list[int]], ncols: int) -> sp.csr_matrix:
    indptr = np.zeros(len(rows) + 1, np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.array([c for r in rows for c in r], np.int64)
    data = np.ones(len(indices))
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), ncols))
