"""The closed loop in the lab (issue 14): drive a known matrix, measure it, estimate it, plan on it.

A known site-to-site matrix (:data:`SITE_MATRIX`, pairs of the demand model) is driven with
fixed-rate UDP iperf3 between router loopbacks, split over devices exactly as the planner splits each
pair (:func:`device_demands`: the model's endpoint groups and shares, a load-sharing site's cores
evenly, the nearest member of a destination group), with many streams per demand so that ECMP
hashing (the lab hashes on L4, ``fib_multipath_hash_policy=1``) spreads each demand evenly.
While it runs, every router exports the flows it originates to nfacctd in the NMS namespace
(:class:`lab.flows.FlowCapture`) and the poller polls every circuit over SNMP into a store. The
flows give the site matrix (:mod:`poller.flowmatrix`), the SNMP loads give the estimate
(``egnet estimate``), and after a circuit is failed the loads are polled again and compared with
``egnet plan --demands-from … --fail circuit:…``.

Overhead, stated per layer (iperf3 ``-l 1400``): UDP payload 1,400 B; IP packet + 28 B (IPv4 20,
UDP 8) = 1,428 B, what NetFlow counts (``rate_bps``); Ethernet frame + 14 B = 1,442 B, what
interface octet counters (ifHCIn/OutOctets, hence SNMP loads) and the veths' tbf shapers count
(``frame_rate_bps``): 3.0 % above the payload rate. SNMP-measured loads are therefore compared with
frame rates, flow-measured demands with IP rates.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from lab.flows import COLLECTOR_PORT, Exporter, FlowCapture
from lab.manager import state_path
from lab.naming import namespace_name
from lab.state import load_state
from planner.estimate import pair_groups
from planner.model import build_model
from poller.flowmatrix import TrafficMatrix, build_matrix, site_totals
from poller.flows import nfacctd_config
from poller.flowstore import flow_window, ingest_dir, open_flow_store
from topology import Topology

PAYLOAD = 1400
IP_UDP = 28
ETHERNET = 14
BIN = 5
STREAM_BPS = 125_000  # one iperf3 stream per 125 kb/s of a demand (1 to MAX_STREAMS)
MAX_STREAMS = 32


@dataclass(frozen=True)
class Driven:
    """One demand driven through the lab: device to device, payload rate, DSCP, iperf3 streams."""

    src: str
    dst: str
    rate_bps: int
    dscp: int = 0
    streams: int = 4

    def payload_rate(self) -> float:
        """What iperf3 is asked to send: ``-b`` is per stream."""
        return float(self.rate_bps // self.streams * self.streams)

    def ip_rate(self) -> float:
        return self.payload_rate() * (PAYLOAD + IP_UDP) / PAYLOAD

    def frame_rate(self) -> float:
        return self.payload_rate() * (PAYLOAD + IP_UDP + ETHERNET) / PAYLOAD


@dataclass(frozen=True)
class SitePair:
    """One demand of the driven matrix: site to site (a pair the demand model has), payload rate."""

    src: str
    dst: str
    rate_bps: int
    dscp: int = 0


#: seven site-to-site demands of every tier and three classes; which of them SNMP link loads
#: determine is the estimate's business (the test reads it from ``egnet estimate``)
SITE_MATRIX = (
    SitePair("dongxian-qiaotou", "lab-cloud", 6_000_000),  # township to the province cloud
    SitePair("xiqu-hexi", "beicheng-xiqu", 4_000_000, dscp=34),  # conference up to the county MCU
    SitePair("shanxian-linjia", "nancheng-shanxian", 4_000_000, dscp=34),  # over two 20M tails
    SitePair("lab-cloud", "dongxian-shanxia", 5_000_000),  # cloud to a township
    SitePair("beicheng", "lab-cloud", 10_000_000),  # a load-sharing city to the cloud
    SitePair("beicheng", "beicheng-dongxian", 12_000_000, dscp=46),  # city to a county
    SitePair("lab-cloud", "beicheng-xiqu", 7_000_000),  # to the nearer of two county cores
)

#: the circuit failed in the closed-loop test: a county uplink, so the county's traffic and the
#: traffic to its townships moves to the other core (interconnect, second uplink)
FAILED = "beicheng-dongxian-up1"


def igp_graph(topo: Topology, failed: tuple[str, ...] = ()) -> nx.DiGraph:
    """The IGP as a directed graph: per-direction costs, ``failed`` circuits left out."""
    g: nx.DiGraph = nx.DiGraph()
    for c in topo.circuits.values():
        if c.id not in failed:
            g.add_edge(c.a.device, c.b.device, weight=c.cost_ab)
            g.add_edge(c.b.device, c.a.device, weight=c.cost_ba)
    return g


def device_demands(topo: Topology, pairs: tuple[SitePair, ...] = SITE_MATRIX) -> tuple[Driven, ...]:
    """Split a site matrix over devices as the planner routes it (see the module docstring).

    Each pair's rate is shared over the model's demands of that pair by the model's weights; a
    demand's source group sends evenly from every member (its master alone when active/standby);
    each source device sends to the nearest member(s) of the destination group (evenly over equally
    near ones). Raises ``KeyError`` for a pair the demand model does not have.
    """
    pm = build_model(topo)
    names, members, weights, _ = pair_groups(pm)
    index = {p: k for k, p in enumerate(names)}
    dist = dict(nx.all_pairs_dijkstra_path_length(igp_graph(topo)))
    rows: dict[tuple[str, str, int], float] = {}
    for pair in pairs:
        for i in members[index[(pair.src, pair.dst)]]:
            sd = pm.demands[i]
            srcs = sd.src[:1] if sd.standby else sd.src
            for s in srcs:
                near = min(dist[s][d] for d in sd.dst)
                dsts = [d for d in sd.dst if dist[s][d] == near]
                for d in dsts:
                    key = (s, d, pair.dscp)
                    share = pair.rate_bps * float(weights[i]) / len(srcs) / len(dsts)
                    rows[key] = rows.get(key, 0.0) + share
    return tuple(
        Driven(s, d, round(r), dscp, max(1, min(MAX_STREAMS, round(r / STREAM_BPS))))
        for (s, d, dscp), r in sorted(rows.items())
        if r >= 1_000
    )


def _ip(topo: Topology, host: str) -> str:
    return topo.devices[host].loopback.split("/")[0]


@dataclass
class Run:
    """A traffic run: when it ends (``time.monotonic()``), iperf3's results once it has."""

    ends: float
    results: list[dict[str, object]] = field(default_factory=list)


