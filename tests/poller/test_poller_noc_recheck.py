"""Issue 9 §7 re-checked with attacks the other tests do not make: slowloris while token auth is
on, a client that drips one byte at a time (never idle, so the idle timeout alone never closes
it) filling the connection cap, oversized headers and bodies, and near-miss tokens."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from test_poller_noc_server import TOKEN, _get, _half_sent, _serving

from poller.web import NocServer, ServerLimits, load_auth
from topology import Topology, load_topology
from topology.secrets import Secrets

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def topo() -> Topology:
    return load_topology(ROOT / "inventory" / "lab")


def _token_server(topo: Topology, tmp_path: Path, limits: ServerLimits) -> NocServer:
    auth = load_auth("token", Secrets(env={"EGNET_SECRET_NOC_TOKEN": TOKEN},
                                      vault=tmp_path / "none.yaml"))  # fmt: skip
    return NocServer(topo, tmp_path / "none.db", "127.0.0.1", 0, 30, auth=auth, limits=limits)


def test_slowloris_with_token_auth_on(topo: Topology, tmp_path: Path) -> None:
    srv = _token_server(topo, tmp_path, ServerLimits(threads=4))
    before = threading.active_count()
    with _serving(srv) as url, ExitStack() as stack:
        _half_sent(srv.server_address[1], 300, stack)
        time.sleep(0.3)
        t0 = time.monotonic()
        assert _get(url + "/api/map", {"Authorization": f"Bearer {TOKEN}"}) == 200
        assert time.monotonic() - t0 < 3.0
        assert _get(url + "/api/map") == 401
        assert threading.active_count() <= before + 1 + 4


class _Drip:
    """Clients that each send one byte of a never-ending header every ``every`` seconds."""

    def __init__(self, port: int, n: int, every: float) -> None:
        self.socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]
        self.every, self.stop = every, threading.Event()
        self.closed = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for s in self.socks:
            s.sendall(b"GET /api/map HTTP/1.1\r\nHost: x\r\nX-Drip: ")
        while not self.stop.wait(self.every):
            for s in list(self.socks):
                try:
                    s.sendall(b"a")
                except OSError:
                    self.socks.remove(s)
                    self.closed += 1

    def __enter__(self) -> _Drip:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)
        for s in self.socks:
            s.close()


def test_dripping_clients_at_the_cap_are_closed_and_service_resumes(
    topo: Topology, tmp_path: Path
) -> None:
    limits = ServerLimits(connections=10, timeout=30, cleanup=1, request_timeout=2.0)
    srv = _token_server(topo, tmp_path, limits)
    with _serving(srv) as url, _Drip(srv.server_address[1], 10, 0.2):
        time.sleep(0.3)
        t0 = time.monotonic()
        got = _get(url + "/api/alerts", {"Authorization": f"Bearer {TOKEN}"}, timeout=20)
        waited = time.monotonic() - t0
    assert got == 200
    assert waited < 8  # the idle timeout (30 s) never fires on a dripping client


def _raw(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:  # refused before the client finished sending
                return out or b"RESET"
            if not chunk:
                break
            out += chunk
    return out


def test_oversized_header_and_body_are_refused_at_once(topo: Topology, tmp_path: Path) -> None:
    srv = NocServer(topo, tmp_path / "none.db", "127.0.0.1", 0, 30)
    with _serving(srv):
        port = srv.server_address[1]
        big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
        t0 = time.monotonic()
        head = _raw(port, big)
        assert head == b"RESET" or head.split(b" ")[1] in (b"431", b"400"), head[:80]
        body = b"POST /api/map HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n"
        head = _raw(port, body)
        assert head.split(b" ")[1] == b"413", head[:80]
        assert time.monotonic() - t0 < 4


@pytest.mark.parametrize(
    "header",
    [f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Token {TOKEN}",
     f"Bearer {TOKEN.upper()}", "Bearer ", f"Basic {TOKEN}", f"Bearer {TOKEN}\u00e9"],
)  # fmt: skip
def test_near_miss_tokens_are_refused(topo: Topology, tmp_path: Path, header: str) -> None:
    srv = _token_server(topo, tmp_path, ServerLimits())
    with _serving(srv) as url:
        port = srv.server_address[1]
        req = f"GET /api/map HTTP/1.1\r\nHost: x\r\nAuthorization: {header}\r\nConnection: close\r\n\r\n"
        head = _raw(port, req.encode("latin-1", "replace"))
        assert head.split(b" ")[1] in (b"401", b"400"), (header, head[:80])
        assert _get(url + f"/api/map?token={TOKEN}") == 401
