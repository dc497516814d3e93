"""Egress values for the templates: a level's firewall, and the cores' side of it.

The model (:mod:`topology.egress`) places the firewall, its inside links (core end bound to the
internet access zone's VRF) and its outside carrier links. Here:

* on a core: the VRF-bound links to the firewall and the internet VRF's static default route to
  the firewall (one per link), which BGP then advertises in that VRF (``VrfCtx.default_route``)
  so that other levels fail over to it (the own level's static route wins: it has the better
  administrative distance/preference than any iBGP route);
* on the firewall: inside/outside interfaces, the security zones (trust = inside,
  untrust = outside), a permit rule from the internet zone's pool to the internet with logging,
  a default-deny rule with logging, source NAT to the outside interface (easy IP), a default route
  per carrier, a route back to the internet zone's pool per inside link, and the log servers.
"""

from __future__ import annotations

from dataclasses import dataclass

from configs.platform_data import PlatformRender, clean_text
from topology.model import Device, Firewall, Topology


@dataclass(frozen=True, slots=True)
class LinkCtx:
    """One end of a firewall link as the templates print it."""

    name: str
    description: str
    ip: str
    mask: str
    prefixlen: int
    cidr: str
    peer_ip: str
    vrf: str | None = None


@dataclass(frozen=True, slots=True)
class NetCtx:
    """A prefix in the notations the templates need."""

    network: str
    mask: str
    prefixlen: int
    wildcard: str


@dataclass(frozen=True, slots=True)
class FirewallCtx:
    """Everything a firewall's ``egress.j2`` prints."""

    zone: str
    inside: tuple[LinkCtx, ...]
    outside: tuple[LinkCtx, ...]
    internet: NetCtx
    log_servers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CoreEgressCtx:
    """A core's links to its level's firewall and the internet VRF's default route over them."""

    vrf: str
    links: tuple[LinkCtx, ...]


def _mask(prefixlen: int) -> int:
    return (0xFFFFFFFF << (32 - prefixlen)) & 0xFFFFFFFF


def _dotted(v: int) -> str:
    return f"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}"


def net_ctx(prefix: str) -> NetCtx:
    """A prefix with its mask and wildcard.

    Examples:
        >>> net_ctx("10.1.0.0/16")
        NetCtx(network='10.1.0.0', mask='255.255.0.0', prefixlen=16, wildcard='0.0.255.255')
    """
    net, _, plen = prefix.partition("/")
    m = _mask(int(plen))
    return NetCtx(net, _dotted(m), int(plen), _dotted(m ^ 0xFFFFFFFF))


def _link(name: str, address: str, peer_ip: str, desc: str, vrf: str | None) -> LinkCtx:
    ip, _, plen = address.partition("/")
    return LinkCtx(name, desc, ip, _dotted(_mask(int(plen))), int(plen), address, peer_ip, vrf)


def _inside_links(topo: Topology, dev: Device, pr: PlatformRender) -> tuple[LinkCtx, ...]:
    out = []
    for i in dev.interfaces:
        c = topo.circuits.get(i.circuit or "")
        if c is None or c.role.value != "firewall" or i.address is None:
            continue
        peer = c.b if c.a.device == dev.hostname else c.a
        desc = clean_text(i.description, pr.description_replace)
        out.append(_link(i.name, i.address, peer.address.split("/")[0], desc, i.vrf))
    return tuple(out)


def core_egress(topo: Topology, dev: Device, pr: PlatformRender) -> CoreEgressCtx | None:
    """The core's side of its level's firewall (None when it has no link to one)."""
    links = tuple(lk for lk in _inside_links(topo, dev, pr) if lk.vrf is not None)
    if not links:
        return None
    return CoreEgressCtx(vrf=links[0].vrf or "", links=links)


def firewall(
    topo: Topology, dev: Device, pr: PlatformRender, syslog: tuple[str, ...]
) -> FirewallCtx | None:
    """The firewall's render values (None for other devices); ``syslog``: the default servers."""
    fw: Firewall | None = topo.firewalls.get(dev.hostname)
    if fw is None:
        return None
    outside = tuple(
        _link(
            e.interface or "",
            e.address or "",
            e.gateway or "",
            clean_text(
                next(i.description for i in dev.interfaces if i.name == e.interface),
                pr.description_replace,
            ),
            None,
        )
        for e in (topo.egress[n] for n in fw.egress)
    )
    return FirewallCtx(
        zone=fw.zone,
        inside=_inside_links(topo, dev, pr),
        outside=outside,
        internet=net_ctx(topo.zones[fw.zone].pool),
        log_servers=fw.log_servers or syslog,
    )
