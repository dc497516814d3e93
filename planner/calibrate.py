"""Calibrate the demand model's assumptions to measured loads and write a ``demands.yaml``.

The model's loads are linear in its parameters: the busy-hour rate of each (tier, target,
direction) profile and the conferences' stream rate. Each parameter's column is the load the model
puts on every measured direction per bit/s of that parameter (its demands routed by the planner's
exact routing, with their endpoint splits); explicit demands stay as given and are subtracted. A
non-negative least-squares fit (``scipy.optimize.nnls``) gives the parameters that reproduce the
measurements best; the written file states the fit (relative residual, R², the window) in its
header, so the next plan on it says where its numbers came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import yaml
from scipy.optimize import nnls

from planner.demandgen import all_demands
from planner.estimate import measured_rows
from planner.model import PlanModel, build_model
from topology.demands import PROFILE_TIERS, TARGETS, DemandModel, FlowRates, TierProfile

UNIT = 1_000_000.0


@dataclass(frozen=True)
class Calibration:
    """Fitted parameters and how well they reproduce the measurements."""

    flows: dict[tuple[str, str, str], float]  # (tier, target, up|down) → bit/s per site
    event_rate: dict[str, float]  # event name → stream rate (bit/s, before overhead)
    relative_residual: float
    r2: float
    directions: int


def _unit_model(model: DemandModel) -> DemandModel:
    """Every profile flow at UNIT bit/s, every event at UNIT, explicit demands dropped."""
    profiles = {
        t: TierProfile(
            tier=t,
            flows={k: FlowRates(up_bps=int(UNIT), down_bps=int(UNIT)) for k in TARGETS},
            service_share=p.service_share,
        )
        for t, p in model.profiles.items()
    }
    events = tuple(
        e.model_copy(update={"rate_bps": int(UNIT), "overhead": 1.0}) for e in model.events
    )
    return model.model_copy(update={"profiles": profiles, "events": events, "demands": ()})


def calibrate(pm: PlanModel, measured: Mapping[str, tuple[float, float]]) -> Calibration:
    """Fit the profile rates and the conference stream rate to the measured directions."""
    model = pm.demand_model
    rows, y = measured_rows(pm, measured)
    unit = build_model(pm.topo, _unit_model(model), pm.upgrades)
    keys: dict[tuple[str, ...], int] = {}
    col = []
    for d in unit.demands:
        if d.tier == "event":
            key: tuple[str, ...] = ("event", d.kind.split(":", 1)[1].rsplit("/", 1)[0])
        else:
            target, _, way = d.kind.partition("/")
            key = (d.tier, target, way)
        col.append(keys.setdefault(key, len(keys)))
    overheads = {e.name: e.overhead for e in model.events}
    scale = np.array(
        [overheads.get(k[1], 1.0) / UNIT if k[0] == "event" else 1.0 / UNIT for k in keys]
    )
    mix = sp.csr_matrix(
        (unit.engine.rate, (np.arange(len(col)), np.array(col, np.int64))),
        shape=(len(col), len(keys)),
    )
    g = (unit.engine.demand_matrix() @ mix).tocsr()[rows].toarray() * scale
    explicit = [d for d in all_demands(pm.topo, model) if d.tier == "explicit"]
    fixed = np.zeros(len(y))
    if explicit:
        ex = build_model(pm.topo, model, pm.upgrades, site_demands=explicit)
        fixed = ex.engine.baseline.loads[rows]
    theta, _ = nnls(g, y - fixed, maxiter=50 * max(len(keys), 1))
    fit = g @ theta + fixed
    ss_res = float(((fit - y) ** 2).sum())
    ss_tot = float(((y - y.mean()) ** 2).sum()) if len(y) else 0.0
    norm = float(np.linalg.norm(y))
    flows: dict[tuple[str, str, str], float] = {}
    events: dict[str, float] = {}
    for k, j in keys.items():
        if k[0] == "event":
            events[k[1]] = float(theta[j])
        else:
            flows[(k[0], k[1], k[2])] = float(theta[j])
    return Calibration(
        flows,
        events,
        float(np.linalg.norm(fit - y)) / norm if norm > 0 else 0.0,
        1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0,
        len(y),
    )


def demands_yaml(model: DemandModel, cal: Calibration, note: str) -> str:
    """A ``demands.yaml`` with the calibrated profiles and conference rate; explicit demands and
    source splits kept; the fit stated in the header."""
    profiles: dict[str, dict[str, object]] = {}
    for tier in PROFILE_TIERS:
        prof = model.profiles.get(tier)
        if prof is None:
            continue
        entry: dict[str, object] = {}
        for target in TARGETS:
            up = cal.flows.get((tier, target, "up"), float(prof.flows[target].up_bps))
            down = cal.flows.get((tier, target, "down"), float(prof.flows[target].down_bps))
            entry[target] = {"up": round(up), "down": round(down)}
        if prof.service_share > 0:
            entry["service_share"] = prof.service_share
        profiles[tier] = entry
    doc: dict[str, object] = {"profiles": profiles}
    doc["demands"] = [
        {"name": d.name.replace("/", "-"), "src": d.src, "dst": d.dst, "rate": d.rate_bps}
        for d in model.demands
    ]
    doc["events"] = [
        {
            "name": e.name,
            "kind": e.kind,
            "rate": max(round(cal.event_rate.get(e.name, e.rate_bps)), 1),
            "overhead": e.overhead,
            "mcu_tiers": list(e.mcu_tiers),
            "participants": list(e.participants),
            **({} if cal.event_rate.get(e.name, 1.0) > 0 else {"enabled": False}),
        }
        for e in model.events
    ]
    if model.masters:
        doc["sources"] = {
            s: {"split": "active_standby", "master": m} for s, m in model.masters.items()
        }
    head = (
        "# Calibrated by `egnet estimate --write-demands`: profile rates (bit/s per site, busy hour)\n"
        "# and conference stream rates fitted by non-negative least squares to measured loads.\n"
        f"# {note}\n"
        f"# fit over {cal.directions} measured circuit directions: relative residual "
        f"{cal.relative_residual:.3g}, R² {cal.r2:.4f}\n"
    )
    return head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
