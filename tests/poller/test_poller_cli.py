"""``egnet poll`` end to end: secrets from the environment, a real agent, JSON output, the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from poller.store import Store
from testing.snmp_agent import AgentConfig, SnmpdAgent, free_udp_port
from testing.snmp_fleet import (
    SimInterface,
    SnmpsimAgent,
    transport_id,
    write_endpoint_fleet,
    write_fleet,
)
from topology import Topology, load_topology
from topology.management import nms_snmp_user

ROOT = Path(__file__).resolve().parents[2]
LAB = str(ROOT / "inventory" / "lab")


def _egnet(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    extra = ["--netns", "none"] if args[0] == "poll" else []  # never the developer's running lab
    cmd = [sys.executable, "-m", "egnet.cli", *args, *extra]
    full = {k: v for k, v in os.environ.items() if not k.startswith("EGNET_")} | env
    return subprocess.run(cmd, capture_output=True, text=True, env=full, timeout=120, cwd=ROOT)


def test_poll_once_v3_json_and_db(tmp_path: Path) -> None:
    cfg = AgentConfig(tmp_path / "agent", free_udp_port())
    env = {"EGNET_SECRET_SNMP_V3_AUTH_KEY": cfg.auth_key,
           "EGNET_SECRET_SNMP_V3_PRIV_KEY": cfg.priv_key, "EGNET_VAULT": str(tmp_path / "none.yaml")}  # fmt: skip
    db = tmp_path / "p.db"
    with SnmpdAgent(cfg):
        got = _egnet(["poll", LAB, "--once", "--gap", "1", "--json", "--db", str(db),
                      "--device", "lab-core1", "--target", f"lab-core1=127.0.0.1:{cfg.port}"], env)  # fmt: skip
    assert got.returncode == 0, got.stderr
    data = json.loads(got.stdout)
    (dev,) = data["devices"]
    assert dev["device"] == "lab-core1" and dev["reachable"] and dev["interfaces"] >= 1
    # only circuits with an end on the polled device are reported
    assert {c["circuit"] for c in data["circuits"]} == {
        "lab-ic1", "lab-cloud-g1c1", "beicheng-up1", "nancheng-up1"
    }  # fmt: skip
    store = Store(db)
    assert store.devices()["lab-core1"]["reachable"] is True
    store.close()


def test_poll_missing_secret_is_a_clean_error(tmp_path: Path) -> None:
    got = _egnet(["poll", LAB, "--once", "--device", "lab-core1"],
                 {"EGNET_VAULT": str(tmp_path / "none.yaml")})  # fmt: skip
    assert got.returncode == 2
    assert "missing secret 'snmp_v3_auth_key'" in got.stderr and "Traceback" not in got.stderr


def test_poll_v2c_table_shows_contracted_utilisation(tmp_path: Path) -> None:
    # lab-core1 eth3 is the b-end of beicheng-up1 (149.76M): it receives 7.488 MB/s = 40 %
    itfs = [SimInterface("lo"), SimInterface("mgmt0"), SimInterface("eth1"), SimInterface("eth2"),
            SimInterface("eth3", in_rate=7_488_000, out_rate=1_872_000), SimInterface("eth4")]  # fmt: skip
    write_fleet(tmp_path / "data", {"lab-core1": itfs})
    port = free_udp_port()
    with SnmpsimAgent(tmp_path / "data", port, tmp_path / "cache"):
        got = _egnet(["poll", LAB, "--once", "--gap", "1.5", "--snmp-version", "2c", "--json",
                      "--device", "lab-core1", "--target", f"lab-core1=127.0.0.1:{port}"],
                     {"EGNET_SECRET_SNMP_COMMUNITY": "lab-core1",
                      "EGNET_VAULT": str(tmp_path / "none.yaml")})  # fmt: skip
    assert got.returncode == 0, got.stderr
    by_id = {c["circuit"]: c for c in json.loads(got.stdout)["circuits"]}
    up1 = by_id["beicheng-up1"]
    assert up1["util_ab"] == pytest.approx(0.40, rel=0.02)  # a→b measured at the b-end's input
    assert up1["util_ba"] == pytest.approx(0.10, rel=0.02)


def _lab_fleet(topo: Topology) -> dict[str, list[SimInterface]]:
    """Every lab device with its model interfaces; circuit c's a-end sends util_of(c) of contract."""
    fleet: dict[str, list[SimInterface]] = {}
    for dev in topo.devices.values():
        itfs = []
        for itf in dev.interfaces:
            c = topo.circuits.get(itf.circuit or "")
            out = 0.0
            if c is not None:
                out = util_of(c.id) * c.capacity_bps / 8 if c.a.device == dev.hostname else 1000.0
            itfs.append(SimInterface(itf.name, out_rate=out))
        fleet[dev.hostname] = itfs
    return fleet


def util_of(circuit: str) -> float:
    """A distinct utilisation per circuit, 10 % .. 95 %."""
    return 0.10 + (sum(map(ord, circuit)) % 18) * 0.05


def test_poll_whole_lab_once_v3(tmp_path: Path) -> None:
    """`egnet poll inventory/lab --once` over all 20 devices (snmpsim, one endpoint per device)."""
    topo = load_topology(LAB)
    fleet = _lab_fleet(topo)
    names = list(fleet)
    write_endpoint_fleet(tmp_path / "data", [fleet[n] for n in names])
    ports = [free_udp_port() for _ in names]
    user = nms_snmp_user(topo.management)  # the user the configs create: the poller's, too
    assert user is not None
    v3 = (user.name, "lab-auth-key-1", "lab-priv-key-1")
    agent = SnmpsimAgent(tmp_path / "data", ports[0], tmp_path / "cache", v3=v3, probe=transport_id(0),
                         extra_ports=ports[1:])  # fmt: skip
    env = {"EGNET_SECRET_SNMP_V3_AUTH_KEY": v3[1],
           "EGNET_SECRET_SNMP_V3_PRIV_KEY": v3[2], "EGNET_VAULT": str(tmp_path / "none.yaml")}  # fmt: skip
    targets = [
        a
        for i, (n, p) in enumerate(zip(names, ports, strict=True))
        for a in ("--target", f"{n}=127.0.0.1:{p}/{transport_id(i)}")
    ]
    with agent:
        got = _egnet(["poll", LAB, "--once", "--gap", "2", "--json", *targets], env)
    assert got.returncode == 0, got.stderr
    data = json.loads(got.stdout)
    assert [d for d in data["devices"] if not d["reachable"]] == [] and len(data["devices"]) == 20
    by_id = {c["circuit"]: c for c in data["circuits"]}
    assert set(by_id) == set(topo.circuits)
    for cid, c in by_id.items():
        assert c["state"] == "up"
        assert c["util_ab"] == pytest.approx(util_of(cid), rel=0.03), cid
