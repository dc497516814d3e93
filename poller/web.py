"""The NOC page server (waitress): one self-contained page, a small JSON API, /metrics.

Bounded (issue 9 §7): requests are read in waitress's asynchronous loop and only complete ones
reach a small worker pool, so idle or half-sent connections hold no thread; connections are
capped and idle ones closed after a timeout. It binds to 127.0.0.1 by default; any other bind
address needs authentication (a bearer token or basic auth from the secret store).

Routes:

- ``GET /`` the page (inline JS/CSS/SVG, no CDN);
- ``GET /api/map`` sites, circuits with their latest sample, device reachability, policy;
- ``GET /api/history?circuit=ID&hours=H`` a circuit's load history (raw samples up to a day,
  5-minute roll-ups beyond), each point with the capacity it was measured against and its
  utilisation of it;
- ``GET /api/alerts`` open alerts first, then recently cleared;
- ``GET /api/alertmanager`` Alertmanager's state (``serve --alertmanager URL``): counts of active,
  suppressed (inhibited or silenced) alerts, active silences, the alerts;
- ``GET /metrics`` Prometheus exposition.

Every request opens its own read connection, so the poller can write while the page reads (WAL).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import CONTENT_TYPE_LATEST
from waitress.server import create_server  # type: ignore[import-untyped]

from poller.alertmanager import am_state
from poller.metrics import exposition
from poller.page import PAGE
from poller.samples import direction_utilisation, peak_utilisation
from poller.store import Store, read_alerts
from poller.targets import circuit_specs
from topology.diagnostics import OperationError
from topology.geo import site_places
from topology.model import Topology
from topology.secrets import SecretSource

logger = logging.getLogger(__name__)


def site_rows(topo: Topology) -> list[dict[str, Any]]:
    """The map's sites: name, label, tier, parent and, where known, the site's point."""
    places = site_places(topo)
    sites: list[dict[str, Any]] = []
    for site in topo.sites.values():
        row: dict[str, Any] = {
            "name": site.name,
            "label": site.label,
            "tier": site.tier.value,
            "parent": site.parent,
        }
        if (pl := places.get(site.name)) is not None:
            row.update(lon=pl.lon, lat=pl.lat, exact=pl.exact)
        sites.append(row)
    return sites


def map_data(
    topo: Topology, db: Path, refresh: float, sites: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Return what the map needs: sites, circuits with their latest sample, devices, policy.

    ``sites`` (from :func:`site_rows`) lets a server compute the static part once.
    """
    latest: dict[str, dict[str, Any]] = {}
    devices: dict[str, dict[str, Any]] = {}
    if db.is_file():
        with closing(Store(db)) as store:
            latest, devices = store.latest(), store.devices()
    if sites is None:
        sites = site_rows(topo)
    circuits = []
    for spec in circuit_specs(topo):
        c = topo.circuits[spec.id]
        s = latest.get(spec.id, {})
        # against the capacity the sample was measured on (one definition: poller.samples)
        util = peak_utilisation(
            s.get("ab_bps"), s.get("ba_bps"), s.get("capacity_bps", c.capacity_bps)
        )
        circuits.append({
            "id": c.id, "role": c.role.value, "type": c.type, "carrier": c.carrier,
            "a": c.a.device, "b": c.b.device,
            "a_site": topo.devices[c.a.device].site, "b_site": topo.devices[c.b.device].site,
            "capacity_bps": c.capacity_bps, "state": s.get("state", "unknown"),
            "ab_bps": s.get("ab_bps"), "ba_bps": s.get("ba_bps"),
            "util": util, "ts": s.get("ts"),
        })  # fmt: skip
    return {
        "network": topo.label,
        "refresh": refresh,
        "now": time.time(),
        "policy": {"warn": topo.policy.warn_utilisation, "fail": topo.policy.fail_utilisation},
        "sites": sites,
        "circuits": circuits,
        "devices": devices,
    }


def history_data(topo: Topology, db: Path, circuit: str, hours: float) -> dict[str, Any]:
    """Return a circuit's history: raw points within a day, 5-minute averages beyond."""
    c = topo.circuits.get(circuit)
    if c is None:
        raise KeyError(circuit)
    points: list[tuple[float, ...]] = []
    if db.is_file():
        with closing(Store(db)) as store:
            points = store.history(circuit, time.time() - hours * 3600, raw=hours <= 24)
    out = []
    for ts, ab, ba, cap in points:
        cap_bps = int(cap) or c.capacity_bps  # roll-ups older than the capacity column: today's
        out.append([ts, ab, ba, cap_bps, direction_utilisation(ab, cap_bps),
                    direction_utilisation(ba, cap_bps)])  # fmt: skip
    return {
        "circuit": circuit,
        "capacity_bps": c.capacity_bps,
        "a": c.a.device,
        "b": c.b.device,
        # [ts, a→b bps, b→a bps, capacity the point was measured on, util a→b, util b→a]
        "points": out,
    }


