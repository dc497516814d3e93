"""Issue 12: egnet's alerts in a real Prometheus Alertmanager (Debian prometheus-alertmanager, started
here on a loopback port and stopped by PID): with a county core down in a test fleet (a real
snmpd answers for the other devices), Alertmanager shows one alert for it and its township's alerts
inhibited; a maintenance window silences a site; the NOC page shows Alertmanager's state."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from poller.alertmanager import AlertmanagerSink, alert_labels, alertmanager_config, inhibit_rules
from poller.alerts import AlertEngine, AlertPolicy
from poller.cycle import Poller
from poller.fastsnmp import FastClient
from poller.readings import Target
from poller.service import Service
from poller.targets import circuit_specs
from poller.web import NocServer
from testing.snmp_agent import AgentConfig, SnmpdAgent, free_udp_port
from topology import Topology, load_topology

ROOT = Path(__file__).resolve().parents[2]
AM = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
pytestmark = pytest.mark.skipif(AM is None, reason="Debian prometheus-alertmanager not installed")
COUNTY, CORE, TOWNSHIP = "nancheng-shanxian", "nancheng-shanxian-core1", "shanxian-linjia"


def _free_tcp_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def topo() -> Topology:
    return load_topology(ROOT / "inventory" / "lab")


@pytest.fixture(scope="module")
def alertmanager(topo: Topology, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert AM
    d = tmp_path_factory.mktemp("am")
    (d / "alertmanager.yml").write_text(yaml.safe_dump(alertmanager_config(topo)))
    port = _free_tcp_port()
    with open(d / "am.log", "wb") as log:
        proc = subprocess.Popen(
            [AM, f"--config.file={d / 'alertmanager.yml'}", f"--storage.path={d / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(url + "/-/ready", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("alertmanager did not start: " + (d / "am.log").read_text())
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_generated_inhibit_rules_follow_the_topology(topo: Topology) -> None:
    rules = inhibit_rules(topo)
    county = next(r for r in rules if f'site="{COUNTY}"' in r["source_matchers"])
    assert county["target_matchers"] == [f'site=~"{TOWNSHIP}"']
    city = next(r for r in rules if 'site="nancheng"' in r["source_matchers"])
    assert city["target_matchers"] == [f'site=~"{COUNTY}|{TOWNSHIP}"']
    assert {"equal": ["far_device"]}.items() <= rules[-1].items()
    labels = alert_labels(topo)
    up = next(c for c in circuit_specs(topo) if c.site == TOWNSHIP)
    assert labels[up.id]["far_device"].startswith("shanxian-linjia-")
    checked = subprocess.run(["amtool", "check-config", "/dev/stdin"], input=yaml.safe_dump(alertmanager_config(topo)),
                             capture_output=True, text=True) if shutil.which("amtool") else None  # fmt: skip
    assert checked is None or checked.returncode == 0, checked.stdout + checked.stderr


def test_county_core_down_is_one_alert_and_masks_its_townships(
    topo: Topology, alertmanager: str, tmp_path: Path
) -> None:
    cfg = AgentConfig(tmp_path / "snmpd", free_udp_port())
    dead = free_udp_port()  # nothing listens: the county core and the township behind it
    down = {CORE, *topo.sites[TOWNSHIP].devices}
    targets = [
        Target(d, "127.0.0.1", dead if d in down else cfg.port, cfg.v2c())
        for d in sorted(topo.devices)
    ]

    async def go() -> None:
        client = FastClient(timeout=0.3, retries=0)
        sink = AlertmanagerSink(alertmanager, alert_labels(topo))
        service = Service(Poller(client, targets, circuit_specs(topo), concurrency=50),
                          alerts=AlertEngine(AlertPolicy(unreachable_after=2)), sinks=[sink])  # fmt: skip
        try:
            for _ in range(2):
                await service.once()
        finally:
            client.close()

    with SnmpdAgent(cfg):
        asyncio.run(go())
    alerts: list[dict[str, Any]] = []
    for _ in range(50):  # Alertmanager evaluates inhibitions as alerts arrive
        alerts = _get(alertmanager + "/api/v2/alerts")
        if len(alerts) == len(down) and all(a["status"]["state"] != "unprocessed" for a in alerts):
            break
        time.sleep(0.1)
    by_device = {a["labels"]["device"]: a for a in alerts}
    assert set(by_device) == down
    active = [d for d, a in by_device.items() if a["status"]["state"] == "active"]
    assert active == [CORE]
    for d in down - {CORE}:
        st = by_device[d]["status"]
        assert st["state"] == "suppressed" and st["inhibitedBy"], d

    # the NOC page's view of Alertmanager
    srv = NocServer(topo, tmp_path / "none.db", "127.0.0.1", 0, 30, alertmanager=alertmanager)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        page = f"http://127.0.0.1:{srv.server_address[1]}"
        state = _get(page + "/api/alertmanager")
        chromium = shutil.which("chromium")
        if chromium:  # the page shows it too
            dom = subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=8000",
                 "--dump-dom", page + "/"], capture_output=True, text=True, timeout=120, check=True,
            ).stdout  # fmt: skip
            assert f'data-active="1" data-suppressed="{len(down) - 1}"' in dom
            assert "EgnetDeviceUnreachable nancheng-shanxian-core1<" in dom
            assert f"EgnetDeviceUnreachable {TOWNSHIP}-ar1 (inhibited)" in dom
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(10)
    assert state["counts"]["active"] == 1 and state["counts"]["suppressed"] == len(down) - 1

    # a maintenance window on the county silences the core's alert too
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGNET_")}
    got = subprocess.run([sys.executable, "-m", "egnet.cli", "maintenance", str(ROOT / "inventory" / "lab"),
                          "--alertmanager", alertmanager, "--site", COUNTY, "--hours", "1",
                          "--comment", "fibre works"], capture_output=True, text=True, env=env,
                         timeout=60, cwd=ROOT)  # fmt: skip
    assert got.returncode == 0, got.stderr
    for _ in range(50):
        core = next(
            a for a in _get(alertmanager + "/api/v2/alerts") if a["labels"]["device"] == CORE
        )
        if core["status"]["silencedBy"]:
            break
        time.sleep(0.1)
    assert core["status"]["state"] == "suppressed" and core["status"]["silencedBy"]
