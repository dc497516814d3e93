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
from typing import Any

from planner.model import PlanModel
from planner.report import status
from planner.sweep import Sweep


def measured_direction(
    measured: float, modelled: float, worst: float, capacity: float, warn: float, fail: float
) -> dict[str, Any]:
    """Compare one direction's measured load with the model.

    Examples:
        >>> d = measured_direction(60.0, 40.0, 70.0, 100.0, 0.7, 0.8)
        >>> d["ratio"], d["worst_estimate_bps"], d["status"], d["worst_estimate_utilisation"]
        (1.5, 90.0, 'ok', 0.9)
        >>> measured_direction(1.0, 0.0, 0.0, 100.0, 0.7, 0.8)["ratio"] is None
        True
    """
    estimate = measured + max(worst - modelled, 0.0)
    return {
        "measured_bps": measured,
        "modelled_bps": modelled,
        "ratio": measured / modelled if modelled > 0 else None,
        "measured_utilisation": measured / capacity,
        "status": status(measured / capacity, warn, fail),
        "worst_estimate_bps": estimate,
        "worst_estimate_utilisation": estimate / capacity,
    }


def measured_data(
    pm: PlanModel,
    sweep: Sweep | None,
    measured: Mapping[str, tuple[float, float]],
    source: Mapping[str, Any],
) -> dict[str, Any]:
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
    directions: list[dict[str, Any]] = []
    for cid, pair in sorted(measured.items()):
        j = pm.circuit_index.get(cid)
        if j is None:
            continue
        for k in (0, 1):
            arc = 2 * j + k
            _, src, dst = pm.arc_name(arc)
            row = measured_direction(
                float(pair[k]),
                float(base[arc]),
                float(max(worst[arc], base[arc])),
                float(pm.capacity[arc]),
                policy.warn_utilisation,
                policy.fail_utilisation,
            )
            directions.append({"circuit": cid, "from": src, "to": dst, **row})
    above = sorted(
        (d for d in directions if d["measured_bps"] > d["modelled_bps"]),
        key=lambda d: (-(d["measured_bps"] - d["modelled_bps"]), d["circuit"], d["from"]),
    )
    return {
        **dict(source),
        "circuits": len({d["circuit"] for d in directions}),
        "unknown_circuits": sorted(set(measured) - set(pm.circuit_index)),
        "unmeasured_circuits": sum(1 for c in pm.circuits if c.id not in measured),
        "fail": sum(1 for d in directions if d["status"] == "fail"),
        "warn": sum(1 for d in directions if d["status"] == "warn"),
        "directions": directions,
        "above_model": [
            {k: d[k] for k in ("circuit", "from", "to", "measured_bps", "modelled_bps", "ratio")}
            for d in above
        ],
    }
