"""Prometheus exposition of the latest poll, read from the store at scrape time.

Metric families (labels in braces):

- ``egnet_circuit_up{circuit}`` 1 up, 0 down (absent when unknown);
- ``egnet_circuit_bytes_per_second{circuit,direction}`` direction ``ab`` or ``ba`` (base unit
  bytes, as the exposition conventions and ``promtool check metrics`` want);
- ``egnet_circuit_utilisation_ratio{circuit,direction}`` against the contracted rate;
- ``egnet_circuit_capacity_bytes_per_second{circuit}``;
- ``egnet_circuit_errors_per_second{circuit}``, ``egnet_circuit_discards_per_second{circuit}``;
- ``egnet_device_reachable{device}``, ``egnet_device_poll_seconds{device}``;
- ``egnet_device_snmp_replies_dropped_total{device}`` replies that did not match their request;
- ``egnet_device_rates_discarded_total{device}`` rates discarded (reboot, clock, over-speed);
- ``egnet_device_last_successful_poll_timestamp_seconds{device}``;
- ``egnet_alerts_open{severity}``;
- ``egnet_circuit_info{circuit,site,city,tier,carrier,type}`` 1 (when served with the model);
- ``egnet_interface_receive_bytes_total{circuit,device,interface}`` and
  ``egnet_interface_transmit_bytes_total{...}``: the raw octet counters of each circuit end (let
  Prometheus take ``rate()``; a reset after a reboot is a counter reset to it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from poller.samples import EndCounters, direction_utilisation
from poller.store import Store, read_alerts
from poller.targets import circuit_labels
from topology.model import Topology


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


class StoreCollector(Collector):
    """Collects gauges from the poller database on every scrape."""

    def __init__(self, db_path: str | Path, topo: Topology | None = None) -> None:
        self.db_path = Path(db_path)
        self.topo = topo

    def collect(self) -> Iterator[Metric]:
        """Yield the metric families (nothing when the database does not exist yet)."""
        if self.topo is not None:
            yield _circuit_info(self.topo)
        if not self.db_path.is_file():
            return
        with closing(Store(self.db_path)) as store:
            latest, devices = store.latest(), store.devices()
            alerts = read_alerts(store.con)
            counters = store.counters()
        yield from _circuit_metrics(latest)
        yield from _counter_metrics(counters)
        reach = _gauge("egnet_device_reachable", "1 when the device answered SNMP", ["device"])
        secs = _gauge("egnet_device_poll_seconds", "time to poll the device", ["device"])
        dropped = CounterMetricFamily(
            "egnet_device_snmp_replies_dropped",
            "SNMP replies dropped because they did not match their request",
            labels=["device"],
        )
        discarded = CounterMetricFamily(
            "egnet_device_rates_discarded",
            "interface rates discarded (reboot, clock mismatch, over-speed, discontinuity)",
            labels=["device"],
        )
        last_ok = _gauge(
            "egnet_device_last_successful_poll_timestamp_seconds",
            "Unix time of the device's last successful poll",
            ["device"],
        )
        for dev, st in sorted(devices.items()):
            reach.add_metric([dev], 1.0 if st["reachable"] else 0.0)
            secs.add_metric([dev], float(st["seconds"]))
            dropped.add_metric([dev], float(st["dropped"]))
            discarded.add_metric([dev], float(st["discarded"]))
            if st["last_ok"] is not None:
                last_ok.add_metric([dev], float(st["last_ok"]))
        yield from (reach, secs, dropped, discarded, last_ok)
        open_ = _gauge("egnet_alerts_open", "open alerts", ["severity"])
        for sev in ("warning", "critical"):
            n = sum(1 for a in alerts if a["cleared"] is None and a["severity"] == sev)
            open_.add_metric([sev], float(n))
        yield open_


def _circuit_metrics(latest: dict[str, dict[str, object]]) -> Iterator[Metric]:
    up = _gauge("egnet_circuit_up", "1 when both ends are operationally up", ["circuit"])
    # Prometheus base units: bytes (x 8 for bit/s in a dashboard)
    bps = _gauge("egnet_circuit_bytes_per_second", "load per direction", ["circuit", "direction"])
    util = _gauge(
        "egnet_circuit_utilisation_ratio",
        "load / contracted rate per direction",
        ["circuit", "direction"],
    )
    cap = _gauge("egnet_circuit_capacity_bytes_per_second", "contracted rate", ["circuit"])
    errs = _gauge("egnet_circuit_errors_per_second", "interface errors", ["circuit"])
    disc = _gauge("egnet_circuit_discards_per_second", "interface discards", ["circuit"])
    for cid, s in sorted(latest.items()):
        capacity = float(s["capacity_bps"])  # type: ignore[arg-type]
        cap.add_metric([cid], capacity / 8)
        if s["state"] != "unknown":
            up.add_metric([cid], 1.0 if s["state"] == "up" else 0.0)
        for d in ("ab", "ba"):
            v = s[f"{d}_bps"]
            if v is not None:
                bps.add_metric([cid, d], float(v) / 8)  # type: ignore[arg-type]
                u = direction_utilisation(float(v), int(capacity))  # type: ignore[arg-type]
                util.add_metric([cid, d], u if u is not None else 0.0)
        if s["errors_ps"] is not None:
            errs.add_metric([cid], float(s["errors_ps"]))  # type: ignore[arg-type]
        if s["discards_ps"] is not None:
            disc.add_metric([cid], float(s["discards_ps"]))  # type: ignore[arg-type]
    yield from (up, bps, util, cap, errs, disc)


def _circuit_info(topo: Topology) -> Metric:
    labels = ["circuit", "site", "city", "tier", "carrier", "type"]
    info = _gauge("egnet_circuit_info", "circuit metadata from the inventory (value 1)", labels)
    for row in circuit_labels(topo):
        info.add_metric([row[k] for k in labels], 1.0)
    return info


def _counter_metrics(counters: list[EndCounters]) -> Iterator[Metric]:
    labels = ["circuit", "device", "interface"]
    rx = CounterMetricFamily("egnet_interface_receive_bytes",
                             "raw ifHCInOctets of a circuit end", labels=labels)  # fmt: skip
    tx = CounterMetricFamily("egnet_interface_transmit_bytes",
                             "raw ifHCOutOctets of a circuit end", labels=labels)  # fmt: skip
    for e in counters:
        rx.add_metric([e.circuit, e.device, e.interface], float(e.in_octets))
        tx.add_metric([e.circuit, e.device, e.interface], float(e.out_octets))
    yield from (rx, tx)


def exposition(db_path: str | Path, topo: Topology | None = None) -> bytes:
    """Return the Prometheus text exposition for the database (and the model's circuit info)."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(db_path, topo))
    return generate_latest(registry)
