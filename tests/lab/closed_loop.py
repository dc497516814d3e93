"""The closed loop in the lab (issue 14): drive a known matrix with iperf3, measure it from flows.

A known matrix of demands between router loopbacks of different sites is driven with fixed-rate UDP
iperf3 (4 streams per demand so ECMP hashing spreads each demand), while every router exports the
flows it originates to nfacctd in the NMS namespace (:class:`lab.flows.FlowCapture`). The flows
are ingested into a store and aggregated into a site-to-site matrix (:mod:`poller.flowmatrix`),
which is compared with the driven rates at the IP layer (iperf3's payload rate × (payload + 28) /
payload: IPv4 and UDP headers; NetFlow counts IP bytes).
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from lab.flows import COLLECTOR_PORT, Exporter, FlowCapture
from lab.manager import state_path
from lab.naming import namespace_name
from lab.state import load_state
from poller.flowmatrix import TrafficMatrix, build_matrix, site_totals
from poller.flows import nfacctd_config
from poller.flowstore import flow_window, ingest_dir, open_flow_store
from topology import Topology

PAYLOAD = 1400
IP_UDP = 28
STREAMS = 4
BIN = 5


@dataclass(frozen=True)
class Driven:
    """One demand driven through the lab: device to device, payload rate, DSCP."""

    src: str
    dst: str
    rate_bps: int
    dscp: int = 0

    def ip_rate(self) -> float:
        return self.rate_bps * (PAYLOAD + IP_UDP) / PAYLOAD


#: seven demands between sites of every tier; rates well inside every circuit on their paths
DEMANDS = (
    Driven("dongxian-qiaotou-ar1", "lab-cloud-gw1", 6_000_000),
    Driven("xiqu-hexi-ar1", "lab-core1", 4_000_000, dscp=34),
    Driven("shanxian-linjia-ar1", "nancheng-core1", 5_000_000),
    Driven("beicheng-dongxian-core1", "nancheng-shanxian-core1", 8_000_000),
    Driven("nancheng-core2", "beicheng-xiqu-core2", 7_000_000, dscp=46),
    Driven("lab-cloud-gw1", "dongxian-shanxia-ar1", 3_000_000),
    Driven("beicheng-core1", "lab-cloud-gw1", 10_000_000),
)


def _ip(topo: Topology, host: str) -> str:
    return topo.devices[host].loopback.split("/")[0]


def drive(topo: Topology, demands: tuple[Driven, ...], seconds: int) -> list[dict[str, object]]:
    """Run every demand at once for ``seconds``; return iperf3's JSON result per demand."""
    servers: list[subprocess.Popen[bytes]] = []
    clients: list[subprocess.Popen[str]] = []
    try:
        for i, d in enumerate(demands):
            servers.append(
                subprocess.Popen(
                    [
                        "ip",
                        "netns",
                        "exec",
                        namespace_name(d.dst),
                        "iperf3",
                        "-s",
                        "-1",
                        "-B",
                        _ip(topo, d.dst),
                        "-p",
                        str(5400 + i),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        time.sleep(1.0)
        for i, d in enumerate(demands):
            clients.append(
                subprocess.Popen(
                    [
                        "ip",
                        "netns",
                        "exec",
                        namespace_name(d.src),
                        "iperf3",
                        "-c",
                        _ip(topo, d.dst),
                        "-p",
                        str(5400 + i),
                        "-B",
                        _ip(topo, d.src),
                        "-u",
                        "-l",
                        str(PAYLOAD),
                        "-b",
                        str(d.rate_bps // STREAMS),
                        "-P",
                        str(STREAMS),
                        "-t",
                        str(seconds),
                        "--dscp",
                        str(d.dscp),
                        "--json",
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        results = []
        for c in clients:
            out, err = c.communicate(timeout=seconds + 60)
            if c.returncode != 0:
                raise AssertionError(f"iperf3 failed: {err or out[-500:]}")
            results.append(json.loads(out))
        return results
    finally:
        procs: list[subprocess.Popen[str] | subprocess.Popen[bytes]] = [*clients, *servers]
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


def measure_matrix(
    topo: Topology, lab_root: Path, work: Path, demands: tuple[Driven, ...], seconds: int
) -> tuple[TrafficMatrix, float, float]:
    """Drive ``demands`` while capturing flows; return the matrix of the steady middle window and
    the window's start and end."""
    state = load_state(state_path(lab_root))
    assert state is not None, "no lab state"
    nms_ip = state.nms_address.split("/")[0]
    out = work / "bins"
    exporters = tuple(
        Exporter(h, r.namespace, r.loopback) for h, r in sorted(state.devices.items())
    )
    capture = FlowCapture(
        collector_namespace=state.nms_namespace,
        collector_ip=nms_ip,
        collector_config=nfacctd_config(nms_ip, COLLECTOR_PORT, out, BIN),
        exporters=exporters,
        out_dir=out,
        bin_seconds=BIN,
        active_timeout=2,
    )
    with capture:
        time.sleep(1.0)
        t0 = time.time()
        drive(topo, demands, seconds)
        t1 = time.time()
        time.sleep(BIN + 4)
    con = open_flow_store(work / "store.db")
    ingest_dir(con, out, BIN, now=time.time() + 10 * BIN)
    # every byte of the run lies in [t0 - BIN, t1 + 3 BIN); rate = bytes / driven duration
    start, end = int(t0) - BIN, int(t1) + 3 * BIN
    matrix = build_matrix(topo, (r for _, r in flow_window(con, start, end)), start, end)
    con.close()
    return matrix, t0, t1


def compare(
    topo: Topology, matrix: TrafficMatrix, demands: tuple[Driven, ...], seconds: float
) -> dict[tuple[str, str], tuple[float, float]]:
    """Return ``(measured, driven)`` IP-layer bit/s per site pair over the driven duration."""
    scale = matrix.window.seconds / seconds
    measured = {k: v * scale for k, v in site_totals(matrix).items()}
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for d in demands:
        key = (topo.devices[d.src].site, topo.devices[d.dst].site)
        out[key] = (measured.get(key, 0.0), out.get(key, (0.0, 0.0))[1] + d.ip_rate())
    return out
