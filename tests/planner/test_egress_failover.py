"""Internet egress in the N-1 sweep: a dead egress's users go to the next level's egress.

The sweep's loads for an egress failure are compared with a plain reference: the same demands with
the dead egress's internet demands pointed at the failover egress, routed from scratch by a model
of their own under the same failure.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from planner.demandgen import SiteDemand
from planner.egress import egress_loads
from planner.egress_failover import EgressFailover, egress_scenarios
from planner.engine import Failure
from planner.model import PlanModel, build_model
from planner.scenarios import Scenario, element, single_failures
from planner.sweep import run
from topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventory" / "lab"
MIXED = ROOT / "tests" / "render" / "inventory"  # egress firewalls at province and city


@lru_cache(maxsize=2)
def model(inv: Path) -> PlanModel:
    return build_model(load_topology(inv))


def reference(pm: PlanModel, moved_to: dict[str, str | None], failure: Failure) -> np.ndarray:
    """Loads with every internet demand of a dead egress retargeted, routed by a fresh model."""
    topo = pm.topo
    out: list[SiteDemand] = []
    for d in pm.demands:
        site = d.dst_site if d.kind == "egress/up" else d.src_site
        if d.kind.startswith("egress/") and site in moved_to:
            to = moved_to[site]
            if to is None:
                continue
            group = tuple(dict.fromkeys(topo.egress[e].device for e in topo.sites[to].egress))
            d = (
                d._replace(dst=group, dst_site=to)
                if d.kind == "egress/up"
                else d._replace(src=group, src_site=to)
            )
        out.append(d)
    ref = build_model(topo, site_demands=out)
    return ref.engine.evaluate(failure).loads


def adjusted(pm: PlanModel, sc: Scenario) -> tuple[np.ndarray, np.ndarray, dict[str, str | None]]:
    fo = EgressFailover(pm)
    loads, unrouted, state = fo.adjust(sc, pm.engine.evaluate(sc.failure))
    return loads, unrouted, state.moved_to


def test_an_egress_link_failure_moves_the_city_to_the_province() -> None:
    pm = model(LAB)
    sc = next(s for s in egress_scenarios(pm) if s.name == "egress:beicheng-egress1")
    loads, unrouted, moved = adjusted(pm, sc)
    assert moved == {"beicheng": "lab"}
    assert unrouted.sum() == pytest.approx(pm.engine.baseline.unrouted.sum())
    np.testing.assert_allclose(loads, reference(pm, moved, Failure()), atol=1e-3)
    # it now loads the city's uplinks toward the province: more than the baseline
    up = [2 * pm.circuit_index[c] + k for c in ("beicheng-up1", "beicheng-up2") for k in (0, 1)]
    assert loads[up].sum() > pm.engine.baseline.loads[up].sum() + 1e6
    # the same answer as `egnet egress` gives for the site
    assert {e.site: e.failover_site for e in egress_loads(pm.topo)}["beicheng"] == "lab"


def test_a_failed_firewall_moves_its_users_exactly_as_a_fresh_routing() -> None:
    pm = model(MIXED)
    fws = sorted(pm.topo.firewalls)
    assert fws
    for fw in fws:
        sc = Scenario(f"device:{fw}", "device", element(pm, f"device:{fw}"))
        loads, unrouted, moved = adjusted(pm, sc)
        site = pm.topo.firewalls[fw].site
        assert list(moved) == [site] and moved[site] is not None
        np.testing.assert_allclose(loads, reference(pm, moved, sc.failure), atol=1e-3)
        # nothing of the moved users' internet traffic is lost: only what the device carried
        base = pm.engine.evaluate(sc.failure).unrouted.sum()
        assert unrouted.sum() < base


def test_a_failure_on_the_moved_paths_is_routed_under_the_failure() -> None:
    """A building holding the egress device and a core: the moved traffic avoids the dead core."""
    pm = model(LAB)
    sc = Scenario("device:beicheng-core1", "device", element(pm, "device:beicheng-core1"))
    loads, _, moved = adjusted(pm, sc)
    assert moved == {"beicheng": "lab"}
    np.testing.assert_allclose(loads, reference(pm, moved, sc.failure), atol=1e-3)


def test_a_carrier_failure_fails_its_egress_links_too() -> None:
    pm = model(LAB)
    sc = next(s for s in single_failures(pm) if s.name == "carrier:telecom")
    fo = EgressFailover(pm)
    assert fo.failed_links(sc) == {"lab-egress1", "beicheng-egress1"}
    loads, _, state = fo.adjust(sc, pm.engine.evaluate(sc.failure))
    assert state.moved_to == {"beicheng": "lab"}  # the province keeps its unicom link
    np.testing.assert_allclose(loads, reference(pm, state.moved_to, sc.failure), atol=1e-3)
    cap = fo.capacity_left(fo.failed_links(sc))
    assert cap["lab"] == pm.topo.egress["lab-egress2"].capacity_bps
    want = max(fo.up["lab"] + fo.up["beicheng"], fo.down["lab"] + fo.down["beicheng"]) / cap["lab"]
    assert state.utilisation["lab"] == pytest.approx(want)
    assert state.utilisation["beicheng"] == 0.0


def test_the_sweep_reports_egress_scenarios_and_worst_egress_utilisation() -> None:
    pm = model(LAB)
    scenarios = single_failures(pm) + egress_scenarios(pm)
    sw = run(pm, scenarios)
    names = {o.name: o for o in sw.outcomes}
    assert {"egress:lab-egress1", "egress:lab-egress2", "egress:beicheng-egress1"} <= set(names)
    assert names["egress:beicheng-egress1"].unrouted_bps == pytest.approx(0.0)
    assert names["egress:beicheng-egress1"].kind == "egress"
    fo = EgressFailover(pm)
    base = fo.baseline()
    assert set(sw.egress) == {"lab", "beicheng"}
    for site, (u, name) in sw.egress.items():
        assert u >= base[site]
        assert name in names or name == "baseline"
    # the province's worst is a failure that sends a city's users to it
    assert sw.egress["lab"][0] > base["lab"]
    # the city's worst is a scenario that kills the province's egress (its users come here)
    worst = next(s for s in scenarios if s.name == sw.egress["beicheng"][1])
    assert "lab" in fo.dead_sites(worst, fo.failed_links(worst))


def test_egress_scenarios_are_added_after_the_others() -> None:
    """One ``egress:<link>`` scenario per carrier link, after the N-1 elements."""
    pm = model(LAB)
    plain = run(pm, single_failures(pm))
    both = run(pm, single_failures(pm) + egress_scenarios(pm))
    assert len(both.outcomes) == len(plain.outcomes) + len(pm.topo.egress)
    assert [o.name for o in both.outcomes[: len(plain.outcomes)]] == [
        o.name for o in plain.outcomes
    ]
    unaffected = [o for o in plain.outcomes if o.name.startswith("circuit:nancheng-shanxian")]
    again = {o.name: o for o in both.outcomes}
    assert unaffected and all(
        again[o.name].unrouted_bps == pytest.approx(o.unrouted_bps) for o in unaffected
    )
