"""The per-device render context: every value a template prints, computed once in Python.

Templates only loop, branch and format. Interface names, masks, wildcards, neighbour addresses,
OSPF costs (the a-end of a circuit uses ``cost_ab``, the b-end ``cost_ba``), shaping rates in the
platform's unit, RD/RT, hashed passwords: all here. Secrets are resolved only for the sections the
platform's config carries (``templates/<platform>/platform.yaml``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from functools import cached_property

from configs.departments import DeptIfCtx, department_interfaces
from configs.egress import CoreEgressCtx, FirewallCtx, core_egress, firewall
from configs.hashing import hash_password
from configs.platform_data import PlatformRender, active_sections, clean_text, platform_render
from configs.qos import QOS_CLASSES, QOS_POLICY, QosClass, shaper_name
from configs.zones import LanPortCtx, ZoneIfCtx, zone_interfaces
from topology.diagnostics import OperationError
from topology.management import Management, nms_segment
from topology.model import Circuit, CircuitRole, Device, Interface, Role, Topology
from topology.platforms import find_model
from topology.secrets import SecretSource

PE_ROLES = (Role.CORE, Role.CLOUD_GW)
# A password typed on the CLI as one token: VRP and Comware read "?" as help and space as a separator.
PLAIN_PASSWORD = re.compile(r"[!#-&(->@-~]{8,128}")  # printable ASCII but space, " ' ?
# Per-VRF route limit: a zone carries site blocks (a few thousand at most across 1,900 sites);
# a leak of a full table into a zone stops here, with a warning at 80 %.
VRF_ROUTE_LIMIT = 20000
SWITCH_VLAN_BASE = 3000  # a switch's circuit n routes through VLANIF 3000 + n
MODEL_NEEDS = {"bfd": "bfd"}  # control → hardware feature the model must have (hardware.yaml)


@dataclass(frozen=True, slots=True)
class Addr:
    """An IPv4 interface address in every notation a vendor might print."""

    ip: str
    prefixlen: int
    mask: str
    wildcard: str
    network: str
    cidr: str
    net_cidr: str

    @classmethod
    def parse(cls, text: str) -> Addr:
        """Parse ``a.b.c.d/len`` (host bits allowed; no ``/len`` means /32).

        Plain integer arithmetic: ``ipaddress`` is the slowest part of rendering otherwise.

        Examples:
            >>> a = Addr.parse("198.18.16.1/30")
            >>> (a.ip, a.mask, a.wildcard, a.network, a.net_cidr)
            ('198.18.16.1', '255.255.255.252', '0.0.0.3', '198.18.16.0', '198.18.16.0/30')
            >>> Addr.parse("10.0.0.256/24")
            Traceback (most recent call last):
            ValueError: not an IPv4 interface address: '10.0.0.256/24'
        """
        ip, _, plen = text.partition("/")
        octets = ip.split(".")
        try:
            values = [int(o) for o in octets]
            prefixlen = int(plen) if plen else 32
        except ValueError:
            values, prefixlen = [], -1
        if len(values) != 4 or not all(0 <= v <= 255 for v in values) or not 0 <= prefixlen <= 32:
            raise ValueError(f"not an IPv4 interface address: {text!r}")
        n = (values[0] << 24) | (values[1] << 16) | (values[2] << 8) | values[3]
        mask = (0xFFFFFFFF << (32 - prefixlen)) & 0xFFFFFFFF
        net = _dotted(n & mask)
        return cls(
            ip=_dotted(n),
            prefixlen=prefixlen,
            mask=_dotted(mask),
            wildcard=_dotted(mask ^ 0xFFFFFFFF),
            network=net,
            cidr=f"{_dotted(n)}/{prefixlen}",
            net_cidr=f"{net}/{prefixlen}",
        )


def _int(dotted: str) -> int:
    """A dotted quad as an int (the text comes from the model: already validated).

    Examples:
        >>> _int("198.19.0.1")
        3323133953
    """
    a, b, c, d = (int(x) for x in dotted.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def _dotted(v: int) -> str:
    return f"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}"


@dataclass(frozen=True, slots=True)
class IfCtx:
    """A circuit interface as the templates print it."""

    name: str
    description: str
    addr: Addr
    circuit: str
    carrier: str
    cost: int
    peer_device: str
    peer_ip: str
    capacity_bps: int
    bandwidth_kbps: int
    shape_rate: int
    shaper: str
    mpls: bool
    vlan: int = 0  # a switch dialect's VLANIF for this circuit (0: a routed port)
    peer_lsr_id: str = ""  # the peer's loopback (its LDP LSR id)
    access_facing: bool = False  # a router port toward a service centre (uRPF)


@dataclass(frozen=True, slots=True)
class PortQueue:
    """One egress port queue of a port-queue dialect (NE): strict priority or a WFQ weight."""

    name: str
    pq: bool
    percent: int


@dataclass(frozen=True, slots=True)
class Neighbor:
    """An iBGP neighbour (loopback address)."""

    ip: str
    name: str
    rr_client: bool


@dataclass(frozen=True, slots=True)
class VrfCtx:
    """One VRF (one per zone) and the zone blocks this device originates in it."""

    name: str
    label: str
    rd: str
    rt: str
    vpn_id: int
    networks: tuple[Addr, ...]
    route_limit: int = 0  # 0: no limit (the built-in management VRF)
    route_warn_percent: int = 80
    default_route: bool = False  # advertise the level's internet default in BGP (configs/egress.py)


@dataclass(frozen=True, slots=True)
class UserCtx:
    """A local user with the password as the platform's config takes it (a hash it documents, or
    the plaintext input form the device hashes on commit)."""

    name: str
    privilege: int
    password: str


@dataclass(frozen=True, slots=True)
class SnmpUserCtx:
    """An SNMPv3 authPriv user with its keys (devices store them encrypted)."""

    name: str
    auth_key: str
    priv_key: str


@dataclass(frozen=True, slots=True)
class Shaper:
    """A parent shaping policy for one contracted rate."""

    name: str
    rate_bps: int
    rate: int


@dataclass(frozen=True, slots=True)
class BgpCtx:
    """iBGP (VPNv4) towards or from the province route reflectors."""

    asn: int
    router_id: str
    is_rr: bool
    cluster_id: str
    neighbors: tuple[Neighbor, ...]
    password: str


@dataclass(frozen=True, slots=True)
class AccessCtx:
    """Management-plane access: users, AAA, SNMP, servers, ACL (``d.access`` in templates)."""

    users: tuple[UserCtx, ...]
    snmp_users: tuple[SnmpUserCtx, ...]
    aaa_key: str
    aaa_servers: tuple[str, ...]
    ntp_servers: tuple[str, ...]
    syslog_servers: tuple[str, ...]
    mgmt_acl: tuple[Addr, ...]
    lockout_seconds: int
    trap_servers: tuple[str, ...] = ()
    ntp_key: str = ""  # empty: the platform's config carries no NTP authentication


@dataclass(frozen=True, slots=True)
class MgmtRouteCtx:
    """A static route of the management plane: an NMS prefix via the site's management gateway,
    in the management interface's VRF (``vrf`` None: the global table)."""

    prefix: Addr
    gateway: str
    vrf: str | None


