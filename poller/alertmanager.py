"""Prometheus Alertmanager integration: egnet's alerts go to Alertmanager (its v2 API), which groups,
inhibits, silences and routes them; egnet does not re-implement an alert manager.

- :func:`alert_labels` labels each alert subject from the model: a circuit's site (its a-end, as on
  the map), city, tier, carrier, type and ``far_device`` (the end deeper in the hierarchy, whose
  reachability the circuit explains); a device's site, city, tier, role and ``far_device`` (itself).
- :func:`inhibit_rules` generates the inhibit rules from the topology: a core device of a site
  unreachable masks every alert of the sites below it (a county core down masks its townships), and
  a circuit down masks the unreachability of its far end.
- :class:`AlertmanagerSink` posts raised alerts (again every cycle, so Alertmanager keeps them
  firing) and resolved ones (``endsAt``).
- :func:`silence` creates a silence (a maintenance window) for a site and everything below it, or
  for circuits; :func:`am_state` summarises Alertmanager's view for the NOC page.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from poller.alerts import Alert
from poller.targets import circuit_specs, site_city
from topology.model import Topology

logger = logging.getLogger(__name__)

#: egnet alert kind → Alertmanager alertname
ALERTNAMES = {
    "down": "EgnetCircuitDown",
    "util-warn": "EgnetCircuitUtilisationWarning",
    "util-fail": "EgnetCircuitUtilisationCritical",
    "errors": "EgnetCircuitErrors",
    "discards": "EgnetCircuitDiscards",
    "unreachable": "EgnetDeviceUnreachable",
}
_DEPTH = {"province": 0, "city": 1, "county": 2, "township": 3, "cloud": 1}


def _iso(t: float) -> str:
    """RFC 3339 time for the Alertmanager API.

    Examples:
        >>> _iso(0)
        '1970-01-01T00:00:00.000Z'
    """
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def alert_labels(topo: Topology) -> dict[str, dict[str, str]]:
    """Return the labels of every alert subject (circuit id or device name) from the model."""
    out: dict[str, dict[str, str]] = {}
    for spec in circuit_specs(topo):
        c = topo.circuits[spec.id]
        ends = [topo.devices[c.a.device], topo.devices[c.b.device]]
        far = max(ends, key=lambda d: _DEPTH.get(topo.sites[d.site].tier.value, 0))
        site = topo.sites[spec.site]
        out[c.id] = {"circuit": c.id, "site": site.name, "city": site_city(topo, site.name),
                     "tier": site.tier.value, "carrier": c.carrier, "type": c.type,
                     "far_device": far.hostname}  # fmt: skip
    for d in topo.devices.values():
        site = topo.sites[d.site]
        out[d.hostname] = {"device": d.hostname, "site": site.name, "city": site_city(topo, site.name),
                           "tier": site.tier.value, "role": d.role.value, "far_device": d.hostname}  # fmt: skip
    return out


def descendants(topo: Topology, site: str) -> list[str]:
    """Return every site below ``site`` (children, their children ...), sorted."""
    out: list[str] = []
    todo = list(topo.sites[site].children)
    while todo:
        s = todo.pop()
        if s in topo.sites and s not in out:
            out.append(s)
            todo.extend(topo.sites[s].children)
    return sorted(out)


def _alternation(names: Sequence[str]) -> str:
    r"""An RE2 alternation of literal names (Alertmanager anchors the regex).

    Examples:
        >>> print(_alternation(["a-b", "c.d"]))
        a-b|c\.d
    """
    return "|".join(re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", n) for n in names)


def inhibit_rules(topo: Topology) -> list[dict[str, Any]]:
    """Return Alertmanager inhibit rules generated from the topology."""
    rules: list[dict[str, Any]] = []
    for site in sorted(topo.sites):
        below = descendants(topo, site)
        cores = [d for d in topo.sites[site].devices if topo.devices[d].role.value == "core"]
        if below and cores:
            rules.append({
                "source_matchers": ['alertname="EgnetDeviceUnreachable"', f'site="{site}"', 'role="core"'],
                "target_matchers": [f'site=~"{_alternation(below)}"'],
            })  # fmt: skip
    rules.append({
        "source_matchers": ['alertname="EgnetCircuitDown"'],
        "target_matchers": ['alertname="EgnetDeviceUnreachable"'],
        "equal": ["far_device"],
    })  # fmt: skip
    return rules


def alertmanager_config(topo: Topology, webhook: str | None = None) -> dict[str, Any]:
    """Return an alertmanager.yml: group by alert and site, the generated inhibit rules, and one
    receiver (a webhook when given; without, Alertmanager only keeps and shows the alerts)."""
    receiver: dict[str, Any] = {"name": "egnet"}
    if webhook:
        receiver["webhook_configs"] = [{"url": webhook, "send_resolved": True}]
    return {
        "route": {"receiver": "egnet", "group_by": ["alertname", "site"], "group_wait": "30s",
                  "group_interval": "5m", "repeat_interval": "4h"},
        "receivers": [receiver],
        "inhibit_rules": inhibit_rules(topo),
    }  # fmt: skip


def am_alert(alert: Alert, labels: Mapping[str, str], resolved: bool = False) -> dict[str, Any]:
    """Return one alert in Alertmanager's v2 API form (postableAlert)."""
    body: dict[str, Any] = {
        "labels": {"alertname": ALERTNAMES.get(alert.kind, "Egnet" + alert.kind.title()),
                   "severity": alert.severity, "egnet_key": alert.key, **labels},
        "annotations": {"summary": alert.message},
        "startsAt": _iso(alert.at),
    }  # fmt: skip
    if resolved:
        body["endsAt"] = _iso(alert.at)
    return body


