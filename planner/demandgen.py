"""Expand the demand model (profiles, explicit demands, events) into device-level demands.

A site's traffic leaves from (and arrives at) its *endpoints*: both cores of a cored site (split
evenly over those that are up, the hot-standby pair), the access router of a township (and its
service-centre switch for ``service_share`` of the traffic), the gateways of a cloud. A target
group (a cloud, an egress, a parent, an MCU) is reached at its nearest member.
"""

from __future__ import annotations

from typing import NamedTuple

from topology.demands import DemandModel, Event
from topology.model import Role, Site, Tier, Topology


class SiteDemand(NamedTuple):
    """A demand between device groups, with what it is for (for reports and growth).

    A named tuple, not a dataclass: a province has tens of thousands and they are built on every
    planner run (a frozen dataclass costs several times more to construct).
    """

    src: tuple[str, ...]
    dst: tuple[str, ...]
    rate_bps: float
    kind: str
    src_site: str
    dst_site: str
    tier: str
    standby: bool = False  # src[0] (the master) sends alone while it is up

    @property
    def owner(self) -> str:
        """The site whose traffic this is (the one that loses service when it is unrouted)."""
        return self.dst_site if self.kind.endswith("/down") else self.src_site


def endpoints(
    topo: Topology, site: Site, service_share: float = 0.0
) -> list[tuple[tuple[str, ...], float]]:
    """Device groups where a site's own traffic enters the network, with their share.

    Examples:
        >>> from topology import load_topology
        >>> topo = load_topology("inventory/lab")
        >>> endpoints(topo, topo.sites["xiqu-hexi"], 0.3)
        [(('xiqu-hexi-ar1',), 0.7), (('xiqu-hexi-sw1',), 0.3)]
        >>> endpoints(topo, topo.sites["beicheng"])
        [(('beicheng-core1', 'beicheng-core2'), 1.0)]
    """
    devs = [topo.devices[h] for h in site.devices]
    if site.tier is Tier.TOWNSHIP:
        access = tuple(d.hostname for d in devs if d.role is Role.ACCESS)
        service = tuple(d.hostname for d in devs if d.role is Role.SERVICE)
        share = service_share if service else 0.0
        out = [(access, 1.0 - share)]
        return [*out, (service, share)] if share > 0 else out
    cores = tuple(d.hostname for d in devs if d.role in (Role.CORE, Role.CLOUD_GW))
    return [(cores or tuple(site.devices), 1.0)]


class _Groups:
    """The main endpoint group of each site, computed once per expansion."""

    def __init__(self, topo: Topology) -> None:
        self.topo = topo
        self.cache: dict[str, tuple[str, ...]] = {}

    def __call__(self, site: Site) -> tuple[str, ...]:
        found = self.cache.get(site.name)
        if found is None:
            found = self.cache[site.name] = endpoints(self.topo, site)[0][0]
        return found


def _ancestors(topo: Topology, site: Site) -> list[Site]:
    out = [site]
    while out[-1].parent is not None:
        out.append(topo.sites[out[-1].parent])
    return out


def targets(topo: Topology, site: Site) -> dict[str, Site | None]:
    """The site's province cloud, city cloud (falls back to the province's), egress and parent."""
    chain = _ancestors(topo, site)
    root = chain[-1]
    pcloud = topo.sites[root.cloud] if root.cloud else None
    ccloud = next((topo.sites[s.cloud] for s in chain if s.tier is Tier.CITY and s.cloud), pcloud)
    egress = next((s for s in chain if s.egress), None)
    parent = topo.sites[site.parent] if site.parent else None
    return {"province_cloud": pcloud, "city_cloud": ccloud, "egress": egress, "parent": parent}


def _egress_group(topo: Topology, site: Site) -> tuple[str, ...]:
    return tuple(dict.fromkeys(topo.egress[e].device for e in site.egress))


