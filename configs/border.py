"""A cloud's border firewall for the templates, and the gateways' routes toward it.

The model (:mod:`topology.border`) places the firewall's per-zone extranet-side and cloud-side
sub-interfaces and its policy. Here:

* on the border firewall: the trunk ports and sub-interfaces, the security zones (trust = the
  application sub-areas, untrust = the extranet side), a route back to each zone's pool via every
  gateway, one logged permit per hosted extranet application (its zone's pool to its zone's
  sub-area) and a logged default deny;
* on a cloud gateway: in each zone's VRF a static route of the zone's sub-area to the firewall.
"""

from __future__ import annotations

from dataclasses import dataclass

from configs.egress import LinkCtx, NetCtx, net_ctx
from configs.platform_data import PlatformRender, clean_text
from topology.model import Device, Role, Topology


@dataclass(frozen=True, slots=True)
class BorderZoneCtx:
    """One zone at the border: its two sub-interfaces and the way back to its pool."""

    zone: str
    vlan: int
    ext: LinkCtx
    app: LinkCtx
    pool: NetCtx
    gateways: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BorderRuleCtx:
    """A permit: one zone's pool to one hosted application's sub-area."""

    name: str
    description: str
    source: NetCtx
    destination: NetCtx


@dataclass(frozen=True, slots=True)
class BorderCtx:
    """Everything a firewall's ``border.j2`` prints."""

    ports: tuple[str, ...]
    zones: tuple[BorderZoneCtx, ...]
    rules: tuple[BorderRuleCtx, ...]
    log_servers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GatewayRouteCtx:
    """A cloud gateway's route of a zone's application sub-area to the border firewall."""

    vrf: str
    net: NetCtx
    cidr: str
    next_hop: str


def _ip(address: str | None) -> str:
    return (address or "").partition("/")[0]


def _link(name: str, address: str, description: str, peer: str) -> LinkCtx:
    ip, _, plen = address.partition("/")
    n = net_ctx(f"0.0.0.0/{plen}")
    return LinkCtx(name, description, ip, n.mask, int(plen), address, peer)


def _gateway_addresses(topo: Topology, site: str, vrf: str) -> tuple[str, ...]:
    return tuple(
        _ip(i.address)
        for h in topo.sites[site].devices
        if topo.devices[h].role is Role.CLOUD_GW
        for i in topo.devices[h].interfaces
        if i.kind == "zone" and i.vrf == vrf
    )


def border(
    topo: Topology, dev: Device, pr: PlatformRender, syslog: tuple[str, ...]
) -> BorderCtx | None:
    """The border firewall's render values (None for other devices)."""
    bf = topo.borders.get(dev.hostname)
    if bf is None:
        return None
    by = {(i.kind, i.vrf): i for i in dev.interfaces if i.kind in ("border_ext", "border_app")}
    zones = []
    for z in bf.zones:
        ext, app = by[("border_ext", z)], by[("border_app", z)]
        gws = _gateway_addresses(topo, bf.site, topo.zones[z].vrf)
        zones.append(
            BorderZoneCtx(
                zone=z,
                vlan=int(ext.name.rpartition(".")[2]),
                ext=_link(
                    ext.name,
                    ext.address or "",
                    clean_text(ext.description, pr.description_replace),
                    gws[0] if gws else "",
                ),
                app=_link(
                    app.name,
                    app.address or "",
                    clean_text(app.description, pr.description_replace),
                    "",
                ),
                pool=net_ctx(topo.zones[z].pool),
                gateways=gws,
            )
        )
    ports = tuple(dict.fromkeys(i.ext.name.rpartition(".")[0] for i in zones)) + tuple(
        dict.fromkeys(i.app.name.rpartition(".")[0] for i in zones)
    )
    rules = tuple(
        BorderRuleCtx(
            name=r.application,
            description=f"zone {r.zone} to application {r.application}",
            source=net_ctx(r.source),
            destination=net_ctx(r.destination),
        )
        for r in bf.rules
    )
    return BorderCtx(ports, tuple(zones), rules, bf.log_servers or syslog)


def gateway_routes(topo: Topology, dev: Device) -> tuple[GatewayRouteCtx, ...]:
    """A cloud gateway's routes of each zone's sub-area to its cloud's border firewall."""
    if dev.role is not Role.CLOUD_GW:
        return ()
    out = []
    for bf in topo.borders.values():
        if bf.site != dev.site:
            continue
        fw = topo.devices[bf.hostname]
        for z in bf.zones:
            ext = next(i for i in fw.interfaces if i.kind == "border_ext" and i.vrf == z)
            area = bf.sub_areas[z]
            out.append(
                GatewayRouteCtx(
                    vrf=topo.zones[z].vrf, net=net_ctx(area), cidr=area, next_hop=_ip(ext.address)
                )
            )
    return tuple(out)
