"""Zone membership: which zones (VRFs) each site serves, and its PEs' CE-facing zone interfaces.

Rules (the inventory states them; nothing here is a hidden default):

* a province, city or county site serves every zone whose ``site_prefix`` has a block size for its
  tier (the IPAM lock gives it that block);
* a government-cloud site serves the zones with a ``cloud`` block size that its ``cloud.zones``
  list names (every such zone when the list is empty);
* a township serves the zones its ``zones:`` list names, else ``tiers.township.zones``, else every
  zone with a ``township`` block size. The default follows the address plan and DOMAIN.md: a
  township's service centre (便民服务中心) joins the public zone (公用网络区: the cross-department
  applications it serves citizens with) and the government office business zone (政府系统办公业务区:
  it covers every level of government, townships included), plus the management zone for in-band
  management; the internet access zone is a per-level service of the county and above (分级出口),
  and department VPNs end at the county unless a township names one.

A township's access router is a multi-VRF CE (VRF-lite, Huawei/H3C "MCE") towards its county PE:
on every uplink, one 802.1Q sub-interface per zone the township serves, bound to the zone's VPN
instance on both ends. Each such link is a /30 carved from the top of the township's zone block
(uplink *k*, 0-based, takes the *k*-th /30 from the top; the PE takes the first host, the CE the
second); the rest of the block is the township's zone LAN. The PE routes the township block to the
CE and originates it in the zone's VPN (BGP ``network``); the CE routes the zone's pool to the PE,
so a township zone reaches exactly its zone and nothing else (the office zone has no default route).

Every PE (core, cloud gateway) of a non-township site carries one CE-facing sub-interface per zone
the site serves, on one LAN port (port key ``lan`` in the lock), 802.1Q tag = the zone's VLAN,
bound to the zone's VRF and addressed from the bottom half of the zone's site block (PE number *i*
takes host *i*, prefix length one longer than the block's): the top half is where departments'
blocks are carved (topology/departments.py), and vendors refuse overlapping subnets on two
interfaces of one VRF.
"""

from __future__ import annotations

from topology.departments import VLAN_FIRST, VLAN_LAST
from topology.diagnostics import Diagnostic, known
from topology.expand import Drafts, SiteDraft
from topology.ipam import format_address, parse_prefix
from topology.model import Circuit, CircuitRole, Interface, Role, Tier
from topology.schema import NetworkFile, ZoneIn
from topology.source import SourceFile

CE_LINK_PREFIX = 30  # a township CE link per uplink per zone
CE_PE_KIND = "ce_pe"  # the PE end of a township CE link (county core sub-interface)
CE_UPLINK_KIND = "ce_uplink"  # the CE end (township access router sub-interface)
LAN_PORT = "lan"  # the key of the CE-facing LAN port in the lock's ``ports`` section
ZONE_PE_ROLES = (Role.CORE, Role.CLOUD_GW)
DEPARTMENT_VLANS = (VLAN_FIRST, VLAN_LAST)  # departments' per-zone VLANs on the same PE-CE trunks


def zone_vlan(spec: ZoneIn) -> int:
    """The 802.1Q tag of a zone's CE-facing sub-interfaces: ``vlan``, else its ``vpn_id``.

    Examples:
        >>> from topology.schema import ZoneIn
        >>> z = ZoneIn(label="x", kind="public", pool="10.0.0.0/16", vpn_id=100, site_prefix={})
        >>> zone_vlan(z), zone_vlan(z.model_copy(update={"vlan": 7}))
        (100, 7)
    """
    return spec.vlan if spec.vlan is not None else spec.vpn_id


def _township_choice(net: NetworkFile, s: SiteDraft) -> tuple[str, ...] | None:
    if s.zones is not None:
        return s.zones
    return net.tiers.township.zones


def site_zones(net: NetworkFile, d: Drafts) -> dict[str, tuple[str, ...]]:
    """The zones each site serves, in ``network.yaml`` order (see the module rules)."""
    out: dict[str, tuple[str, ...]] = {}
    for s in d.sites.values():
        tier = s.tier.value
        with_block = [z for z, spec in net.zones.items() if tier in spec.site_prefix]
        if s.tier is Tier.TOWNSHIP:
            chosen = _township_choice(net, s)
            out[s.name] = tuple(
                with_block if chosen is None else [z for z in with_block if z in chosen]
            )
        elif s.tier is Tier.CLOUD and s.cloud is not None and s.cloud.zones:
            out[s.name] = tuple(z for z in with_block if z in s.cloud.zones)
        else:
            out[s.name] = tuple(with_block)
    return out