@dataclass(frozen=True, slots=True)
class FlowCtx:
    """NetStream/NetFlow v9 export toward the level's collector (``d.flow`` in templates)."""

    collector: str
    port: int
    source: str  # the management interface: flows leave with its address
    vrf: str | None
    interfaces: tuple[str, ...]  # backbone interfaces that sample flows (both directions)


@dataclass(frozen=True, slots=True)
class DeviceContext:
    """Everything one device's templates print."""

    hostname: str
    platform: str
    role: str
    site: str
    tier: str
    model: str
    mgmt: Management
    loopback: Addr
    loopback_name: str
    mgmt_if: Interface
    mgmt_addr: Addr
    mgmt_vrf: str | None
    interfaces: tuple[IfCtx, ...]
    unused_ports: tuple[str, ...]
    ospf_area: str
    # OSPF timers to render: None when they are the platforms' defaults (hello 10 s, dead 40 s)
    ospf_hello_s: int | None
    ospf_dead_s: int | None
    ospf_key: str
    ospf_key_id: int
    reference_bandwidth_mbps: int
    max_paths: int
    bgp: BgpCtx | None
    vrfs: tuple[VrfCtx, ...]
    qos_classes: tuple[QosClass, ...]
    qos_policy: str
    shapers: tuple[Shaper, ...]
    access: AccessCtx
    sections: frozenset[str] = field(default_factory=frozenset)
    dialect: str = ""
    mgmt_port: str | None = None
    mgmt_vlan: int | None = None
    port_queues: tuple[PortQueue, ...] = ()
    controls: frozenset[str] = field(default_factory=frozenset)
    ldp_key: str = ""
    lan_ports: tuple[LanPortCtx, ...] = ()
    zone_ifs: tuple[ZoneIfCtx, ...] = ()
    dept_ifs: tuple[DeptIfCtx, ...] = ()
    egress: CoreEgressCtx | None = None
    firewall: FirewallCtx | None = None
    mgmt_routes: tuple[MgmtRouteCtx, ...] = ()
    mgmt_gateway: str = ""  # the site's management gateway ("": a flat management pool)
    flow: FlowCtx | None = None


