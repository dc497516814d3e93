"""Tiered internet egress (分级出口): the egress firewall of a level and its links.

A site whose tier (or override) sets ``firewall:`` and that has ``egress`` entries gets a firewall
``<site>-fw1`` (model and platform as data). Its inside links (``<site>-fw1c<j>``, circuit role
``firewall``) join every core of the site; on the core they are bound to the VRF of the internet
access zone (kind ``internet``), so only that zone reaches the firewall. Each egress entry is an
outside link on the firewall to its carrier: a point-to-point hand-off subnet from the ``p2p`` pool
(lock key: the egress name; the carrier's gateway takes the first host, the firewall the second).
Without ``firewall:`` an egress stays a plain exit on a core, as before.
"""

from __future__ import annotations

from collections.abc import Callable

from topology.diagnostics import Diagnostic
from topology.expand import Drafts
from topology.model import Egress, Firewall, Interface
from topology.schema import NetworkFile
from topology.source import SourceFile
from topology.units import format_rate


def egress_name(site: str, index: int) -> str:
    """Name of a site's egress ``index`` (0-based).

    Examples:
        >>> egress_name("nanchang", 0)
        'nanchang-egress1'
    """
    return f"{site}-egress{index + 1}"


def internet_zone(net: NetworkFile) -> str | None:
    """The zone of kind ``internet`` (the first one), or None."""
    return next((z for z, spec in net.zones.items() if spec.kind == "internet"), None)


def check_egress(net: NetworkFile, net_src: SourceFile, d: Drafts) -> list[Diagnostic]:
    """Firewalls need an internet access zone to serve."""
    if internet_zone(net) is not None:
        return []
    return [
        s.src.error(
            s.path,
            f"site '{s.name}' has an egress firewall but no zone has kind 'internet'",
            "add the internet access zone (互联网接入区) to network.yaml zones",
        )
        for s in d.sites.values()
        if s.firewall is not None
    ][:1]


def handoff_keys(d: Drafts) -> dict[str, list[str]]:
    """Firewall hostname → the egress names whose hand-off subnets and ports it needs."""
    return {
        f"{s.name}-fw1": [egress_name(s.name, i) for i in range(len(s.egress))]
        for s in d.sites.values()
        if s.firewall is not None
    }


def _hosts(prefix: str) -> tuple[str, str, int]:
    base, _, plen = prefix.partition("/")
    octets = [int(x) for x in base.split(".")]
    n = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
    first = n if plen == "31" else n + 1

    def dotted(v: int) -> str:
        return f"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}"

    return dotted(first), dotted(first + 1), int(plen)


def outside_interfaces(
    d: Drafts,
    p2p: dict[str, str],
    ports: dict[str, dict[str, int]],
    port_name: Callable[[str, int], str],
) -> dict[str, list[Interface]]:
    """The outside (carrier) interfaces of every firewall (``port_name(host, index)``)."""
    out: dict[str, list[Interface]] = {}
    for host, keys in handoff_keys(d).items():
        site = d.sites[d.devices[host].site]
        out[host] = []
        for key, e in zip(keys, site.egress, strict=True):
            gw, mine, plen = _hosts(p2p[key])
            out[host].append(
                Interface(
                    name=port_name(host, ports[host][key]),
                    kind="egress",
                    address=f"{mine}/{plen}",
                    circuit=None,
                    description=f"internet | {key} | {e.carrier} {format_rate(e.rate)} | gw {gw}",
                )
            )
    return out


def resolve_egress(
    net: NetworkFile, d: Drafts, outside: dict[str, list[Interface]]
) -> tuple[dict[str, Egress], dict[str, Firewall]]:
    """Egress points and firewalls of the resolved model."""
    egress: dict[str, Egress] = {}
    firewalls: dict[str, Firewall] = {}
    zone = internet_zone(net) or ""
    for s in d.sites.values():
        fw = f"{s.name}-fw1" if s.firewall is not None else None
        names = []
        for i, e in enumerate(s.egress):
            name = egress_name(s.name, i)
            names.append(name)
            itf = outside[fw][i] if fw else None
            egress[name] = Egress(
                name=name,
                site=s.name,
                device=fw or f"{s.name}-core{e.core}",
                carrier=e.carrier,
                capacity_bps=e.rate,
                interface=itf.name if itf else None,
                address=itf.address if itf else None,
                gateway=_gateway(itf) if itf else None,
            )
        if fw and s.firewall is not None:
            firewalls[fw] = Firewall(
                hostname=fw,
                site=s.name,
                zone=zone,
                inside=tuple(c.id for c in d.circuits.values() if c.b == fw),
                egress=tuple(names),
                log_servers=s.firewall.log_servers,
            )
    return egress, firewalls


def _gateway(itf: Interface) -> str:
    """The carrier's gateway: the other host of the hand-off subnet.

    Examples:
        >>> _gateway(Interface(name="g1", kind="egress", address="198.18.0.6/30", circuit=None,
        ...                    description=""))
        '198.18.0.5'
    """
    ip = (itf.address or "").partition("/")[0]
    a, b, c, x = (int(v) for v in ip.split("."))
    return f"{a}.{b}.{c}.{x - 1}"  # the firewall takes the second host, the carrier the first