def check_zones(net: NetworkFile, net_src: SourceFile, d: Drafts) -> list[Diagnostic]:
    """Zone VLANs must be valid 802.1Q tags and distinct; township zone choices must exist and
    have a township block size."""
    errors: list[Diagnostic] = []
    seen: dict[int, str] = {}
    for name, spec in net.zones.items():
        vlan = zone_vlan(spec)
        field = "vlan" if spec.vlan is not None else "vpn_id"
        if not 2 <= vlan <= 4094:
            errors.append(
                net_src.error(
                    ("zones", name, field),
                    f"zone '{name}' needs an 802.1Q tag 2..4094 for its sub-interfaces, got {vlan}",
                    "set zones.<name>.vlan",
                )
            )
        elif DEPARTMENT_VLANS[0] <= vlan <= DEPARTMENT_VLANS[1]:
            errors.append(
                net_src.error(
                    ("zones", name, field),
                    f"zone '{name}' VLAN {vlan} is in the departments' range "
                    f"{DEPARTMENT_VLANS[0]}-{DEPARTMENT_VLANS[1]} (topology/departments.py)",
                    "set zones.<name>.vlan below it",
                )
            )
        elif vlan in seen:
            errors.append(
                net_src.error(
                    ("zones", name, field),
                    f"zone '{name}' uses VLAN {vlan}, already used by zone '{seen[vlan]}'",
                    "set a distinct zones.<name>.vlan",
                )
            )
        seen.setdefault(vlan, name)
    township_ok = {z: spec for z, spec in net.zones.items() if "township" in spec.site_prefix}
    if net.tiers.township.zones is not None:
        for i, z in enumerate(net.tiers.township.zones):
            if z not in township_ok:
                errors.append(
                    _bad_choice(net_src, ("tiers", "township", "zones", i), z, township_ok)
                )
    for s in d.sites.values():
        for i, z in enumerate(s.zones or ()):
            if z not in township_ok:
                errors.append(_bad_choice(s.src, (*s.path, "zones", i), z, township_ok))
    return errors + _check_ce_room(net, net_src, d, township_ok)


def _check_ce_room(
    net: NetworkFile, net_src: SourceFile, d: Drafts, township_ok: dict[str, ZoneIn]
) -> list[Diagnostic]:
    """A township block must hold one CE link /30 per uplink in its top half."""
    access = {h for h, dev in d.devices.items() if dev.role is Role.ACCESS}
    uplinks: dict[str, int] = {}
    for c in d.circuits.values():
        for h in (c.a, c.b):
            if c.role is CircuitRole.UPLINK and h in access:
                uplinks[h] = uplinks.get(h, 0) + 1
    most = max(uplinks.values(), default=0)
    return [
        net_src.error(
            ("zones", z, "site_prefix", "township"),
            f"zone '{z}': a township /{spec.site_prefix['township']} has no room for {most} "
            f"CE link /{CE_LINK_PREFIX}s (one per uplink) in the top half of the block",
            "give townships a larger block (a /28 holds two uplinks' links)",
        )
        for z, spec in township_ok.items()
        if not ce_links_fit(spec.site_prefix["township"], most)
    ]


def _bad_choice(
    src: SourceFile, path: tuple[str | int, ...], zone: str, ok: dict[str, ZoneIn]
) -> Diagnostic:
    return src.error(
        path,
        f"zone '{zone}' is not a zone with a township block size",
        known(ok) + " (give the zone a site_prefix.township in network.yaml)",
    )


def lan_devices(d: Drafts, zones: dict[str, tuple[str, ...]]) -> list[str]:
    """Hostnames that carry zone sub-interfaces: PEs of non-township sites serving a zone."""
    return [
        h
        for h, dev in d.devices.items()
        if dev.role in ZONE_PE_ROLES
        and d.sites[dev.site].tier is not Tier.TOWNSHIP
        and zones.get(dev.site)
    ]


def host_address(block: str, index: int) -> str:
    """Host ``index`` (1-based) of ``block`` with the block's prefix length.

    Examples:
        >>> host_address("10.0.4.0/24", 2)
        '10.0.4.2/24'
    """
    base, plen = parse_prefix(block)
    if index >= (1 << (32 - plen)) - 1:
        raise ValueError(f"block {block} has no host {index}")
    return f"{format_address(base + index)}/{plen}"


