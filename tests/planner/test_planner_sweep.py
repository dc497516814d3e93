"""Sweeps and shortcuts against full evaluations on the lab inventory and a generated province."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from planner_oracle import reference

from planner.egress_failover import EgressFailover
from planner.engine import Failure
from planner.model import PlanModel, build_model
from planner.scenarios import backbone_links, combine, double_failures, element, single_failures
from planner.sweep import merge, run, run_doubles
from topology import load_topology


@pytest.fixture(scope="module")
def lab() -> PlanModel:
    return build_model(load_topology("inventory/lab"))


def _oracle(pm: PlanModel, fail: Failure | None = None) -> tuple[np.ndarray, np.ndarray]:
    eng = pm.engine
    links = [
        (int(a), int(b), float(eng.arc_cost[2 * i]), float(eng.arc_cost[2 * i + 1]))
        for i, (a, b) in enumerate(zip(eng.link_a, eng.link_b, strict=True))
    ]
    from planner.engine import Demand

    ds = eng.ds
    demands = [
        Demand(
            tuple(ds.src[ds.src_ptr[d] : ds.src_ptr[d + 1]].tolist()),
            ds.dst_groups[ds.dst[d]],
            float(ds.rate[d]),
        )
        for d in range(len(ds.rate))
    ]
    return reference(eng.n, links, demands, pm.topo.policy.max_paths, fail or Failure())


def test_lab_baseline_and_every_single_failure_match_oracle(lab: PlanModel) -> None:
    scale = float(lab.engine.rate.sum())
    loads, unrouted = _oracle(lab)
    np.testing.assert_allclose(lab.engine.baseline.loads, loads, rtol=1e-9, atol=1e-9 * scale)
    for sc in single_failures(lab):
        got = lab.engine.evaluate(sc.failure)
        loads, unrouted = _oracle(lab, sc.failure)
        np.testing.assert_allclose(got.loads, loads, rtol=1e-9, atol=1e-9 * scale, err_msg=sc.name)
        np.testing.assert_allclose(got.unrouted, unrouted, rtol=1e-9, atol=1e-9 * scale)


def test_sweep_worst_case_is_max_of_full_evaluations(lab: PlanModel) -> None:
    """Including the tree-only shortcut: such scenarios never raise a load."""
    scenarios = single_failures(lab)
    sweep = run(lab, scenarios)
    # a full evaluation includes the egress failover (a dead egress's internet demands routed to
    # the next live one: planner/egress_failover.py, checked against fresh routing on its own)
    fo = EgressFailover(lab)
    full_res = [fo.adjust(sc, lab.engine.evaluate(sc.failure)) for sc in scenarios]
    full = np.array([loads for loads, _, _ in full_res])
    np.testing.assert_allclose(sweep.worst, np.maximum(full.max(0), sweep.baseline), rtol=1e-12)
    for k, sc in enumerate(scenarios):
        if lab.engine.tree_only(sc.failure):
            assert (full[k] <= sweep.baseline * (1 + 1e-12) + 1e-6).all(), sc.name
        unrouted = full_res[k][1]
        assert sweep.outcomes[k].unrouted_bps == pytest.approx(unrouted.sum(), rel=1e-9)
    arc = int(np.argmax(sweep.worst - sweep.baseline))
    top = sweep.top_names(arc)
    assert top and top[0][1] == pytest.approx(sweep.worst[arc])
    assert [v for _, v in top] == sorted((v for _, v in top), reverse=True)


def test_double_failures_match_full_evaluation(lab: PlanModel) -> None:
    sweep = run_doubles(lab)
    pairs = list(double_failures(lab))
    assert len(sweep.outcomes) == len(pairs)
    by_name = {o.name: o for o in sweep.outcomes}
    worst = sweep.baseline.copy()
    for sc in pairs:
        res = lab.engine.evaluate(sc.failure)
        worst = np.maximum(worst, res.loads)
        got = by_name[sc.name]
        assert got.unrouted_bps == pytest.approx(res.unrouted.sum(), rel=1e-9, abs=1e-6)
        util = float((res.loads / lab.capacity).max())
        assert got.max_utilisation == pytest.approx(util, rel=1e-9)
    np.testing.assert_allclose(sweep.worst, worst, rtol=1e-9)
    assert len(backbone_links(lab)) * (len(backbone_links(lab)) - 1) // 2 == len(pairs)


def test_merge_keeps_the_worst(lab: PlanModel) -> None:
    a = run(lab, single_failures(lab)[:10])
    b = run(lab, single_failures(lab)[10:])
    both = merge(a, b)
    whole = run(lab, single_failures(lab))
    np.testing.assert_allclose(both.worst, whole.worst)
    np.testing.assert_allclose(both.top_load[:, 0], whole.top_load[:, 0])


def test_lab_facts(lab: PlanModel) -> None:
    """The duct carries both uplinks of beicheng-xiqu: losing it cuts the county off."""
    duct = element(lab, "duct:lab-duct-1")
    res = lab.engine.evaluate(duct)
    assert res.unrouted.sum() > 0
    lost = {lab.demands[i].owner for i in np.flatnonzero(res.unrouted)}
    assert {"beicheng-xiqu", "xiqu-hexi"} <= lost
    # one core of a dual-cored city: only the city's single internet egress (on that core) is
    # lost; everything else moves to the other uplink
    res = lab.engine.evaluate(element(lab, "device:beicheng-core1"))
    up2 = lab.circuit_index["beicheng-up2"]
    lost_kinds = {lab.demands[i].kind for i in np.flatnonzero(res.unrouted)}
    assert lost_kinds == {"egress/up", "egress/down"}
    assert res.loads[2 * up2 + 1] > lab.engine.baseline.loads[2 * up2 + 1]
    user = combine(lab, ["carrier:telecom", "device:lab-core2"])
    assert user.failure.nodes and user.failure.links


def test_restore_after_every_scenario_is_baseline(lab: PlanModel) -> None:
    for sc in itertools.islice(single_failures(lab), 0, None, 7):
        lab.engine.evaluate(sc.failure)
        res = lab.engine.evaluate(Failure())
        assert np.array_equal(res.loads, lab.engine.baseline.loads)
