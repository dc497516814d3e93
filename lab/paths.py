"""The lab's real forwarding paths, hop by hop from the kernels, compared with a prediction.

The prediction is passed in (``predict``: the CLI hands over the planner's
:func:`planner.paths.predict_paths`), so the lab does not import the planner.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from lab.naming import namespace_name
from lab.probe import route_get
from lab.system import LabError
from topology.model import Topology

#: (source device, destination device) -> the predicted device paths (ECMP: several)
Predictor = Callable[[str, str], list[tuple[str, ...]]]


def kernel_path(topo: Topology, src: str, dst: str) -> tuple[str, ...]:
    """Follow ``ip route get`` router by router, as a packet from ``src``'s loopback to ``dst``'s
    loopback would travel (each router's own ECMP hash picks one next hop).

    Raises:
        LabError: a router has no route, or the next hop is not a circuit end of the model.
    """
    owner = {e.address.split("/")[0]: e for c in topo.circuits.values() for e in (c.a, c.b)}
    target = topo.devices[dst].loopback.split("/")[0]
    source = topo.devices[src].loopback.split("/")[0]
    path, iif = [src], None
    while path[-1] != dst:
        if len(path) > len(topo.devices):
            raise LabError(f"{src}->{dst}: forwarding loop {' > '.join(path)}")
        hop = route_get(namespace_name(path[-1]), target, source, iif)
        end = owner.get(hop.get("gateway", ""))
        if end is None:
            raise LabError(f"{src}->{dst}: {path[-1]} forwards to {hop} (no circuit next hop)")
        path.append(end.device)
        iif = end.interface
    return tuple(path)


def sample_pairs(
    topo: Topology, focus: Sequence[str], count: int, seed: int = 0
) -> list[tuple[str, str]]:
    """A reproducible sample of ``count`` device pairs: first from each ``focus`` device (e.g. the
    changed ones) to a seeded random other device, then seeded random pairs.

    Examples:
        >>> from topology import load_topology
        >>> topo = load_topology("inventory/lab")
        >>> pairs = sample_pairs(topo, ["lab-core1"], 3)
        >>> len(pairs), pairs[0][0], len(set(pairs)), all(a != b for a, b in pairs)
        (3, 'lab-core1', 3, True)
        >>> pairs == sample_pairs(topo, ["lab-core1"], 3)
        True
    """
    hosts = sorted(topo.devices)
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for src in focus:
        if len(out) < count and src in topo.devices:
            out.append((src, rng.choice([h for h in hosts if h != src])))
    limit = len(hosts) * (len(hosts) - 1)
    while len(out) < min(count, limit):
        src, dst = rng.sample(hosts, 2)
        if (src, dst) not in out:
            out.append((src, dst))
    return out


def path_mismatches(
    topo: Topology, pairs: Sequence[tuple[str, str]], predict: Predictor
) -> list[str]:
    """One message per pair whose kernel path is not one of the predicted paths (``[]``: agree)."""
    out: list[str] = []
    for src, dst in pairs:
        predicted = predict(src, dst)
        try:
            real = kernel_path(topo, src, dst)
        except (LabError, KeyError, IndexError, ValueError) as exc:
            out.append(f"{src}->{dst}: no forwarding path ({exc})")
            continue
        if real not in predicted:
            shown = " | ".join(" > ".join(p) for p in predicted) or "none"
            out.append(f"{src}->{dst}: forwarded {' > '.join(real)}; planned {shown}")
    return out