def lower_half(block: str) -> str:
    """The bottom half of ``block`` (the site's own zone interfaces; departments use the top).

    Examples:
        >>> lower_half("10.0.4.0/26")
        '10.0.4.0/27'
    """
    base, plen = parse_prefix(block)
    return f"{format_address(base)}/{plen + 1}"


def zone_interfaces(
    port: str, pe_index: int, served: tuple[str, ...], blocks: dict[str, str], vlans: dict[str, int]
) -> list[Interface]:
    """The CE-facing sub-interfaces of one PE: one per served zone, on LAN port ``port``.

    Examples:
        >>> [i.name for i in zone_interfaces("eth5", 1, ("public",), {"public": "10.0.0.0/24"},
        ...                                   {"public": 100})]
        ['eth5.100']
    """
    return [
        Interface(
            name=f"{port}.{vlans[z]}",
            kind="zone",
            address=host_address(lower_half(blocks[z]), pe_index),
            circuit=None,
            description=f"zone {z} vlan {vlans[z]} CE LAN",
            vrf=z,
        )
        for z in served
        if z in blocks
    ]


def ce_link_subnet(block: str, index: int) -> str:
    """The /30 of CE link ``index`` (0-based) in a township zone block: from the top down.

    Examples:
        >>> ce_link_subnet("10.0.0.64/28", 0), ce_link_subnet("10.0.0.64/28", 1)
        ('10.0.0.76/30', '10.0.0.72/30')
    """
    base, plen = parse_prefix(block)
    size = 1 << (32 - plen)
    if 4 * (index + 1) > size // 2:
        raise ValueError(f"block {block} has no room for CE link {index + 1}")
    return f"{format_address(base + size - 4 * (index + 1))}/{CE_LINK_PREFIX}"


def ce_links_fit(plen: int, uplinks: int) -> bool:
    """Whether ``uplinks`` CE /30s fit in the top half of a township block of length ``plen``.

    Examples:
        >>> ce_links_fit(28, 2), ce_links_fit(29, 1), ce_links_fit(28, 3)
        (True, True, False)
    """
    return 4 * uplinks <= (1 << (32 - plen)) // 2


def _township_uplinks(host: str, circuits: dict[str, Circuit]) -> list[Circuit]:
    return [c for c in circuits.values() if c.role is CircuitRole.UPLINK and host in c.ends()]


def township_ce_interfaces(
    d: Drafts,
    zones: dict[str, tuple[str, ...]],
    blocks: dict[str, dict[str, str]],
    vlans: dict[str, int],
    circuits: dict[str, Circuit],
) -> dict[str, list[Interface]]:
    """The VRF-lite CE links of every township: hostname → its zone sub-interfaces.

    ``blocks`` is zone → site → block (the lock). Both ends get one ``<port>.<vlan>`` per uplink
    and zone: kind ``ce_uplink`` on the township's access router, ``ce_pe`` on the county PE.
    """
    out: dict[str, list[Interface]] = {}
    for s in d.sites.values():
        if s.tier is not Tier.TOWNSHIP or not zones.get(s.name):
            continue
        for host in (h for h in s.devices if d.devices[h].role is Role.ACCESS):
            for k, c in enumerate(_township_uplinks(host, circuits)):
                me, pe = (c.a, c.b) if c.a.device == host else (c.b, c.a)
                for z in zones[s.name]:
                    block = blocks.get(z, {}).get(s.name)
                    if block is None:
                        continue
                    net = ce_link_subnet(block, k)
                    tag = vlans[z]
                    out.setdefault(pe.device, []).append(
                        Interface(
                            name=f"{pe.interface}.{tag}",
                            kind=CE_PE_KIND,
                            address=host_address(net, 1),
                            circuit=None,
                            description=f"zone {z} vlan {tag} CE {host} | ckt {c.id}",
                            vrf=z,
                        )
                    )
                    out.setdefault(host, []).append(
                        Interface(
                            name=f"{me.interface}.{tag}",
                            kind=CE_UPLINK_KIND,
                            address=host_address(net, 2),
                            circuit=None,
                            description=f"zone {z} vlan {tag} PE {pe.device} | ckt {c.id}",
                            vrf=z,
                        )
                    )
    return out
