"""The closed-loop lab test's driven matrix is one the planner describes exactly (no lab needed).

The lab drives device-to-device iperf3 demands; ``egnet plan --demands-from`` and ``egnet
estimate`` work on site pairs. The split of :func:`closed_loop.device_demands` must route to the
same per-direction loads as the planner's site-level model of the same matrix, in the baseline and
with the failed circuit down, or the lab comparison would measure the split and not the planner.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from closed_loop import FAILED, SITE_MATRIX, SitePair, device_demands  # tests/lab is on sys.path

from planner.demandgen import SiteDemand
from planner.engine import Failure
from planner.estimate import pair_groups, site_demands
from planner.model import build_model
from topology import load_topology
from topology.model import Role

INVENTORY = Path(__file__).resolve().parents[2] / "inventory" / "lab"


@pytest.mark.parametrize("failed", [None, FAILED])
def test_device_split_routes_like_the_site_matrix(failed: str | None) -> None:
    topo = load_topology(INVENTORY)
    driven = device_demands(topo)
    device_level = [
        SiteDemand((d.src,), (d.dst,), d.payload_rate(), "lab", topo.devices[d.src].site,
                   topo.devices[d.dst].site, "explicit")
        for d in driven
    ]  # fmt: skip
    pm = build_model(topo)
    matrix: dict[tuple[str, str], float] = {}
    for d in driven:
        key = (topo.devices[d.src].site, topo.devices[d.dst].site)
        matrix[key] = matrix.get(key, 0.0) + d.payload_rate()
    assert set(matrix) == {(p.src, p.dst) for p in SITE_MATRIX}
    truth = build_model(topo, site_demands=device_level)
    model = build_model(topo, site_demands=site_demands(pm, matrix))
    failure = Failure() if failed is None else Failure(links=(pm.circuit_index[failed],))
    got, want = model.engine.evaluate(failure).loads, truth.engine.evaluate(failure).loads
    # exact but for iperf3's per-stream rounding (< 0.01 pp), except on a site's core
    # interconnect: a lab demand ends at one core's loopback, where a LAN behind both cores would
    # be reached at the nearer one; when a failure makes the other core nearer, the model ends the
    # traffic there and the lab carries it on across the interconnect (< 1 pp of its 1G)
    off = np.abs(got - want) / pm.capacity
    site = {h: d.site for h, d in topo.devices.items()}
    cores = {h for h, d in topo.devices.items() if d.role is Role.CORE}
    inside = np.repeat([site[c.a.device] == site[c.b.device] and {c.a.device, c.b.device} <= cores
                        for c in pm.circuits], 2)  # fmt: skip
    assert float(off[~inside].max()) < 1e-4 and float(off[inside].max()) < 1e-2, [
        (pm.arc_name(int(a)), want[a], got[a]) for a in np.flatnonzero(off >= 1e-4)
    ]
    if failed is not None:  # the failure moves traffic: the comparison is not a no-op
        moved = np.abs(got - model.engine.baseline.loads) / pm.capacity
        assert float(moved.max()) > 0.05


def test_every_driven_pair_is_a_model_pair_and_rates_add_up() -> None:
    topo = load_topology(INVENTORY)
    driven = device_demands(topo)
    names = set(pair_groups(build_model(topo))[0])
    total: dict[tuple[str, str], float] = {}
    for d in driven:
        key = (topo.devices[d.src].site, topo.devices[d.dst].site)
        total[key] = total.get(key, 0.0) + d.rate_bps
        assert 1 <= d.streams <= 32 and d.rate_bps // d.streams > 0
    for p in SITE_MATRIX:
        assert (p.src, p.dst) in names
        assert total[(p.src, p.dst)] == pytest.approx(p.rate_bps, rel=1e-3)
    with pytest.raises(KeyError):
        device_demands(topo, (SitePair("beicheng-dongxian", "nancheng-shanxian", 1_000_000),))
