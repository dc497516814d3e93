"""Zone (VRF) attachment values for the templates: the CE-facing sub-interfaces of a PE.

The model (:mod:`topology.zones`) decides which zones a site serves and names the sub-interfaces
``<lan port>.<vlan>``; this module turns them into what the ``zones.j2`` partials print.
"""

from __future__ import annotations

from dataclasses import dataclass

from configs.platform_data import PlatformRender, clean_text
from topology.model import Device, Topology


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
