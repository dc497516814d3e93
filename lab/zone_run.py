"""Build and tear down the zone lab of :mod:`lab.zones` (side effects: namespaces, veths, FRR).

Every namespace created is named in the plan (``ez-`` prefix) and deleted by that name; every
daemon started is killed by the PID in its pid file. :func:`zone_lab` does both even on failure.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from lab.system import LabError, in_ns, namespaces, pid_alive, read_pid, require_root, run
from lab.zones import (
    INTERNET_ADDR,
    INTERNET_NS,
    ZoneNode,
    ZonePlan,
    internet_rules,
    nat_rules,
    ospfd_conf,
    zebra_conf,
)

logger = logging.getLogger(__name__)
FRR_DIR = Path("/usr/lib/frr")


def _mkns(name: str) -> None:
    if name in namespaces():
        raise LabError(f"lab zones: namespace {name} exists already\n  hint: egnet lab zones-down")
    run(["ip", "netns", "add", name])
    run(in_ns(name, ["ip", "link", "set", "lo", "up"]))
    run(
        in_ns(
            name,
            [
                "sysctl",
                "-qw",
                "net.ipv4.ip_forward=1",
                "net.ipv4.conf.all.rp_filter=0",
                "net.ipv4.conf.default.rp_filter=0",
            ],
        )
    )


def _veth(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
    run(["ip", "link", "add", "name", a[1], "netns", a[0], "type", "veth", "peer", "name", b[1],
         "netns", b[0]])  # fmt: skip
    for ns, ifname, addr in (a, b):
        run(in_ns(ns, ["ip", "addr", "add", addr, "dev", ifname]))
        run(in_ns(ns, ["ip", "link", "set", ifname, "up"]))


def _frr(node: ZoneNode, d: Path, ifaces: list[tuple[str, int]], egress_gw: str | None) -> None:
    d.mkdir(parents=True, exist_ok=True)
    (d / "zebra.conf").write_text(zebra_conf(node, str(d)), encoding="utf-8")
    (d / "ospfd.conf").write_text(ospfd_conf(node, ifaces, egress_gw is not None, str(d)), "utf-8")
    daemons = ["zebra", "ospfd"]
    if egress_gw is not None:
        (d / "staticd.conf").write_text(f"ip route 0.0.0.0/0 {egress_gw}\n", encoding="utf-8")
        daemons.insert(1, "staticd")
    shutil.chown(d, "frr", "frr")
    for f in d.iterdir():
        shutil.chown(f, "frr", "frr")
    common = ["-d", "-N", node.ns, "-z", str(d / "zserv.api"), "--vty_socket", str(d), "-P", "0",
              "-u", "frr", "-g", "frr"]  # fmt: skip
    for daemon in daemons:
        argv = [str(FRR_DIR / daemon), *common, "-f", str(d / f"{daemon}.conf"),
                "-i", str(d / f"{daemon}.pid")]  # fmt: skip
        run(in_ns(node.ns, argv))
        if daemon == "zebra":
            _wait(lambda: (d / "zserv.api").exists(), 10, f"zebra of {node.ns}")


def _wait(cond: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(cond) and cond():
            return
        time.sleep(0.05)
    raise LabError(f"lab zones: timed out waiting for {what}")


def build(plan: ZonePlan, work: Path) -> None:
    """Create the namespaces, links, NAT and FRR of the zone lab."""
    require_root("probe zones")
    for n in plan.nodes:
        _mkns(n.ns)
        run(in_ns(n.ns, ["ip", "addr", "add", f"{n.address}/32", "dev", "lo"]))
    _mkns(INTERNET_NS)
    run(in_ns(INTERNET_NS, ["ip", "addr", "add", f"{INTERNET_ADDR}/32", "dev", "lo"]))
    ifaces: dict[str, list[tuple[str, int]]] = {n.ns: [] for n in plan.nodes}
    for lk in plan.links:
        _veth((lk.a_ns, lk.a_if, lk.a_addr), (lk.b_ns, lk.b_if, lk.b_addr))
        ifaces[lk.a_ns].append((lk.a_if, lk.cost))
        ifaces[lk.b_ns].append((lk.b_if, lk.cost))
    gws: dict[str, str] = {}
    for e in plan.egress:
        _veth((e.ns, e.ifname, e.addr), (INTERNET_NS, e.peer_if, e.peer_addr))
        run(in_ns(e.ns, ["nft", "-f", "-"]), input_text=nat_rules(e))
        gws[e.ns] = e.peer_addr.split("/")[0]
    run(in_ns(INTERNET_NS, ["nft", "-f", "-"]), input_text=internet_rules(plan))
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)
    for n in plan.nodes:
        _frr(n, work / n.ns, ifaces[n.ns], gws.get(n.ns))
    logger.info("zone lab: %d namespaces, %d links, %d egresses", len(plan.nodes) + 1,
                len(plan.links), len(plan.egress))  # fmt: skip


def teardown(plan: ZonePlan, work: Path) -> None:
    """Kill the zone lab's daemons (by PID file) and delete its namespaces (by name)."""
    for n in plan.nodes:
        for pidfile in (work / n.ns).glob("*.pid"):
            pid = read_pid(pidfile)
            if pid is not None and pid_alive(pid):
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    for n in plan.nodes:
        for pidfile in (work / n.ns).glob("*.pid"):
            pid = read_pid(pidfile)
            while pid is not None and pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if pid is not None and pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
    have = namespaces()
    for ns in [n.ns for n in plan.nodes] + [INTERNET_NS]:
        if ns in have:
            run(["ip", "netns", "del", ns], check=False)


@contextmanager
def zone_lab(plan: ZonePlan, work: Path) -> Iterator[ZonePlan]:
    """Build the zone lab, yield, and always tear it down."""
    try:
        build(plan, work)
        yield plan
    finally:
        teardown(plan, work)
