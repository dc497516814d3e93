"""The NOC page server (stdlib ``http.server``): one self-contained page, a small JSON API, /metrics.

Routes:

- ``GET /`` the page (inline JS/CSS/SVG, no CDN);
- ``GET /api/map`` sites, circuits with their latest sample, device reachability, policy;
- ``GET /api/history?circuit=ID&hours=H`` a circuit's load history (raw samples up to a day,
  5-minute roll-ups beyond), each point with the capacity it was measured against and its
  utilisation of it;
- ``GET /api/alerts`` open alerts first, then recently cleared;
- ``GET /metrics`` Prometheus exposition.

Every request opens its own read connection, so the poller can write while the page reads (WAL).
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import closing
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CONTENT_TYPE_LATEST

from poller.metrics import exposition
from poller.page import PAGE
from poller.samples import direction_utilisation, peak_utilisation
from poller.store import Store, read_alerts
from poller.targets import circuit_specs
from topology.model import Topology

logger = logging.getLogger(__name__)


def map_data(topo: Topology, db: Path, refresh: float) -> dict[str, Any]:
    """Return what the map needs: sites, circuits with their latest sample, devices, policy."""
    latest: dict[str, dict[str, Any]] = {}
    devices: dict[str, dict[str, Any]] = {}
    if db.is_file():
        with closing(Store(db)) as store:
            latest, devices = store.latest(), store.devices()
    sites = [
        {"name": s.name, "label": s.label, "tier": s.tier.value, "parent": s.parent}
        for s in topo.sites.values()
    ]
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


class NocHandler(BaseHTTPRequestHandler):
    """Routes requests; the server carries ``topo``, ``db`` and ``refresh``."""

    server: NocServer

    def log_message(self, format: str, *args: Any) -> None:
        """Send access logs to logging instead of stderr."""
        logger.debug("%s " + format, self.address_string(), *args)

    def _send(self, body: bytes, ctype: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        self._send(body, "application/json; charset=utf-8", status)

    def do_GET(self) -> None:
        """Serve one GET."""
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        srv = self.server
        if url.path == "/":
            self._send(PAGE.encode(), "text/html; charset=utf-8")
        elif url.path == "/api/map":
            self._json(map_data(srv.topo, srv.db, srv.refresh))
        elif url.path == "/api/alerts":
            self._json(alerts_data(srv.db))
        elif url.path == "/api/history":
            try:
                hours = float(q.get("hours", ["6"])[0])
                self._json(history_data(srv.topo, srv.db, q.get("circuit", [""])[0], hours))
            except (KeyError, ValueError) as exc:
                self._json({"error": f"bad request: {exc}"}, HTTPStatus.BAD_REQUEST)
        elif url.path == "/metrics":
            self._send(exposition(srv.db), CONTENT_TYPE_LATEST)
        else:
            self._json({"error": "not found"}, HTTPStatus.NOT_FOUND)


class NocServer(ThreadingHTTPServer):
    """The HTTP server with the model and the database path attached."""

    daemon_threads = True

    def __init__(
        self, topo: Topology, db: str | Path, host: str, port: int, refresh: float
    ) -> None:
        self.topo = topo
        self.db = Path(db)
        self.refresh = refresh
        super().__init__((host, port), NocHandler)


def serve(topo: Topology, db: str | Path, host: str, port: int, refresh: float = 30.0) -> None:
    """Serve until interrupted."""
    with NocServer(topo, db, host, port, refresh) as httpd:
        logger.warning("NOC page on http://%s:%d/ (db %s)", host, httpd.server_address[1], db)
        httpd.serve_forever()
