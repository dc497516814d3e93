"""The government-cloud border as data for the cloud operator (政务云边界).

For each cloud site the network team owns the extranet side: the border gateways, the address
blocks of the extranet application area's sub-areas (one per zone the cloud serves, bound to that
zone's VRF on every gateway), the routes between them and the zones, and the policy of which zones
reach which hosted applications (an application in zone Z is reachable from zone Z only: zones are
VRFs). With a border firewall (:mod:`topology.border`) each sub-area is the top half of the
zone's block, behind the firewall: the operator's next hop is the firewall's address in it, and
the policy is the firewall's. The internet application area is physically separate: it gets no extranet block and no
route, and leaves through the cloud operator's own internet exit.

Schema (``egnet export cloud``, JSON; ``--format csv`` flattens the same rows)::

    {schema: "egnet.cloud-border/1", network, clouds: [
      {cloud, label, host_site, level, gateways[], firewall,        # firewall: null without one
       extranet_area: [{zone, label, vrf, prefix, gateways[]}],       # sub-areas: zone blocks
       routes: [{prefix, next_hops[], vrf, note}],                      # operator → extranet
       internet_area: {applications[], extranet_path: false, exit},
       policy: [{application, label, zone, source, destination, action}],
       problems[]}]}
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from topology.model import Role, Tier, Topology

SCHEMA = "egnet.cloud-border/1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SubArea(_Frozen):
    """A sub-area of the extranet application area: one zone's block at the cloud."""

    zone: str
    label: str
    vrf: str
    prefix: str
    gateways: tuple[str, ...]  # the border gateways' addresses in the block (next hops)


class Route(_Frozen):
    """A route the cloud operator points at the border: a zone's address pool, per VRF."""

    prefix: str
    next_hops: tuple[str, ...]
    vrf: str
    note: str


class InternetArea(_Frozen):
    """The internet application area: physically separate from the extranet."""

    applications: tuple[str, ...]
    extranet_path: bool = False
    exit: str = "the cloud operator's own internet exit"


class PolicyRule(_Frozen):
    """Zone → hosted application: which source may reach which sub-area."""

    application: str
    label: str
    zone: str
    source: str
    destination: str
    action: str


class CloudBorder(_Frozen):
    """One cloud site's border, as the cloud operator consumes it."""

    cloud: str
    label: str
    host_site: str
    level: str
    gateways: tuple[str, ...]
    firewall: str | None = None  # the border firewall (topology/border.py), when the cloud has one
    extranet_area: tuple[SubArea, ...]
    routes: tuple[Route, ...]
    internet_area: InternetArea
    policy: tuple[PolicyRule, ...]
    problems: tuple[str, ...]


def _sub_areas(topo: Topology, cloud: str, gws: tuple[str, ...]) -> list[SubArea]:
    border = next((b for b in topo.borders.values() if b.site == cloud), None)
    if border is not None:
        return _border_areas(topo, border.hostname)
    out = []
    for z in topo.sites[cloud].zones:
        zone = topo.zones[z]
        block = next((b.prefix for b in zone.blocks if b.site == cloud), None)
        if block is None:
            continue
        addrs = tuple(
            (i.address or "").split("/")[0]
            for g in gws
            for i in topo.devices[g].interfaces
            if i.kind == "zone" and i.vrf == zone.vrf
        )
        out.append(SubArea(zone=z, label=zone.label, vrf=zone.vrf, prefix=block, gateways=addrs))
    return out


def _border_areas(topo: Topology, fw: str) -> list[SubArea]:
    """With a border firewall: each zone's application sub-area, behind the firewall's address."""
    bf = topo.borders[fw]
    app = {i.vrf: (i.address or "").split("/")[0] for i in topo.devices[fw].interfaces
           if i.kind == "border_app"}  # fmt: skip
    return [
        SubArea(
            zone=z,
            label=topo.zones[z].label,
            vrf=topo.zones[z].vrf,
            prefix=bf.sub_areas[z],
            gateways=(app[z],),
        )
        for z in bf.zones
    ]


def cloud_border(topo: Topology, cloud: str) -> CloudBorder:
    """The border of one cloud site (see the module doc)."""
    site = topo.sites[cloud]
    host = topo.sites[site.parent or ""]
    gws = tuple(h for h in site.devices if topo.devices[h].role is Role.CLOUD_GW)
    areas = {a.zone: a for a in _sub_areas(topo, cloud, gws)}
    policy, problems = [], []
    for app in site.applications:
        if app.area != "extranet":
            continue
        area = areas.get(app.zone)
        if area is None:
            problems.append(
                f"application '{app.name}' (zone {app.zone}) has no sub-area at cloud '{cloud}': "
                f"zone '{app.zone}' has no cloud block (add it to cloud.zones and give it a "
                "site_prefix.cloud)"
            )
            continue
        policy.append(
            PolicyRule(
                application=app.name,
                label=app.label,
                zone=app.zone,
                source=topo.zones[app.zone].pool,
                destination=area.prefix,
                action="permit",
            )
        )
    routes = tuple(
        Route(
            prefix=topo.zones[a.zone].pool,
            next_hops=a.gateways,
            vrf=a.vrf,
            note=f"zone {a.zone}: reply traffic to the extranet",
        )
        for a in areas.values()
    )
    return CloudBorder(
        cloud=cloud,
        label=site.label,
        host_site=host.name,
        level=host.tier.value,
        gateways=gws,
        firewall=next((b.hostname for b in topo.borders.values() if b.site == cloud), None),
        extranet_area=tuple(areas.values()),
        routes=routes,
        internet_area=InternetArea(
            applications=tuple(a.name for a in site.applications if a.area == "internet")
        ),
        policy=tuple(policy),
        problems=tuple(problems),
    )


def cloud_borders(topo: Topology) -> list[CloudBorder]:
    """Every cloud site's border, in model order."""
    return [cloud_border(topo, s.name) for s in topo.sites_of(Tier.CLOUD)]


def border_document(topo: Topology) -> dict[str, object]:
    """The JSON document ``egnet export cloud`` writes."""
    return {
        "schema": SCHEMA,
        "network": topo.name,
        "clouds": [b.model_dump(mode="json") for b in cloud_borders(topo)],
    }


CSV_FIELDS = ("cloud", "kind", "zone", "prefix", "application", "source", "destination", "detail")


def border_rows(borders: list[CloudBorder]) -> list[dict[str, str]]:
    """Flat rows for CSV: one per sub-area, route, policy rule, internet-area app and problem.

    Examples:
        >>> border_rows([])
        []
    """
    rows: list[dict[str, str]] = []

    def add(b: CloudBorder, kind: str, **kw: str) -> None:
        rows.append({f: kw.get(f, "") for f in CSV_FIELDS} | {"cloud": b.cloud, "kind": kind})

    for b in borders:
        for a in b.extranet_area:
            add(b, "sub_area", zone=a.zone, prefix=a.prefix, detail=" ".join(a.gateways))
        for r in b.routes:
            add(b, "route", zone=r.vrf, prefix=r.prefix, detail=" ".join(r.next_hops))
        for p in b.policy:
            add(b, "policy", zone=p.zone, application=p.application, source=p.source,
                destination=p.destination, detail=p.action)  # fmt: skip
        for app in b.internet_area.applications:
            add(b, "internet_area", application=app, detail=b.internet_area.exit)
        for msg in b.problems:
            add(b, "problem", detail=msg)
    return rows
