"""The NOC page: JSON API, /metrics, and the page itself rendered by headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from poller.alerts import AlertEngine, AlertPolicy
from poller.cycle import CycleResult, DeviceStatus
from poller.samples import CircuitSample, State
from poller.store import Store, write_alerts
from poller.web import NocServer
from topology import Topology, load_topology

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")
NOW = float(int(time.time()) // 60 * 60)
# (circuit, a→b utilisation, state) for a few lab circuits; the others get 10 %
SPECIAL = {
    "beicheng-up1": (0.85, State.UP),
    "dongxian-qiaotou-up1": (0.75, State.UP),
    "xiqu-hexi-up1": (0.0, State.DOWN),
}


@pytest.fixture(scope="module")
def topo() -> Topology:
    return load_topology(ROOT / "inventory" / "lab")


def _populate(topo: Topology, db: Path) -> None:
    store = Store(db)
    engine = AlertEngine(AlertPolicy(window=0))
    for k in range(30):
        t = NOW - (29 - k) * 60
        samples = []
        for c in topo.circuits.values():
            util, state = SPECIAL.get(c.id, (0.1, State.UP))
            bps = util * c.capacity_bps * (1 + 0.01 * (k % 3))
            samples.append(CircuitSample(
                circuit=c.id, at=t, state=state, capacity_bps=c.capacity_bps, ab_bps=bps,
                ba_bps=bps / 2, util_ab=bps / c.capacity_bps, util_ba=bps / 2 / c.capacity_bps,
                errors_ps=0.0, discards_ps=0.0,
            ))  # fmt: skip
        devices = tuple(
            DeviceStatus(device=d, reachable=d != "xiqu-hexi-sw1", interfaces=3, seconds=0.01)
            for d in topo.devices
        )
        result = CycleResult(at=t, seconds=0.2, devices=devices, circuits=tuple(samples))
        store.write_samples(samples)
        store.write_devices(devices, t)
        write_alerts(store, engine.evaluate(result))
    store.close()


@pytest.fixture(scope="module")
def server(topo: Topology, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("web") / "poller.db"
    _populate(topo, db)
    srv = NocServer(topo, db, "127.0.0.1", 0, refresh=5)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()
    t.join(5)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def test_map_api_colours_by_contracted_rate(server: str, topo: Topology) -> None:
    m = _get(server + "/api/map")
    by_id = {c["id"]: c for c in m["circuits"]}
    assert set(by_id) == set(topo.circuits)
    # 149.76M SDH at 85 % (+ the 0-2 % wobble of the last sample)
    assert by_id["beicheng-up1"]["util"] == pytest.approx(0.85 * 1.02, rel=1e-6)
    assert by_id["xiqu-hexi-up1"]["state"] == "down"
    assert m["devices"]["xiqu-hexi-sw1"]["reachable"] is False
    assert m["policy"] == {"warn": 0.7, "fail": 0.8}


def test_history_and_alert_api(server: str) -> None:
    h = _get(server + "/api/history?circuit=beicheng-up1&hours=1")
    assert len(h["points"]) == 30 and h["capacity_bps"] == 149_760_000
    keys = {a["key"] for a in _get(server + "/api/alerts")["alerts"] if a["cleared"] is None}
    assert {
        "util-fail:beicheng-up1",
        "util-warn:dongxian-qiaotou-up1",
        "down:xiqu-hexi-up1",
    } <= keys
    assert "unreachable:xiqu-hexi-sw1" in keys
    with pytest.raises(urllib.error.HTTPError):
        _get(server + "/api/history?circuit=nope")


def test_metrics_exposition(server: str) -> None:
    with urllib.request.urlopen(server + "/metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(
        r'egnet_circuit_utilisation_ratio\{circuit="beicheng-up1",direction="ab"\} (\S+)', text
    )
    assert m and float(m.group(1)) == pytest.approx(0.85 * 1.02)
    assert 'egnet_circuit_up{circuit="xiqu-hexi-up1"} 0.0' in text
    assert 'egnet_device_reachable{device="xiqu-hexi-sw1"} 0.0' in text


def _chromium(args: list[str], tmp: Path) -> str:
    assert CHROMIUM
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           f"--user-data-dir={tmp / 'profile'}", "--virtual-time-budget=8000", *args]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=True)
    return out.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium")
def test_page_in_headless_chromium(server: str, tmp_path: Path) -> None:
    url = server + "/#expand=beicheng-dongxian&circuit=beicheng-up1"
    dom = _chromium(["--dump-dom", url], tmp_path)
    assert 'data-loaded="1"' in dom
    refreshes = re.search(r'data-refreshes="(\d+)"', dom)
    assert refreshes and int(refreshes.group(1)) >= 2  # refreshed by itself (every 5 s here)
    # every inter-site circuit outside collapsed counties is a line; collapsed ones aggregate
    lines = set(re.findall(r'<line[^>]*data-circuit="([^"]+)"', dom))
    assert {"beicheng-up1", "beicheng-up2", "dongxian-qiaotou-up1", "dongxian-shanxia-up1"} <= lines
    assert "xiqu-hexi-up1" not in lines  # beicheng-xiqu stays collapsed ...
    assert re.search(r'class="agg" data-county="beicheng-xiqu" data-count="1"', dom)
    assert 'data-site="dongxian-qiaotou"' in dom  # ... beicheng-dongxian is expanded
    red = re.search(r'<line[^>]*stroke="(#[0-9a-f]+)"[^>]*data-circuit="beicheng-up1"', dom)
    assert red and red.group(1) == "#ff3b3b"  # ≥ 80 % of the contracted 149.76M
    amber = re.search(
        r'<line[^>]*stroke="(#[0-9a-f]+)"[^>]*data-circuit="dongxian-qiaotou-up1"', dom
    )
    assert amber and amber.group(1) == "#ff9f1a"  # 75-77 %: the warn band (70-80 %)
    assert re.search(r'<svg id="chart"[^>]*data-circuit="beicheng-up1"[^>]*data-points="30"', dom)
    assert re.search(r'<polyline points="[^"]+" class="ab"', dom)
    assert 'data-key="util-fail:beicheng-up1"' in dom
    assert 'data-key="unreachable:xiqu-hexi-sw1"' in dom
    shot = tmp_path / "noc.png"
    _chromium([f"--screenshot={shot}", "--window-size=1500,700", url], tmp_path)
    assert shot.stat().st_size > 10_000
    keep = ROOT / "build" / "poller"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep / "noc.png")


def test_egnet_serve_command(tmp_path: Path) -> None:
    """`egnet serve` starts, answers the API and /metrics (empty database), and stops on SIGTERM."""
    import socket
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "egnet.cli", "serve", str(ROOT / "inventory" / "lab"), "--db",
           str(tmp_path / "none.db"), "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        m: Any = None
        for _ in range(100):
            try:
                m = _get(f"http://127.0.0.1:{port}/api/map")
                break
            except OSError:
                time.sleep(0.2)
        assert m is not None and len(m["circuits"]) == 26
        assert all(c["state"] == "unknown" for c in m["circuits"])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            page = r.read().decode()
        assert '<svg id="map"' in page and "http" + "s://" not in page  # self-contained
    finally:
        proc.terminate()
        proc.wait(10)


def test_poller_imports_only_topology() -> None:
    """Architecture rule: poller/ may import topology, nothing else of ours."""
    import ast

    ours = {"topology", "planner", "deploy", "lab", "egnet", "poller"}
    for path in (ROOT / "poller").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in ours - {"topology", "poller"}, f"{path.name} imports {name}"
