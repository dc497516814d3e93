"""Zone (VRF) attachment values for the templates: the CE-facing sub-interfaces of a PE.

The model (:mod:`topology.zones`) decides which zones a site serves and names the sub-interfaces
``<lan port>.<vlan>``; this module turns them into what the ``zones.j2`` partials print.
"""

from __future__ import annotations

from dataclasses import dataclass

from configs.platform_data import PlatformRender, clean_text
from topology.model import Device, Topology
from topology.zones import CE_PE_KIND, CE_UPLINK_KIND


@dataclass(frozen=True, slots=True)
class ZoneIfCtx:
    """One CE-facing sub-interface bound to a zone's VRF."""

    name: str
    parent: str
    vlan: int
    vrf: str
    zone: str
    description: str
    ip: str
    mask: str
    cidr: str


@dataclass(frozen=True, slots=True)
class LanPortCtx:
    """A physical LAN port that carries zone sub-interfaces (802.1Q trunk towards the CEs)."""

    name: str
    description: str


def split_subif(name: str) -> tuple[str, int]:
    """Split ``<port>.<vlan>`` into the parent port and the VLAN tag.

    Examples:
        >>> split_subif("GigabitEthernet0/0/5.100")
        ('GigabitEthernet0/0/5', 100)
    """
    parent, _, vlan = name.rpartition(".")
    return parent, int(vlan)


def _mask(prefixlen: int) -> str:
    """Dotted netmask of a prefix length.

    Examples:
        >>> _mask(26)
        '255.255.255.192'
    """
    m = (0xFFFFFFFF << (32 - prefixlen)) & 0xFFFFFFFF
    return ".".join(str((m >> s) & 255) for s in (24, 16, 8, 0))


def zone_interfaces(
    topo: Topology, dev: Device, pr: PlatformRender
) -> tuple[tuple[LanPortCtx, ...], tuple[ZoneIfCtx, ...]]:
    """The LAN ports and zone sub-interfaces of ``dev`` (empty for devices without zones)."""
    subs: list[ZoneIfCtx] = []
    parents: dict[str, None] = {}
    for i in dev.interfaces:
        if i.kind != "zone" or i.vrf is None or i.address is None:
            continue
        parent, vlan = split_subif(i.name)
        ip, _, plen = i.address.partition("/")
        zone = topo.zones[i.vrf]
        parents[parent] = None
        subs.append(
            ZoneIfCtx(
                name=i.name,
                parent=parent,
                vlan=vlan,
                vrf=zone.vrf,
                zone=zone.name,
                description=clean_text(i.description, pr.description_replace),
                ip=ip,
                mask=_mask(int(plen)),
                cidr=i.address,
            )
        )
    ports = tuple(LanPortCtx(name=p, description="zone LAN 802.1Q trunk to CEs") for p in parents)
    return ports, tuple(subs)


@dataclass(frozen=True, slots=True)
class CeLinkCtx:
    """One VRF-lite link between a township CE and its county PE: an 802.1Q sub-interface of the
    uplink bound to the zone's VRF, and the static route over it (PE: the township's zone block
    to the CE; CE: the zone's pool to the PE)."""

    name: str
    parent: str
    vlan: int
    vrf: str
    zone: str
    description: str
    ip: str
    mask: str
    cidr: str
    peer_ip: str
    route_net: str
    route_mask: str
    route_cidr: str
    route_plen: int
    pe: bool  # True on the county PE, False on the township CE


def _peer_host(address: str) -> str:
    """The other host of a /30 (or /31).

    Examples:
        >>> _peer_host("10.0.3.253/30"), _peer_host("10.0.3.254/30")
        ('10.0.3.254', '10.0.3.253')
    """
    ip, _, plen = address.partition("/")
    a, b, c, x = (int(v) for v in ip.split("."))
    if plen == "31":
        return f"{a}.{b}.{c}.{x ^ 1}"
    return f"{a}.{b}.{c}.{x + 1 if x % 4 == 1 else x - 1}"


def _net(cidr: str) -> tuple[str, str]:
    """Network address and dotted mask of ``cidr``.

    Examples:
        >>> _net("10.0.3.192/26")
        ('10.0.3.192', '255.255.255.192')
    """
    net, _, plen = cidr.partition("/")
    return net, _mask(int(plen))


def ce_links(
    topo: Topology,
    dev: Device,
    pr: PlatformRender,
    blocks_by_site: dict[str, list[tuple[str, str]]],
) -> tuple[CeLinkCtx, ...]:
    """The township VRF-lite CE links of ``dev`` (county PE or township access router)."""
    circuit_of = {i.name: i.circuit for i in dev.interfaces if i.circuit is not None}
    out = []
    for i in dev.interfaces:
        if i.kind not in (CE_PE_KIND, CE_UPLINK_KIND) or i.vrf is None or i.address is None:
            continue
        parent, vlan = split_subif(i.name)
        zone = topo.zones[i.vrf]
        pe = i.kind == CE_PE_KIND
        if pe:
            c = topo.circuits[circuit_of[parent] or ""]
            ce = c.b.device if c.a.device == dev.hostname else c.a.device
            route = dict(blocks_by_site.get(topo.devices[ce].site, []))[zone.name]
        else:
            route = zone.pool
        ip, _, plen = i.address.partition("/")
        net, mask = _net(route)
        out.append(
            CeLinkCtx(
                name=i.name,
                parent=parent,
                vlan=vlan,
                vrf=zone.vrf,
                zone=zone.name,
                description=clean_text(i.description, pr.description_replace),
                ip=ip,
                mask=_mask(int(plen)),
                cidr=i.address,
                peer_ip=_peer_host(i.address),
                route_net=net,
                route_mask=mask,
                route_cidr=route,
                route_plen=int(route.partition("/")[2]),
                pe=pe,
            )
        )
    return tuple(out)