def alerts_data(db: Path) -> dict[str, Any]:
    """Return the alert list."""
    if not db.is_file():
        return {"alerts": []}
    with closing(Store(db)) as store:
        return {"alerts": read_alerts(store.con)}


#: secret names for ``egnet serve --auth`` (topology.secrets: env ``EGNET_SECRET_<NAME>`` or vault)
SECRET_TOKEN = "noc_token"
SECRET_USER = "noc_user"
SECRET_PASSWORD = "noc_password"

_Headers = list[tuple[str, str]]
_StartResponse = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class NocAuth:
    """Who may read the NOC server: anyone (loopback only), a bearer token, or basic auth."""

    token: str | None = None
    user: str | None = None
    password: str | None = None

    @property
    def required(self) -> bool:
        """True when requests must authenticate."""
        return self.token is not None or self.password is not None

    def allows(self, header: str) -> bool:
        """Check an ``Authorization`` header (constant-time comparison).

        Examples:
            >>> NocAuth(token="t0k").allows("Bearer t0k"), NocAuth(token="t0k").allows("Bearer x")
            (True, False)
            >>> NocAuth(user="noc", password="pw").allows("Basic bm9jOnB3")
            True
        """
        if not self.required:
            return True
        scheme, _, value = header.strip().partition(" ")
        if self.token is not None and scheme.lower() == "bearer":
            return hmac.compare_digest(value.strip().encode(), self.token.encode())
        if self.password is not None and scheme.lower() == "basic":
            try:
                got = base64.b64decode(value.strip(), validate=True)
            except (binascii.Error, ValueError):
                return False
            want = f"{self.user or ''}:{self.password}".encode()
            return hmac.compare_digest(got, want)
        return False


def load_auth(kind: str, secrets: SecretSource) -> NocAuth:
    """Return the server's authentication: ``none``, ``token`` (secret ``noc_token``) or
    ``basic`` (secrets ``noc_user`` and ``noc_password``)."""
    if kind == "token":
        return NocAuth(token=_strong(secrets.get(SECRET_TOKEN), SECRET_TOKEN))
    if kind == "basic":
        password = _strong(secrets.get(SECRET_PASSWORD), SECRET_PASSWORD)
        return NocAuth(user=secrets.get(SECRET_USER), password=password)
    return NocAuth()


def _strong(value: str, name: str) -> str:
    if len(value) < 16:
        raise OperationError(f"secret '{name}' is too short for the NOC server ({len(value)} "
                             "characters; 16 or more)")  # fmt: skip
    return value


def is_loopback(host: str) -> bool:
    """True for a loopback bind address (the only ones served without authentication).

    Examples:
        >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0"), is_loopback("localhost")
        (True, True, False, True)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NocApp:
    """The WSGI application: routes, JSON, the page, /metrics, authentication."""

    def __init__(
        self,
        topo: Topology,
        db: str | Path,
        refresh: float,
        auth: NocAuth | None = None,
        alertmanager: str | None = None,
    ):
        self.topo, self.db, self.refresh = topo, Path(db), refresh
        self.sites = site_rows(topo)  # static for the server's life: computed once
        self.auth = auth or NocAuth()
        self.alertmanager = alertmanager

    def __call__(self, environ: dict[str, Any], start_response: _StartResponse) -> list[bytes]:
        """Serve one request (GET/HEAD only)."""
        try:
            status, headers, body = self._route(environ)
        except Exception:  # a bug answers 500 and is logged; the server goes on
            logger.exception("NOC request %s failed", environ.get("PATH_INFO"))
            status, headers, body = _json(
                {"error": "internal error"}, HTTPStatus.INTERNAL_SERVER_ERROR
            )
        start_response(f"{status.value} {status.phrase}", headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]  # waitress would send it

    def _route(self, environ: dict[str, Any]) -> tuple[HTTPStatus, _Headers, bytes]:
        if not self.auth.allows(environ.get("HTTP_AUTHORIZATION", "")):
            status, headers, body = _json(
                {"error": "authentication required"}, HTTPStatus.UNAUTHORIZED
            )
            scheme = "Bearer" if self.auth.token is not None else 'Basic realm="egnet NOC"'
            return status, [*headers, ("WWW-Authenticate", scheme)], body
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _json({"error": "method not allowed"}, HTTPStatus.METHOD_NOT_ALLOWED)
        path = environ.get("PATH_INFO", "/")
        q = parse_qs(environ.get("QUERY_STRING", ""))
        if path == "/":
            return _send(PAGE.encode(), "text/html; charset=utf-8")
        if path == "/api/map":
            return _json(map_data(self.topo, self.db, self.refresh, self.sites))
        if path == "/api/alerts":
            return _json(alerts_data(self.db))
        if path == "/api/history":
            try:
                hours = float(q.get("hours", ["6"])[0])
                if not 0 < hours <= 24 * 400:
                    raise ValueError(f"hours must be in (0, 9600], got {hours:g}")
                return _json(history_data(self.topo, self.db, q.get("circuit", [""])[0], hours))
            except (KeyError, ValueError) as exc:
                return _json({"error": f"bad request: {exc}"}, HTTPStatus.BAD_REQUEST)
        if path == "/api/alertmanager":
            if self.alertmanager is None:
                return _json({"url": None})
            return _json(am_state(self.alertmanager))
        if path == "/metrics":
            return _send(exposition(self.db, self.topo), CONTENT_TYPE_LATEST)
        return _json({"error": "not found"}, HTTPStatus.NOT_FOUND)


def _send(
    body: bytes, ctype: str, status: HTTPStatus = HTTPStatus.OK
) -> tuple[HTTPStatus, _Headers, bytes]:
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body))),
               ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]  # fmt: skip
    return status, headers, body


def _json(data: Any, status: HTTPStatus = HTTPStatus.OK) -> tuple[HTTPStatus, _Headers, bytes]:
    return _send(
        json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8", status
    )


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Connection bounds of the NOC server (waitress).

    Reading and parsing requests happens in one asynchronous loop; only complete requests reach
    the ``threads`` workers, so idle or half-sent connections hold no thread. At most
    ``connections`` are open at once; one idle for ``timeout`` seconds is closed (checked every
    ``cleanup`` seconds), and one whose request is not complete ``request_timeout`` seconds after
    its first byte is closed too.
    """

    threads: int = 8
    connections: int = 500
    timeout: int = 30
    cleanup: int = 5
    #: seconds from a request's first byte to its last: a client that drips a byte now and then
    #: is never idle, so only this closes it (slowloris)
    request_timeout: float = 10.0
    #: request headers / body at most (the NOC page only serves GET and HEAD)
    max_header: int = 32 * 1024
    max_body: int = 64 * 1024


