"""Failure scenarios: single elements, shared-risk groups, N-1, double failures, user-given sets.

An *element* is written ``kind:name`` with kind one of circuit, device, site (every device of it),
carrier, building, duct (every circuit or device in that shared-risk group).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

from planner.engine import Failure
from planner.model import PlanModel
from topology.diagnostics import OperationError, known

KINDS = ("circuit", "device", "site", "carrier", "building", "duct")
UNSHARED = frozenset({"carrier:own"})  # not a single shared-risk group (see single_failures)


@dataclass(frozen=True)
class Scenario:
    """A named failure."""

    name: str
    kind: str
    failure: Failure
    egress: tuple[str, ...] = ()  # egress carrier links failed too (planner/egress_failover.py)


def element(pm: PlanModel, spec: str) -> Failure:
    """The failure of one element ``kind:name``.

    Examples:
        >>> from topology import load_topology
        >>> from planner.model import build_model
        >>> pm = build_model(load_topology("inventory/lab"))
        >>> element(pm, "duct:lab-duct-1").links == (pm.circuit_index["beicheng-xiqu-up1"],
        ...                                           pm.circuit_index["beicheng-xiqu-up2"])
        True
    """
    found = index(pm).get(spec)
    if found is None:
        kind, _, name = spec.partition(":")
        raise OperationError(_unknown(pm, kind, name))
    return found


def index(pm: PlanModel) -> dict[str, Failure]:
    """Every single element of the model by ``kind:name`` (built once, kept on the model)."""
    if pm.elements:
        return pm.elements
    links: dict[str, list[int]] = {}
    nodes: dict[str, list[int]] = {}
    for i, c in enumerate(pm.circuits):
        links[f"circuit:{c.id}"] = [i]
        links.setdefault(f"carrier:{c.carrier}", []).append(i)
        for duct in c.ducts:
            links.setdefault(f"duct:{duct}", []).append(i)
    for i, h in enumerate(pm.hosts):
        dev = pm.topo.devices[h]
        nodes[f"device:{h}"] = [i]
        nodes.setdefault(f"site:{dev.site}", []).append(i)
        nodes.setdefault(f"building:{dev.building}", []).append(i)
    order = {k: n for n, k in enumerate(KINDS)}
    # insertion order within a kind (a set would order by string hash: runs would differ)
    keys = sorted(dict.fromkeys([*links, *nodes]), key=lambda k: order[k.partition(":")[0]])
    pm.elements.update({k: Failure(tuple(links.get(k, ())), tuple(nodes.get(k, ()))) for k in keys})
    return pm.elements


def _unknown(pm: PlanModel, kind: str, name: str) -> str:
    if kind not in KINDS:
        return (
            f"bad failure '{kind}:{name}': expected KIND:NAME with KIND one of {', '.join(KINDS)}"
        )
    return f"bad failure '{kind}:{name}': unknown {kind} '{name}' ({known(_names(pm, kind))})"


def _names(pm: PlanModel, kind: str) -> list[str]:
    return [k.partition(":")[2] for k in index(pm) if k.startswith(kind + ":")]


def combine(pm: PlanModel, specs: list[str]) -> Scenario:
    """One scenario failing every element of ``specs`` together (``--fail`` options)."""
    links: set[int] = set()
    nodes: set[int] = set()
    for spec in specs:
        f = element(pm, spec)
        links.update(f.links)
        nodes.update(f.nodes)
    return Scenario(" + ".join(specs), "user", Failure(tuple(sorted(links)), tuple(sorted(nodes))))


def single_failures(pm: PlanModel) -> list[Scenario]:
    """N-1: every circuit, device, site, carrier, building and duct on its own.

    The province's own fibre (carrier ``own``) is not one shared risk: its circuits run in
    separate cables, so it is left out (declare ``ducts`` to model shared paths; ``--fail
    carrier:own`` still fails it on request).
    """
    return [Scenario(k, k.partition(":")[0], f) for k, f in index(pm).items() if k not in UNSHARED]


def backbone_links(pm: PlanModel) -> list[int]:
    """Links of the backbone (every circuit but the township tails)."""
    return [i for i, c in enumerate(pm.circuits) if not c.tail]


def double_failures(pm: PlanModel) -> Iterator[Scenario]:
    """Every pair of backbone circuits."""
    for i, j in combinations(backbone_links(pm), 2):
        name = f"circuit:{pm.circuits[i].id} + circuit:{pm.circuits[j].id}"
        yield Scenario(name, "double", Failure((i, j), ()))


def double_count(pm: PlanModel) -> int:
    """How many double failures :func:`double_failures` yields."""
    n = len(backbone_links(pm))
    return n * (n - 1) // 2
