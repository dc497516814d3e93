"""Zones in the lab as VRF-lite: a plan of namespaces, links and egresses (pure).

This kernel has no VRF, MPLS or 802.1Q devices (see ``../shared/design/LAB-ZONES.md``), so a zone
is emulated the way VRF-lite builds it: one network namespace per (PE, zone) — every core and
cloud gateway of a non-township site, for each zone its site serves — joined by one veth pair per
zone per backbone circuit (the circuit's own addresses: VRFs may reuse addresses), one OSPF domain
per zone (an FRR zebra + ospfd per namespace). The PE's zone address (its CE-facing sub-interface
address in the model) sits on the namespace's loopback as a /32. There is no link between two
zones anywhere, which is what an MPLS L3VPN guarantees on real devices; the lab proves the policy
(who reaches whom, which egress is used, the failover), not the label plane.

The internet: a namespace ``ez-internet`` with ``198.51.100.1`` on its loopback and no route back
to the zones, joined to the internet-zone namespace of every egress device (a veth per egress).
That namespace does what the level's firewall does: source NAT (masquerade) and access logging
(an nftables counter + log rule per egress), plus the NAT-leak guard of LAB-ZONES.md (only flows
that leave through this egress are tracked). Each egress originates the default route into its
zone's OSPF as an E1 route while its own static default is up, so a site uses the nearest egress
(its own level first) and fails over to the next nearest when that egress is down.
"""

from __future__ import annotations

from dataclasses import dataclass

from topology.model import Role, Tier, Topology

PREFIX = "ez-"
INTERNET_NS = "ez-internet"
INTERNET_ADDR = "198.51.100.1"
PE_ROLES = (Role.CORE, Role.CLOUD_GW)


@dataclass(frozen=True, slots=True)
class ZoneNode:
    """One (PE, zone) namespace."""

    ns: str
    hostname: str
    site: str
    level: str
    zone: str
    router_id: str
    address: str  # the PE's zone address (no prefix length): probe source and target


@dataclass(frozen=True, slots=True)
class ZoneLink:
    """A backbone circuit's copy in one zone: a veth pair between two zone namespaces."""

    zone: str
    a_ns: str
    a_if: str
    a_addr: str
    b_ns: str
    b_if: str
    b_addr: str
    cost: int


@dataclass(frozen=True, slots=True)
class EgressLink:
    """An egress: the egress device's internet-zone namespace to the internet namespace."""

    name: str
    site: str
    ns: str
    ifname: str
    addr: str
    peer_if: str
    peer_addr: str


@dataclass(frozen=True, slots=True)
class ZonePlan:
    """Everything the zone lab builds."""

    nodes: tuple[ZoneNode, ...]
    links: tuple[ZoneLink, ...]
    egress: tuple[EgressLink, ...]
    internet_zone: str


def zone_ns(hostname: str, zone: str) -> str:
    """Namespace of a (PE, zone).

    Examples:
        >>> zone_ns("lab-core1", "public")
        'ez-lab-core1-public'
    """
    return f"{PREFIX}{hostname}-{zone}"


def _nodes(topo: Topology) -> list[ZoneNode]:
    out = []
    for dev in topo.devices.values():
        site = topo.sites[dev.site]
        if dev.role not in PE_ROLES or site.tier is Tier.TOWNSHIP:
            continue
        for itf in dev.interfaces:
            if itf.kind != "zone" or itf.vrf is None or itf.address is None:
                continue
            out.append(
                ZoneNode(
                    ns=zone_ns(dev.hostname, itf.vrf),
                    hostname=dev.hostname,
                    site=site.name,
                    level=site.tier.value,
                    zone=itf.vrf,
                    router_id=dev.loopback.split("/")[0],
                    address=itf.address.split("/")[0],
                )
            )
    return out


def _links(topo: Topology, have: set[str]) -> list[ZoneLink]:
    out = []
    for c in topo.circuits.values():
        if c.tail or c.role.value == "firewall":
            continue
        for zone in topo.zones:
            a, b = zone_ns(c.a.device, zone), zone_ns(c.b.device, zone)
            if a in have and b in have:
                out.append(
                    ZoneLink(
                        zone,
                        a,
                        c.a.interface,
                        c.a.address,
                        b,
                        c.b.interface,
                        c.b.address,
                        c.cost_ab,
                    )
                )
    return out


