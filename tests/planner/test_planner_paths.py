"""Path prediction against the networkx oracle (random graphs) and on the lab inventory."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planner_oracle import reference

from planner.engine import Demand, Failure
from planner.paths import PredictedPath, arc_shares, predict_paths, unfold
from topology import load_topology
from topology.diagnostics import OperationError

TOL = 1e-9


@st.composite
def cases(
    draw: st.DrawFn,
) -> tuple[int, list[tuple[int, int, float, float]], int, int, int, Failure]:
    """Random multigraphs with many equal-cost ties, parallel links, a pair and failed links."""
    n = draw(st.integers(2, 12))
    cost = st.integers(1, 3).map(float)
    links = [(draw(st.integers(0, v - 1)), v, draw(cost), draw(cost)) for v in range(1, n)]
    for _ in range(draw(st.integers(0, 2 * n))):
        a, b = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
        links.append((a, b, draw(cost), draw(cost)))
    if draw(st.booleans()):
        links.append(links[draw(st.integers(0, len(links) - 1))])
    src, dst = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
    failed = draw(st.lists(st.integers(0, len(links) - 1), max_size=3, unique=True))
    return n, links, src, dst, draw(st.integers(1, 4)), Failure(links=tuple(failed))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_paths_carry_exactly_the_oracle_loads(
    case: tuple[int, list[tuple[int, int, float, float]], int, int, int, Failure],
) -> None:
    n, links, src, dst, max_paths, failure = case
    want, unrouted = reference(n, links, [Demand((src,), (dst,), 1.0)], max_paths, failure)
    loads = arc_shares(n, links, src, dst, max_paths, failure)
    np.testing.assert_allclose(loads, want, atol=TOL)
    tail = [x for a, b, _, _ in links for x in (a, b)]
    head = [x for a, b, _, _ in links for x in (b, a)]
    paths = unfold(loads, tail, head, src, dst)
    if unrouted[0] > 0:
        assert paths == []
        return
    assert abs(sum(s for _, _, s in paths) - 1.0) < TOL
    on_arc = np.zeros(2 * len(links))
    dead = set(failure.links)
    for nodes, arcs, share in paths:
        assert nodes[0] == src and nodes[-1] == dst and len(set(nodes)) == len(nodes)
        assert all(
            tail[a] == u and head[a] == v
            for a, u, v in zip(arcs, nodes[:-1], nodes[1:], strict=True)
        )
        assert not dead & {a // 2 for a in arcs}
        np.add.at(on_arc, arcs, share)
    np.testing.assert_allclose(on_arc, want, atol=TOL)


def _shortest(topo_path: str, src: str, dst: str, down: str | None) -> set[tuple[str, ...]]:
    topo = load_topology(topo_path)
    g = nx.DiGraph()
    for c in topo.circuits.values():
        if c.id != down:
            g.add_edge(c.a.device, c.b.device, weight=c.cost_ab)
            g.add_edge(c.b.device, c.a.device, weight=c.cost_ba)
    return {tuple(p) for p in nx.all_shortest_paths(g, src, dst, weight="weight")}


@pytest.mark.parametrize("down", [None, "beicheng-xiqu-up1", "lab-ic1"])
def test_lab_paths_are_the_shortest_paths(down: str | None) -> None:
    topo = load_topology("inventory/lab")
    failed = [down] if down else []
    for src, dst in [
        ("xiqu-hexi-sw1", "lab-cloud-gw1"),
        ("lab-cloud-gw1", "dongxian-shanxia-sw1"),
        ("shanxian-linjia-sw1", "beicheng-core2"),
    ]:
        got = predict_paths(topo, src, dst, failed)
        shares: dict[tuple[str, ...], float] = defaultdict(float)
        for p in got:
            assert down not in p.circuits
            assert len(p.circuits) == len(p.devices) - 1
            shares[p.devices] += p.share
        assert abs(sum(shares.values()) - 1.0) < TOL
        # the lab has few equal-cost paths per node: ECMP never hits max_paths there
        assert set(shares) == _shortest("inventory/lab", src, dst, down)


def test_paths_agree_with_the_planner_loads_on_the_lab() -> None:
    topo = load_topology("inventory/lab")
    circuits = list(topo.circuits)
    got = predict_paths(topo, "dongxian-qiaotou-ar1", "lab-core1")
    per_circuit: dict[str, float] = defaultdict(float)
    for p in got:
        for c in p.circuits:
            per_circuit[c] += p.share
    hosts = list(topo.devices)
    idx = {h: i for i, h in enumerate(hosts)}
    links = [
        (idx[c.a.device], idx[c.b.device], float(c.cost_ab), float(c.cost_ba))
        for c in topo.circuits.values()
    ]
    want, _ = reference(
        len(hosts),
        links,
        [Demand((idx["dongxian-qiaotou-ar1"],), (idx["lab-core1"],), 1.0)],
        topo.policy.max_paths,
    )
    both = want[0::2] + want[1::2]
    assert {c: round(v, 9) for c, v in per_circuit.items()} == {
        circuits[i]: round(float(v), 9) for i, v in enumerate(both) if v > 0
    }


def test_unknown_names_and_isolated_devices() -> None:
    topo = load_topology("inventory/lab")
    with pytest.raises(OperationError, match="unknown device"):
        predict_paths(topo, "nope", "lab-core1")
    with pytest.raises(OperationError, match="unknown circuit"):
        predict_paths(topo, "lab-core1", "lab-core2", ["nope"])
    sw = "xiqu-hexi-sw1"
    tail = [c.id for c in topo.circuits.values() if sw in c.ends()]
    assert predict_paths(topo, sw, "lab-core1", tail) == []
    assert predict_paths(topo, sw, sw) == [PredictedPath((sw,), (), 1.0)]
