"""Alerts: hysteresis, sustained windows, delivery to a real webhook and a real UDP syslog socket."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from poller.alerts import AlertEngine, AlertPolicy, AlertSink, SyslogSink, WebhookSink, deliver
from poller.cycle import CycleResult, DeviceStatus
from poller.samples import CircuitSample, State


def _cycle(t: float, util: float | None = None, state: State = State.UP, errors: float = 0.0,
           reachable: bool = True) -> CycleResult:  # fmt: skip
    cap = 20_000_000
    bps = None if util is None else util * cap
    s = CircuitSample(
        circuit="t-up1", at=t, state=state, capacity_bps=cap, ab_bps=bps, ba_bps=bps,
        util_ab=util, util_ba=util, errors_ps=None if util is None else errors, discards_ps=0.0,
    )  # fmt: skip
    d = DeviceStatus(device="ar1", reachable=reachable, interfaces=2, seconds=0.01,
                     error=None if reachable else "timeout")  # fmt: skip
    return CycleResult(at=t, seconds=0.1, devices=(d,), circuits=(s,))


POLICY = AlertPolicy(warn=0.7, fail=0.8, hysteresis=0.05, window=120, clear_window=60)


def _run(engine: AlertEngine, series: list[CycleResult]) -> list[tuple[float, str, str]]:
    out: list[tuple[float, str, str]] = []
    for c in series:
        out += [(a.at, a.action, a.key) for a in engine.evaluate(c)]
    return out


def test_utilisation_must_be_sustained_and_clears_with_hysteresis() -> None:
    eng = AlertEngine(POLICY)
    utils = [0.75, 0.75, 0.6, 0.75, 0.75, 0.75, 0.68, 0.67, 0.68, 0.6, 0.6, 0.6]
    events = _run(eng, [_cycle(60.0 * i, u) for i, u in enumerate(utils)])
    # the dip at t=120 restarts the window: raise at t=300 (held 180..300 ≥ 120 s)
    # 0.67-0.68 is inside the hysteresis band (0.65..0.70): no clear; below 0.65 for 60 s: clear
    assert events == [(300.0, "raise", "util-warn:t-up1"), (600.0, "clear", "util-warn:t-up1")]


def test_flapping_around_threshold_does_not_flap_alerts() -> None:
    eng = AlertEngine(AlertPolicy(window=0, clear_window=0, hysteresis=0.05))
    utils = [0.71, 0.69, 0.71, 0.69, 0.71, 0.69]
    events = _run(eng, [_cycle(60.0 * i, u) for i, u in enumerate(utils)])
    assert events == [(0.0, "raise", "util-warn:t-up1")]


def test_down_errors_and_unreachable() -> None:
    eng = AlertEngine(AlertPolicy(window=0, clear_window=0, unreachable_after=2))
    series = [
        _cycle(0, 0.1, State.DOWN),
        _cycle(60, 0.1, State.UP, errors=5.0),
        _cycle(120, None, State.UNKNOWN, reachable=False),
        _cycle(180, None, State.UNKNOWN, reachable=False),
        _cycle(240, 0.1, State.UP, errors=0.0),
    ]
    events = _run(eng, series)
    assert (0, "raise", "down:t-up1") in events
    assert (60, "clear", "down:t-up1") in events
    assert (60, "raise", "errors:t-up1") in events
    assert (180, "raise", "unreachable:ar1") in events  # not at 120: needs two failures
    assert (240, "clear", "unreachable:ar1") in events
    assert (240, "clear", "errors:t-up1") in events
    assert eng.active == {}


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[Any]]]:
    got: list[Any] = []

    class H(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            n = int(self.headers["Content-Length"])
            got.append((self.headers["Content-Type"], json.loads(self.rfile.read(n))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    srv = HTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/hook", got
    srv.shutdown()
    srv.server_close()
    t.join(5)


def test_delivery_to_webhook_and_syslog(webhook: tuple[str, list[Any]]) -> None:
    url, got = webhook
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    try:
        eng = AlertEngine(AlertPolicy(window=0))
        alerts = eng.evaluate(_cycle(0, 0.9))
        assert {a.key for a in alerts} == {"util-warn:t-up1", "util-fail:t-up1"}
        sinks: list[AlertSink] = [WebhookSink(url), SyslogSink("127.0.0.1", sock.getsockname()[1])]
        deliver(sinks, alerts)
        ctype, body = got[0]
        assert ctype == "application/json"
        assert {a["key"] for a in body["alerts"]} == {"util-warn:t-up1", "util-fail:t-up1"}
        msgs = {sock.recv(2048).decode() for _ in alerts}
        assert any(m.startswith("<130>1 ") and "util-fail:t-up1" in m for m in msgs)
        assert any(m.startswith("<132>1 ") and "util-warn:t-up1" in m for m in msgs)
    finally:
        sock.close()


def test_webhook_failure_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connection refused
        eng = AlertEngine(AlertPolicy(window=0))
        WebhookSink(f"http://127.0.0.1:{port}/", timeout=2).deliver(eng.evaluate(_cycle(0, 0.9)))
    assert "webhook" in caplog.text
