"""Build the typed results (``planner.result``) with a stable, documented schema (``planner/SCHEMA.md``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
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
from planner.sweep import Outcome, Sweep
from planner.whatif import smallest_upgrade
from topology.geo import site_places
from topology.model import Tier

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
    pm: PlanModel,
    sweep: Sweep | None,
    base: np.ndarray,
    arc: int,
    outlook: tuple[np.ndarray, np.ndarray] | None,
) -> DirectionResult:
    policy = pm.topo.policy
    cap = float(pm.capacity[arc])
    worst = float(sweep.worst[arc]) if sweep is not None else float(base[arc])
    _, src, dst = pm.arc_name(arc)
    year = outlook[0][arc] if outlook is not None else np.nan
    horizon = float(outlook[1][arc]) if outlook is not None else None
    upgrade = smallest_upgrade(pm, horizon) if horizon is not None and not np.isnan(year) else None
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
        horizon_bps=horizon,
        upgrade_type=upgrade[0] if upgrade else None,
        upgrade_bps=upgrade[1] if upgrade else None,
    )


def _worst_name(d: DirectionResult) -> str:
    return d.worst_scenarios[0].name if d.worst_scenarios else "baseline"


def plan_result(
    pm: PlanModel,
    sweep: Sweep | None,
    run: RunInfo,
    outlook: tuple[np.ndarray, np.ndarray] | None = None,
) -> PlanResult:
    """The whole plan as a typed result (``planner/SCHEMA.md``); ``outlook``: per arc the year
    of exhaustion and the horizon load (``whatif.growth_outlook``)."""
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
                _direction(pm, sweep, base, 2 * j, outlook),
                _direction(pm, sweep, base, 2 * j + 1, outlook),
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
        scenarios=_scenarios(pm, sweep),
        summary=_summary(pm, circuits, violations, sweep),
    )


def _sites(pm: PlanModel, circuits: tuple[CircuitResult, ...]) -> tuple[SiteResult, ...]:
    """The site tree with the worst-case utilisation of each site's uplinks (for the map)."""
    from planner.redundancy import uplinks_by_site

    worst = {c.id: max(d.worst_utilisation for d in c.directions) for c in circuits}
    ups = uplinks_by_site(pm.topo)
    places = {k: p for k, p in site_places(pm.topo).items() if p.exact}
    return tuple(
        SiteResult(
            name=s.name,
            label=s.label,
            tier=s.tier.value,
            parent=s.parent,
            uplink_worst_utilisation=max((worst[c.id] for c in ups.get(s.name, [])), default=None),
            lon=places[s.name].lon if s.name in places else None,
            lat=places[s.name].lat if s.name in places else None,
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


def loss_classifier(pm: PlanModel) -> Callable[[Outcome], bool | None]:
    """Whether a scenario's loss is expected (see ``ScenarioResult.expected_loss``)."""
    from planner.redundancy import uplinks_by_site
    from planner.sweep import lost_sites

    topo = pm.topo
    ups = uplinks_by_site(topo)
    township = {s.name for s in topo.sites_of(Tier.TOWNSHIP)}
    single = {s for s in township if len(ups.get(s, ())) < 2}
    site_of = [topo.devices[h].site for h in pm.hosts]
    size = Counter(site_of)
    chain: dict[str, list[str]] = {}
    for name in topo.sites:
        out = [name]
        while topo.sites[out[-1]].parent is not None:
            out.append(topo.sites[out[-1]].parent or "")
        chain[name] = out
    already = set(lost_sites(pm, pm.engine.baseline.unrouted))

    inner = {  # circuits inside one township (access router ↔ service switch)
        j: site_of[pm.host_index[c.a.device]]
        for j, c in enumerate(pm.circuits)
        if site_of[pm.host_index[c.a.device]] == site_of[pm.host_index[c.b.device]]
        and site_of[pm.host_index[c.a.device]] in township
    }

    def excused(s: str, dead: Counter[str], wholly: set[str]) -> bool:
        return s in single or (s in township and dead[s] > 0) or any(a in wholly for a in chain[s])

    def expected(o: Outcome) -> bool | None:
        lost = [s for s in o.sites_lost if s not in already]
        if o.unrouted_bps <= 0 or not lost:
            return None
        dead = Counter(site_of[n] for n in o.failure.nodes)
        dead.update(inner[j] for j in o.failure.links if j in inner)
        wholly = {s for s, k in dead.items() if k == size[s] and s not in township}
        wholly |= {site_of[n] for n in o.failure.nodes if dead[site_of[n]] >= size[site_of[n]]}
        if all(excused(s, dead, wholly) for s in lost):
            return True
        # a site may lose traffic only toward a site that is gone (or cut off by design):
        # look at the demands themselves (rare: only when the quick test fails)
        base = pm.engine.baseline.unrouted
        gone = pm.engine.evaluate(o.failure).unrouted - base
        for d in np.flatnonzero(gone > 1e-6 * np.maximum(pm.engine.rate, 1.0)).tolist():
            sd = pm.demands[d]
            if not (excused(sd.src_site, dead, wholly) or excused(sd.dst_site, dead, wholly)):
                return False
        return True

    return expected


def _scenarios(pm: PlanModel, sweep: Sweep | None) -> Scenarios:
    if sweep is None:
        return Scenarios(count=0, listed=0, items=())
    notable = [
        o for o in sweep.outcomes if o.kind != "double" or o.unrouted_bps > 0 or o.overloaded
    ]
    expected = loss_classifier(pm)
    items = tuple(
        ScenarioResult(
            name=o.name,
            kind=o.kind,
            unrouted_bps=o.unrouted_bps,
            sites_lost=o.sites_lost,
            max_utilisation=o.max_utilisation,
            overloaded=o.overloaded,
            expected_loss=expected(o),
        )
        for o in notable[:MAX_SCENARIOS]
    )
    return Scenarios(count=len(sweep.outcomes), listed=len(items), items=items)


def _summary(
    pm: PlanModel,
    circuits: tuple[CircuitResult, ...],
    violations: tuple[Violation, ...],
    sweep: Sweep | None,
) -> Summary:
    dirs = [(c.id, d) for c in circuits for d in c.directions]
    top = sorted(dirs, key=lambda x: -x[1].worst_utilisation)[:10]
    lossy = [o for o in sweep.outcomes if o.unrouted_bps > 0] if sweep is not None else []
    expected = loss_classifier(pm)
    kinds = Counter(expected(o) for o in lossy)
    return Summary(
        directions=len(dirs),
        status=dict(Counter(d.status for _, d in dirs)),
        fail=sum(1 for v in violations if v.level == "fail"),
        warn=sum(1 for v in violations if v.level == "warn"),
        scenarios_with_unrouted=len(lossy),
        max_unrouted_bps=max((o.unrouted_bps for o in lossy), default=0.0),
        expected_losses=kinds[True],
        unexpected_losses=kinds[False],
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
