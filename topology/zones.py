"""Zone membership: which zones (VRFs) each site serves, and its PEs' CE-facing zone interfaces.

Rules (the inventory states them; nothing here is a hidden default):

* a province, city or county site serves every zone whose ``site_prefix`` has a block size for its
  tier (the IPAM lock gives it that block);
* a government-cloud site serves the zones with a ``cloud`` block size that its ``cloud.zones``
  list names (every such zone when the list is empty);
* a township serves the zones its ``zones:`` list names, else ``tiers.township.zones``, else every
  zone with a ``township`` block size. The default follows the address plan: the plan reserves
  township space only for the zones a township needs (in the bundled inventories the public zone
  for the service centre's cross-department applications and the management zone for in-band
  management); the internet access zone is a per-level service of the county and above.

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
from topology.model import Interface, Role, Tier
from topology.schema import NetworkFile, ZoneIn
from topology.source import SourceFile

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
    return errors


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
