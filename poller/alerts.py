"""Alerts: circuit down, utilisation over warn/fail sustained over a window, error/discard rate,
device unreachable — with hysteresis so they do not flap — delivered to the log, a webhook (HTTP
POST of JSON) and syslog (UDP, RFC 5424).

The evaluation is pure state-machine code (:func:`step`); delivery is at the edge (the sinks).
"""

from __future__ import annotations

import json
import logging
import socket
import time
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from poller.cycle import CycleResult
from poller.samples import CircuitSample, State

logger = logging.getLogger(__name__)

Action = Literal["raise", "clear"]


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """Thresholds (utilisation ones default to the inventory's ``policy``).

    Attributes:
        warn: utilisation fraction that raises a warning.
        fail: utilisation fraction that raises a critical alert ("must expand").
        hysteresis: an utilisation alert clears only below threshold minus this.
        window: seconds a condition must hold before it raises (utilisation, errors).
        clear_window: seconds the clear condition must hold before the alert clears.
        errors_ps: error rate (errors/s, both directions, both ends) that raises.
        discards_ps: discard rate that raises.
        unreachable_after: consecutive failed polls before a device is declared unreachable.
    """

    warn: float = 0.7
    fail: float = 0.8
    hysteresis: float = 0.05
    window: float = 300.0
    clear_window: float = 120.0
    errors_ps: float = 1.0
    discards_ps: float = 10.0
    unreachable_after: int = 2


