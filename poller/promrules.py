"""Prometheus recording and alerting rules generated from the inventory's thresholds (pure).

``egnet prometheus-rules DIR`` prints them as a Prometheus rule file (validate with ``promtool
check rules``). They read the metrics of :mod:`poller.metrics`:

- recording: ``egnet:circuit_utilisation_ratio:max`` (the busier direction per circuit) and
  ``egnet:interface_transmit_bytes:rate5m`` / ``..._receive_...`` from the raw octet counters;
- alerts: ``EgnetCircuitUtilisationWarning`` / ``Critical`` (the model's ``policy.warn_utilisation``
  and ``fail_utilisation``, held for the alert window), ``EgnetCircuitDown``,
  ``EgnetDeviceUnreachable``, ``EgnetPollStale`` (no successful poll for three intervals),
  ``EgnetSnmpRepliesDropped`` (replies that did not match their request: spoofing or a broken
  agent), ``EgnetRatesDiscarded``. Circuit alerts carry the site, city, tier, carrier and type of
  ``egnet_circuit_info``.
"""

from __future__ import annotations

from typing import Any

from topology.model import Topology

_INFO = "egnet_circuit_info"
_JOIN = f"* on (circuit) group_left (site, city, tier, carrier, type) {_INFO}"


def _duration(seconds: float) -> str:
    """Prometheus duration of whole seconds.

    Examples:
        >>> _duration(300), _duration(59.6)
        ('300s', '60s')
    """
    return f"{max(1, round(seconds))}s"


def prometheus_rules(
    topo: Topology, interval: float = 60.0, window: float = 300.0
) -> dict[str, Any]:
    """Return the rule file (as data) for a model polled every ``interval`` seconds, utilisation
    alerts holding for ``window`` seconds."""
    warn, fail = topo.policy.warn_utilisation, topo.policy.fail_utilisation
    hold = _duration(window)
    down = _duration(2 * interval)
    util = "egnet:circuit_utilisation_ratio:max"
    recording = [
        {"record": util, "expr": "max by (circuit) (egnet_circuit_utilisation_ratio)"},
        {"record": "egnet:interface_transmit_bytes:rate5m",
         "expr": "rate(egnet_interface_transmit_bytes_total[5m])"},
        {"record": "egnet:interface_receive_bytes:rate5m",
         "expr": "rate(egnet_interface_receive_bytes_total[5m])"},
    ]  # fmt: skip

    def alert(name: str, expr: str, hold_for: str, severity: str, summary: str) -> dict[str, Any]:
        return {"alert": name, "expr": expr, "for": hold_for, "labels": {"severity": severity},
                "annotations": {"summary": summary}}  # fmt: skip

    alerts = [
        alert("EgnetCircuitUtilisationCritical", f"({util} {_JOIN}) > {fail}", hold, "critical",
              f"{{{{ $labels.circuit }}}} at {{{{ $value | humanizePercentage }}}} of its "
              f"contracted rate (fail {fail:.0%})"),
        alert("EgnetCircuitUtilisationWarning", f"({util} {_JOIN}) > {warn} <= {fail}", hold,
              "warning", f"{{{{ $labels.circuit }}}} at {{{{ $value | humanizePercentage }}}} "
              f"(warn {warn:.0%})"),
        alert("EgnetCircuitDown", f"(egnet_circuit_up {_JOIN}) == 0", down, "critical",
              "circuit {{ $labels.circuit }} ({{ $labels.carrier }} {{ $labels.type }}) is down"),
        alert("EgnetDeviceUnreachable", "egnet_device_reachable == 0", down, "critical",
              "{{ $labels.device }} does not answer SNMP"),
        alert("EgnetPollStale",
              f"time() - egnet_device_last_successful_poll_timestamp_seconds > {3 * interval:g}",
              "0s", "warning", "no successful poll of {{ $labels.device }} for three intervals"),
        alert("EgnetSnmpRepliesDropped",
              "increase(egnet_device_snmp_replies_dropped_total[15m]) > 0", "0s", "warning",
              "{{ $labels.device }}: SNMP replies that did not match their request "
              "(spoofing or a broken agent)"),
        alert("EgnetRatesDiscarded", "increase(egnet_device_rates_discarded_total[1h]) > 0",
              "0s", "warning", "{{ $labels.device }}: rates discarded (reboot, clock or "
              "over-speed)"),
    ]  # fmt: skip
    return {
        "groups": [
            {"name": f"egnet-{topo.name}-recording", "interval": _duration(interval),
             "rules": recording},
            {"name": f"egnet-{topo.name}-alerts", "interval": _duration(interval), "rules": alerts},
        ]
    }  # fmt: skip
