"""Build the typed results (``planner.result``) with a stable, documented schema (``planner/SCHEMA.md``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

import numpy as np

from planner.model import PlanModel, circuit_tier
from planner.redundancy import RedundancyReport
from planner.result import (
    CircuitResult,
    DemandSummary,
    DirectionResult,
    Network,
    PlanResult,
    PolicyInfo,
    RunInfo,
    ScenarioLoad,
    ScenarioResult,
    Scenarios,
    SiteResult,
    Status,
    Summary,
    TopDirection,
    Unrouted,
    Violation,
)
from planner.sweep import Sweep

CHECK_SCHEMA = "egnet.check/1"
MAX_SCENARIOS = 5000


def status(util: float, warn: float, fail: float) -> Status:
    """``ok``, ``warn`` or ``fail`` for a utilisation.

    Examples:
        >>> status(0.75, 0.7, 0.8), status(0.81, 0.7, 0.8), status(0.1, 0.7, 0.8)
        ('warn', 'fail', 'ok')
    """
    return "fail" if util > fail else "warn" if util > warn else "ok"


def _direction(
    pm: PlanModel, sweep: Sweep | None, base: np.ndarray, arc: int, years: np.ndarray | None
) -> DirectionResult:
    policy = pm.topo.policy
    cap = float(pm.capacity[arc])
    worst = float(sweep.worst[arc]) if sweep is not None else float(base[arc])
    _, src, dst = pm.arc_name(arc)
    year = years[arc] if years is not None else np.nan
    return DirectionResult(
        src=src,
        to=dst,
        baseline_bps=float(base[arc]),
        baseline_utilisation=float(base[arc]) / cap,
        worst_bps=worst,
        worst_utilisation=worst / cap,
        worst_scenarios=tuple(ScenarioLoad(name=n, load_bps=v) for n, v in sweep.top_names(arc))
        if sweep is not None
        else (),
        status=status(worst / cap, policy.warn_utilisation, policy.fail_utilisation),
        exhaustion_year=None if np.isnan(year) else int(year),
    )


def _worst_name(d: DirectionResult) -> str:
    return d.worst_scenarios[0].name if d.worst_scenarios else "baseline"


def plan_result(
    pm: PlanModel, sweep: Sweep | None, run: RunInfo, years: np.ndarray | None = None
) -> PlanResult:
    """The whole plan as a typed result (``planner/SCHEMA.md``)."""
    from planner.sweep import lost_sites

    topo = pm.topo
    base = pm.engine.baseline.loads
    circuits = tuple(
        CircuitResult(
            id=c.id,
            role=c.role.value,
            tier=circuit_tier(topo, c),
            type=c.type,
            carrier=c.carrier,
            tail=c.tail,
            capacity_bps=float(pm.capacity[2 * j]),
            directions=(
                _direction(pm, sweep, base, 2 * j, years),
                _direction(pm, sweep, base, 2 * j + 1, years),
            ),
        )
        for j, c in enumerate(pm.circuits)
    )
    violations = tuple(
        Violation(
            circuit=c.id,
            src=d.src,
            to=d.to,
            level=d.status,
            baseline_utilisation=d.baseline_utilisation,
            worst_utilisation=d.worst_utilisation,
            scenario=_worst_name(d),
        )
        for c in circuits
        for d in c.directions
        if d.status != "ok"
    )
    unrouted = pm.engine.baseline.unrouted
    return PlanResult(
        network=Network(name=topo.name, label=topo.label, source=topo.source),
        policy=PolicyInfo(
            warn_utilisation=topo.policy.warn_utilisation,
            fail_utilisation=topo.policy.fail_utilisation,
            max_paths=topo.policy.max_paths,
            igp=topo.policy.igp,
        ),
        assumptions=tuple(pm.demand_model.assumptions),
        demands=_demand_summary(pm),
        run=run,
        baseline_unrouted=Unrouted(bps=float(unrouted.sum()), sites=lost_sites(pm, unrouted)),
        sites=_sites(pm, circuits),
        circuits=circuits,
        violations=violations,
        scenarios=_scenarios(sweep),
        summary=_summary(circuits, violations, sweep),
    )


def _sites(pm: PlanModel, circuits: tuple[CircuitResult, ...]) -> tuple[SiteResult, ...]:
    """The site tree with the worst-case utilisation of each site's uplinks (for the map)."""
    from planner.redundancy import uplinks_by_site

    worst = {c.id: max(d.worst_utilisation for d in c.directions) for c in circuits}
    ups = uplinks_by_site(pm.topo)
    return tuple(
        SiteResult(
            name=s.name,
            label=s.label,
            tier=s.tier.value,
            parent=s.parent,
            uplink_worst_utilisation=max((worst[c.id] for c in ups.get(s.name, [])), default=None),
        )
        for s in pm.topo.sites.values()
    )


def _demand_summary(pm: PlanModel) -> DemandSummary:
    by: Counter[str] = Counter()
    for d, rate in zip(pm.demands, pm.engine.rate.tolist(), strict=True):
        by[d.tier] += rate
    return DemandSummary(
        count=len(pm.demands),
        total_bps=float(pm.engine.rate.sum()),
        by_class_bps={k: float(v) for k, v in sorted(by.items())},
        source=pm.demand_model.source,
    )


def _scenarios(sweep: Sweep | None) -> Scenarios:
    if sweep is None:
        return Scenarios(count=0, listed=0, items=())
    notable = [
        o for o in sweep.outcomes if o.kind != "double" or o.unrouted_bps > 0 or o.overloaded
    ]
    items = tuple(
        ScenarioResult(
            name=o.name,
            kind=o.kind,
            unrouted_bps=o.unrouted_bps,
            sites_lost=o.sites_lost,
            max_utilisation=o.max_utilisation,
            overloaded=o.overloaded,
        )
        for o in notable[:MAX_SCENARIOS]
    )
    return Scenarios(count=len(sweep.outcomes), listed=len(items), items=items)


def _summary(
    circuits: tuple[CircuitResult, ...],
    violations: tuple[Violation, ...],
    sweep: Sweep | None,
) -> Summary:
    dirs = [(c.id, d) for c in circuits for d in c.directions]
    top = sorted(dirs, key=lambda x: -x[1].worst_utilisation)[:10]
    lossy = [o for o in sweep.outcomes if o.unrouted_bps > 0] if sweep is not None else []
    return Summary(
        directions=len(dirs),
        status=dict(Counter(d.status for _, d in dirs)),
        fail=sum(1 for v in violations if v.level == "fail"),
        warn=sum(1 for v in violations if v.level == "warn"),
        scenarios_with_unrouted=len(lossy),
        max_unrouted_bps=max((o.unrouted_bps for o in lossy), default=0.0),
        top=tuple(
            TopDirection(
                circuit=cid,
                src=d.src,
                to=d.to,
                baseline_utilisation=d.baseline_utilisation,
                worst_utilisation=d.worst_utilisation,
                scenario=_worst_name(d),
                exhaustion_year=d.exhaustion_year,
            )
            for cid, d in top
        ),
    )


def check_data(topo_name: str, report: RedundancyReport) -> dict[str, Any]:
    """The redundancy audit as JSON-ready data."""
    return {
        "schema": CHECK_SCHEMA,
        "network": topo_name,
        "violations": len(report.violations),
        "findings": [asdict(f) | {"elements": list(f.elements)} for f in report.findings],
        "articulation_points": report.articulation_points,
        "bridges": report.bridges,
        "cuts": [asdict(c) for c in report.cuts],
        "townships": report.townships,
    }
