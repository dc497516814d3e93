"""The lab's snmpd serves fresh IF-MIB counters: net-snmp's 3 s ifTable/ifXTable cache is off."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.configs import (
    IF_TABLE_CACHE,
    NS_CACHE_TIMEOUT,
    LabCredentials,
    NodePaths,
    snmp_cache_off_argv,
    snmpd_config,
)
from lab.daemons import start_snmpd
from lab.plan import LabNode, build_plan
from lab.state import LabState, StateRecorder
from topology import load_topology

INVENTORY = Path(__file__).resolve().parents[2] / "inventory" / "lab"
CREDS = LabCredentials(
    ssh_username="u",
    ssh_password="p",
    snmp_community=f"ro{secrets.token_hex(4)}",
    snmp_v3_user="egnms",
    snmp_v3_auth_key=f"auth-{secrets.token_hex(4)}",
    snmp_v3_priv_key=f"priv-{secrets.token_hex(4)}",
)
IF_HC_IN_OCTETS_LO = "1.3.6.1.2.1.31.1.1.1.6.1"  # ifHCInOctets of ifIndex 1 (lo)


def first_node() -> LabNode:
    return build_plan(load_topology(INVENTORY)).nodes[0]


def test_snmpd_config_lets_only_the_loopback_write_the_cache_timeout() -> None:
    node = first_node()
    addr = node.mgmt_address.split("/")[0]
    lines = snmpd_config(node, CREDS, "tok123").splitlines()
    assert lines[0] == f"agentAddress udp:{addr}:161,udp:127.0.0.1:161"
    rw = [ln for ln in lines if ln.startswith("rw")]
    assert rw == [f"rwcommunity tok123 127.0.0.1 .{NS_CACHE_TIMEOUT}"]
    assert f"rocommunity {CREDS.snmp_community} default" in lines
    plain = snmpd_config(node, CREDS)
    assert "rwcommunity" not in plain and "127.0.0.1" not in plain


def test_cache_off_command_sets_the_iftable_timeout_to_zero() -> None:
    argv = snmp_cache_off_argv("tok123")
    assert argv[0] == "snmpset" and argv[argv.index("-c") + 1] == "tok123"
    assert argv[-4:] == ["udp:127.0.0.1:161", IF_TABLE_CACHE, "i", "0"]
    assert IF_TABLE_CACHE.endswith(".1.3.6.1.2.1.2.2")  # indexed by ifTable's OID


def _ns_run(ns: str, *argv: str) -> str:
    out = subprocess.run(
        ["ip", "netns", "exec", ns, *argv], capture_output=True, text=True, timeout=30, check=True
    )
    return out.stdout.strip()


@pytest.fixture
def scratch_ns() -> Iterator[str]:
    """A namespace of this test only (removed by name, even when the test fails)."""
    ns = f"egx-snmp-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


@pytest.mark.lab
def test_real_snmpd_serves_fresh_counters(scratch_ns: str, tmp_path: Path) -> None:
    """start_snmpd (the lab's code path) leaves nsCacheTimeout 0; lo's counters move every second."""
    node = first_node().model_copy(update={"namespace": scratch_ns})
    mgmt = node.mgmt_interface
    for cmd in (
        ["link", "add", mgmt, "type", "veth", "peer", "name", "egxpeer0"],  # both ends in the ns
        ["addr", "add", node.mgmt_address, "dev", mgmt],
        ["link", "set", mgmt, "up"],
    ):
        subprocess.run(["ip", "-n", scratch_ns, *cmd], check=True)
    paths = NodePaths(base=tmp_path / "r")
    for d in (paths.run, paths.log, paths.snmp):
        d.mkdir(parents=True)
    state = LabState(
        network="egx", inventory="i", root=str(tmp_path), nms_namespace="x", nms_address="x"
    )
    rec = StateRecorder(tmp_path / "state.json", state)
    ping = None
    try:
        start_snmpd(rec, node, paths, CREDS)
        addr = node.mgmt_address.split("/")[0]
        get = ["snmpget", "-v3", "-l", "authPriv", "-u", CREDS.snmp_v3_user, "-a", "SHA", "-A"]
        get += [CREDS.snmp_v3_auth_key, "-x", "AES", "-X", CREDS.snmp_v3_priv_key, "-Oqv", addr]
        timeout = _ns_run(scratch_ns, *get, IF_TABLE_CACHE)
        assert timeout == "0"
        ping = subprocess.Popen(
            ["ip", "netns", "exec", scratch_ns, "ping", "-q", "-i", "0.01", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
        )
        samples = []
        for _ in range(3):
            samples.append(int(_ns_run(scratch_ns, *get, IF_HC_IN_OCTETS_LO)))
            time.sleep(1)
        assert samples[0] < samples[1] < samples[2], samples
    finally:
        if ping is not None:
            ping.terminate()
            ping.wait(5)
        for p in rec.state.processes:  # exactly the snmpd this test started
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGTERM)
