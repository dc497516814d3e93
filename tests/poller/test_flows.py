"""Flow measurement: collector files as hostile input, the store, the site matrix, and (as root) a
real exporter (pmacct uacctd + nfprobe, NetFlow v9) → nfacctd path carrying iperf3 traffic at a known rate and DSCP.

The end-to-end test builds three namespaces of its own (router A, router B, the NMS), gives them the
addresses of two devices of ``inventory/lab`` (loopbacks, management addresses), runs uacctd in A
and nfacctd in the NMS namespace through :class:`lab.flows.FlowCapture`, drives 6 Mb/s of AF41 UDP
from A's loopback to B's, ingests the bins and checks the matrix demand A-site → B-site within 5 %.
Everything it made is removed by PID and by name, also on failure.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.flows import COLLECTOR_PORT, Exporter, FlowCapture
from poller.flowmatrix import build_matrix, site_totals
from poller.flows import FlowFileError, FlowRecord, nfacctd_config, parse_line, read_flow_file
from poller.flowstore import flow_window, ingest_dir, open_flow_store
from topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventory" / "lab"


def _line(**kw: object) -> str:
    base: dict[str, object] = {
        "peer_ip_src": "198.19.0.2",
        "ip_src": "10.0.0.1",
        "ip_dst": "10.0.0.2",
        "tos": 0,
        "packets": 1,
        "bytes": 100,
    }
    base.update(kw)
    return json.dumps(base)


@pytest.mark.parametrize(
    "bad",
    [
        _line(bytes=-1),
        _line(bytes=2**64),
        _line(bytes=1.5),
        _line(bytes=True),
        _line(tos=300),
        _line(ip_src="10.0.0.1\nrouter bgp 1"),
        _line(ip_src="x" * 5000),
        "[1, 2]",
        "{",
        "[" * 100_000,
        '{"peer_ip_src": null}',
    ],
)
def test_hostile_lines_are_rejected(bad: str) -> None:
    with pytest.raises(FlowFileError):
        parse_line(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_line_never_raises_anything_else(text: str) -> None:
    try:
        rec = parse_line(text)
    except FlowFileError:
        return
    assert 0 <= rec.dscp < 64 and rec.bytes >= 0


def test_bad_lines_are_counted_and_files_checked(tmp_path: Path) -> None:
    f = tmp_path / "flows-1000.json"
    f.write_text(_line() + "\n" + "garbage\n" + _line(tos=184) + "\n", encoding="utf-8")
    ff = read_flow_file(f)
    assert (len(ff.records), ff.rejected, ff.bin_start) == (2, 1, 1000)
    assert ff.records[1].dscp == 46
    with pytest.raises(FlowFileError):
        read_flow_file(tmp_path / "notours.json")
    link = tmp_path / "flows-2000.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(FlowFileError):
        read_flow_file(link)


def test_ingest_once_and_wait_for_open_bins(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "flows-1000.json").write_text(_line(bytes=1000) + "\n", encoding="utf-8")
    (out / "flows-1010.json").write_text(_line(bytes=2000) + "\n", encoding="utf-8")
    (out / "flows-9999999999.json").write_text(_line() + "\n", encoding="utf-8")
    (out / "other.txt").write_text("x", encoding="utf-8")
    con = open_flow_store(tmp_path / "s.db")
    first = ingest_dir(con, out, bin_seconds=10, now=1100)
    assert (first.files, first.records, first.pending) == (2, 2, 1)
    again = ingest_dir(con, out, bin_seconds=10, now=1100)
    assert (again.files, again.records) == (0, 0)
    assert sum(r.bytes for _, r in flow_window(con, 1000, 1020)) == 3000
    assert [b for b, _ in flow_window(con, 1010, 1020)] == [1010]


def test_matrix_counts_flows_at_their_source_site_once() -> None:
    topo = load_topology(LAB)
    devs = list(topo.devices.values())
    a = devs[0]
    b = next(d for d in devs if d.site != a.site)
    c = next(d for d in devs if d.site not in (a.site, b.site))
    la, lb = (s.split("/")[0] for s in (a.loopback, b.loopback))
    ma, mc = (s.split("/")[0] for s in (a.mgmt_address, c.mgmt_address))
    recs = [
        FlowRecord(ma, la, lb, 34, 100, 1_000_000),  # exported at the source site: counts
        FlowRecord(mc, la, lb, 34, 100, 1_000_000),  # the same flow seen in transit at C: ignored
        FlowRecord(ma, la, lb, 0, 10, 250_000),  # another class
        FlowRecord(ma, la, "203.0.113.9", 0, 1, 50),  # destination outside the model
        FlowRecord("192.0.2.99", la, lb, 0, 1, 50),  # an exporter the model does not know
    ]
    m = build_matrix(topo, recs, 0, 10)
    assert site_totals(m) == {(a.site, b.site): (1_000_000 + 250_000) * 8 / 10}
    af41 = next(d for d in m.demands if d.dscp == "af41")
    assert af41.rate_bps == 800_000.0
    assert af41.frame_rate_bps == (1_000_000 + 14 * 100) * 8 / 10
    assert m.transit_records == 1
    assert m.unmapped.records == 1 and m.unmapped.addresses == ("203.0.113.9",)
    assert m.unknown_exporters == ("192.0.2.99",)
    assert json.loads(m.model_dump_json(by_alias=True))["schema"] == "egnet.matrix/1"


def test_collector_config_rejects_bad_values(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        nfacctd_config("not-an-ip", 2055, tmp_path, 10)
    with pytest.raises(ValueError):
        nfacctd_config("127.0.0.1", 70000, tmp_path, 10)


# --- end to end, as root -------------------------------------------------------------------------


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=30)


@pytest.fixture
def flow_net() -> Iterator[dict[str, str]]:
    """Namespaces A, B, NMS with the addresses of two lab devices; removed afterwards."""
    topo = load_topology(LAB)
    devs = list(topo.devices.values())
    a = devs[0]
    b = next(d for d in devs if d.site != a.site)
    tag = f"egfl{os.getpid() % 10000}"
    ns = {"a": f"{tag}-a", "b": f"{tag}-b", "nms": f"{tag}-n"}
    made: list[str] = []
    mgmt = a.mgmt_address.split("/")[0]
    nms_ip = str(next(ipaddress.ip_interface(a.mgmt_address).network.hosts()))
    try:
        for name in ns.values():
            _run("ip", "netns", "add", name)
            made.append(name)
            _run("ip", "-n", name, "link", "set", "lo", "up")
        _run("ip", "-n", ns["a"], "link", "add", "d0", "type", "veth", "peer", "name", "d0",
             "netns", ns["b"])  # fmt: skip
        _run("ip", "-n", ns["a"], "link", "add", "m0", "type", "veth", "peer", "name", "m0",
             "netns", ns["nms"])  # fmt: skip
        _run("ip", "-n", ns["a"], "addr", "add", "10.255.0.1/30", "dev", "d0")
        _run("ip", "-n", ns["b"], "addr", "add", "10.255.0.2/30", "dev", "d0")
        _run("ip", "-n", ns["a"], "addr", "add", a.loopback, "dev", "lo")
        _run("ip", "-n", ns["b"], "addr", "add", b.loopback, "dev", "lo")
        _run("ip", "-n", ns["a"], "addr", "add", f"{mgmt}/24", "dev", "m0")
        _run("ip", "-n", ns["nms"], "addr", "add", f"{nms_ip}/24", "dev", "m0")
        for n, dev in ((ns["a"], "d0"), (ns["b"], "d0"), (ns["a"], "m0"), (ns["nms"], "m0")):
            _run("ip", "-n", n, "link", "set", dev, "up")
        _run("ip", "-n", ns["a"], "route", "add", b.loopback.split("/")[0], "via", "10.255.0.2")
        _run("ip", "-n", ns["b"], "route", "add", a.loopback.split("/")[0], "via", "10.255.0.1")
        yield {
            **ns,
            "a_host": a.hostname,
            "a_site": a.site,
            "b_site": b.site,
            "a_lo": a.loopback,
            "b_lo": b.loopback.split("/")[0],
            "nms_ip": nms_ip,
        }
    finally:
        for name in made:
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.skipif(
    not all(
        shutil.which(t) or os.path.exists(f"/usr/sbin/{t}")
        for t in ("iperf3", "uacctd", "nfacctd", "nft")
    ),
    reason="needs iperf3, uacctd, nfacctd and nft (Debian: iperf3 pmacct nftables)",
)
def test_exporter_to_collector_matrix_within_5_percent(
    flow_net: dict[str, str], tmp_path: Path
) -> None:
    topo = load_topology(LAB)
    out = tmp_path / "bins"
    rate, seconds, payload, bins = 6_000_000, 20, 1400, 5
    capture = FlowCapture(
        collector_namespace=flow_net["nms"],
        collector_ip=flow_net["nms_ip"],
        collector_config=nfacctd_config(flow_net["nms_ip"], COLLECTOR_PORT, out, bins),
        exporters=(Exporter(flow_net["a_host"], flow_net["a"], flow_net["a_lo"]),),
        out_dir=out,
        bin_seconds=bins,
        active_timeout=3,
    )
    server = subprocess.Popen(
        ["ip", "netns", "exec", flow_net["b"], "iperf3", "-s", "-1", "-B", flow_net["b_lo"],
         "-p", "5399"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with capture:
            time.sleep(1)
            # DSCP is marked at the source (as a CE or PE classifier would) so that every packet,
            # including iperf3's first datagram sent before it sets IP_TOS, carries AF41
            subprocess.run(
                ["ip", "netns", "exec", flow_net["a"], "nft", "-f", "-"],
                input="table ip egft {\n chain out {\n  type filter hook output priority 0;\n"
                "  udp dport 5399 ip dscp set af41\n }\n}\n",
                text=True, check=True, capture_output=True,
            )  # fmt: skip
            t0 = time.time()
            client = subprocess.run(
                ["ip", "netns", "exec", flow_net["a"], "iperf3", "-c", flow_net["b_lo"], "-p",
                 "5399", "-u", "-b", str(rate), "-l", str(payload), "-t", str(seconds), "-B",
                 flow_net["a_lo"].split("/")[0], "--json"],
                capture_output=True, text=True, timeout=seconds + 30, check=True,
            )  # fmt: skip
            t1 = time.time()
            time.sleep(bins + 5)  # active timeout + one refresh: the last bins are written
        sent = json.loads(client.stdout)["end"]["sum"]["bytes"]
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=5)
    con = open_flow_store(tmp_path / "store.db")
    res = ingest_dir(con, out, bin_seconds=bins, now=time.time() + 60)
    assert res.files > 0 and res.rejected_lines == 0, res
    start, end = int(t0) - 2 * bins, int(t1) + 4 * bins
    matrix = build_matrix(topo, (r for _, r in flow_window(con, start, end)), start, end)
    pair = (flow_net["a_site"], flow_net["b_site"])
    measured_bytes = site_totals(matrix)[pair] * (end - start) / 8
    # IP-layer bytes of what iperf3 sent: payload + 28 bytes of IP/UDP header per datagram
    expected = sent + 28 * sent // payload
    assert abs(measured_bytes - expected) / expected < 0.05, (measured_bytes, expected, matrix)
    af41 = [d for d in matrix.demands if d.dscp == "af41"]
    assert af41 and sum(d.rate_bps for d in af41) >= 0.95 * site_totals(matrix)[pair]