@contextmanager
def driving(topo: Topology, demands: tuple[Driven, ...], seconds: int) -> Iterator[Run]:
    """Run every demand at once for ``seconds`` around the body; the :class:`Run` yielded gets
    iperf3's JSON result per demand when the body and the run have ended."""
    servers: list[subprocess.Popen[bytes]] = []
    clients: list[subprocess.Popen[str]] = []
    run = Run(0.0)
    try:
        for i, d in enumerate(demands):
            servers.append(
                subprocess.Popen(
                    ["ip", "netns", "exec", namespace_name(d.dst), "iperf3", "-s", "-1",
                     "-B", _ip(topo, d.dst), "-p", str(5400 + i)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
        time.sleep(1.0)
        for i, d in enumerate(demands):
            clients.append(
                subprocess.Popen(
                    ["ip", "netns", "exec", namespace_name(d.src), "iperf3", "-c",
                     _ip(topo, d.dst), "-p", str(5400 + i), "-B", _ip(topo, d.src), "-u",
                     "-l", str(PAYLOAD), "-b", str(d.rate_bps // d.streams),
                     "-P", str(d.streams), "-t", str(seconds), "--dscp", str(d.dscp), "--json"],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )  # fmt: skip
        run.ends = time.monotonic() + seconds
        yield run
        for c in clients:
            out, err = c.communicate(timeout=seconds + 60)
            if c.returncode != 0:
                raise AssertionError(f"iperf3 failed: {err or out[-500:]}")
            run.results.append(json.loads(out))
    finally:
        procs: list[subprocess.Popen[str] | subprocess.Popen[bytes]] = [*clients, *servers]
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


def drive(topo: Topology, demands: tuple[Driven, ...], seconds: int) -> list[dict[str, object]]:
    """Run every demand at once for ``seconds``; return iperf3's JSON result per demand."""
    with driving(topo, demands, seconds) as run:
        pass
    return run.results


def poll(inventory: Path, lab_root: Path, db: Path, cycles: int, interval: float, run: Run) -> None:
    """``egnet poll`` every circuit of the running lab into ``db`` (SNMPv3 from the NMS namespace):
    ``cycles`` cycles ``interval`` seconds apart, i.e. ``cycles - 1`` rate samples per direction,
    all of which must lie inside the traffic ``run`` (a sample across its end would measure less)."""
    argv = [sys.executable, "-m", "egnet.cli", "poll", str(inventory), "--db", str(db),
            "--interval", str(interval), "--cycles", str(cycles), "--lab-root", str(lab_root)]  # fmt: skip
    got = subprocess.run(
        argv, capture_output=True, text=True, timeout=cycles * interval + 60, check=False
    )
    if got.returncode not in (0, 1):  # 1: an alert was raised, which is not this test's business
        raise AssertionError(f"egnet poll exited {got.returncode}: {got.stderr[-2000:]}")
    late = time.monotonic() - run.ends
    assert late < 0, f"the poll ended {late:.1f} s after the traffic: lengthen the run"


def measure_matrix(
    topo: Topology,
    lab_root: Path,
    work: Path,
    demands: tuple[Driven, ...],
    seconds: int,
    snmp: tuple[Path, Path, int, float] | None = None,
) -> tuple[TrafficMatrix, float, float]:
    """Drive ``demands`` while capturing flows; return the matrix of the whole run (every byte of
    it) and the run's start and end. With ``snmp`` = (inventory, store, cycles, interval) the
    circuits are also polled into the store while the traffic is steady (from 3 s into the run)."""
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
        with driving(topo, demands, seconds) as run:
            if snmp is not None:
                time.sleep(3.0)
                poll(snmp[0], lab_root, snmp[1], snmp[2], snmp[3], run)
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


def run_matrix(matrix: TrafficMatrix, t0: float, seconds: int) -> TrafficMatrix:
    """The whole-run matrix as the mean rates of the driven interval ``[t0, t0 + seconds)``: every
    byte of the run over the time it was sent (the run is the busy period here)."""
    scale = matrix.window.seconds / seconds
    return matrix.model_copy(
        update={
            "window": matrix.window.model_copy(
                update={"start": int(t0), "end": int(t0) + seconds, "seconds": seconds}
            ),
            "demands": tuple(
                d.model_copy(
                    update={
                        "rate_bps": d.rate_bps * scale,
                        "frame_rate_bps": d.frame_rate_bps * scale,
                    }
                )
                for d in matrix.demands
            ),
        }
    )
