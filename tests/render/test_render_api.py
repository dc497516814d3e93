"""render_device / render_all behaviour: errors, determinism, manifest, values from the model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from render_testlib import LAB, MIXED, rendered, secrets, topology

import configs.render as render_mod
from configs.context import build_context
from configs.platform_data import TEMPLATES
from configs.render import read_manifest, render_all, render_device, topology_index
from topology.diagnostics import OperationError
from topology.secrets import MissingSecret


def test_missing_secret_names_device_and_secret() -> None:
    topo = topology(MIXED)
    with pytest.raises(MissingSecret, match=r"device lab-core1: missing secret 'snmp_v3_priv_key'"):
        render_device(topo, "lab-core1", secrets(drop="snmp_v3_priv_key"))


def test_frr_needs_no_device_user_secrets() -> None:
    """FRR configs carry no users/AAA/SNMP, so those secrets are not required to render them."""
    text = render_device(topology(LAB), "lab-core1", secrets(drop="user_noc"))
    assert text == rendered(LAB)["lab-core1"]


def test_template_error_names_device_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES / "cisco_ios", root / "cisco_ios")
    ospf = root / "cisco_ios" / "ospf.j2"
    ospf.write_text(ospf.read_text(encoding="utf-8") + "{{ d.no_such_value }}\n", encoding="utf-8")
    line = len(ospf.read_text(encoding="utf-8").splitlines())
    with pytest.raises(OperationError) as err:
        render_device(topology(MIXED), "lab-cloud-gw1", secrets(), templates=root)
    msg = str(err.value)
    assert msg.startswith("device lab-cloud-gw1: ")
    assert f"ospf.j2:{line}" in msg and "no_such_value" in msg


def test_unknown_device() -> None:
    with pytest.raises(OperationError, match="unknown device 'nope'"):
        render_device(topology(LAB), "nope", secrets())


def test_render_is_deterministic() -> None:
    topo = topology(MIXED)
    assert render_device(topo, "lab-core1", secrets()) == rendered(MIXED)["lab-core1"]


def test_render_all_writes_configs_and_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    topo = topology(MIXED)
    serial = render_all(topo, tmp_path / "a", secrets(), platform="cisco_ios")
    assert [p.stem for p in serial] == sorted(
        h for h, d in topo.devices.items() if d.platform == "cisco_ios"
    )
    assert set(read_manifest(tmp_path / "a").values()) == {"cisco_ios"}
    monkeypatch.setattr(render_mod, "PARALLEL_MIN", 0)
    monkeypatch.setattr(render_mod, "CHUNK", 3)
    ticks: list[int] = []
    par = render_all(topo, tmp_path / "b", secrets(), jobs=2, progress=ticks.append)
    assert sum(ticks) == len(topo.devices) == len(par)
    for p in par:
        assert p.read_text(encoding="utf-8") == rendered(MIXED)[p.stem]
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["devices"]["lab-core1"] == "huawei_vrp"


def test_costs_follow_circuit_direction() -> None:
    """The a-end prints cost_ab, the b-end cost_ba (asymmetric costs survive)."""
    topo = topology(MIXED)
    c = topo.circuits["beicheng-up1"]
    changed = c.model_copy(update={"cost_ab": 111, "cost_ba": 222})
    topo2 = topo.model_copy(update={"circuits": {**topo.circuits, c.id: changed}})
    ix = topology_index(topo2)
    a = build_context(ix, c.a.device, secrets())
    b = build_context(ix, c.b.device, secrets())
    assert next(i.cost for i in a.interfaces if i.circuit == c.id) == 111
    assert next(i.cost for i in b.interfaces if i.circuit == c.id) == 222


def test_shaping_to_contracted_rate_in_vendor_unit() -> None:
    texts = rendered(MIXED)
    # 20M MSTP on a Huawei AR (kbit/s), 100M MSTP on a Cisco county core (bit/s), 149.76M SDH on
    # an H3C city core (kbit/s)
    assert " qos gts cir 20000\n" in texts["dongxian-qiaotou-ar1"]
    assert "  shape average 100000000\n" in texts["beicheng-dongxian-core1"]
    assert " qos gts any cir 149760\n" in texts["beicheng-core1"]


def test_unused_ports_are_shut() -> None:
    topo = topology(MIXED)
    dev = topo.devices["lab-core1"]
    ports = topo.device_models[dev.model].ports
    lan = {i.name.rpartition(".")[0] for i in dev.interfaces if i.kind == "zone"}
    used = sum(1 for i in dev.interfaces if i.circuit) + len(lan)
    assert len(lan) == 1  # the zone sub-interfaces' LAN port is used, not shut
    text = rendered(MIXED)["lab-core1"]
    assert text.count(" description unused\n shutdown\n") == ports - used


def test_route_reflectors_and_clients() -> None:
    texts = rendered(MIXED)
    rr = texts["lab-core1"]
    assert " reflector cluster-id " in rr
    assert rr.count(" reflect-client\n") == sum(
        1
        for d in topology(MIXED).devices.values()
        if d.role.value in ("core", "cloud_gw") and d.site != "lab"
    )
    client = texts["beicheng-dongxian-core1"]
    assert "neighbor 198.18.0.0 update-source Loopback0" in client
    assert "route-reflector-client" not in client
    assert (
        "router bgp" not in texts["dongxian-qiaotou-ar1"]
        and "bgp 64512" not in texts["dongxian-qiaotou-ar1"]
    )


@pytest.mark.parametrize("host", ["lab-core1", "beicheng-core1", "beicheng-dongxian-core1"])
def test_radius_variant_renders_and_passes_audit(host: str) -> None:
    from configs.audit import audit_config
    from topology.management import AaaIn

    topo = topology(MIXED)
    aaa = AaaIn(protocol="radius", servers=("198.19.0.7",))
    topo2 = topo.model_copy(update={"management": topo.management.model_copy(update={"aaa": aaa})})
    text = render_device(topo2, host, secrets())
    assert "198.19.0.7" in text and "radius" in text and "tacacs" not in text
    platform = topo.devices[host].platform
    assert not [r.rule for r in audit_config(text, platform) if r.status == "fail"]


def test_unsupported_igp_is_a_clear_error() -> None:
    topo = topology(LAB)
    isis = topo.model_copy(update={"policy": topo.policy.model_copy(update={"igp": "isis"})})
    with pytest.raises(OperationError, match=r"igp\.protocol 'isis' cannot be rendered"):
        render_device(isis, "lab-core1", secrets())
