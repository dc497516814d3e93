"""Kernel objects of the lab: namespaces, the management bridge, veth pairs and tc shaping."""

from __future__ import annotations

import logging

from lab.plan import LabLink, LabNode, LabPlan, tbf_burst_bytes
from lab.state import BridgeRecord, StateRecorder, VethRecord
from lab.system import LabError, namespaces, run

logger = logging.getLogger(__name__)


def ensure_namespace(rec: StateRecorder, name: str) -> None:
    """Create namespace ``name`` (lo up, IPv4 forwarding on) unless this lab already owns it."""
    if name in namespaces():
        if name not in rec.state.namespaces:
            raise LabError(
                f"lab up: namespace '{name}' exists but was not created by this lab\n"
                "  hint: remove it yourself or change the lab; egnet will not touch it"
            )
        return
    run(["ip", "netns", "add", name])
    rec.add("namespaces", name)
    run(["ip", "-n", name, "link", "set", "lo", "up"])
    for key in (
        "net.ipv4.ip_forward=1",
        "net.ipv4.conf.all.rp_filter=0",
        "net.ipv4.conf.default.rp_filter=0",
        "net.ipv4.fib_multipath_hash_policy=1",
    ):
        run(["ip", "netns", "exec", name, "sysctl", "-qw", key])


def link_exists(namespace: str, name: str) -> bool:
    """True when interface ``name`` exists in ``namespace``."""
    return run(["ip", "-n", namespace, "link", "show", "dev", name], check=False).returncode == 0


def ensure_bridge(rec: StateRecorder, plan: LabPlan) -> None:
    """Create the management bridge in the NMS namespace with the NMS address."""
    ns, br = plan.nms_namespace, plan.bridge
    if not link_exists(ns, br):
        run(["ip", "-n", ns, "link", "add", br, "type", "bridge"])
        rec.add("bridges", BridgeRecord(namespace=ns, name=br))
        run(["ip", "-n", ns, "addr", "add", plan.nms_address, "dev", br])
    run(["ip", "-n", ns, "link", "set", br, "up"])


def add_veth(rec: StateRecorder, a: tuple[str, str], b: tuple[str, str], purpose: str) -> bool:
    """Create a veth pair from (namespace, name) ``a`` to ``b`` unless ``a`` exists; record it.

    Returns:
        True when the pair was created now.
    """
    if link_exists(*a):
        return False
    cmd = ["ip", "-n", a[0], "link", "add", a[1], "type", "veth", "peer", "name", b[1]]
    run([*cmd, "netns", b[0]])
    rec.add(
        "veths",
        VethRecord(namespace=a[0], name=a[1], peer_namespace=b[0], peer_name=b[1], purpose=purpose),
    )
    return True


def ensure_mgmt(rec: StateRecorder, plan: LabPlan, node: LabNode) -> None:
    """Attach a router's management interface to the bridge and give it its address."""
    mine, nms = (node.namespace, node.mgmt_interface), (plan.nms_namespace, node.mgmt_peer)
    if add_veth(rec, mine, nms, "mgmt"):
        run(["ip", "-n", plan.nms_namespace, "link", "set", node.mgmt_peer, "master", plan.bridge])
        run(["ip", "-n", node.namespace, "addr", "add", node.mgmt_address, "dev", mine[1]])
    run(["ip", "-n", plan.nms_namespace, "link", "set", node.mgmt_peer, "up"])
    run(["ip", "-n", node.namespace, "link", "set", node.mgmt_interface, "up"])


def ensure_link(rec: StateRecorder, link: LabLink) -> None:
    """Create a circuit's veth pair, bring both ends up and shape both directions."""
    a, b = (link.a_namespace, link.a_interface), (link.b_namespace, link.b_interface)
    add_veth(rec, a, b, f"circuit {link.circuit}")
    for ns, dev in (a, b):
        shape(ns, dev, link.rate_bps)
        run(["ip", "-n", ns, "link", "set", dev, "up"])


def shape(namespace: str, dev: str, rate_bps: int) -> None:
    """Shape egress of ``dev`` to ``rate_bps`` with a token bucket (replace: idempotent)."""
    run(
        [
            "tc",
            "-n",
            namespace,
            "qdisc",
            "replace",
            "dev",
            dev,
            "root",
            "tbf",
            "rate",
            f"{rate_bps}bit",
            "burst",
            str(tbf_burst_bytes(rate_bps)),
            "latency",
            "50ms",
        ]
    )


def set_link(namespace: str, dev: str, up: bool) -> None:
    """Bring a lab interface up or down (to emulate a circuit failure)."""
    run(["ip", "-n", namespace, "link", "set", dev, "up" if up else "down"])
