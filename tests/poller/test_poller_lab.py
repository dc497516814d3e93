"""Measured utilisation of a tc-shaped circuit, end to end, within 2 % over a ≥ 30 s window.

Builds two network namespaces joined by a veth pair that plays the lab circuit
``dongxian-qiaotou-up1`` (township uplink, MSTP 20M): ``dongxian-qiaotou-ar1`` eth1 ↔
``beicheng-dongxian-core2`` eth3, addressed from the circuit's subnet and shaped by tc (token bucket,
as the lab does) to the contracted rate. snmpd runs in the access router's namespace; iperf3 sends
UDP above the contracted rate across the circuit; ``egnet poll --once --gap 32`` runs in the
namespace and must report the a→b utilisation of the circuit as 100 % ± 2 %.

Everything created is removed in finalizers: processes by PID, namespaces by name.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.snmp_agent import AgentConfig, SnmpdAgent
from topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventory" / "lab"
CIRCUIT = "dongxian-qiaotou-up1"
WINDOW = 32.0

pytestmark = [
    pytest.mark.lab,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("iperf3") is None, reason="needs iperf3"),
]


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, text=True)


@pytest.fixture
def circuit_ns() -> Iterator[dict[str, str]]:
    """Two namespaces and the shaped veth pair of the circuit; removed afterwards."""
    topo = load_topology(LAB)
    c = topo.circuits[CIRCUIT]
    tag = f"egp-{os.getpid() % 100000}"
    ns_a, ns_b = f"{tag}-a", f"{tag}-b"
    made: list[str] = []
    try:
        for ns in (ns_a, ns_b):
            _run("ip", "netns", "add", ns)
            made.append(ns)
            _run("ip", "-n", ns, "link", "set", "lo", "up")
        _run("ip", "-n", ns_a, "link", "add", c.a.interface, "type", "veth", "peer", "name",
             c.b.interface, "netns", ns_b)  # fmt: skip
        burst = str(max(c.capacity_bps // 8 // 100, 16384))
        for ns, end in ((ns_a, c.a), (ns_b, c.b)):
            _run("ip", "-n", ns, "addr", "add", end.address, "dev", end.interface)
            _run("tc", "-n", ns, "qdisc", "replace", "dev", end.interface, "root", "tbf", "rate",
                 f"{c.capacity_bps}bit", "burst", burst, "latency", "50ms")  # fmt: skip
            _run("ip", "-n", ns, "link", "set", end.interface, "up")
        yield {"a": ns_a, "b": ns_b, "b_addr": c.b.address.split("/")[0], "device": c.a.device}
    finally:
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], check=False)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_shaped_circuit_measures_contracted_rate(
    circuit_ns: dict[str, str], tmp_path: Path
) -> None:
    ns_a, ns_b = circuit_ns["a"], circuit_ns["b"]
    cfg = AgentConfig(tmp_path / "snmpd", 16161, netns=ns_a, cache_timeout=0)
    server = subprocess.Popen(
        ["ip", "netns", "exec", ns_b, "iperf3", "-s", "-1", "-B", circuit_ns["b_addr"]],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client: subprocess.Popen[bytes] | None = None
    try:
        with SnmpdAgent(cfg):
            time.sleep(0.5)
            client = subprocess.Popen(
                ["ip", "netns", "exec", ns_a, "iperf3", "-c", circuit_ns["b_addr"], "-u", "-b",
                 "30M", "-l", "1400", "-t", str(int(WINDOW + 12))],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(3)  # past slow start of the bucket: the queue is full from here on
            env = dict(os.environ,
                       EGNET_SECRET_SNMP_V3_AUTH_KEY=cfg.auth_key,
                       EGNET_SECRET_SNMP_V3_PRIV_KEY=cfg.priv_key,
                       EGNET_VAULT=str(tmp_path / "none.yaml"))  # fmt: skip
            dev = circuit_ns["device"]
            got = subprocess.run(
                ["ip", "netns", "exec", ns_a, sys.executable, "-m", "egnet.cli", "poll", str(LAB),
                 "--once", "--gap", str(WINDOW), "--json", "--device", dev,
                 "--target", f"{dev}=127.0.0.1:{cfg.port}"],
                capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
            )  # fmt: skip
    finally:
        for p in (client, server):
            if p is not None:
                _stop(p)
    assert got.returncode == 0, got.stderr
    sample = next(c for c in json.loads(got.stdout)["circuits"] if c["circuit"] == CIRCUIT)
    keep = ROOT / "build" / "poller"
    keep.mkdir(parents=True, exist_ok=True)
    (keep / "lab-shaped-circuit.json").write_text(json.dumps(sample, indent=1))
    assert sample["state"] == "up"
    assert sample["capacity_bps"] == 20_000_000
    assert sample["util_ab"] == pytest.approx(1.0, abs=0.02), sample
    assert sample["util_ba"] < 0.05  # only iperf3's control traffic flows back
