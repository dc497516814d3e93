"""The demand model: defaults labelled as assumptions, located errors, expansion."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.demandgen import all_demands, event_demands
from topology import load_topology
from topology.demands import DemandsFile, load_demands, resolve_demands
from topology.diagnostics import InventoryError
from topology.loader import _parse


def test_defaults_are_labelled_assumptions() -> None:
    model = resolve_demands(None)
    assert model.profiles["township"].flows["province_cloud"].down_bps == 180_000
    assert any("assumption" in a or "terminal" in a for a in model.assumptions)
    assert len(model.assumptions) >= 5
    assert model.events[0].rate_bps == 4_000_000 and model.events[0].overhead == 1.2


def _inventory(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "inv"
    shutil.copytree("inventory/lab", root)
    (root / "demands.yaml").write_text(text, encoding="utf-8")
    return root


def test_file_overrides_and_explicit_demands(tmp_path: Path) -> None:
    root = _inventory(
        tmp_path,
        """
profiles:
  township:
    province_cloud: {up: 1M, down: 2.5M}
    service_share: 50%
demands:
  - {name: backup, src: lab, dst: beicheng, rate: 50M, symmetric: true}
events: []
""",
    )
    topo = load_topology(root)
    model = load_demands(root, _parse, topo.sites, topo.devices)
    town = model.profiles["township"]
    assert town.flows["province_cloud"].down_bps == 2_500_000
    assert town.service_share == 0.5
    assert model.events == ()
    assert [d.name for d in model.demands] == ["backup", "backup/return"]
    assert model.demands[0].where.endswith("demands.yaml:7:5")
    expanded = all_demands(topo, model)
    backup = [d for d in expanded if d.kind == "explicit:backup"]
    assert backup[0].src == ("lab-core1", "lab-core2") and backup[0].rate_bps == 50e6


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("profiles:\n  township:\n    egress: {up: fast}\n", ":3:18:", "expected a rate"),
        (
            "demands:\n  - {name: x, src: nowhere, dst: lab, rate: 1M}\n",
            ":2:20:",
            "unknown site or device 'nowhere'",
        ),
        ("profiles:\n  village: {}\n", ":2:3:", "unknown key 'village'"),
    ],
)
def test_errors_are_located(tmp_path: Path, text: str, where: str, message: str) -> None:
    root = _inventory(tmp_path, text)
    with pytest.raises(InventoryError) as exc:  # the loader reads demands.yaml with the inventory
        load_topology(root)
    rendered = exc.value.render()
    assert where in rendered and message in rendered


def test_cascaded_conference_streams() -> None:
    topo = load_topology("inventory/lab")
    ev = resolve_demands(None).events[0]
    streams = event_demands(topo, ev)
    rate = 4e6 * 1.2
    assert all(d.rate_bps == pytest.approx(rate) for d in streams)
    pairs = {(d.src_site, d.dst_site) for d in streams}
    assert ("xiqu-hexi", "beicheng-xiqu") in pairs  # township to its county MCU
    assert ("beicheng-xiqu", "beicheng") in pairs  # county MCU cascades to the city MCU
    assert ("beicheng", "lab") in pairs  # city MCU cascades to the province MCU
    assert not any(d.src_site == "lab" and d.dst_site == "lab" for d in streams)


def test_spec_model_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="extra"):
        DemandsFile.model_validate({"profile": {}})


def test_default_model_on_as_built_jiangxi_internet_stays_at_its_level() -> None:
    """Issue 14 §6: under the defaults, internet traffic leaves at the egress of its own level
    (分级出口) and loads no trunk above it; the busy-hour hotspots are the township tails and the
    county egresses, and the city uplinks stay below the warning threshold (planner/DEMANDS.md)."""
    import numpy as np

    from planner.egress import egress_loads
    from planner.model import build_model
    from topology.model import Tier

    topo = load_topology("inventory/jiangxi")
    pm = build_model(topo)
    internet = [d for d in pm.demands if d.kind.startswith("egress/")]
    assert internet and all(
        topo.sites[d.dst_site if d.kind.endswith("/up") else d.src_site].egress for d in internet
    )
    alone = build_model(topo, site_demands=internet).engine.baseline.loads
    tier = {h: topo.sites[d.site].tier for h, d in topo.devices.items()}
    site = {h: d.site for h, d in topo.devices.items()}
    util = pm.engine.baseline.loads / pm.capacity
    uplinks: dict[str, list[float]] = {"city": [], "county": [], "township": []}
    for j, c in enumerate(pm.circuits):
        a, b = c.a.device, c.b.device
        if site[a] == site[b]:
            continue
        low = max(tier[a], tier[b], key=list(Tier).index)
        if Tier.TOWNSHIP not in (tier[a], tier[b]):  # a trunk between levels: no internet on it
            assert alone[2 * j] == alone[2 * j + 1] == 0.0, c.id
        if low.value in uplinks:
            uplinks[low.value] += [float(util[2 * j]), float(util[2 * j + 1])]
    warn = topo.policy.warn_utilisation
    assert max(uplinks["city"]) < warn
    assert np.median(uplinks["township"]) > max(uplinks["county"])
    by_level: dict[str, list[float]] = {}
    for e in egress_loads(topo):
        by_level.setdefault(e.level, []).append(e.utilisation)
    assert max(by_level["county"]) > max(max(by_level["city"]), max(by_level["province"]))
    assert max(by_level["county"]) > max(uplinks["city"])