@dataclass
class TopologyIndex:
    """Per-topology facts shared by every device context (computed once per render run)."""

    topo: Topology

    @cached_property
    def root(self) -> str:
        """The province site's name."""
        return self.topo.root().name

    @cached_property
    def reflectors(self) -> tuple[str, ...]:
        """Hostnames of the province cores (the route reflectors)."""
        root = self.topo.root().name
        return tuple(
            h for h, d in self.topo.devices.items() if d.site == root and d.role is Role.CORE
        )

    @cached_property
    def speakers(self) -> tuple[str, ...]:
        """Hostnames of every BGP speaker (cores and cloud gateways), sorted."""
        return tuple(sorted(h for h, d in self.topo.devices.items() if d.role in PE_ROLES))

    @cached_property
    def blocks_by_site(self) -> dict[str, list[tuple[str, str]]]:
        """(zone, prefix) blocks per site."""
        out: dict[str, list[tuple[str, str]]] = {}
        for z in self.topo.zones.values():
            for b in z.blocks:
                out.setdefault(b.site, []).append((z.name, b.prefix))
        return out

    @cached_property
    def nms(self) -> ipaddress.IPv4Network:
        """The province's NMS segment: the first /28 of the management pool
        (:func:`topology.management.nms_segment`; with per-site subnets, ``Topology.nms``)."""
        root = self.topo.root().name
        if root in self.topo.nms:
            return ipaddress.IPv4Network(self.topo.nms[root])
        return nms_segment(next(iter(self.topo.devices.values())).mgmt_address)

    @cached_property
    def nms_segments(self) -> tuple[tuple[int, int, str], ...]:
        """Every centre's NMS segment as (network int, mask int, prefix text), parsed once."""
        out = []
        for prefix in self.topo.nms.values():
            a = Addr.parse(prefix)
            out.append((_int(a.network), _int(a.mask), a.net_cidr))
        return tuple(out)

    @cached_property
    def centre_hosts(self) -> dict[str, str]:
        """Management centre site → its NMS host (the segment's first host)."""
        return {s: _dotted(_int(Addr.parse(p).network) + 1) for s, p in self.topo.nms.items()}

    @cached_property
    def nms_host(self) -> str:
        """Default NTP/syslog/AAA server: the first host of the NMS segment."""
        return str(self.nms.network_address + 1)