class Alert(BaseModel):
    """An alert event: raised or cleared."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    kind: str
    severity: Literal["warning", "critical"]
    subject: str
    message: str
    action: Action
    at: float


@dataclass(frozen=True, slots=True)
class Track:
    """Hysteresis state of one alert key."""

    active: bool = False
    since: float | None = None
    clear_since: float | None = None


def step(
    track: Track, at: float, bad: bool, good: bool, hold: float, clear_hold: float
) -> tuple[Track, Action | None]:
    """Advance one alert's state: raise after ``bad`` held ``hold`` s, clear after ``good`` held.

    Between the two thresholds (neither bad nor good) nothing changes: that band is the hysteresis.

    Examples:
        >>> t, a = step(Track(), 0.0, bad=True, good=False, hold=60, clear_hold=60)
        >>> a is None and t.since == 0.0
        True
        >>> t, a = step(t, 60.0, bad=True, good=False, hold=60, clear_hold=60); a
        'raise'
        >>> t, a = step(t, 120.0, bad=False, good=False, hold=60, clear_hold=60); a is None
        True
        >>> t, a = step(t, 180.0, bad=False, good=True, hold=60, clear_hold=60); a is None
        True
        >>> t, a = step(t, 240.0, bad=False, good=True, hold=60, clear_hold=60); a, t.active
        ('clear', False)
    """
    if not track.active:
        if not bad:
            return Track(), None
        since = track.since if track.since is not None else at
        if at - since >= hold:
            return Track(active=True), "raise"
        return Track(since=since), None
    if not good:
        return replace(track, clear_since=None), None
    clear_since = track.clear_since if track.clear_since is not None else at
    if at - clear_since >= clear_hold:
        return Track(), "clear"
    return replace(track, clear_since=clear_since), None


def _util(s: CircuitSample) -> float | None:
    vals = [u for u in (s.util_ab, s.util_ba) if u is not None]
    return max(vals) if vals else None


class AlertEngine:
    """Keeps hysteresis state across cycles and turns cycle results into alert events."""

    def __init__(self, policy: AlertPolicy | None = None) -> None:
        self.policy = policy or AlertPolicy()
        self.tracks: dict[str, Track] = {}
        self.active: dict[str, Alert] = {}
        self.failures: dict[str, int] = {}

    def _advance(
        self, key: str, at: float, bad: bool, good: bool, hold: float, clear_hold: float
    ) -> Action | None:
        track, action = step(self.tracks.get(key, Track()), at, bad, good, hold, clear_hold)
        self.tracks[key] = track
        return action

    def _emit(self, out: list[Alert], alert: Alert) -> None:
        if alert.action == "raise":
            self.active[alert.key] = alert
        else:
            self.active.pop(alert.key, None)
        out.append(alert)

    def evaluate(self, result: CycleResult) -> list[Alert]:
        """Return the alerts raised or cleared by this cycle."""
        out: list[Alert] = []
        for s in result.circuits:
            for alert in self._circuit(s):
                self._emit(out, alert)
        for d in result.devices:
            n = 0 if d.reachable else self.failures.get(d.device, 0) + 1
            self.failures[d.device] = n
            bad = n >= self.policy.unreachable_after
            act = self._advance(f"unreachable:{d.device}", result.at, bad, d.reachable, 0, 0)
            if act:
                msg = f"device {d.device} " + (
                    f"unreachable ({d.error or 'no answer'})"
                    if act == "raise"
                    else "reachable again"
                )
                self._emit(
                    out,
                    Alert(
                        key=f"unreachable:{d.device}",
                        kind="unreachable",
                        severity="critical",
                        subject=d.device,
                        message=msg,
                        action=act,
                        at=result.at,
                    ),
                )
        return out

    def _circuit(self, s: CircuitSample) -> Iterable[Alert]:
        for c in circuit_checks(s, self.policy):
            key = f"{c.kind}:{s.circuit}"
            act = self._advance(key, s.at, c.bad, c.good, c.hold, c.clear_hold)
            if act:
                msg = (
                    f"{s.circuit}: {c.text}" if act == "raise" else f"{s.circuit}: {c.kind} cleared"
                )
                yield Alert(key=key, kind=c.kind, severity=c.severity, subject=s.circuit,
                            message=msg, action=act, at=s.at)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Check:
    """One alert condition evaluated on one sample: raise when ``bad``, clear when ``good``."""

    kind: str
    severity: Literal["warning", "critical"]
    bad: bool
    good: bool
    hold: float
    clear_hold: float
    text: str


def _rate_check(kind: str, value: float, limit: float, p: AlertPolicy) -> Check:
    text = f"{kind} {value:.2f}/s (threshold {limit:g}/s)"
    return Check(kind, "warning", value >= limit, value < limit / 2, p.window, p.clear_window, text)


def circuit_checks(s: CircuitSample, p: AlertPolicy) -> list[Check]:
    """Return the alert conditions of one circuit sample (pure).

    Examples:
        >>> s = CircuitSample(circuit="c", at=0, state=State.UP, capacity_bps=100, ab_bps=75.0,
        ...                   ba_bps=1.0, util_ab=0.75, util_ba=0.01)
        >>> [(c.kind, c.bad, c.good) for c in circuit_checks(s, AlertPolicy())]
        [('down', False, True), ('util-warn', True, False), ('util-fail', False, False)]
    """
    checks = [Check("down", "critical", s.state is State.DOWN, s.state is State.UP, 0, 0,
                    "circuit down")]  # fmt: skip
    u = _util(s)
    if u is not None:
        for kind, level, sev in (
            ("util-warn", p.warn, "warning"),
            ("util-fail", p.fail, "critical"),
        ):
            text = f"utilisation {u:.0%} of contracted rate (threshold {level:.0%})"
            checks.append(Check(kind, sev, u >= level, u < level - p.hysteresis,  # type: ignore[arg-type]
                                p.window, p.clear_window, text))  # fmt: skip
    if s.errors_ps is not None:
        checks.append(_rate_check("errors", s.errors_ps, p.errors_ps, p))
    if s.discards_ps is not None:
        checks.append(_rate_check("discards", s.discards_ps, p.discards_ps, p))
    return checks


class AlertSink(Protocol):
    """Delivers alert events somewhere."""

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """Deliver the events (must not raise for a delivery failure)."""
        ...


class LogSink:
    """Alerts to the Python log."""

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """Log each event: raises at WARNING/ERROR, clears at INFO."""
        for a in alerts:
            level = logging.INFO
            if a.action == "raise":
                level = logging.ERROR if a.severity == "critical" else logging.WARNING
            logger.log(level, "alert %s %s: %s", a.action, a.key, a.message)


class WebhookSink:
    """POSTs ``{"alerts": [...]}`` as JSON to a URL."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """POST the events in one request; log (do not raise) on failure."""
        if not alerts:
            return
        body = json.dumps({"alerts": [a.model_dump(mode="json") for a in alerts]}).encode()
        req = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                resp.read()
        except OSError as exc:
            logger.warning("webhook %s: %s", self.url, exc)


def syslog_message(alert: Alert, hostname: str = "egnet", facility: int = 16) -> bytes:
    """Return an RFC 5424 syslog message for an alert (facility local0 by default).

    Examples:
        >>> a = Alert(key="down:x", kind="down", severity="critical", subject="x",
        ...           message="x: circuit down", action="raise", at=0.0)
        >>> syslog_message(a).decode()
        '<130>1 1970-01-01T00:00:00Z egnet egnet-poller - down - ALERT raise down:x: x: circuit down'
    """
    sev = 2 if alert.severity == "critical" else 4
    if alert.action == "clear":
        sev = 5
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(alert.at))
    text = f"ALERT {alert.action} {alert.key}: {alert.message}"
    return f"<{facility * 8 + sev}>1 {ts} {hostname} egnet-poller - {alert.kind} - {text}".encode()


class SyslogSink:
    """Sends each event as one UDP syslog datagram to ``host:port``."""

    def __init__(self, host: str, port: int = 514) -> None:
        self.addr = (host, port)

    def deliver(self, alerts: Sequence[Alert]) -> None:
        """Send the events; log (do not raise) on failure."""
        if not alerts:
            return
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for a in alerts:
                try:
                    sock.sendto(syslog_message(a), self.addr)
                except OSError as exc:
                    logger.warning("syslog %s:%d: %s", *self.addr, exc)
                    return


def deliver(sinks: Iterable[AlertSink], alerts: Sequence[Alert]) -> None:
    """Deliver events to every sink."""
    for sink in sinks:
        sink.deliver(alerts)
