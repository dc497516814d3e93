"""Issue 9 §7: the NOC server is bounded (connections, timeouts, threads) and authenticates any bind
address other than loopback."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from poller.web import NocAuth, NocServer, ServerLimits, load_auth
from topology import Topology, load_topology
from topology.diagnostics import OperationError
from topology.secrets import Secrets

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "t0ken-for-the-noc-0123456789"


@pytest.fixture(scope="module")
def topo() -> Topology:
    return load_topology(ROOT / "inventory" / "lab")


@contextmanager
def _serving(srv: NocServer) -> Iterator[str]:
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://{srv.server_address[0]}:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(10)


def _get(url: str, headers: dict[str, str] | None = None, timeout: float = 5.0) -> int:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            r.read()
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _half_sent(port: int, n: int, stack: ExitStack) -> list[socket.socket]:
    socks = []
    for _ in range(n):
        s = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
        s.sendall(b"GET /api/map HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finished
        socks.append(s)
    return socks


def test_idle_half_sent_connections_hold_no_thread_and_do_not_stop_a_request(
    topo: Topology, tmp_path: Path
) -> None:
    srv = NocServer(topo, tmp_path / "none.db", "127.0.0.1", 0, 30, limits=ServerLimits(threads=4))
    threads_before = threading.active_count()
    with _serving(srv) as url, ExitStack() as stack:
        _half_sent(srv.server_address[1], 400, stack)
        time.sleep(0.5)
        t0 = time.monotonic()
        assert _get(url + "/api/alerts") == 200
        assert time.monotonic() - t0 < 3.0
        # 400 slow clients cost no threads: the serving loop + 4 workers at most
        assert threading.active_count() <= threads_before + 1 + 4


def test_idle_connection_is_closed_after_the_timeout(topo: Topology, tmp_path: Path) -> None:
    srv = NocServer(topo, tmp_path / "none.db", "127.0.0.1", 0, 30,
                    limits=ServerLimits(timeout=1, cleanup=1))  # fmt: skip
    with _serving(srv), ExitStack() as stack:
        (s,) = _half_sent(srv.server_address[1], 1, stack)
        s.settimeout(8)
        t0 = time.monotonic()
        assert s.recv(1024) == b""  # closed by the server, no answer to half a request
        assert time.monotonic() - t0 < 6


def test_connection_cap_is_enforced_and_recovers(topo: Topology, tmp_path: Path) -> None:
    """Past ``connections`` the server stops accepting; idle ones time out and service resumes."""
    srv = NocServer(topo, tmp_path / "none.db", "127.0.0.1", 0, 30,
                    limits=ServerLimits(connections=20, timeout=2, cleanup=1))  # fmt: skip
    with _serving(srv) as url, ExitStack() as stack:
        _half_sent(srv.server_address[1], 20, stack)
        time.sleep(0.3)
        t0 = time.monotonic()
        assert _get(url + "/api/alerts", timeout=15) == 200
        waited = time.monotonic() - t0
        assert 0.5 < waited < 10  # held back by the cap until the idle ones were closed


def test_non_loopback_bind_needs_authentication(topo: Topology, tmp_path: Path) -> None:
    with pytest.raises(OperationError, match="needs authentication"):
        NocServer(topo, tmp_path / "none.db", "0.0.0.0", 0, 30)


@pytest.mark.parametrize("kind", ["token", "basic"])
def test_authentication_from_the_secret_store(topo: Topology, tmp_path: Path, kind: str) -> None:
    secrets = Secrets(env={"EGNET_SECRET_NOC_TOKEN": TOKEN, "EGNET_SECRET_NOC_USER": "noc",
                           "EGNET_SECRET_NOC_PASSWORD": TOKEN}, vault=tmp_path / "none.yaml")  # fmt: skip
    auth = load_auth(kind, secrets)
    srv = NocServer(topo, tmp_path / "none.db", "127.0.0.1", 0, 30, auth=auth)
    good = ("Bearer " + TOKEN if kind == "token"
            else "Basic " + base64.b64encode(f"noc:{TOKEN}".encode()).decode())  # fmt: skip
    with _serving(srv) as url:
        for path in ("/", "/api/map", "/metrics"):
            assert _get(url + path) == 401
            assert _get(url + path, {"Authorization": "Bearer wrong"}) == 401
            assert _get(url + path, {"Authorization": "Basic bm9jOndyb25n"}) == 401
            assert _get(url + path, {"Authorization": good}) == 200


def test_weak_or_missing_auth_secret_is_refused(tmp_path: Path) -> None:
    weak = Secrets(env={"EGNET_SECRET_NOC_TOKEN": "short"}, vault=tmp_path / "none.yaml")
    with pytest.raises(OperationError, match="too short"):
        load_auth("token", weak)
    with pytest.raises(OperationError, match="noc_token"):
        load_auth("token", Secrets(env={}, vault=tmp_path / "none.yaml"))
    assert not NocAuth().required and NocAuth().allows("")


def test_serve_cli_refuses_an_open_bind_without_auth(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGNET_")}
    cmd = [sys.executable, "-m", "egnet.cli", "serve", str(ROOT / "inventory" / "lab"),
           "--host", "0.0.0.0", "--port", "0", "--db", str(tmp_path / "p.db")]  # fmt: skip
    got = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, cwd=ROOT)
    assert got.returncode not in (0, 70) and "Traceback" not in got.stderr
    assert "--auth token" in got.stderr


def test_head_and_other_methods_and_bounded_history(topo: Topology, tmp_path: Path) -> None:
    import http.client

    srv = NocServer(topo, tmp_path / "none.db", "127.0.0.1", 0, 30)
    with _serving(srv):
        c = http.client.HTTPConnection("127.0.0.1", srv.server_address[1], timeout=5)
        c.request("HEAD", "/api/map")
        r = c.getresponse()
        assert r.status == 200 and int(r.getheader("Content-Length") or 0) > 0 and r.read() == b""
        c.request("POST", "/api/map", body=b"x")  # same connection: nothing left over from HEAD
        r = c.getresponse()
        assert r.status == 405 and b"method not allowed" in r.read()
        c.request("GET", "/api/history?circuit=beicheng-up1&hours=1e9")
        r = c.getresponse()
        assert r.status == 400 and b"hours must be" in r.read()
        c.close()
