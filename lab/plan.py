"""What the lab builds for a topology: namespaces, veth pairs, shaping, management (pure).

The plan is data computed from the frozen :class:`topology.Topology`; :mod:`lab.manager` turns it into
namespaces and processes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from lab.naming import MGMT_BRIDGE, NMS_NAMESPACE, mgmt_peer_name, namespace_name
from topology.diagnostics import OperationError
from topology.management import nms_host
from topology.model import Topology

LAB_PLATFORM = "frr"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LabNode(_Frozen):
    """One router: its namespace and management attachment."""

    hostname: str
    namespace: str
    site: str
    mgmt_interface: str
    mgmt_address: str
    mgmt_peer: str
    loopback: str
    interfaces: tuple[str, ...]


class LabLink(_Frozen):
    """One circuit: a veth pair between two namespaces, shaped to the circuit's rate."""

    circuit: str
    a_namespace: str
    a_interface: str
    b_namespace: str
    b_interface: str
    rate_bps: int


class LabPlan(_Frozen):
    """Everything ``lab up`` creates for one topology."""

    network: str
    nms_namespace: str
    nms_address: str
    bridge: str
    nodes: tuple[LabNode, ...]
    links: tuple[LabLink, ...]
    banner: str


def nms_address(mgmt_address: str) -> str:
    """Return the NMS address (:func:`topology.management.nms_host`) with its prefix length.

    Examples:
        >>> nms_address("198.19.0.23/24")
        '198.19.0.1/24'
    """
    return str(nms_host(mgmt_address))


def tbf_burst_bytes(rate_bps: int) -> int:
    """Return a token-bucket burst for ``rate_bps``: 10 ms at line rate, at least 16 kB.

    Examples:
        >>> tbf_burst_bytes(20_000_000)
        25000
        >>> tbf_burst_bytes(1_000_000)
        16384
    """
    return max(rate_bps // 8 // 100, 16384)


def build_plan(topo: Topology) -> LabPlan:
    """Return the lab plan of ``topo``; raise when a device is not an FRR router.

    Examples:
        >>> from topology import load_topology
        >>> plan = build_plan(load_topology("inventory/lab"))
        >>> (len(plan.nodes), len(plan.links), plan.nms_address)
        (20, 26, '198.19.0.1/24')
    """
    others = sorted(d.hostname for d in topo.devices.values() if d.platform != LAB_PLATFORM)
    if others:
        raise OperationError(
            f"lab: {len(others)} device(s) are not '{LAB_PLATFORM}' (first: {others[0]}); "
            "the lab runs FRR only\n  hint: use inventory/lab or an all-FRR inventory"
        )
    if not topo.devices:
        raise OperationError(f"lab: network '{topo.name}' has no devices")
    nodes = tuple(_node(topo, h) for h in sorted(topo.devices))
    links = tuple(
        LabLink(
            circuit=c.id,
            a_namespace=namespace_name(c.a.device),
            a_interface=c.a.interface,
            b_namespace=namespace_name(c.b.device),
            b_interface=c.b.interface,
            rate_bps=c.capacity_bps,
        )
        for c in sorted(topo.circuits.values(), key=lambda c: c.id)
    )
    return LabPlan(
        network=topo.name,
        nms_namespace=NMS_NAMESPACE,
        nms_address=nms_address(nodes[0].mgmt_address),
        bridge=MGMT_BRIDGE,
        nodes=nodes,
        links=links,
        banner=topo.management.banner,
    )


def _node(topo: Topology, hostname: str) -> LabNode:
    dev = topo.devices[hostname]
    plat = topo.platforms[dev.platform]
    return LabNode(
        hostname=hostname,
        namespace=namespace_name(hostname),
        site=dev.site,
        mgmt_interface=plat.mgmt_interface,
        mgmt_address=dev.mgmt_address,
        mgmt_peer=mgmt_peer_name(hostname),
        loopback=dev.loopback,
        interfaces=tuple(i.name for i in dev.interfaces if i.kind == "p2p"),
    )