def _model_lacks(platform: str, model: str) -> frozenset[str]:
    """Controls the model's catalogue entry marks ``na`` (``hardware.yaml``)."""
    entry = find_model(platform, model)
    return frozenset(entry.na) if entry is not None else frozenset()


def port_queues(classes: tuple[QosClass, ...]) -> tuple[PortQueue, ...]:
    """The QoS classes as port queues: EF strict priority, the others weighted, BE the rest.

    Examples:
        >>> [(q.name, q.pq, q.percent) for q in port_queues(QOS_CLASSES)]
        [('ef', True, 10), ('af4', False, 35), ('af3', False, 20), ('be', False, 35)]
    """
    out: dict[str, list[int]] = {}
    prio: dict[str, bool] = {}
    for c in classes:
        out.setdefault(c.queue, []).append(c.percent)
        prio[c.queue] = c.priority
    queues = [PortQueue(q, prio[q], sum(p)) for q, p in out.items()]
    rest = 100 - sum(q.percent for q in queues)
    return (*queues, PortQueue("be", False, rest)) if classes else ()


def _interface(
    dev: Device,
    itf: Interface,
    c: Circuit,
    pr: PlatformRender,
    qos: bool,
    vlan: int = 0,
    topo: Topology | None = None,
) -> IfCtx:
    mine, peer = (c.a, c.b) if c.a.device == dev.hostname else (c.b, c.a)
    peer_dev = topo.devices.get(peer.device) if topo is not None else None
    return IfCtx(
        name=mine.interface,
        description=clean_text(itf.description, pr.description_replace),
        addr=Addr.parse(mine.address),
        circuit=c.id,
        carrier=c.carrier,
        cost=c.cost_ab if mine is c.a else c.cost_ba,
        peer_device=peer.device,
        peer_ip=peer.address.split("/")[0],
        capacity_bps=c.capacity_bps,
        bandwidth_kbps=max(1, c.capacity_bps // 1000),
        shape_rate=c.capacity_bps // pr.shape_unit_bps,
        shaper=shaper_name(c.capacity_bps) if qos else "",
        mpls=not c.tail,
        vlan=vlan,
        peer_lsr_id=peer_dev.loopback.split("/")[0] if peer_dev is not None else "",
        access_facing=c.role is CircuitRole.SERVICE and vlan == 0 and dev.role is Role.ACCESS,
    )


def unused_ports(topo: Topology, dev: Device, used: set[str]) -> tuple[str, ...]:
    """Names of the ports of the device's model not used by any circuit (rendered shut).

    Tested in tests/render/test_render_api.py (``test_unused_ports_are_shut``).
    """
    return tuple(n for n in topo.device_models[dev.model].port_names if n not in used)


def _bgp(ix: TopologyIndex, dev: Device, secrets: SecretSource) -> BgpCtx | None:
    if dev.role not in PE_ROLES:
        return None
    topo = ix.topo
    is_rr = dev.hostname in ix.reflectors
    peers = (
        [h for h in ix.speakers if h != dev.hostname]
        if is_rr
        else [h for h in ix.reflectors if h != dev.hostname]
    )
    neighbors = tuple(
        Neighbor(
            ip=topo.devices[h].loopback.split("/")[0],
            name=h,
            rr_client=is_rr and h not in ix.reflectors,
        )
        for h in peers
    )
    rr_ids = sorted(topo.devices[h].loopback.split("/")[0] for h in ix.reflectors)
    return BgpCtx(
        asn=topo.policy.bgp_asn,
        router_id=dev.loopback.split("/")[0],
        is_rr=is_rr,
        cluster_id=rr_ids[0] if rr_ids else dev.loopback.split("/")[0],
        neighbors=neighbors,
        password=secrets.get(topo.management.bgp_password_secret, device=dev.hostname),
    )


def _vrfs(ix: TopologyIndex, dev: Device, pe: bool) -> tuple[VrfCtx, ...]:
    mgmt_vrf = next((i.vrf for i in dev.interfaces if i.kind == "mgmt" and i.vrf), None)
    here = {z: p for z, p in ix.blocks_by_site.get(dev.site, [])}
    out = []
    for z in ix.topo.zones.values():
        if not (pe and z.name in here) and z.vrf != mgmt_vrf:
            continue
        nets = (Addr.parse(here[z.name]),) if pe and z.name in here else ()
        out.append(
            VrfCtx(
                name=z.vrf,
                label=z.label,
                rd=z.rd,
                rt=z.route_target,
                vpn_id=z.vpn_id,
                networks=nets,
                route_limit=VRF_ROUTE_LIMIT,
            )
        )
    return tuple(out)


def _users(
    dev: Device, mg: Management, scheme: str | None, secrets: SecretSource
) -> tuple[UserCtx, ...]:
    if scheme is None:
        return ()
    out = []
    for u in mg.users:
        plain = secrets.get(u.secret, device=dev.hostname)
        if scheme == "device":
            # the vendor's plaintext input form: one CLI token the device hashes on commit
            if not PLAIN_PASSWORD.fullmatch(plain):
                raise OperationError(
                    f"{dev.hostname}: secret '{u.secret}' cannot be typed as a {dev.platform} "
                    "password: 8-128 printable ASCII characters without spaces, '?' or quotes"
                )
            out.append(UserCtx(name=u.name, privilege=u.privilege, password=plain))
        else:
            out.append(
                UserCtx(
                    name=u.name,
                    privilege=u.privilege,
                    password=hash_password(scheme, u.name, plain),
                )
            )
    return tuple(out)


def _snmp(dev: Device, mg: Management, secrets: SecretSource) -> tuple[SnmpUserCtx, ...]:
    return tuple(
        SnmpUserCtx(
            name=u.name,
            auth_key=secrets.get(u.auth_secret, device=dev.hostname),
            priv_key=secrets.get(u.priv_secret, device=dev.hostname),
        )
        for u in mg.snmp_users
    )


def _shapers(ifs: tuple[IfCtx, ...], unit: int) -> tuple[Shaper, ...]:
    rates = sorted({i.capacity_bps for i in ifs})
    return tuple(Shaper(name=shaper_name(r), rate_bps=r, rate=r // unit) for r in rates)


def _servers(
    given: tuple[str, ...], ix: TopologyIndex, dev: Device | None = None
) -> tuple[str, ...]:
    """A device's servers of one kind: its city management centre's NMS host first (when a city
    centre serves its site), then the province's (the inventory's list, else the NMS host)."""
    province = given or (ix.nms_host,)
    city = _city_centre_host(ix, dev)
    return (city, *(s for s in province if s != city)) if city else province


def _city_centre_host(ix: TopologyIndex, dev: Device | None) -> str:
    """The NMS host of the city management centre serving ``dev`` ("" : the province serves it)."""
    if dev is None:
        return ""
    centre = ix.topo.sites[dev.site].mgmt_centre
    if centre is None or centre == ix.root or centre not in ix.centre_hosts:
        return ""
    return ix.centre_hosts[centre]


def _mgmt_acl(ix: TopologyIndex, dev: Device) -> tuple[Addr, ...]:
    """Who may manage the device: the inventory's ACL, else the NMS segments that serve it."""
    given = ix.topo.management.mgmt_acl
    if given:
        return tuple(Addr.parse(p) for p in given)
    nets = [str(ix.nms)]
    centre = ix.topo.sites[dev.site].mgmt_centre
    if centre is not None and centre in ix.topo.nms and ix.topo.nms[centre] not in nets:
        nets.insert(0, ix.topo.nms[centre])
    return tuple(Addr.parse(n) for n in nets)


def _mgmt_routes(
    ix: TopologyIndex, dev: Device, servers: tuple[str, ...]
) -> tuple[MgmtRouteCtx, ...]:
    """Static routes of the management VRF toward every server the device talks to.

    Per-site management subnets only (a flat pool reaches its NMS on-link). A server inside an
    NMS segment is reached through a route to the whole segment, any other through a host
    route; the next hop is the site's management gateway.
    """
    site = ix.topo.sites[dev.site]
    if site.mgmt_gateway is None or site.mgmt_subnet is None:
        return ()
    own = Addr.parse(site.mgmt_subnet)
    own_net, own_mask = _int(own.network), _int(own.mask)
    vrf = next(i.vrf for i in dev.interfaces if i.kind == "mgmt")
    out: dict[str, tuple[int, MgmtRouteCtx]] = {}
    for s in servers:
        ip = _int(s)
        if ip & own_mask == own_net:
            continue
        net = next((p for n, m, p in ix.nms_segments if ip & m == n), f"{s}/32")
        if net not in out:
            a = Addr.parse(net)
            out[net] = (_int(a.network), MgmtRouteCtx(a, site.mgmt_gateway, vrf))
    return tuple(r for _, r in sorted(out.values(), key=lambda t: t[0]))


def _backbone(ifs: tuple[IfCtx, ...]) -> tuple[str, ...]:
    """The interfaces that sample flows: the MPLS backbone (uplinks and core interconnects)."""
    return tuple(i.name for i in ifs if i.mpls and i.vlan == 0)


def _access(
    ix: TopologyIndex, dev: Device, sections: frozenset[str], secrets: SecretSource
) -> AccessCtx:
    mg = ix.topo.management
    scheme = platform_render(dev.platform).password_hash
    return AccessCtx(
        users=_users(dev, mg, scheme, secrets) if "users" in sections else (),
        snmp_users=_snmp(dev, mg, secrets) if "snmp" in sections else (),
        aaa_key=secrets.get(mg.aaa.key_secret, device=dev.hostname) if "aaa" in sections else "",
        aaa_servers=_servers(mg.aaa.servers, ix, dev),
        ntp_servers=_servers(mg.ntp_servers, ix, dev),
        syslog_servers=_servers(mg.syslog_servers, ix, dev),
        mgmt_acl=_mgmt_acl(ix, dev),
        lockout_seconds=mg.lockout_minutes * 60,
        trap_servers=_servers(mg.trap_servers, ix, dev),
        ntp_key=(
            secrets.get(mg.ntp_key_secret, device=dev.hostname) if "ntp_auth" in sections else ""
        ),
    )


def build_context(ix: TopologyIndex, hostname: str, secrets: SecretSource) -> DeviceContext:
    """Compute the render context of one device.

    Raises:
        topology.secrets.MissingSecret: a secret the platform's config needs is not set.
    """
    topo, dev = ix.topo, ix.topo.devices[hostname]
    pr = platform_render(dev.platform)
    sections = active_sections(pr, topo.platforms[dev.platform].features)
    mg = topo.management
    hw = topo.device_models[dev.model]
    # switches route through VLANIFs: one VLAN per circuit port (SWITCH_VLAN_BASE + n)
    vlanif = hw.kind == "switch" and "vlanif" in hw.features
    ckts = [
        (i, topo.circuits[i.circuit])
        for i in dev.interfaces
        if i.circuit is not None and i.vrf is None  # VRF-bound links: configs/egress.py
    ]
    ifs = tuple(
        _interface(dev, i, c, pr, "qos" in sections, SWITCH_VLAN_BASE + n if vlanif else 0, topo)
        for n, (i, c) in enumerate(ckts, start=1)
    )
    pe = dev.role in PE_ROLES and "bgp" in sections
    # a control is rendered when the platform has it on and the model has what it needs
    lacks = _model_lacks(dev.platform, dev.model)
    controls = frozenset(
        c
        for c in pr.enabled()
        if (c not in MODEL_NEEDS or MODEL_NEEDS[c] in hw.features) and c not in lacks
    )
    mgmt_if = next(i for i in dev.interfaces if i.kind == "mgmt")
    lan, zifs = zone_interfaces(topo, dev, pr) if "vrfs" in sections else ((), ())
    egress = core_egress(topo, dev, pr) if "vrfs" in sections else None
    vrfs = _vrfs(ix, dev, pe) if "vrfs" in sections else ()
    if egress is not None:
        vrfs = tuple(replace(v, default_route=v.name == egress.vrf) for v in vrfs)
    used = {i.name for i in dev.interfaces if i.kind in ("p2p", "egress")} | {p.name for p in lan}
    access = _access(ix, dev, sections, secrets)
    fw_logs = _servers(mg.syslog_servers, ix, dev)
    fw = firewall(topo, dev, pr, fw_logs)
    flow = None
    if "flow_export" in controls and _backbone(ifs):
        flow = FlowCtx(
            collector=access.trap_servers[0],
            port=mg.plane.flow_port,
            source=mgmt_if.name,
            vrf=mgmt_if.vrf,
            interfaces=_backbone(ifs),
        )
    talks_to = (
        *access.ntp_servers,
        *access.syslog_servers,
        *access.aaa_servers,
        *access.trap_servers,
        *(fw.log_servers if fw is not None else ()),
        *((flow.collector,) if flow else ()),
    )
    return DeviceContext(
        hostname=hostname,
        platform=dev.platform,
        role=dev.role.value,
        site=dev.site,
        tier=topo.sites[dev.site].tier.value,
        model=dev.model,
        mgmt=mg,
        loopback=Addr.parse(dev.loopback),
        loopback_name=topo.platforms[dev.platform].loopback_name,
        mgmt_if=mgmt_if,
        mgmt_addr=Addr.parse(dev.mgmt_address),
        mgmt_vrf=mgmt_if.vrf,
        interfaces=ifs,
        unused_ports=unused_ports(topo, dev, used),
        ospf_area=topo.policy.ospf_area,
        **_ospf_timers(topo),
        ospf_key=secrets.get(mg.ospf_key_secret, device=hostname),
        ospf_key_id=mg.ospf_key_id,
        reference_bandwidth_mbps=topo.policy.reference_bandwidth_bps // 1_000_000,
        max_paths=topo.policy.max_paths,
        bgp=_bgp(ix, dev, secrets) if pe else None,
        vrfs=vrfs,
        qos_classes=QOS_CLASSES if "qos" in sections else (),
        qos_policy=QOS_POLICY,
        shapers=_shapers(ifs, pr.shape_unit_bps) if "qos" in sections else (),
        access=access,
        sections=sections,
        dialect=hw.dialect,
        mgmt_port=hw.mgmt_port,
        mgmt_vlan=hw.mgmt_vlan,
        controls=controls,
        ldp_key=(
            secrets.get(mg.ldp_key_secret, device=hostname)
            if "ldp_md5" in controls and pe and any(i.mpls for i in ifs)
            else ""
        ),
        port_queues=port_queues(QOS_CLASSES) if "qos" in sections else (),
        lan_ports=lan,
        zone_ifs=zifs,
        dept_ifs=department_interfaces(topo, dev, pr, lan),
        egress=egress,
        firewall=fw,
        mgmt_routes=_mgmt_routes(ix, dev, talks_to),
        mgmt_gateway=topo.sites[dev.site].mgmt_gateway or "",
        flow=flow,
    )


def _ospf_timers(topo: Topology) -> dict[str, int | None]:
    """The OSPF timers a config renders: none when they are every platform's default (10/40 s)."""
    p = topo.policy
    if (p.ospf_hello_s, p.ospf_dead_s) == (10, 40):
        return {"ospf_hello_s": None, "ospf_dead_s": None}
    return {"ospf_hello_s": p.ospf_hello_s, "ospf_dead_s": p.ospf_dead_s}
