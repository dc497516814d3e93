"""Turn checked drafts plus IPAM allocations into the frozen :class:`~topology.model.Topology`."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator

from topology.demands import DemandModel
from topology.diagnostics import Diagnostic
from topology.egress import handoff_keys, internet_zone, outside_interfaces, resolve_egress
from topology.expand import CircuitDraft, Drafts
from topology.ipam import (
    Allocation,
    Lock,
    Pool,
    Request,
    allocate,
    assign_ports,
    format_address,
    parse_prefix,
)
from topology.management import NMS_PREFIXLEN, nms_segment, resolve_management
from topology.mgmt_plane import (
    assign_hosts,
    centre_of,
    gateway_of,
    is_site_mode,
    missing_tiers,
    plane_requests,
    sites_by_device,
)
from topology.model import (
    Application,
    Carrier,
    Circuit,
    CircuitEnd,
    CircuitRole,
    CircuitType,
    Device,
    DeviceModel,
    Interface,
    Policy,
    Site,
    Tier,
    Topology,
    Zone,
    ZoneBlock,
)
from topology.platforms import PLATFORMS, HardwareModel, find_model
from topology.schema import NetworkFile
from topology.source import SourceFile
from topology.units import format_rate
from topology.zones import LAN_PORT, lan_devices, site_zones, zone_interfaces, zone_vlan


def igp_cost(reference_bps: int, rate_bps: int) -> int:
    """OSPF/IS-IS style cost: reference bandwidth over rate, at least 1, at most 65535.

    Examples:
        >>> igp_cost(100_000_000_000, 155_520_000)
        643
        >>> igp_cost(100_000_000_000, 10_000_000_000)
        10
    """
    return max(1, min(65535, reference_bps // rate_bps))


def check_pools(net: NetworkFile, src: SourceFile) -> list[Diagnostic]:
    """Every pool must be a valid network and no two pools may overlap."""
    named: list[tuple[tuple[str | int, ...], str]] = [
        (("pools", "loopback"), net.pools.loopback),
        (("pools", "p2p"), net.pools.p2p),
        (("pools", "mgmt"), net.pools.mgmt),
    ] + [(("zones", z, "pool"), spec.pool) for z, spec in net.zones.items()]
    errors: list[Diagnostic] = []
    nets: list[tuple[tuple[str | int, ...], ipaddress.IPv4Network]] = []
    for path, text in named:
        try:
            nets.append((path, ipaddress.IPv4Network(text)))
        except ValueError as exc:
            errors.append(src.error(path, f"not a valid IPv4 prefix: {exc}", "e.g. 198.18.0.0/20"))
    for i, (pa, na) in enumerate(nets):
        for pb, nb in nets[i + 1 :]:
            if na.overlaps(nb):
                line, _ = src.where(pa)
                errors.append(
                    src.error(
                        pb,
                        f"pool {nb} overlaps pool {na} ({'.'.join(map(str, pa))}, line {line})",
                        "pools must be disjoint",
                    )
                )
    return errors


def _requests(net: NetworkFile, d: Drafts) -> Iterator[Request]:
    site_mode = is_site_mode(net.management.plane)
    for host in d.devices:
        yield Request("loopback", "", host, 32)
        if not site_mode:  # site mode: hosts inside their site's subnet (topology/mgmt_plane.py)
            yield Request("mgmt", "", host, 32)
    if site_mode:
        yield from plane_requests(d, net.management.plane)
    for cid in d.circuits:
        yield Request("p2p", "", cid, net.pools.p2p_prefix)
    for keys in handoff_keys(d).values():
        for key in keys:
            yield Request("p2p", "", key, net.pools.p2p_prefix)
    served = site_zones(net, d)
    for zname, zone in net.zones.items():
        for site in d.sites.values():
            plen = zone.site_prefix.get(site.tier.value)
            if plen is not None and zname in served[site.name]:
                yield Request("zones", zname, site.name, plen)


def _hw(net: NetworkFile, model: str) -> HardwareModel:
    """The catalogue entry of an inventory model (checked to exist during validation)."""
    found = find_model(net.device_models[model].platform, model)
    assert found is not None, model
    return found


def run_ipam(net: NetworkFile, d: Drafts, old: Lock) -> Allocation:
    """Allocate addresses and ports for the drafts, keeping the old lock's entries."""
    pools = {
        "loopback": Pool("loopback", net.pools.loopback),
        "p2p": Pool("p2p", net.pools.p2p),
        "mgmt": Pool("mgmt", net.pools.mgmt),
    }
    pools["mgmt"].reserve((pools["mgmt"].base, NMS_PREFIXLEN))
    pool_of = {
        "loopback": "loopback",
        "p2p": "p2p",
        "mgmt": "mgmt",
        "mgmt_sites": "mgmt",
        "nms": "mgmt",
    }
    for z, spec in net.zones.items():
        pools[f"zone:{z}"] = Pool(f"zones.{z}", spec.pool)
        pool_of[f"zones/{z}"] = f"zone:{z}"
    result = allocate(pools, _requests(net, d), old, pool_of)
    plane = net.management.plane
    if is_site_mode(plane):
        for tier in missing_tiers(d, plane):
            result.problems.append(
                ("pool.mgmt", f"management.plane.site_prefix has no prefix for tier '{tier}'")
            )
        hosts, problems = assign_hosts(old.mgmt, result.lock.mgmt_sites, sites_by_device(d))
        result.lock.mgmt = hosts
        result.problems.extend(problems)
        kept = sum(1 for h, a in hosts.items() if old.mgmt.get(h) == a)
        result.new += len(hosts) - kept
        result.dropped -= kept  # allocate() counted every old host as dropped
    wanted: dict[str, list[str]] = {h: [] for h in d.devices}
    for c in d.circuits.values():
        wanted[c.a].append(c.id)
        wanted[c.b].append(c.id)
    for h in lan_devices(d, site_zones(net, d)):
        wanted[h].append(LAN_PORT)
    for h, keys in handoff_keys(d).items():
        wanted[h].extend(keys)
    speeds = {
        h: tuple(s for _, s in _hw(net, dev.model).port_table()) for h, dev in d.devices.items()
    }
    need = {c.id: net.circuit_types[c.type].nominal for c in d.circuits.values()}
    result.lock.ports, problems = assign_ports(old.ports, wanted, speeds, need)
    result.problems.extend(problems)
    return result


