"""Per-site management subnets and the management centres (NMS) that serve each site (issue 11 §6).

With ``management.plane.site_prefix`` set, IPAM gives every site one management subnet of the
management pool (lock section ``mgmt_sites``; its first host is the site's management gateway,
the next hosts its devices' out-of-band ports, lock section ``mgmt``) and every city whose
centre serves some tier one NMS segment (a /28, lock section ``nms``). The province's NMS
segment stays the pool's first /28 (:func:`topology.management.nms_segment`), which IPAM
reserves. Which centre serves a site is ``management.plane.centres`` by tier (default:
province for province, city and cloud sites; the site's city for county and township sites).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from topology.expand import Drafts
from topology.ipam import Pool, PoolExhausted, Request, format_prefix, parse_prefix
from topology.management import NMS_PREFIXLEN, ManagementPlaneIn
from topology.model import Tier


def centre_of(d: Drafts, site: str, plane: ManagementPlaneIn) -> str:
    """The site whose management centre serves ``site``'s devices.

    A tier served by the ``city`` centre takes its nearest city ancestor (the site itself for a
    city); a site with no city above it (the province, a province cloud) falls back to the
    province.
    """
    level = plane.centres[d.sites[site].tier.value]
    name: str | None = site
    root = site
    while name is not None:
        s = d.sites[name]
        if level == "city" and s.tier is Tier.CITY:
            return name
        root = name
        name = s.parent
    return root


def city_centres(d: Drafts, plane: ManagementPlaneIn) -> list[str]:
    """Cities whose centre serves some site (each gets an NMS segment), in model order."""
    used = {centre_of(d, s, plane) for s in d.sites}
    return [s for s, site in d.sites.items() if s in used and site.tier is Tier.CITY]


def plane_requests(d: Drafts, plane: ManagementPlaneIn) -> Iterator[Request]:
    """One management subnet per site and one NMS segment per serving city (site mode only)."""
    for name, site in d.sites.items():
        plen = plane.site_prefix.get(site.tier.value)
        if plen is not None:
            yield Request("mgmt_sites", "", name, plen)
    for city in city_centres(d, plane):
        yield Request("nms", "", city, NMS_PREFIXLEN)


def missing_tiers(d: Drafts, plane: ManagementPlaneIn) -> list[str]:
    """Tiers with sites but no ``site_prefix`` (a located error in site mode)."""
    return sorted({s.tier.value for s in d.sites.values()} - set(plane.site_prefix))


def assign_hosts(
    old: Mapping[str, str], subnets: Mapping[str, str], devices: Mapping[str, list[str]]
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """A /32 for every device inside its site's subnet, keeping locked ones that still fit.

    ``devices`` maps site → hostnames in model order. The subnet's network, first host (the
    gateway) and broadcast address are never given to a device.

    Examples:
        >>> hosts, errs = assign_hosts({"r2": "10.0.0.6/32", "r9": "10.9.0.1/32"},
        ...                            {"s": "10.0.0.0/29"}, {"s": ["r1", "r2", "r9"]})
        >>> hosts, errs
        ({'r2': '10.0.0.6/32', 'r1': '10.0.0.2/32', 'r9': '10.0.0.3/32'}, [])
        >>> assign_hosts({}, {"s": "10.0.0.0/30"}, {"s": ["r1", "r2"]})[1]
        [('mgmt_sites.s', '10.0.0.0/30 holds 1 device address(es) besides its gateway; site s has 2 devices')]
    """
    out: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for site, hosts in devices.items():
        subnet = subnets.get(site)
        if subnet is None:
            continue
        base, plen = parse_prefix(subnet)
        size = 1 << (32 - plen)
        room = max(0, size - 3)
        if len(hosts) > room:
            problems.append(
                (
                    f"mgmt_sites.{site}",
                    f"{subnet} holds {room} device address(es) besides its gateway; "
                    f"site {site} has {len(hosts)} devices",
                )
            )
            continue
        pool = Pool(f"mgmt_sites.{site}", subnet)
        for fixed in (base, base + 1, base + size - 1):  # network, gateway, broadcast
            pool.reserve((fixed, 32))
        pending = []
        for h in hosts:
            held = old.get(h)
            if held is not None and pool.reserve(held):
                out[h] = held
            else:
                pending.append(h)
        for h in pending:
            try:
                out[h] = pool.allocate(32)
            except PoolExhausted:  # pragma: no cover - room was checked above
                problems.append((f"mgmt.{h}", f"no free address in {subnet}"))
    return out, problems


def gateway_of(subnet: str) -> str:
    """The site's management gateway: the first host of its subnet.

    Examples:
        >>> gateway_of("198.19.1.8/29")
        '198.19.1.9'
    """
    base, _ = parse_prefix(subnet)
    return format_prefix(base + 1, 32).split("/")[0]


def sites_by_device(d: Drafts) -> dict[str, list[str]]:
    """site → its devices' hostnames in model order."""
    out: dict[str, list[str]] = {s: [] for s in d.sites}
    for h, dev in d.devices.items():
        out[dev.site].append(h)
    return out


def is_site_mode(plane: ManagementPlaneIn) -> bool:
    """True when the inventory asks for per-site management subnets."""
    return bool(plane.site_prefix)
