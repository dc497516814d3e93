"""Per-class planning: each queued traffic class against its queue share, under every scenario.

The rendered QoS policy (``configs/qos.py``, RFC 4594) gives each class a share of the circuit's
shaped rate: EF voice a strict-priority queue of 10 %, AF41 video 30 %. The planner may not import
``configs``, so the shares are repeated here as data; ``tests/planner/test_planner_perclass.py``
checks that both tables agree.

Which demands ride which queue: the demand model's conferences (class ``event``, cascaded 1080p
video) are AF41 video. The model has no voice demands, so EF is listed with its share and nothing
on it. A class's load on a direction, under a scenario, is the planner's exact load of that class's
demands alone (loads are linear in the rates); its utilisation is that load over share × capacity,
judged with the same warn/fail thresholds as the whole circuit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from planner.model import PlanModel
from planner.result import ClassLoad, PerClass
from planner.scenarios import Scenario
from planner.sweep import Sweep, merge, run, run_doubles


@dataclass(frozen=True)
class QueueClass:
    """A queued class: the DSCP it carries, its share of the shaped rate, the demands on it."""

    name: str
    dscp: str
    share: float
    demand_classes: tuple[str, ...]


QUEUE_CLASSES: tuple[QueueClass, ...] = (
    QueueClass("VOICE", "ef", 0.10, ()),
    QueueClass("VIDEO", "af41", 0.30, ("event",)),
)


def class_model(pm: PlanModel, qc: QueueClass) -> PlanModel | None:
    """The plan model with only ``qc``'s demands and ``share`` x capacity (None: no demands)."""
    mask = np.array([d.tier in qc.demand_classes for d in pm.demands], bool)
    if not mask.any():
        return None
    engine = pm.engine.with_rates(np.where(mask, pm.engine.rate, 0.0))
    return replace(pm, engine=engine, capacity=pm.capacity * qc.share)


def per_class(
    pm: PlanModel, scenarios: list[Scenario], doubles: bool, user: Scenario | None
) -> PerClass:
    """Every queued class's worst load against its share over the baseline and the scenarios."""
    policy = pm.topo.policy
    rows: list[ClassLoad] = []
    for qc in QUEUE_CLASSES:
        cm = class_model(pm, qc)
        if cm is None:
            continue
        sweep: Sweep | None = run(cm, scenarios) if scenarios else None
        if doubles:
            d = run_doubles(cm)
            sweep = d if sweep is None else merge(sweep, d)
        if user is not None:
            mine = run(cm, [user])
            sweep = mine if sweep is None else merge(sweep, mine)
        base = cm.engine.baseline.loads
        worst = sweep.worst if sweep is not None else base
        cap = cm.capacity
        util = np.divide(worst, cap, out=np.zeros_like(worst), where=cap > 0)
        for arc in np.flatnonzero(util > policy.warn_utilisation).tolist():
            cid, a, b = pm.arc_name(arc)
            names = sweep.top_names(arc) if sweep is not None else []
            u = float(util[arc])
            rows.append(
                ClassLoad(
                    circuit=cid,
                    src=a,
                    to=b,
                    traffic_class=qc.name,
                    share=qc.share,
                    baseline_bps=float(base[arc]),
                    worst_bps=float(worst[arc]),
                    worst_utilisation=u,
                    scenario=names[0][0] if names and worst[arc] > base[arc] else "baseline",
                    status="fail" if u > policy.fail_utilisation else "warn",
                )
            )
    rows.sort(key=lambda r: (-r.worst_utilisation, r.circuit, r.src))
    return PerClass(
        shares={qc.name: qc.share for qc in QUEUE_CLASSES},
        fail=sum(1 for r in rows if r.status == "fail"),
        warn=sum(1 for r in rows if r.status == "warn"),
        directions=tuple(rows),
    )