def _hosts(prefix: str) -> tuple[str, str]:
    """Addresses of the a and b ends of a point-to-point subnet (/31: both addresses).

    Examples:
        >>> _hosts("198.18.0.4/30"), _hosts("198.18.0.4/31")
        (('198.18.0.5/30', '198.18.0.6/30'), ('198.18.0.4/31', '198.18.0.5/31'))
    """
    base, plen = parse_prefix(prefix)
    first = base if plen == 31 else base + 1
    return f"{format_address(first)}/{plen}", f"{format_address(first + 1)}/{plen}"


def _describe(c: CircuitDraft, peer: str, peer_if: str, rate: str) -> str:
    return f"to {peer} {peer_if} | ckt {c.id} | {c.carrier} | {c.type} {rate}"


def _srlgs(c: CircuitDraft, d: Drafts) -> tuple[str, ...]:
    da, db = d.devices[c.a], d.devices[c.b]
    groups = {
        f"carrier:{c.carrier}",
        f"device:{c.a}",
        f"device:{c.b}",
        f"building:{da.building}",
        f"building:{db.building}",
        f"site:{da.site}",
        f"site:{db.site}",
        *(f"duct:{x}" for x in c.ducts),
    }
    return tuple(sorted(groups))


def _circuit(
    c: CircuitDraft,
    net: NetworkFile,
    d: Drafts,
    lock: Lock,
    ifaces: dict[str, list[Interface]],
    inside_vrf: str | None = None,
) -> Circuit:
    """Resolve one circuit and append its two interfaces to ``ifaces``.

    The core end of a firewall's inside link (a-end) is bound to ``inside_vrf``.
    """
    ctype = net.circuit_types[c.type]
    ends = []
    for host, address in zip((c.a, c.b), _hosts(lock.p2p[c.id]), strict=True):
        table = _hw(net, d.devices[host].model).port_table()
        name = table[lock.ports[host][c.id] - 1][0]
        ends.append(CircuitEnd(device=host, interface=name, address=address))
    cost = c.cost or igp_cost(net.igp.reference_bandwidth, ctype.nominal)
    rate = format_rate(ctype.usable)
    for me, peer in ((ends[0], ends[1]), (ends[1], ends[0])):
        ifaces[me.device].append(
            Interface(
                name=me.interface,
                kind="p2p",
                address=me.address,
                circuit=c.id,
                vrf=inside_vrf if c.role is CircuitRole.FIREWALL and me is ends[0] else None,
                description=_describe(c, peer.device, peer.interface, rate),
            )
        )
    return Circuit(
        id=c.id,
        role=c.role,
        type=c.type,
        carrier=c.carrier,
        a=ends[0],
        b=ends[1],
        subnet=lock.p2p[c.id],
        capacity_bps=ctype.usable,
        nominal_bps=ctype.nominal,
        cost_ab=c.cost_ab or cost,
        cost_ba=c.cost_ba or cost,
        ducts=c.ducts,
        srlgs=_srlgs(c, d),
        tail=c.tail,
    )


