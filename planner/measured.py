"""Measured loads side by side with the modelled ones (``egnet plan DIR --measured DB``).

The planner does not replace its model with measurements: the demand model is what failures and
growth are computed on, and a measured circuit load cannot be split back into demands. Measured
loads (plain data: circuit id → (a→b bit/s, b→a bit/s), read by the CLI from the poller's store)
are reported next to the modelled baseline of the same direction:

* ``measured_utilisation`` and its ``status`` against the policy thresholds (a measured overload is
  a real one: ``egnet plan`` exits 1 on it);
* ``ratio`` measured / modelled baseline (null when the model puts nothing there);
* ``worst_estimate_bps``: measured + (modelled worst case - modelled baseline), i.e. the traffic a
  failure moves onto the direction according to the model, added to what is really there now. It
  is an estimate, reported only: it is exact when the model is right about the moved traffic;
* ``above_model``: the directions where measured exceeds the modelled baseline, worst excess first,
  i.e. where the demand model underestimates and its assumptions need revisiting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from planner.model import PlanModel
from planner.report import status
from planner.result import AboveModel, Measured, MeasuredDirection
from planner.sweep import Sweep


def measured_direction(
    circuit: str,
    ends: tuple[str, str],
    loads: tuple[float, float, float],
    capacity: float,
    warn: float,
    fail: float,
) -> MeasuredDirection:
    """Compare one direction's measured load with the model; ``loads`` is (measured, modelled
    baseline, modelled worst).

    Examples:
        >>> d = measured_direction("c", ("a", "b"), (60.0, 40.0, 70.0), 100.0, 0.7, 0.8)
        >>> d.ratio, d.worst_estimate_bps, d.status, d.worst_estimate_utilisation
        (1.5, 90.0, 'ok', 0.9)
        >>> measured_direction("c", ("a", "b"), (1.0, 0.0, 0.0), 100.0, 0.7, 0.8).ratio is None
        True
    """
    measured, modelled, worst = loads
    estimate = measured + max(worst - modelled, 0.0)
    return MeasuredDirection(
        circuit=circuit,
        src=ends[0],
        to=ends[1],
        measured_bps=measured,
        modelled_bps=modelled,
        ratio=measured / modelled if modelled > 0 else None,
        measured_utilisation=measured / capacity,
        status=status(measured / capacity, warn, fail),
        worst_estimate_bps=estimate,
        worst_estimate_utilisation=estimate / capacity,
    )


def measured_data(
    pm: PlanModel,
    sweep: Sweep | None,
    measured: Mapping[str, tuple[float, float]],
    source: tuple[str, Literal["busy_hour", "p95"], float],
) -> Measured:
    """The ``measured`` section of a plan (see ``planner/SCHEMA.md``).

    Args:
        pm: the plan model (modelled baseline, capacities after upgrades).
        sweep: the failure sweep, if any (worst cases; without it the worst case is the baseline).
        measured: circuit id → (a→b, b→a) measured bit/s.
        source: where the figures come from (database, method, days), copied into the output.
    """
    policy = pm.topo.policy
    base = pm.engine.baseline.loads
    worst = sweep.worst if sweep is not None else base
    directions: list[MeasuredDirection] = []
    for cid, pair in sorted(measured.items()):
        j = pm.circuit_index.get(cid)
        if j is None:
            continue
        for k in (0, 1):
            arc = 2 * j + k
            _, src, dst = pm.arc_name(arc)
            directions.append(
                measured_direction(
                    cid,
                    (src, dst),
                    (float(pair[k]), float(base[arc]), float(max(worst[arc], base[arc]))),
                    float(pm.capacity[arc]),
                    policy.warn_utilisation,
                    policy.fail_utilisation,
                )
            )
    above = sorted(
        (d for d in directions if d.measured_bps > d.modelled_bps),
        key=lambda d: (-(d.measured_bps - d.modelled_bps), d.circuit, d.src),
    )
    database, method, days = source
    return Measured(
        database=database,
        method=method,
        days=float(days),
        circuits=len({d.circuit for d in directions}),
        unknown_circuits=tuple(sorted(set(measured) - set(pm.circuit_index))),
        unmeasured_circuits=sum(1 for c in pm.circuits if c.id not in measured),
        fail=sum(1 for d in directions if d.status == "fail"),
        warn=sum(1 for d in directions if d.status == "warn"),
        directions=tuple(directions),
        above_model=tuple(
            AboveModel(
                circuit=d.circuit,
                src=d.src,
                to=d.to,
                measured_bps=d.measured_bps,
                modelled_bps=d.modelled_bps,
                ratio=d.ratio,
            )
            for d in above
        ),
    )
