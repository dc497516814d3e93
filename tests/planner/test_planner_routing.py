"""The fast engine against the plain networkx oracle, plus routing invariants."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planner_oracle import reference

from planner.engine import Demand, Engine, Failure

TOL = 1e-9


@st.composite
def networks(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, float, float]], list[Demand], int]:
    """Random connected-ish multigraphs with small integer costs (many equal-cost ties), parallel
    links, stub trees, and demands between random groups."""
    n = draw(st.integers(2, 12))
    cost = st.integers(1, 3).map(float)
    links = [(draw(st.integers(0, v - 1)), v, draw(cost), draw(cost)) for v in range(1, n)]
    for _ in range(draw(st.integers(0, n))):
        a, b = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
        links.append((a, b, draw(cost), draw(cost)))
    if draw(st.booleans()):
        links.append(links[draw(st.integers(0, len(links) - 1))])  # a parallel twin
    group = st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True).map(tuple)
    demands = [
        Demand(draw(group), draw(group), float(draw(st.integers(1, 1000))))
        for _ in range(draw(st.integers(1, 8)))
    ]
    return n, links, demands, draw(st.integers(1, 3))


@st.composite
def failures(draw: st.DrawFn, n: int, nlinks: int) -> Failure:
    """Up to three failed links and two failed nodes."""
    links = draw(st.lists(st.integers(0, nlinks - 1), max_size=3, unique=True))
    nodes = draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True))
    return Failure(tuple(links), tuple(nodes))


def _agree(
    engine_result: tuple[np.ndarray, np.ndarray],
    oracle: tuple[np.ndarray, np.ndarray],
    scale: float,
) -> None:
    np.testing.assert_allclose(engine_result[0], oracle[0], rtol=TOL, atol=TOL * scale)
    np.testing.assert_allclose(engine_result[1], oracle[1], rtol=TOL, atol=TOL * scale)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(), data=st.data())
def test_engine_matches_oracle_with_failures(
    net: tuple[int, list[tuple[int, int, float, float]], list[Demand], int], data: st.DataObject
) -> None:
    n, links, demands, max_paths = net
    eng = Engine(n, links, demands, max_paths)
    scale = sum(d.rate for d in demands)
    base = reference(n, links, demands, max_paths)
    _agree((eng.baseline.loads, eng.baseline.unrouted), base, scale)
    for _ in range(3):
        fail = data.draw(failures(n, len(links)))
        got = eng.evaluate(fail)
        _agree((got.loads, got.unrouted), reference(n, links, demands, max_paths, fail), scale)
        # fail then restore = baseline, bit for bit
        again = eng.evaluate(Failure())
        assert np.array_equal(again.loads, eng.baseline.loads)
        assert np.array_equal(again.unrouted, eng.baseline.unrouted)


@settings(max_examples=100, deadline=None)
@given(net=networks(), data=st.data())
def test_flow_conservation(
    net: tuple[int, list[tuple[int, int, float, float]], list[Demand], int], data: st.DataObject
) -> None:
    """At every node: injected + received = sent + delivered."""
    n, links, demands, max_paths = net
    eng = Engine(n, links, demands, max_paths)
    fail = data.draw(failures(n, len(links)))
    res = eng.evaluate(fail)
    dead = set(fail.nodes)
    arc_t = np.array([[a, b] for a, b, _, _ in links]).reshape(-1)
    arc_h = np.array([[b, a] for a, b, _, _ in links]).reshape(-1)
    out_flow = np.bincount(arc_t, weights=res.loads, minlength=n)
    in_flow = np.bincount(arc_h, weights=res.loads, minlength=n)
    # total delivered = total routed; net outflow per node = injected - delivered
    routed_total = sum(d.rate for d in demands) - res.unrouted.sum()
    net_out = out_flow - in_flow
    assert abs(net_out.sum()) <= TOL * max(routed_total, 1.0)
    # a node that is neither a source nor a destination member only forwards
    ends = {x for d in demands for x in (*d.src, *d.dst)}
    for v in range(n):
        if v not in ends:
            assert abs(net_out[v]) <= 1e-9 * max(routed_total, 1.0) + 1e-9
    # nothing flows through a failed node or a failed link
    for i, (a, b, _, _) in enumerate(links):
        if i in fail.links or a in dead or b in dead:
            assert res.loads[2 * i] == 0.0 and res.loads[2 * i + 1] == 0.0
    assert (res.loads >= -1e-9).all()


def test_ecmp_even_split_per_hop() -> None:
    """A diamond with a second tie downstream: 1/2 at the first hop, then 1/4 + 1/4 + 1/2."""
    #   0 -> 1 -> 3, 0 -> 2 -> 3, 2 -> 3 twice (parallel): node 2 splits its half in two
    links = [
        (0, 1, 1.0, 1.0),
        (0, 2, 1.0, 1.0),
        (1, 3, 1.0, 1.0),
        (2, 3, 1.0, 1.0),
        (2, 3, 1.0, 1.0),
    ]
    eng = Engine(4, links, [Demand((0,), (3,), 8.0)], max_paths=4)
    loads = eng.baseline.loads
    assert loads[[0, 2, 4, 6, 8]].tolist() == [4.0, 4.0, 4.0, 2.0, 2.0]
    one = Engine(4, links, [Demand((0,), (3,), 8.0)], max_paths=1)
    assert one.baseline.loads[[0, 2, 4]].tolist() == [8.0, 0.0, 8.0]


def test_unreachable_is_reported_not_dropped() -> None:
    eng = Engine(3, [(0, 1, 1.0, 1.0), (1, 2, 1.0, 1.0)], [Demand((0,), (2,), 5.0)], 8)
    res = eng.evaluate(Failure(links=(1,)))
    assert res.unrouted.tolist() == [5.0]
    assert not res.loads.any()


@settings(max_examples=100, deadline=None)
@given(net=networks(), data=st.data())
def test_tree_only_failures_only_lose_traffic(
    net: tuple[int, list[tuple[int, int, float, float]], list[Demand], int], data: st.DataObject
) -> None:
    """The sweep's shortcut: a failure of tree elements never raises a load, and the batched
    unrouted computation equals a full evaluation."""
    n, links, demands, max_paths = net
    eng = Engine(n, links, demands, max_paths)
    fail = data.draw(failures(n, len(links)))
    tree = Failure(
        tuple(i for i in fail.links if not eng.link_core[i]),
        tuple(v for v in fail.nodes if not eng.trees.core[v]),
    )
    assert eng.tree_only(tree)
    full = eng.evaluate(tree)
    assert (full.loads <= eng.baseline.loads * (1 + 1e-12) + 1e-9).all()
    lost = eng.unrouted_tree_only([tree]).toarray()[0]
    np.testing.assert_allclose(eng.baseline.unrouted + lost, full.unrouted, rtol=1e-9, atol=1e-6)