def profile_demands(
    topo: Topology, model: DemandModel, group_of: _Groups | None = None
) -> list[SiteDemand]:
    """Busy-hour demands of every site with a profile, both directions, toward each target."""
    group_of = group_of or _Groups(topo)
    out: list[SiteDemand] = []
    groups: dict[tuple[str, str], tuple[str, ...]] = {}
    for site in topo.sites.values():
        tier = site.tier.value
        prof = model.profiles.get(tier)
        if prof is None:
            continue
        mine = endpoints(topo, site, prof.service_share)
        for target, tsite in targets(topo, site).items():
            rates = prof.flows.get(target)
            if tsite is None or rates is None:
                continue
            gkey = (target, tsite.name)
            group = groups.get(gkey)
            if group is None:
                group = groups[gkey] = (
                    _egress_group(topo, tsite) if target == "egress" else group_of(tsite)
                )
            for ends, share in mine:
                kind = f"{target}"
                if rates.up_bps > 0:
                    out.append(
                        SiteDemand(
                            ends,
                            group,
                            rates.up_bps * share,
                            f"{kind}/up",
                            site.name,
                            tsite.name,
                            tier,
                        )
                    )
                if rates.down_bps > 0:
                    out.append(
                        SiteDemand(
                            group,
                            ends,
                            rates.down_bps * share,
                            f"{kind}/down",
                            tsite.name,
                            site.name,
                            tier,
                        )
                    )
    return out


def event_demands(
    topo: Topology, event: Event, group_of: _Groups | None = None
) -> list[SiteDemand]:
    """A cascaded conference: each participant and each lower MCU exchanges one stream with its MCU."""
    group_of = group_of or _Groups(topo)
    rate = event.rate_bps * event.overhead
    out: list[SiteDemand] = []
    tiers = {name: s.tier.value for name, s in topo.sites.items()}  # Enum.value is slow
    for site in topo.sites.values():
        tier = tiers[site.name]
        has_mcu = tier in event.mcu_tiers
        if not has_mcu and tier not in event.participants:
            continue
        mcu = next(
            (s for s in _ancestors(topo, site)[1:] if tiers[s.name] in event.mcu_tiers), None
        )
        if mcu is None:
            continue
        here, there = group_of(site), group_of(mcu)
        kind = f"event:{event.name}"
        out.append(SiteDemand(here, there, rate, f"{kind}/up", site.name, mcu.name, "event"))
        out.append(SiteDemand(there, here, rate, f"{kind}/down", mcu.name, site.name, "event"))
    return out


def explicit_demands(topo: Topology, model: DemandModel) -> list[SiteDemand]:
    """Explicit demands; a name is a site (its endpoints) or a device hostname."""
    out: list[SiteDemand] = []
    for d in model.demands:
        ends: list[tuple[tuple[str, ...], str]] = []
        for name in (d.src, d.dst):
            if name in topo.sites:
                ends.append((endpoints(topo, topo.sites[name])[0][0], name))
            else:
                ends.append(((name,), topo.devices[name].site))
        out.append(
            SiteDemand(
                ends[0][0],
                ends[1][0],
                float(d.rate_bps),
                f"explicit:{d.name}",
                ends[0][1],
                ends[1][1],
                "explicit",
            )
        )
    return out


def all_demands(topo: Topology, model: DemandModel | None = None) -> list[SiteDemand]:
    """Every demand of the model: profiles, events and explicit demands."""
    model = model or topo.demands
    group_of = _Groups(topo)
    out = profile_demands(topo, model, group_of)
    for ev in model.events:
        out += event_demands(topo, ev, group_of)
    return apply_masters(topo, model, out + explicit_demands(topo, model))


def apply_masters(
    topo: Topology, model: DemandModel, demands: list[SiteDemand]
) -> list[SiteDemand]:
    """Active/standby sites: their own traffic leaves from the master core (first in the source
    group, ``standby`` set), from the others only while it is down."""
    if not model.masters:
        return demands
    groups = _Groups(topo)
    order: dict[tuple[str, ...], tuple[str, ...]] = {}
    for site, master in model.masters.items():
        group = groups(topo.sites[site])
        if master in group:
            order[group] = (master, *(h for h in group if h != master))
    return [d._replace(src=order[d.src], standby=True) if d.src in order else d for d in demands]