def _egress(topo: Topology, zone: str, have: set[str]) -> list[EgressLink]:
    out = []
    for k, e in enumerate(topo.egress.values(), 1):
        # the egress device's internet zone: the core itself, or the firewall's cores
        dev = topo.devices[e.device]
        hosts = (
            [e.device]
            if dev.role in PE_ROLES
            else [c.a.device for c in topo.circuits_of(e.device) if c.role.value == "firewall"][:1]
        )
        ns = zone_ns(hosts[0], zone) if hosts else ""
        if ns not in have:
            continue
        out.append(
            EgressLink(
                e.name, e.site, ns, "inet0", f"100.64.{k}.1/30", f"e-{k}", f"100.64.{k}.2/30"
            )
        )
    return out


def zone_plan(topo: Topology) -> ZonePlan:
    """The zone lab of a topology (see the module doc)."""
    nodes = _nodes(topo)
    have = {n.ns for n in nodes}
    inet = next((z.name for z in topo.zones.values() if z.kind == "internet"), "")
    return ZonePlan(
        nodes=tuple(nodes),
        links=tuple(_links(topo, have)),
        egress=tuple(_egress(topo, inet, have)),
        internet_zone=inet,
    )


def zebra_conf(node: ZoneNode, run_dir: str) -> str:
    """zebra's config of a zone namespace."""
    return f"hostname {node.hostname}-{node.zone}\nlog file {run_dir}/zebra.log\n"


def ospfd_conf(node: ZoneNode, ifaces: list[tuple[str, int]], egress: bool, run_dir: str) -> str:
    """ospfd's config: one area, the veths active, the rest passive; E1 default at an egress.

    Examples:
        >>> n = ZoneNode("ez-r1-internet", "r1", "s", "city", "internet", "1.1.1.1", "10.1.0.1")
        >>> "default-information originate metric 10 metric-type 1" in ospfd_conf(n, [], True, "/r")
        True
    """
    lines = [f"hostname {node.hostname}-{node.zone}", f"log file {run_dir}/ospfd.log", "!"]
    for name, cost in ifaces:
        lines += [
            f"interface {name}",
            " ip ospf network point-to-point",
            " ip ospf hello-interval 1",
            " ip ospf dead-interval 4",
            f" ip ospf cost {cost}",
            "!",
        ]
    lines += [
        "router ospf",
        f" ospf router-id {node.router_id}",
        " timers throttle spf 0 50 1000",
        " passive-interface default",
        *(f" no passive-interface {name}" for name, _ in ifaces),
        " network 0.0.0.0/0 area 0",
    ]
    if egress:
        lines.append(" default-information originate metric 10 metric-type 1")
    return "\n".join([*lines, "!", ""])


def nat_rules(egress: EgressLink) -> str:
    """nftables of an egress namespace: NAT, access log, and the NAT-leak guard (LAB-ZONES.md).

    Examples:
        >>> e = EgressLink("x-egress1", "x", "ez-x-core1-internet", "inet0", "100.64.1.1/30",
        ...                "e-1", "100.64.1.2/30")
        >>> "masquerade" in nat_rules(e) and "notrack" in nat_rules(e)
        True
    """
    i = egress.ifname
    return (
        "table ip egz {\n"
        "  chain raw { type filter hook prerouting priority raw; policy accept;\n"
        f'    iifname != "{i}" fib daddr oifname != "{i}" counter notrack\n'
        "  }\n"
        # the same guard for flows the namespace itself starts (the probes' sources are the PE's
        # own zone addresses): found in the lab, a ping flow sent while failed over kept its
        # un-NATed conntrack entry and leaked after the failback
        "  chain rawout { type filter hook output priority raw; policy accept;\n"
        f'    oifname != "{i}" counter notrack\n'  # (fib is not allowed in the output hook)
        "  }\n"
        "  chain post { type nat hook postrouting priority srcnat; policy accept;\n"
        f'    oifname "{i}" counter log prefix "egnet-egress {egress.name}: " level info\n'
        f'    oifname "{i}" counter masquerade\n'
        "  }\n"
        "}\n"
    )


def internet_rules(plan: ZonePlan) -> str:
    """nftables of the internet namespace: one accounting counter per egress (which one is used),
    and one for un-NATed packets (a leak)."""
    rules = "".join(
        f'    iifname "{e.peer_if}" ip saddr {e.addr.split("/")[0]} counter comment "{e.name}"\n'
        for e in plan.egress
    )
    return (
        "table ip acct {\n"
        "  chain in { type filter hook prerouting priority -300; policy accept;\n"
        f"{rules}"
        '    ip saddr 10.0.0.0/8 counter comment "LEAK"\n'
        "  }\n"
        "}\n"
    )