class NocServer:
    """The NOC HTTP server (waitress) with the model and the database attached."""

    def __init__(
        self,
        topo: Topology,
        db: str | Path,
        host: str,
        port: int,
        refresh: float,
        auth: NocAuth | None = None,
        limits: ServerLimits | None = None,
        alertmanager: str | None = None,
    ) -> None:
        auth = auth or NocAuth()
        if not is_loopback(host) and not auth.required:
            raise OperationError(f"serving on {host} needs authentication (--auth token or basic); "
                                 "without it the NOC server binds to loopback only")  # fmt: skip
        lim = limits or ServerLimits()
        self.app = NocApp(topo, db, refresh, auth, alertmanager)
        self.limits = lim
        self._serving, self._stopping, self._stopped = (threading.Event() for _ in range(3))
        self._server = create_server(
            self.app, host=host, port=port, threads=lim.threads, connection_limit=lim.connections,
            channel_timeout=lim.timeout, cleanup_interval=lim.cleanup, asyncore_use_poll=True,
            max_request_header_size=lim.max_header, max_request_body_size=lim.max_body,
            ident="egnet-noc", clear_untrusted_proxy_headers=True, expose_tracebacks=False,
        )  # fmt: skip

    @property
    def server_address(self) -> tuple[str, int]:
        """The bound (host, port)."""
        return str(self._server.effective_host), int(self._server.effective_port)

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown` (the loop runs waitress's dispatcher in this thread)."""
        srv = self._server
        self._serving.set()
        next_reap = 0.0
        try:
            while not self._stopping.is_set():
                srv.asyncore.loop(timeout=0.5, map=srv._map, use_poll=True, count=1)
                now = time.monotonic()
                if now >= next_reap:
                    self._reap_slow_requests(now)
                    next_reap = now + 0.5
        finally:
            for channel in list(srv._map.values()):
                if channel is not srv:
                    channel.close()
            srv.task_dispatcher.shutdown()
            self._stopped.set()

    def _reap_slow_requests(self, now: float) -> None:
        """Close each connection whose request has been arriving for ``request_timeout`` s."""
        srv = self._server
        for channel in list(srv._map.values()):
            if channel is srv or not hasattr(channel, "requests"):
                continue
            if getattr(channel, "request", None) is None or channel.requests:
                channel.__dict__.pop("egnet_started", None)  # nothing half-received
                continue
            started = channel.__dict__.setdefault("egnet_started", now)
            if now - started > self.limits.request_timeout:
                logger.info("closing a connection whose request took over %g s",
                            self.limits.request_timeout)  # fmt: skip
                channel.handle_close()

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` (from another thread) and wait for it."""
        self._stopping.set()
        if self._serving.is_set():
            self._stopped.wait(10)

    def server_close(self) -> None:
        """Release the listening socket (idempotent)."""
        self._server.close()

    def __enter__(self) -> NocServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


def serve(
    topo: Topology,
    db: str | Path,
    host: str,
    port: int,
    refresh: float = 30.0,
    auth: NocAuth | None = None,
    limits: ServerLimits | None = None,
    alertmanager: str | None = None,
) -> None:
    """Serve until interrupted."""
    with NocServer(topo, db, host, port, refresh, auth, limits, alertmanager) as httpd:
        logger.warning("NOC page on http://%s:%d/ (db %s, auth %s)", *httpd.server_address, db,
                       "on" if httpd.app.auth.required else "off")  # fmt: skip
        httpd.serve_forever()
