"""Department attachment values for the templates: one CE-facing sub-interface per (department,
zone) on each PE of the department's site.

The model (:mod:`topology.departments`) allocates a VLAN and a block per (department, zone); this
module turns them into what the ``departments.j2`` partials print. The sub-interface sits on the
same LAN port as the site's zone sub-interfaces (the PE–CE 802.1Q trunk), is named
``<lan port>.<vlan>``, is bound to the zone's VRF, and takes the PE's address in the block. On a
dual-cored site the department's gateway (the block's first host) is a VRRP virtual address: the
first PE of the site has priority 120, the others 100 (VRID 1: VRIDs are scoped per interface, and
each sub-interface carries one group). ``dhcp_relay`` adds the platform's DHCP relay form.
"""

from __future__ import annotations

from dataclasses import dataclass

from configs.platform_data import PlatformRender, clean_text
from configs.zones import LanPortCtx
from topology.model import Device, Topology

VRRP_VRID = 1
VRRP_MASTER_PRIORITY = 120
VRRP_BACKUP_PRIORITY = 100


@dataclass(frozen=True, slots=True)
class VrrpCtx:
    """The VRRP group of a department sub-interface (dual-cored sites only)."""

    vrid: int
    virtual_ip: str
    priority: int
    default_priority: bool = False  # the platform's default (100): FRR does not print it


@dataclass(frozen=True, slots=True)
class DeptIfCtx:
    """One department sub-interface bound to a zone's VRF."""

    name: str
    parent: str
    vlan: int
    vrf: str
    zone: str
    department: str
    description: str
    ip: str
    mask: str
    cidr: str
    vrrp: VrrpCtx | None
    dhcp_relay: str | None


def _mask(prefixlen: int) -> str:
    """Dotted netmask of a prefix length.

    Examples:
        >>> _mask(28)
        '255.255.255.240'
    """
    m = (0xFFFFFFFF << (32 - prefixlen)) & 0xFFFFFFFF
    return ".".join(str((m >> s) & 255) for s in (24, 16, 8, 0))


def department_interfaces(
    topo: Topology, dev: Device, pr: PlatformRender, lan_ports: tuple[LanPortCtx, ...]
) -> tuple[DeptIfCtx, ...]:
    """The department sub-interfaces of ``dev``, sorted by VLAN (empty when ``dev`` is not a PE of
    a department's site or carries no zone LAN port)."""
    if not lan_ports:
        return ()
    port = lan_ports[0].name
    out: list[DeptIfCtx] = []
    for dept in topo.departments.values():
        if dev.hostname not in dept.pe:
            continue
        index = dept.pe.index(dev.hostname)
        for att in dept.attachments:
            plen = int(att.prefix.partition("/")[2])
            ip = att.pe_addresses[index] if index < len(att.pe_addresses) else att.pe_addresses[0]
            vrrp = (
                VrrpCtx(
                    vrid=VRRP_VRID,
                    virtual_ip=att.gateway,
                    priority=VRRP_MASTER_PRIORITY if index == 0 else VRRP_BACKUP_PRIORITY,
                    default_priority=index != 0 and VRRP_BACKUP_PRIORITY == 100,
                )
                if len(dept.pe) > 1
                else None
            )
            out.append(
                DeptIfCtx(
                    name=f"{port}.{att.vlan}",
                    parent=port,
                    vlan=att.vlan,
                    vrf=topo.zones[att.zone].vrf,
                    zone=att.zone,
                    department=dept.id,
                    description=clean_text(dept.id, pr.description_replace),
                    ip=ip,
                    mask=_mask(plen),
                    cidr=f"{ip}/{plen}",
                    vrrp=vrrp,
                    dhcp_relay=dept.dhcp_relay,
                )
            )
    return tuple(sorted(out, key=lambda d: d.vlan))
