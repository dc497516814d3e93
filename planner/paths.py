"""Device-level path prediction with the planner's own routing model.

A path query is a one-demand run of :class:`planner.engine.Engine`: one unit of traffic from the
source device to the destination device, with the IGP costs per direction, ECMP up to
``topology.policy.max_paths`` next hops per node (arcs taken in index order) and the given circuits
failed. The arc loads of that run are the fractions of the traffic on each circuit direction, so the
predicted paths agree with the planner's loads by construction; this module only unfolds them into
paths (device by device, with each path's ECMP share).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from planner.engine import Demand, Engine, Failure, FloatArray
from topology.diagnostics import OperationError
from topology.model import Topology

TOL = 1e-9


@dataclass(frozen=True)
class PredictedPath:
    """One forwarding path: devices from source to destination, circuits crossed, ECMP share."""

    devices: tuple[str, ...]
    circuits: tuple[str, ...]
    share: float


def arc_shares(
    n: int,
    links: Sequence[tuple[int, int, float, float]],
    src: int,
    dst: int,
    max_paths: int,
    failure: Failure | None = None,
) -> FloatArray:
    """Fraction of the traffic from ``src`` to ``dst`` on every arc (all zero when unroutable).

    Examples:
        >>> links = [(0, 1, 1.0, 1.0), (1, 2, 1.0, 1.0), (0, 3, 1.0, 1.0), (3, 2, 1.0, 1.0)]
        >>> arc_shares(4, links, 0, 2, 4).tolist()
        [0.5, 0.0, 0.5, 0.0, 0.5, 0.0, 0.5, 0.0]
        >>> arc_shares(4, links, 0, 2, 4, Failure(links=(1,))).tolist()
        [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    """
    engine = Engine(n, links, [Demand((src,), (dst,), 1.0)], max_paths)
    result = engine.baseline if failure is None else engine.evaluate(failure)
    return result.loads


def unfold(
    loads: FloatArray, arc_tail: Sequence[int], arc_head: Sequence[int], src: int, dst: int
) -> list[tuple[list[int], list[int], float]]:
    """Unfold per-arc shares of one demand into (nodes, arcs, share) paths, in arc index order.

    At every node the traffic splits over its loaded out-arcs in proportion to their loads (even
    ECMP shares in the engine), so a path's share is the product of its hops' fractions.

    Examples:
        >>> unfold(np.array([0.5, 0.0, 0.5, 0.0]), [0, 1, 0, 1], [1, 0, 1, 0], 0, 1)
        [([0, 1], [0], 0.5), ([0, 1], [2], 0.5)]
        >>> unfold(np.array([0.5, 0.5]), [0, 1], [1, 2], 0, 2)
        [([0, 1, 2], [0, 1], 1.0)]
    """
    if src == dst:
        return [([src], [], 1.0)]
    out: dict[int, list[int]] = {}
    for arc in np.flatnonzero(loads > TOL).tolist():
        out.setdefault(arc_tail[arc], []).append(arc)
    paths: list[tuple[list[int], list[int], float]] = []
    stack: list[tuple[list[int], list[int], float]] = [([src], [], 1.0)]
    while stack:
        nodes, arcs, share = stack.pop()
        if nodes[-1] == dst:
            paths.append((nodes, arcs, share))
            continue
        hops = out.get(nodes[-1], [])
        total = float(sum(loads[a] for a in hops))
        for arc in reversed(hops):
            if arc_head[arc] not in nodes:  # shortest paths never loop; guard anyway
                stack.append(
                    ([*nodes, arc_head[arc]], [*arcs, arc], share * float(loads[arc]) / total)
                )
    return paths


def predict_paths(
    topo: Topology, src_device: str, dst_device: str, failed_circuits: Iterable[str] = ()
) -> list[PredictedPath]:
    """Predict the forwarding paths from one device's loopback to another's.

    Args:
        topo: the topology (costs per direction, ``policy.max_paths``).
        src_device: hostname where traffic enters.
        dst_device: hostname it is addressed to.
        failed_circuits: circuit ids that are down.

    Returns:
        The ECMP paths with their shares (summing to 1), or ``[]`` when there is no path.

    Raises:
        OperationError: unknown device or circuit.
    """
    hosts = list(topo.devices)
    index = {h: i for i, h in enumerate(hosts)}
    circuits = list(topo.circuits.values())
    cindex = {c.id: i for i, c in enumerate(circuits)}
    for name in (src_device, dst_device):
        if name not in index:
            raise OperationError(f"unknown device '{name}'")
    failed = tuple(sorted({_circuit(cindex, c) for c in failed_circuits}))
    links = [(index[c.a.device], index[c.b.device], c.cost_ab, c.cost_ba) for c in circuits]
    loads = arc_shares(
        len(hosts),
        [(a, b, float(x), float(y)) for a, b, x, y in links],
        index[src_device],
        index[dst_device],
        topo.policy.max_paths,
        Failure(links=failed) if failed else None,
    )
    tail = [x for a, b, _, _ in links for x in (a, b)]
    head = [x for a, b, _, _ in links for x in (b, a)]
    return [
        PredictedPath(
            tuple(hosts[v] for v in nodes), tuple(circuits[a // 2].id for a in arcs), share
        )
        for nodes, arcs, share in unfold(loads, tail, head, index[src_device], index[dst_device])
    ]


def _circuit(cindex: dict[str, int], cid: str) -> int:
    if cid not in cindex:
        raise OperationError(f"unknown circuit '{cid}'")
    return cindex[cid]
