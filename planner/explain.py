"""Why a direction carries what it carries: its load split into demands, classes and kinds.

A direction's load is row ``arc`` of the exact routing matrix (:meth:`Engine.demand_matrix`) times
the demand rates, so the listed parts add up to the planner's load exactly (under the same
failure). Classes are the demand model's growth classes (the profile tier of the site that owns the
traffic, ``event``, ``explicit``); kinds say what a demand is for (its target and direction).
Zones are not part of the demand model yet, so the split by zone is not given.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from planner.engine import Failure
from planner.model import PlanModel
from planner.result import DemandShare, Explanation, ScenarioDirection, UserScenario
from topology.diagnostics import OperationError, known


def parse_target(pm: PlanModel, spec: str) -> list[int]:
    """Arcs named by ``CIRCUIT[:DIRECTION]``: DIRECTION is the sending device's hostname (or
    ``ab`` / ``ba``); both directions without it.

    Examples:
        >>> from topology import load_topology
        >>> from planner.model import build_model
        >>> pm = build_model(load_topology("inventory/lab"))
        >>> j = pm.circuit_index["beicheng-up1"]
        >>> parse_target(pm, "beicheng-up1") == [2 * j, 2 * j + 1]
        True
        >>> parse_target(pm, "beicheng-up1:lab-core1") == [2 * j + 1]
        True
    """
    cid, _, way = spec.partition(":")
    j = pm.circuit_index.get(cid)
    if j is None:
        raise OperationError(
            f"bad --explain '{spec}': unknown circuit '{cid}' ({known(pm.circuit_index)})"
        )
    c = pm.circuits[j]
    if not way:
        return [2 * j, 2 * j + 1]
    if way in ("ab", c.a.device):
        return [2 * j]
    if way in ("ba", c.b.device):
        return [2 * j + 1]
    raise OperationError(
        f"bad --explain '{spec}': direction '{way}' is neither end of {cid} "
        f"(expected {c.a.device}, {c.b.device}, ab or ba)"
    )


def explain(
    pm: PlanModel, arcs: list[int], failure: Failure, scenario: str, top: int = 20
) -> tuple[Explanation, ...]:
    """The demands making up each arc's load under ``failure`` (largest first, ``top`` listed)."""
    matrix = pm.engine.demand_matrix(failure).tocsr()
    rate = pm.engine.rate
    out = []
    for arc in arcs:
        row = matrix.getrow(arc)
        idx, frac = row.indices, row.data
        load = frac * rate[idx]
        order = np.argsort(-load, kind="stable")
        by_class: dict[str, float] = defaultdict(float)
        by_kind: dict[str, float] = defaultdict(float)
        for d, v in zip(idx.tolist(), load.tolist(), strict=True):
            sd = pm.demands[d]
            by_class[sd.tier] += v
            by_kind[sd.kind.split(":")[0] + "/" + sd.kind.rsplit("/", 1)[-1]] += v
        listed = [int(i) for i in order[: max(top, 0)] if load[i] > 0]
        cid, a, b = pm.arc_name(arc)
        total = float(load.sum())
        cap = float(pm.capacity[arc])
        out.append(
            Explanation(
                circuit=cid,
                src=a,
                to=b,
                scenario=scenario,
                capacity_bps=cap,
                load_bps=total,
                utilisation=total / cap,
                by_class_bps=dict(sorted(by_class.items(), key=lambda kv: -kv[1])),
                by_kind_bps=dict(sorted(by_kind.items(), key=lambda kv: -kv[1])),
                demands=tuple(
                    DemandShare(
                        src_site=pm.demands[idx[i]].src_site,
                        dst_site=pm.demands[idx[i]].dst_site,
                        kind=pm.demands[idx[i]].kind,
                        traffic_class=pm.demands[idx[i]].tier,
                        rate_bps=float(rate[idx[i]]),
                        fraction=float(frac[i]),
                        load_bps=float(load[i]),
                    )
                    for i in listed
                ),
                more=int((load > 0).sum()) - len(listed),
            )
        )
    return tuple(out)


def user_scenario(pm: PlanModel, name: str, failure: Failure) -> UserScenario:
    """Every direction's load in one (user) scenario."""
    res = pm.engine.evaluate(failure)
    base = pm.engine.baseline.loads
    rows = []
    for arc in range(len(res.loads)):
        cid, a, b = pm.arc_name(arc)
        load = float(res.loads[arc])
        rows.append(
            ScenarioDirection(
                circuit=cid,
                src=a,
                to=b,
                load_bps=load,
                utilisation=load / float(pm.capacity[arc]),
                delta_bps=load - float(base[arc]),
            )
        )
    return UserScenario(name=name, unrouted_bps=float(res.unrouted.sum()), directions=tuple(rows))
