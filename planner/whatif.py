"""What-if: demand growth per tier → the year each circuit crosses the threshold; plan comparison.

Loads are linear in the demand rates for a fixed scenario, so each candidate scenario is routed once
per growth class (a tier, ``event`` or ``explicit``) and the years are pure arithmetic. Candidates
per circuit direction are the baseline and the sweep's top-3 scenarios for it: the "worst single
failure" of the question, re-ranked under growth.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from planner.engine import Failure, FloatArray
from planner.model import PlanModel
from planner.result import Change, Comparison, DirectionResult, PlanResult
from planner.sweep import Sweep
from topology.diagnostics import OperationError

logger = logging.getLogger(__name__)
CLASSES = ("province", "city", "county", "township", "event", "explicit")
MAX_YEARS = 100


@dataclass(frozen=True)
class Growth:
    """Growth rate per class per year, and the horizon."""

    rates: dict[str, float]
    years: int


def parse_growth(specs: list[str], years: int) -> Growth:
    """Parse ``tier=county:15%`` options (``tier=all:10%`` sets every class).

    Examples:
        >>> parse_growth(["tier=county:15%", "tier=township:0.2"], 5).rates["county"]
        0.15
    """
    rates = dict.fromkeys(CLASSES, 0.0)
    for spec in specs:
        key, _, value = spec.removeprefix("tier=").partition(":")
        if not value or (key not in CLASSES and key != "all"):
            raise OperationError(
                f"bad --growth '{spec}': expected tier=TIER:PERCENT with TIER one "
                f"of {', '.join(CLASSES)} or all"
            )
        try:
            rate = float(value[:-1]) / 100 if value.endswith("%") else float(value)
        except ValueError as exc:
            raise OperationError(f"bad --growth '{spec}': {exc}") from None
        for k in CLASSES if key == "all" else (key,):
            rates[k] = rate
    if not 1 <= years <= MAX_YEARS:
        raise OperationError(f"--years {years}: expected 1 to {MAX_YEARS}")
    return Growth(rates, years)


def class_loads(pm: PlanModel, failures: list[Failure]) -> dict[str, np.ndarray]:
    """Loads per class: {class: array (len(failures), arcs)}."""
    tiers = np.array([d.tier for d in pm.demands])
    out: dict[str, np.ndarray] = {}
    for cls in CLASSES:
        mask = tiers == cls
        if not mask.any():
            continue
        eng = pm.engine.with_rates(np.where(mask, pm.engine.rate, 0.0))
        out[cls] = np.array(
            [
                eng.baseline.loads if not (f.links or f.nodes) else eng.evaluate(f).loads
                for f in failures
            ]
        )
    return out


def exhaustion(pm: PlanModel, sweep: Sweep | None, growth: Growth) -> FloatArray:
    """Per arc: the first year (0 = now) its worst candidate exceeds the fail threshold; NaN when
    not within the horizon."""
    return growth_outlook(pm, sweep, growth)[0]


def growth_outlook(
    pm: PlanModel, sweep: Sweep | None, growth: Growth
) -> tuple[FloatArray, FloatArray]:
    """Per arc: the year of exhaustion (NaN: not within the horizon) and the worst candidate's
    load in the last year of the horizon (the load an upgrade must carry)."""
    narcs = len(pm.capacity)
    cands: list[Failure] = [Failure()]
    index = {Failure(): 0}
    pick = np.zeros((narcs, 4), np.int64)
    if sweep is not None:
        for arc in range(narcs):
            for k, sid in enumerate(sweep.top_id[arc]):
                if sid >= 0:
                    f = sweep.outcomes[int(sid)].failure
                    pick[arc, k + 1] = index.setdefault(f, len(index))
    cands = list(index)
    logger.info("growth: %d candidate scenarios", len(cands))
    per_class = class_loads(pm, cands)
    limit = pm.topo.policy.fail_utilisation * pm.capacity
    years = np.full(narcs, np.nan)
    cols = np.arange(narcs)
    worst = np.zeros(narcs)
    for year in range(growth.years + 1):
        total = sum(loads * (1 + growth.rates[c]) ** year for c, loads in per_class.items())
        worst = np.max(np.asarray(total)[pick, cols[:, None]], axis=1)
        hit = np.isnan(years) & (worst > limit)
        years[hit] = year
    return years, worst


def smallest_upgrade(pm: PlanModel, load: float) -> tuple[str, int] | None:
    """The inventory's smallest circuit type whose usable rate keeps ``load`` at or under the fail
    threshold (name, usable bit/s); None when even the largest cannot.

    Examples:
        >>> from topology import load_topology
        >>> from planner.model import build_model
        >>> pm = build_model(load_topology("inventory/lab"))
        >>> smallest_upgrade(pm, 30e6)[1] >= 30e6 / pm.topo.policy.fail_utilisation
        True
        >>> smallest_upgrade(pm, 1e15) is None
        True
    """
    limit = pm.topo.policy.fail_utilisation
    fits = [
        (t.usable_bps, t.name)
        for t in pm.topo.circuit_types.values()
        if load <= limit * t.usable_bps
    ]
    if not fits:
        return None
    rate, name = min(fits)
    return name, rate


def compare(before: PlanResult, after: PlanResult, against: str) -> Comparison:
    """Per circuit direction present in both plans whose worst utilisation or status changed,
    largest change first."""

    def index(plan: PlanResult) -> dict[tuple[str, str], DirectionResult]:
        return {(cid, d.src): d for cid, d in plan.directions()}

    ia, ib = index(before), index(after)
    rows = []
    same = 0
    for key in sorted(ia.keys() & ib.keys()):
        da, db = ia[key], ib[key]
        if abs(da.worst_utilisation - db.worst_utilisation) > 1e-9 or da.status != db.status:
            rows.append(
                Change(
                    circuit=key[0],
                    src=key[1],
                    to=db.to,
                    before=da.worst_utilisation,
                    after=db.worst_utilisation,
                    status_before=da.status,
                    status_after=db.status,
                )
            )
        else:
            same += 1
    rows.sort(key=lambda r: (-abs(r.after - r.before), r.circuit, r.src))
    ca, cb = {c.id for c in before.circuits}, {c.id for c in after.circuits}
    sa, sb = {s.name for s in before.sites}, {s.name for s in after.sites}
    return Comparison(
        against=against,
        changes=tuple(rows),
        added_circuits=tuple(sorted(cb - ca)),
        removed_circuits=tuple(sorted(ca - cb)),
        added_sites=tuple(sorted(sb - sa)),
        removed_sites=tuple(sorted(sa - sb)),
        unchanged=same,
    )