def _device(
    host: str,
    net: NetworkFile,
    d: Drafts,
    lock: Lock,
    phys: list[Interface],
    mgmt_vrf: str | None,
    zone_ifs: list[Interface] | None = None,
) -> Device:
    dd = d.devices[host]
    plat = PLATFORMS[net.device_models[dd.model].platform]
    hw = _hw(net, dd.model)
    subnet = lock.mgmt_sites.get(dd.site) if is_site_mode(net.management.plane) else None
    plen = (subnet or net.pools.mgmt).split("/")[1]
    mgmt = f"{lock.mgmt[host].split('/')[0]}/{plen}"
    own = [
        Interface(
            name=plat.loopback_name,
            kind="loopback",
            address=lock.loopback[host],
            circuit=None,
            vrf=None,
            description="router-id / management loopback",
        ),
        Interface(
            name=hw.mgmt.interface,
            kind="mgmt",
            address=mgmt,
            circuit=None,
            description="out-of-band management",
            # a model's built-in management VRF (__LOCAL_OAM_VPN__, Mgmt-intf) wins over the zone
            vrf=hw.mgmt.vrf or (mgmt_vrf if plat.mgmt_vrf else None),
        ),
    ]
    phys.sort(key=lambda i: lock.ports[host][i.circuit or ""])
    return Device(
        hostname=host,
        site=dd.site,
        role=dd.role,
        model=dd.model,
        platform=plat.name,
        building=dd.building,
        loopback=lock.loopback[host],
        mgmt_address=mgmt,
        interfaces=tuple(own + phys + (zone_ifs or [])),
    )


def _device_model(name: str, platform: str, vendor: str, hw: HardwareModel) -> DeviceModel:
    table = hw.port_table()
    return DeviceModel(
        name=name,
        platform=platform,
        vendor=vendor,
        kind=hw.kind,
        ports=len(table),
        dialect=hw.dialect,
        port_names=tuple(n for n, _ in table),
        port_speeds_bps=tuple(s for _, s in table),
        mgmt_interface=hw.mgmt.interface,
        mgmt_vrf=hw.mgmt.vrf,
        mgmt_port=hw.mgmt.port,
        mgmt_vlan=hw.mgmt.vlan,
        features=hw.features,
    )


def assemble(
    net: NetworkFile, d: Drafts, lock: Lock, source: str, demands: DemandModel
) -> Topology:
    """Build the frozen topology from checked drafts and a complete lock."""
    ref = net.igp.reference_bandwidth
    mgmt_vrf = {z.kind: name for name, z in net.zones.items()}.get("management")
    ifaces: dict[str, list[Interface]] = {h: [] for h in d.devices}
    inside = internet_zone(net)
    circuits = {c.id: _circuit(c, net, d, lock, ifaces, inside) for c in d.circuits.values()}
    served = site_zones(net, d)
    extra = _zone_ifs(net, d, lock, served)
    outside = outside_interfaces(d, lock.p2p, lock.ports, _port_namer(net, d))
    egress, firewalls = resolve_egress(net, d, outside)
    for h, itfs in outside.items():
        extra.setdefault(h, []).extend(itfs)
    devices = {h: _device(h, net, d, lock, ifaces[h], mgmt_vrf, extra.get(h)) for h in d.devices}
    return Topology(
        name=net.network.name,
        label=net.network.label,
        source=source,
        policy=Policy(
            warn_utilisation=net.policy.warn,
            fail_utilisation=net.policy.fail,
            igp=net.igp.protocol,
            reference_bandwidth_bps=ref,
            ospf_area=net.igp.area,
            max_paths=net.igp.max_paths,
            bgp_asn=net.bgp.asn,
            ospf_hello_s=net.igp.hello,
            ospf_dead_s=net.igp.dead,
        ),
        carriers={k: Carrier(name=k, label=v.label) for k, v in net.carriers.items()},
        circuit_types={
            k: CircuitType(name=k, label=v.label, nominal_bps=v.nominal, usable_bps=v.usable)
            for k, v in net.circuit_types.items()
        },
        platforms={
            p: PLATFORMS[p] for p in sorted({m.platform for m in net.device_models.values()})
        },
        device_models={
            k: _device_model(k, v.platform, v.vendor, _hw(net, k))
            for k, v in net.device_models.items()
        },
        zones=_zones(net, lock),
        sites=_sites(d, served, net, lock),
        devices=devices,
        circuits=circuits,
        egress=egress,
        firewalls=firewalls,
        management=resolve_management(net.management),
        demands=demands,
        nms=_nms(net, d, lock),
    )


