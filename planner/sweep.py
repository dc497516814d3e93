"""Failure sweeps: per circuit direction, the worst-case load and the three scenarios that cause it.

A scenario that fails only tree elements (a single-homed township's tail, access router, switch,
building or site) cannot raise any load: core routing is unchanged and traffic only disappears. The
sweep therefore computes just its unrouted traffic, which is exact; ``tests/planner`` check the claim
against full evaluations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from planner.egress_failover import EgressFailover
from planner.engine import Failure, FloatArray, IntArray
from planner.model import PlanModel
from planner.scenarios import Scenario

logger = logging.getLogger(__name__)
Progress = Callable[[int], None]
TOP = 3


@dataclass(frozen=True)
class Outcome:
    """What one scenario does: traffic lost, sites losing service, highest utilisation."""

    name: str
    kind: str
    unrouted_bps: float
    sites_lost: tuple[str, ...]
    max_utilisation: float | None  # None: tree-only, no load rises above the baseline
    overloaded: int  # circuit directions above the fail threshold
    failure: Failure = field(default_factory=Failure)


@dataclass
class Sweep:
    """Worst case per arc over a set of scenarios."""

    baseline: FloatArray
    worst: FloatArray
    top_load: FloatArray  # arcs x 3
    top_id: IntArray  # arcs x 3, index into ``outcomes`` (-1: none)
    outcomes: list[Outcome]
    # per egress site: the worst internet egress utilisation and its scenario
    # (planner/egress_failover.py; empty without egress or without a sweep of single failures)
    egress: dict[str, tuple[float, str]] = field(default_factory=dict)

    def top_names(self, arc: int) -> list[tuple[str, float]]:
        """The scenarios that load ``arc`` most, with the load, best first."""
        return [
            (self.outcomes[int(i)].name, float(v))
            for i, v in zip(self.top_id[arc], self.top_load[arc], strict=True)
            if i >= 0
        ]


def lost_sites(pm: PlanModel, unrouted: FloatArray) -> tuple[str, ...]:
    """Sites whose own traffic is (partly) unrouted."""
    hit = np.flatnonzero(unrouted > 0)
    if not hit.size:
        return ()
    return tuple(sorted(pm.site_names[j] for j in np.unique(pm.demand_owner[hit]).tolist()))


def run(
    pm: PlanModel,
    scenarios: Iterable[Scenario],
    progress: Progress | None = None,
    chunk: int = 2048,
) -> Sweep:
    """Evaluate every scenario and keep the worst case per circuit direction."""
    eng = pm.engine
    base = eng.baseline.loads
    narcs = len(base)
    top_load = np.full((narcs, TOP), -np.inf)
    top_id = np.full((narcs, TOP), -1, np.int64)
    floor = base * (1 + 1e-9) + 1e-6
    fail = pm.topo.policy.fail_utilisation
    outcomes: list[Outcome] = []
    pending: list[tuple[int, Scenario]] = []
    # scenarios failing the same elements (a building holding one device…) share one evaluation
    seen: dict[tuple[frozenset[int], frozenset[int], frozenset[str]], tuple[FloatArray, Outcome]]
    seen = {}
    fo = EgressFailover(pm) if pm.topo.egress else None
    worst_egress: dict[str, tuple[float, str]] = {}
    if fo is not None:
        _keep_egress(worst_egress, fo.baseline(), "baseline")
    done = 0
    for sc in scenarios:
        outcomes.append(Outcome(sc.name, sc.kind, 0.0, (), None, 0, sc.failure))
        if eng.tree_only(sc.failure) and not sc.egress:
            pending.append((len(outcomes) - 1, sc))
            if len(pending) >= chunk:
                done += _flush(pm, pending, outcomes, progress, done)
            continue
        failed = fo.failed_links(sc) if fo is not None else set()
        key = (frozenset(sc.failure.links), frozenset(sc.failure.nodes), frozenset(failed))
        hit = seen.get(key)
        if hit is None:
            res = eng.evaluate(sc.failure)
            loads, unrouted = res.loads, res.unrouted
            if fo is not None:
                loads, unrouted, state = fo.adjust(sc, res)
                _keep_egress(worst_egress, state.utilisation, sc.name)
            util = loads / pm.capacity
            hit = seen[key] = (
                loads,
                Outcome(
                    sc.name,
                    sc.kind,
                    float(unrouted.sum()),
                    lost_sites(pm, unrouted),
                    float(util.max(initial=0.0)),
                    int((util > fail).sum()),
                    sc.failure,
                ),
            )
        loads, first = hit
        outcomes[-1] = Outcome(
            sc.name,
            sc.kind,
            first.unrouted_bps,
            first.sites_lost,
            first.max_utilisation,
            first.overloaded,
            sc.failure,
        )
        _keep_top(top_load, top_id, loads, floor, len(outcomes) - 1)
        done += 1
        if progress is not None:
            progress(done)
    _flush(pm, pending, outcomes, progress, done)
    worst = np.maximum(base, np.where(np.isfinite(top_load[:, 0]), top_load[:, 0], 0.0))
    return Sweep(
        base, worst, np.where(np.isfinite(top_load), top_load, 0.0), top_id, outcomes, worst_egress
    )


def _keep_egress(worst: dict[str, tuple[float, str]], util: dict[str, float], name: str) -> None:
    """Keep the highest egress utilisation per site (the first scenario reaching it).

    Examples:
        >>> w = {}
        >>> _keep_egress(w, {"a": 0.5}, "x"); _keep_egress(w, {"a": 0.5, "b": 0.1}, "y")
        >>> w
        {'a': (0.5, 'x'), 'b': (0.1, 'y')}
    """
    for site, u in util.items():
        if site not in worst or u > worst[site][0]:
            worst[site] = (u, name)


def _flush(
    pm: PlanModel,
    pending: list[tuple[int, Scenario]],
    outcomes: list[Outcome],
    progress: Progress | None,
    done: int,
) -> int:
    """Evaluate queued tree-only scenarios in one batch; return how many."""
    if not pending:
        return 0
    lost = pm.engine.unrouted_tree_only([sc.failure for _, sc in pending])
    base_unrouted = pm.engine.baseline.unrouted
    base_total = float(base_unrouted.sum())
    owners = pm.demand_owner
    for row, (i, sc) in enumerate(pending):
        cols = lost.indices[lost.indptr[row] : lost.indptr[row + 1]]
        amount = float(lost.data[lost.indptr[row] : lost.indptr[row + 1]].sum())
        sites = {pm.site_names[j] for j in np.unique(owners[cols]).tolist()}
        outcomes[i] = Outcome(
            sc.name,
            sc.kind,
            base_total + amount,
            tuple(sorted(sites | set(lost_sites(pm, base_unrouted)))),
            None,
            0,
            sc.failure,
        )
    n = len(pending)
    pending.clear()
    if progress is not None:
        progress(done + n)
    return n


def _keep_top(
    top_load: FloatArray,
    top_id: IntArray,
    loads: FloatArray,
    floor: FloatArray,
    sid: int | IntArray,
) -> None:
    idx = np.flatnonzero((loads > floor) & (loads > top_load[:, TOP - 1]))
    if not idx.size:
        return
    cand = np.concatenate([top_load[idx], loads[idx, None]], axis=1)
    sids = np.broadcast_to(np.asarray(sid), loads.shape)[idx]
    ids = np.concatenate([top_id[idx], sids[:, None]], axis=1)
    order = np.argsort(-cand, axis=1, kind="stable")[:, :TOP]
    top_load[idx] = np.take_along_axis(cand, order, 1)
    top_id[idx] = np.take_along_axis(ids, order, 1)


class _Tracker:
    """Worst case per arc and outcomes, shared by the sweeps."""

    def __init__(self, pm: PlanModel) -> None:
        self.pm = pm
        self.base = pm.engine.baseline.loads
        n = len(self.base)
        self.top_load = np.full((n, TOP), -np.inf)
        self.top_id = np.full((n, TOP), -1, np.int64)
        self.floor = self.base * (1 + 1e-9) + 1e-6
        self.fail = pm.topo.policy.fail_utilisation
        self.outcomes: list[Outcome] = []

    def add(self, sc: Scenario, loads: FloatArray, unrouted: FloatArray) -> None:
        util = loads / self.pm.capacity
        self.outcomes.append(
            Outcome(
                sc.name,
                sc.kind,
                float(unrouted.sum()),
                lost_sites(self.pm, unrouted),
                float(util.max(initial=0.0)),
                int((util > self.fail).sum()),
                sc.failure,
            )
        )
        _keep_top(self.top_load, self.top_id, loads, self.floor, len(self.outcomes) - 1)

    def result(self) -> Sweep:
        t = self.top_load
        worst = np.maximum(self.base, np.where(np.isfinite(t[:, 0]), t[:, 0], 0.0))
        return Sweep(self.base, worst, np.where(np.isfinite(t), t, 0.0), self.top_id, self.outcomes)


def run_doubles(pm: PlanModel, progress: Progress | None = None) -> Sweep:
    """Every pair of backbone circuits failing together.

    A pair (i, j) is *independent* when no source's baseline routes (in any destination group)
    cross both circuits, and neither single failure moves any group's flow onto or off the other
    circuit. Then every source is re-routed by at most one of the two failures, its new paths avoid
    the other circuit, and the pair's loads are exactly ``base + delta_i + delta_j``. Independent
    pairs are summed in vectorised blocks; the others are routed in full. The tests compare both
    against full evaluations.
    """
    from planner.engine import Failure
    from planner.scenarios import backbone_links

    eng = pm.engine
    links = backbone_links(pm)
    tr = _Tracker(pm)
    singles = [eng.evaluate(Failure((i,), ())) for i in links]
    touch = eng.route_links()[:, links].astype(np.float64)
    shared = (touch.T @ touch).toarray() > 0  # some source's routes cross both circuits
    arcs = np.array([[2 * i, 2 * i + 1] for i in links], np.int64).reshape(-1, 2)
    used = np.array(
        [r.used if r.used is not None else np.zeros(len(tr.base), bool) for r in singles]
    ).reshape(len(links), -1)
    crosses = used[:, arcs].any(2)  # [k, m]: single k moves flow on circuit m
    blocked = shared | crosses | crosses.T
    base_total = float(eng.baseline.unrouted.sum())
    d_full = np.array([r.loads - tr.base for r in singles]).reshape(len(links), -1)
    cols = np.flatnonzero((d_full != 0).any(0))
    d_load = d_full[:, cols]
    d_un = np.array([float(r.unrouted.sum()) - base_total for r in singles])
    lost = [set(lost_sites(pm, r.unrouted)) for r in singles]
    done = 0
    for a, i in enumerate(links):
        rest = np.arange(a + 1, len(links))
        free = rest[~blocked[a, rest]]
        _block(tr, pm, links, (a, free), (cols, d_load), base_total + d_un[a] + d_un[free], lost)
        for b in rest[blocked[a, rest]].tolist():
            j = links[b]
            res = eng.evaluate(Failure((i, j), ()))
            tr.add(_pair(pm, i, j), res.loads, res.unrouted)
        done += len(rest)
        if progress is not None:
            progress(done)
    return tr.result()


def _pair(pm: PlanModel, i: int, j: int) -> Scenario:
    from planner.engine import Failure

    return Scenario(
        f"circuit:{pm.circuits[i].id} + circuit:{pm.circuits[j].id}", "double", Failure((i, j), ())
    )


def _block(
    tr: _Tracker,
    pm: PlanModel,
    links: list[int],
    pairs: tuple[int, IntArray],
    deltas: tuple[IntArray, FloatArray],
    unrouted: FloatArray,
    lost: list[set[str]],
) -> None:
    """Add the independent pairs (links[a], links[b]) for b in ``free`` by summing deltas.

    Only the arcs in ``cols`` ever move; link failures only ever take traffic away, so the sites
    losing service are the union of the two single failures' and the unrouted totals add up.
    """
    a, free = pairs
    cols, d_load = deltas
    if not free.size:
        return
    loads = tr.base[cols] + d_load[a] + d_load[free]
    util = loads / pm.capacity[cols]
    rest = np.ones(len(tr.base), bool)
    rest[cols] = False
    base_util = tr.base[rest] / pm.capacity[rest]
    peak = np.maximum(util.max(1, initial=0.0), base_util.max(initial=0.0))
    over = (util > tr.fail).sum(1) + int((base_util > tr.fail).sum())
    first = len(tr.outcomes)
    for n, b in enumerate(free.tolist()):
        sc = _pair(pm, links[a], links[b])
        tr.outcomes.append(
            Outcome(
                sc.name,
                sc.kind,
                float(unrouted[n]),
                tuple(sorted(lost[a] | lost[b])),
                float(peak[n]),
                int(over[n]),
                sc.failure,
            )
        )
    bar = np.maximum(tr.top_load[cols, TOP - 1], tr.floor[cols])
    hot = np.flatnonzero((loads > bar).any(0))
    if not hot.size:
        return
    sub = loads[:, hot]
    k = min(TOP, len(free))
    rows = (
        np.argpartition(-sub, k - 1, axis=0)[:k]
        if len(free) > k
        else np.broadcast_to(np.arange(len(free))[:, None], sub.shape)
    )
    for row in rows:
        full = tr.base.copy()
        full[cols[hot]] = sub[row, np.arange(hot.size)]
        sids = np.full(len(full), -1, np.int64)
        sids[cols[hot]] = first + row
        _keep_top(tr.top_load, tr.top_id, full, tr.floor, sids)


def merge(first: Sweep, second: Sweep) -> Sweep:
    """Worst case over both sweeps (same model); outcomes concatenated."""
    n = len(first.outcomes)
    loads = np.concatenate([first.top_load, second.top_load], axis=1)
    ids = np.concatenate([first.top_id, np.where(second.top_id >= 0, second.top_id + n, -1)], 1)
    loads = np.where(ids >= 0, loads, -np.inf)
    order = np.argsort(-loads, axis=1, kind="stable")[:, :TOP]
    top_load = np.take_along_axis(loads, order, 1)
    top_id = np.take_along_axis(ids, order, 1)
    worst = np.maximum(first.worst, second.worst)
    egress = dict(first.egress)
    for site, (u, name) in second.egress.items():
        if site not in egress or u > egress[site][0]:
            egress[site] = (u, name)
    return Sweep(
        first.baseline,
        worst,
        np.where(np.isfinite(top_load), top_load, 0.0),
        top_id,
        first.outcomes + second.outcomes,
        egress,
    )
