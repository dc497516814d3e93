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


def ensure_mgmt(rec: StateRecorder, plan: LabPlan, node: LabNode) -> None:
    """Attach a router's management interface to the bridge and give it its address."""
    if not link_exists(node.namespace, node.mgmt_interface):
        run(
            [
                "ip",
                "-n",
                node.namespace,
                "link",
                "add",
                node.mgmt_interface,
                "type",
                "veth",
                "peer",
                "name",
                node.mgmt_peer,
                "netns",
                plan.nms_namespace,
            ]
        )
        rec.add(
            "veths",
            VethRecord(
                namespace=node.namespace,
                name=node.mgmt_interface,
                peer_namespace=plan.nms_namespace,
                peer_name=node.mgmt_peer,
                purpose="mgmt",
            ),
        )
        run(["ip", "-n", plan.nms_namespace, "link", "set", node.mgmt_peer, "master", plan.bridge])
        run(
            [
                "ip",
                "-n",
                node.namespace,
                "addr",
                "add",
                node.mgmt_address,
                "dev",
                node.mgmt_interface,
            ]
        )
    run(["ip", "-n", plan.nms_namespace, "link", "set", node.mgmt_peer, "up"])
    run(["ip", "-n", node.namespace, "link", "set", node.mgmt_interface, "up"])


def ensure_link(rec: StateRecorder, link: LabLink) -> None:
    """Create a circuit's veth pair, bring both ends up and shape both directions."""
    if not link_exists(link.a_namespace, link.a_interface):
        run(
            [
                "ip",
                "-n",
                link.a_namespace,
                "link",
                "add",
                link.a_interface,
                "type",
                "veth",
                "peer",
                "name",
                link.b_interface,
                "netns",
                link.b_namespace,
            ]
        )
        rec.add(
            "veths",
            VethRecord(
                namespace=link.a_namespace,
                name=link.a_interface,
                peer_namespace=link.b_namespace,
                peer_name=link.b_interface,
                purpose=f"circuit {link.circuit}",
            ),
        )
    for ns, dev in ((link.a_namespace, link.a_interface), (link.b_namespace, link.b_interface)):
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
