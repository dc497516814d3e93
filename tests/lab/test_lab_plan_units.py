"""Pure parts of the lab: plan, names, config texts, state recording, the root check."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.configs import LabCredentials, NodePaths, snmpd_config, sshd_config
from lab.naming import IFNAMSIZ, mgmt_peer_name
from lab.plan import build_plan
from lab.state import LabState, StateRecorder, VethRecord, load_state
from lab.system import LabError, require_root
from topology import load_topology
from topology.diagnostics import OperationError

INVENTORY = Path(__file__).resolve().parents[2] / "inventory" / "lab"


def test_plan_has_one_veth_per_circuit_with_model_names_and_rates() -> None:
    topo = load_topology(INVENTORY)
    plan = build_plan(topo)
    assert {link.circuit for link in plan.links} == set(topo.circuits)
    for link in plan.links:
        c = topo.circuits[link.circuit]
        assert (link.a_interface, link.b_interface, link.rate_bps) == (
            c.a.interface,
            c.b.interface,
            c.capacity_bps,
        )
    assert all(len(n.mgmt_peer) <= IFNAMSIZ for n in plan.nodes)
    assert len({n.mgmt_peer for n in plan.nodes}) == len(plan.nodes)


def test_plan_refuses_non_frr_devices() -> None:
    topo = load_topology(INVENTORY)
    dev = next(iter(topo.devices.values())).model_copy(update={"platform": "huawei_vrp"})
    bad = topo.model_copy(update={"devices": {**topo.devices, dev.hostname: dev}})
    with pytest.raises(OperationError, match="not 'frr'"):
        build_plan(bad)


def test_daemon_configs_listen_on_management_only(tmp_path: Path) -> None:
    node = build_plan(load_topology(INVENTORY)).nodes[0]
    creds = LabCredentials(
        ssh_username="u",
        ssh_password="p",
        snmp_community="c",
        snmp_v3_user="v3",
        snmp_v3_auth_key="ak",
        snmp_v3_priv_key="pk",
    )
    addr = node.mgmt_address.split("/")[0]
    sshd = sshd_config(node, NodePaths(base=tmp_path), "u", tmp_path / "keys")
    assert f"ListenAddress {addr}" in sshd and "PermitRootLogin no" in sshd
    snmp = snmpd_config(node, creds)
    assert f"agentAddress udp:{addr}:161" in snmp and "rouser v3 priv" in snmp
    assert 'SHA "ak" AES "pk"' in snmp
    assert mgmt_peer_name(node.hostname) == node.mgmt_peer


def test_state_is_written_through_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    rec = StateRecorder(
        path,
        LabState(
            network="n",
            inventory="i",
            root=str(tmp_path),
            nms_namespace="eg-nms",
            nms_address="198.19.0.1/24",
        ),
    )
    veth = VethRecord(
        namespace="a", name="eth1", peer_namespace="b", peer_name="eth2", purpose="circuit x"
    )
    rec.add("namespaces", "a")
    rec.add("veths", veth)
    rec.add("veths", veth)
    loaded = load_state(path)
    assert loaded is not None and loaded.namespaces == ("a",) and loaded.veths == (veth,)
    rec.remove("namespaces", "a")
    assert load_state(path) == rec.state and rec.state.namespaces == ()


def test_root_is_required_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(LabError, match="needs root"):
        require_root("up")
