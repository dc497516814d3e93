"""The government cloud's border firewall (政务云边界): a device of its own per cloud site.

A cloud site (``tiers.cloud.firewall`` or its ``cloud.firewall``) gets ``<cloud>-fw1`` (model and
platform as data, like the egress firewalls) between its gateways and the cloud's extranet
application area. Per zone the cloud serves:

* the *extranet side*: a sub-interface ``<ext port>.<vlan>`` on the gateways' zone LAN (the bottom
  half of the cloud's zone block, where gateway *i* has host *i*); the firewall takes the host
  after the last gateway;
* the *cloud side*: a sub-interface ``<app port>.<vlan>`` in the zone's application sub-area, the
  top half of the block (first host), where the operator places the zone's hosted applications.

The gateways route the sub-area to the firewall in the zone's VRF; the firewall routes each
zone's pool back to the gateways. Its policy permits, per hosted extranet application, its zone's
pool to its zone's sub-area, and denies (and logs) everything else, so no zone reaches another
zone's applications through it. The internet application area gets no interface, no route and no
rule: it is physically separate and leaves by the operator's own internet exit.
"""

from __future__ import annotations

from collections.abc import Callable

from topology.expand import Drafts
from topology.ipam import format_address, parse_prefix
from topology.model import BorderFirewall, BorderRule, Interface, Role
from topology.zones import host_address, lower_half

BORDER_PORTS = ("ext", "app")  # lock port keys: the extranet-side and the cloud-side trunk


def border_hosts(d: Drafts) -> dict[str, str]:
    """Border firewall hostname → its cloud site."""
    return {f"{s.name}-fw1": s.name for s in d.sites.values() if s.border is not None}


def upper_half(block: str) -> str:
    """The top half of ``block``: a zone's application sub-area at a cloud.

    Examples:
        >>> upper_half("10.0.16.0/20")
        '10.0.24.0/21'
    """
    base, plen = parse_prefix(block)
    return f"{format_address(base + (1 << (31 - plen)))}/{plen + 1}"


def border_interfaces(
    d: Drafts,
    served: dict[str, tuple[str, ...]],
    blocks: dict[str, dict[str, str]],
    vlans: dict[str, int],
    port_of: Callable[[str, str], str],
) -> dict[str, list[Interface]]:
    """Each border firewall's per-zone extranet-side and cloud-side sub-interfaces."""
    out: dict[str, list[Interface]] = {}
    for host, site in border_hosts(d).items():
        gws = [h for h in d.sites[site].devices if d.devices[h].role is Role.CLOUD_GW]
        ext, app = (port_of(host, k) for k in BORDER_PORTS)
        itfs = out.setdefault(host, [])
        for z in served.get(site, ()):
            block = blocks.get(z, {}).get(site)
            if block is None:
                continue
            tag = vlans[z]
            itfs.append(
                Interface(
                    name=f"{ext}.{tag}",
                    kind="border_ext",
                    address=host_address(lower_half(block), len(gws) + 1),
                    circuit=None,
                    description=f"zone {z} vlan {tag} extranet side (gateways)",
                    vrf=z,
                )
            )
            itfs.append(
                Interface(
                    name=f"{app}.{tag}",
                    kind="border_app",
                    address=host_address(upper_half(block), 1),
                    circuit=None,
                    description=f"zone {z} vlan {tag} application sub-area",
                    vrf=z,
                )
            )
    return out


def resolve_borders(
    d: Drafts, pools: dict[str, str], interfaces: dict[str, list[Interface]]
) -> dict[str, BorderFirewall]:
    """The border firewalls of the resolved model, with the policy from the hosted applications."""
    out: dict[str, BorderFirewall] = {}
    for host, site in border_hosts(d).items():
        s = d.sites[site]
        areas = {
            i.vrf: _network(i.address or "")
            for i in interfaces.get(host, [])
            if i.kind == "border_app" and i.vrf
        }
        apps = s.cloud.applications if s.cloud else ()
        rules = tuple(
            BorderRule(
                application=a.name,
                label=a.label,
                zone=a.zone,
                source=pools[a.zone],
                destination=areas[a.zone],
            )
            for a in apps
            if a.area == "extranet" and a.zone in areas
        )
        fw = s.border
        out[host] = BorderFirewall(
            hostname=host,
            site=site,
            zones=tuple(areas),
            sub_areas=areas,
            rules=rules,
            log_servers=fw.log_servers if fw else (),
        )
    return out


def _network(address: str) -> str:
    """The network of an interface address.

    Examples:
        >>> _network("10.0.24.1/21")
        '10.0.24.0/21'
    """
    ip, _, plen = address.partition("/")
    a, b, c, x = (int(v) for v in ip.split("."))
    mask = (0xFFFFFFFF << (32 - int(plen))) & 0xFFFFFFFF
    return f"{format_address(((a << 24) | (b << 16) | (c << 8) | x) & mask)}/{plen}"