def check_url(url: str) -> str:
    """Return an Alertmanager base URL without a trailing slash; only http(s) with a host.

    Examples:
        >>> check_url("http://127.0.0.1:9093/")
        'http://127.0.0.1:9093'
        >>> check_url("file:///etc/passwd")
        Traceback (most recent call last):
        ...
        ValueError: Alertmanager URL must be http(s)://HOST[:PORT]: 'file:///etc/passwd'
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise ValueError(f"Alertmanager URL must be http(s)://HOST[:PORT]: {url[:100]!r}")
    return url.rstrip("/")


def _request(url: str, data: Any = None, method: str = "GET", timeout: float = 5.0) -> Any:
    body = None if data is None else json.dumps(data).encode()
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


class AlertmanagerSink:
    """Sends egnet's alerts to Alertmanager's ``/api/v2/alerts``.

    Open alerts are posted again with every delivery (each cycle), as Prometheus does, so that
    Alertmanager keeps them firing (it resolves an alert not re-sent within ``resolve_timeout``);
    a cleared alert is posted once with ``endsAt``.
    """

    def __init__(
        self, url: str, labels: Mapping[str, Mapping[str, str]], timeout: float = 5.0
    ) -> None:
        self.url = check_url(url)
        self.labels = labels
        self.timeout = timeout
        self.open: dict[str, Alert] = {}

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """Post open and just-resolved alerts; log (do not raise) on failure."""
        resolved = []
        for a in alerts:
            if a.action == "raise":
                self.open[a.key] = a
            else:
                first = self.open.pop(a.key, None)
                start = first.at if first is not None else a.at
                body = am_alert(a, self.labels.get(a.subject, {}), resolved=True)
                body["startsAt"] = _iso(start)
                resolved.append(body)
        posted = [
            am_alert(a, self.labels.get(a.subject, {})) for a in self.open.values()
        ] + resolved
        if not posted:
            return
        try:
            _request(self.url + "/api/v2/alerts", posted, "POST", self.timeout)
        except (OSError, ValueError) as exc:
            logger.warning("alertmanager %s: %s", self.url, exc)


def silence(
    url: str,
    topo: Topology,
    start: float,
    end: float,
    comment: str,
    created_by: str = "egnet",
    site: str | None = None,
    circuits: Sequence[str] = (),
) -> str:
    """Create a silence (maintenance window) for a site and every site below it, or for circuits;
    return its id."""
    if end <= start:
        raise ValueError("a maintenance window must end after it starts")
    if (site is None) == (not circuits):
        raise ValueError("silence either one site (and below) or some circuits")
    if site is not None:
        if site not in topo.sites:
            raise ValueError(f"unknown site '{site}'")
        value, name = _alternation([site, *descendants(topo, site)]), "site"
    else:
        unknown = [c for c in circuits if c not in topo.circuits]
        if unknown:
            raise ValueError(f"unknown circuit(s): {', '.join(unknown[:5])}")
        value, name = _alternation(sorted(circuits)), "circuit"
    body = {
        "matchers": [{"name": name, "value": value, "isRegex": True, "isEqual": True}],
        "startsAt": _iso(start), "endsAt": _iso(end), "createdBy": created_by, "comment": comment,
    }  # fmt: skip
    got = _request(check_url(url) + "/api/v2/silences", body, "POST")
    return str(got["silenceID"])


def am_state(url: str, timeout: float = 3.0) -> dict[str, Any]:
    """Return Alertmanager's view for the NOC page: counts by state and the alerts (or the error)."""
    try:
        base = check_url(url)
        alerts = _request(base + "/api/v2/alerts", timeout=timeout)
        silences = _request(base + "/api/v2/silences", timeout=timeout)
    except (OSError, ValueError) as exc:
        return {"url": url, "error": str(exc)}
    counts = {"active": 0, "suppressed": 0, "unprocessed": 0}
    out = []
    for a in alerts:
        st = a.get("status", {})
        state = str(st.get("state", "unprocessed"))
        counts[state] = counts.get(state, 0) + 1
        labels = a.get("labels", {})
        out.append({"alertname": labels.get("alertname"), "subject": labels.get("circuit") or labels.get("device"),
                    "site": labels.get("site"), "severity": labels.get("severity"), "state": state,
                    "inhibited_by": len(st.get("inhibitedBy") or []),
                    "silenced_by": len(st.get("silencedBy") or []),
                    "summary": a.get("annotations", {}).get("summary", "")})  # fmt: skip
    active_silences = sum(1 for s in silences if s.get("status", {}).get("state") == "active")
    return {
        "url": url,
        "at": time.time(),
        "counts": counts,
        "silences": active_silences,
        "alerts": out,
    }