def _nms(net: NetworkFile, d: Drafts, lock: Lock) -> dict[str, str]:
    """Management centre site → NMS segment (site mode only; the province's is the pool's first)."""
    if not is_site_mode(net.management.plane):
        return {}
    root = next(n for n, s in d.sites.items() if s.tier is Tier.PROVINCE)
    return {root: str(nms_segment(net.pools.mgmt)), **lock.nms}


def _zones(net: NetworkFile, lock: Lock) -> dict[str, Zone]:
    asn = net.bgp.asn
    return {
        name: Zone(
            name=name,
            label=z.label,
            kind=z.kind,
            vrf=name,
            rd=f"{asn}:{z.vpn_id}",
            route_target=f"{asn}:{z.vpn_id}",
            vpn_id=z.vpn_id,
            pool=z.pool,
            blocks=tuple(ZoneBlock(site=s, prefix=p) for s, p in lock.zones.get(name, {}).items()),
            vlan=zone_vlan(z),
        )
        for name, z in net.zones.items()
    }


def _port_namer(net: NetworkFile, d: Drafts) -> Callable[[str, int], str]:
    def name(host: str, index: int) -> str:
        return _hw(net, d.devices[host].model).port_table()[index - 1][0]

    return name


def _zone_ifs(
    net: NetworkFile, d: Drafts, lock: Lock, served: dict[str, tuple[str, ...]]
) -> dict[str, list[Interface]]:
    """CE-facing zone sub-interfaces per PE (see :mod:`topology.zones`)."""
    vlans = {z: zone_vlan(spec) for z, spec in net.zones.items()}
    out: dict[str, list[Interface]] = {}
    for host in lan_devices(d, served):
        dev = d.devices[host]
        site = d.sites[dev.site]
        pes = [h for h in site.devices if d.devices[h].role is dev.role]
        port = _hw(net, dev.model).port_table()[lock.ports[host][LAN_PORT] - 1][0]
        blocks = {z: lock.zones[z][site.name] for z in served[site.name]}
        out[host] = zone_interfaces(port, pes.index(host) + 1, served[site.name], blocks, vlans)
    return out


def _sites(
    d: Drafts, served: dict[str, tuple[str, ...]], net: NetworkFile, lock: Lock
) -> dict[str, Site]:
    out: dict[str, Site] = {}
    plane = net.management.plane
    site_mode = is_site_mode(plane)
    for s in d.sites.values():
        subnet = lock.mgmt_sites.get(s.name) if site_mode else None
        apps: tuple[Application, ...] = ()
        areas: tuple[str, ...] = ()
        if s.cloud is not None and s.cloud_of is not None:
            apps = tuple(
                Application(name=a.name, label=a.label, zone=a.zone, area=a.area)
                for a in s.cloud.applications
            )
            areas = ("extranet", "internet")
        out[s.name] = Site(
            name=s.name,
            label=s.label,
            code=s.code,
            tier=s.tier,
            kind=s.kind,
            parent=s.parent,
            children=tuple(s.children),
            buildings=s.buildings,
            devices=tuple(s.devices),
            cloud=s.cloud.id if s.cloud is not None and s.cloud_of is None else None,
            applications=apps,
            cloud_areas=areas,
            egress=tuple(f"{s.name}-egress{i + 1}" for i in range(len(s.egress))),
            accepted_risks=s.accepted_risks,
            zones=served.get(s.name, ()),
            mgmt_subnet=subnet,
            mgmt_gateway=gateway_of(subnet) if subnet else None,
            mgmt_centre=centre_of(d, s.name, plane) if site_mode else None,
        )
    return out
