"""Per-site source split: ``load_share`` (default) or ``active_standby`` with a named master."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_planner_routing import failures, networks

from planner.engine import Demand, Engine, Failure
from planner.model import build_model
from topology import load_topology
from topology.diagnostics import InventoryError

Net = tuple[int, list[tuple[int, int, float, float]], list[Demand], int]


def _equivalent(d: Demand, fail: Failure) -> Demand:
    """What an active/standby demand sends as under ``fail``: from the master alone while it is
    up, else evenly from the others."""
    if d.src[0] not in fail.nodes:
        return Demand((d.src[0],), d.dst, d.rate)
    return Demand(d.src[1:], d.dst, d.rate)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(), data=st.data())
def test_active_standby_sends_from_the_master_then_the_survivors(
    net: Net, data: st.DataObject
) -> None:
    n, links, demands, max_paths = net
    two = [
        Demand((a, b), d.dst, d.rate) for d in demands for a, b in [(d.src[0], (d.src[0] + 1) % n)]
    ]
    mixed = [
        Demand(d.src, d.dst, d.rate, standby=len(d.src) > 1 and k % 2 == 0)
        for k, d in enumerate(two)
    ]
    eng = Engine(n, links, mixed, max_paths)
    for fail in (Failure(), data.draw(failures(n, len(links)))):
        want_demands = [_equivalent(d, fail) if d.standby else d for d in mixed]
        ref = Engine(n, links, want_demands, max_paths)
        got = eng.evaluate(fail)
        want = ref.evaluate(fail)
        np.testing.assert_allclose(got.loads, want.loads, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(got.unrouted, want.unrouted, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(
            eng.demand_matrix(fail) @ eng.rate, got.loads, rtol=1e-9, atol=1e-6
        )


def _lab(tmp_path: Path, sources: str) -> Path:
    root = tmp_path / "lab"
    shutil.copytree("inventory/lab", root)
    f = root / "demands.yaml"
    f.write_text(f.read_text(encoding="utf-8") + sources, encoding="utf-8")
    return root


def test_lab_site_active_standby_moves_to_the_survivor(tmp_path: Path) -> None:
    root = _lab(tmp_path, "sources:\n  beicheng: {split: active_standby, master: beicheng-core2}\n")
    topo = load_topology(str(root))
    assert topo.demands.masters == {"beicheng": "beicheng-core2"}
    pm = build_model(topo)
    shared = build_model(load_topology("inventory/lab"))
    mine = [d for d in pm.demands if d.standby]
    assert mine and all(d.src[0] == "beicheng-core2" and d.src_site == "beicheng" for d in mine)
    up1, up2 = pm.circuit_index["beicheng-up1"], pm.circuit_index["beicheng-up2"]
    # upward (a→b) on the master's uplink grows, on the other one shrinks
    base, before = pm.engine.baseline.loads, shared.engine.baseline.loads
    assert base[2 * up2] > before[2 * up2] and base[2 * up1] < before[2 * up1]
    # the master fails: its traffic leaves from the survivor and nothing is lost
    f = Failure(nodes=(pm.host_index["beicheng-core2"],))
    res = pm.engine.evaluate(f)
    assert res.loads[2 * up2] == 0
    assert res.unrouted.sum() == pytest.approx(shared.engine.evaluate(f).unrouted.sum())


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ("sources:\n  nowhere: {split: active_standby, master: x}\n", "unknown site 'nowhere'"),
        ("sources:\n  beicheng: {split: active_standby, master: lab-core1}\n", "is not a core of it"),
        ("sources:\n  beicheng: {split: active_standby}\n", "no master"),
        ("sources:\n  xiqu-hexi: {split: active_standby, master: xiqu-hexi-ar1}\n", "needs two cores"),
        ("sources:\n  beicheng: {split: load_share, master: beicheng-core1}\n", "only goes with"),
        ("sources:\n  beicheng: {split: hot}\n", "sources.beicheng.split"),
    ],
)  # fmt: skip
def test_bad_sources_are_located_errors(tmp_path: Path, sources: str, message: str) -> None:
    with pytest.raises(InventoryError) as exc:
        load_topology(str(_lab(tmp_path, sources)))
    text = exc.value.render()
    assert "demands.yaml:" in text and message in text, text
