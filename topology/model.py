"""The resolved, immutable network model every consumer reads.

Objects refer to each other by name (site name, device hostname, circuit id), so the whole model dumps to
JSON/YAML and golden tests compare plain data. Build one with :func:`topology.load_topology`; nothing
mutates a ``Topology`` after it is built.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from topology.demands import DemandModel
from topology.departments import Department
from topology.management import Management

SCHEMA_VERSION = 1


class Frozen(BaseModel):
    """Base for every resolved object: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Tier(StrEnum):
    """Level of a site in the hierarchy."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    CLOUD = "cloud"


class Role(StrEnum):
    """What a device does; decides which features its platform must support."""

    CORE = "core"
    ACCESS = "access"
    SERVICE = "service"
    CLOUD_GW = "cloud_gw"
    FIREWALL = "firewall"


class CircuitRole(StrEnum):
    """Why a circuit exists."""

    UPLINK = "uplink"
    INTERCONNECT = "interconnect"
    SERVICE = "service"
    CLOUD = "cloud"
    EXTRA = "extra"
    FIREWALL = "firewall"  # a core to its site's egress firewall (core end in the internet VRF)


class Carrier(Frozen):
    """A carrier (or the province's own fibre); a shared-risk group of its own."""

    name: str
    label: str


class CircuitType(Frozen):
    """A kind of circuit with its nominal and usable (IP payload) rate per direction, in bit/s."""

    name: str
    label: str
    nominal_bps: int
    usable_bps: int


class Platform(Frozen):
    """A device platform (netutils normalised name) with its capabilities and tool names."""

    name: str
    features: tuple[str, ...]
    napalm_driver: str | None
    netmiko_device_type: str
    ansible_network_os: str
    interface_template: str
    loopback_name: str
    mgmt_interface: str
    mgmt_vrf: bool


class DeviceModel(Frozen):
    """A hardware model and the platform it runs, with its ports from the hardware catalogue
    (``templates/<platform>/hardware.yaml``)."""

    name: str
    platform: str
    vendor: str
    kind: str
    ports: int
    dialect: str = ""
    port_names: tuple[str, ...] = ()
    port_speeds_bps: tuple[int, ...] = ()
    mgmt_interface: str = ""
    mgmt_vrf: str | None = None
    mgmt_port: str | None = None  # switches: the access port of the management VLAN
    mgmt_vlan: int | None = None
    features: tuple[str, ...] = ()


class Policy(Frozen):
    """Thresholds and planning policy (settable in the inventory)."""

    warn_utilisation: float
    fail_utilisation: float
    igp: str
    reference_bandwidth_bps: int
    ospf_area: str
    max_paths: int
    bgp_asn: int
    # OSPF timers the configs run with (``igp: {hello, dead}``). The defaults (hello 10 s, dead 40 s)
    # are every platform's own for point-to-point interfaces and are not rendered; other values are
    # rendered for FRR (the loader refuses them for other platforms). Deploy post-checks watch at
    # least dead + hello seconds after a commit.
    ospf_hello_s: int = 10
    ospf_dead_s: int = 40


class Interface(Frozen):
    """One interface of a device: loopback, management or a circuit end."""

    name: str
    kind: str
    address: str | None
    circuit: str | None
    description: str
    vrf: str | None = None


class Device(Frozen):
    """A router or switch."""

    hostname: str
    site: str
    role: Role
    model: str
    platform: str
    building: str
    loopback: str
    mgmt_address: str
    interfaces: tuple[Interface, ...]


class CircuitEnd(Frozen):
    """One end of a circuit: device, interface and its address."""

    device: str
    interface: str
    address: str


class Circuit(Frozen):
    """A point-to-point circuit (full duplex: capacity is per direction)."""

    id: str
    role: CircuitRole
    type: str
    carrier: str
    a: CircuitEnd
    b: CircuitEnd
    subnet: str
    capacity_bps: int
    nominal_bps: int
    cost_ab: int
    cost_ba: int
    ducts: tuple[str, ...]
    srlgs: tuple[str, ...]
    tail: bool

    def ends(self) -> tuple[str, str]:
        """Return the two device hostnames (a, b)."""
        return (self.a.device, self.b.device)


class ZoneBlock(Frozen):
    """A zone's address block at one site."""

    site: str
    prefix: str


class Zone(Frozen):
    """A logical zone, one VRF each."""

    name: str
    label: str
    kind: str
    vrf: str
    rd: str
    route_target: str
    vpn_id: int
    pool: str
    blocks: tuple[ZoneBlock, ...]
    vlan: int | None = None  # 802.1Q tag of the zone's CE-facing sub-interfaces


class Application(Frozen):
    """An application hosted in a government cloud zone."""

    name: str
    label: str
    zone: str
    area: str


class Egress(Frozen):
    """An internet exit point of a level (分级出口)."""

    name: str
    site: str
    device: str
    carrier: str
    capacity_bps: int
    interface: str | None = None  # on an egress firewall: its outside interface ...
    address: str | None = None  # ... its address on the carrier hand-off subnet ...
    gateway: str | None = None  # ... and the carrier's gateway (the firewall's default route)


class Firewall(Frozen):
    """The egress firewall of a level: zone policy, source NAT and access logging."""

    hostname: str
    site: str
    zone: str  # the internet access zone whose VRF the inside links join on the cores
    inside: tuple[str, ...]  # circuit ids core ↔ firewall
    egress: tuple[str, ...]  # egress names (outside links, one per carrier)
    log_servers: tuple[str, ...]


class Site(Frozen):
    """A site: province, city, county-level node, township or government cloud."""

    name: str
    label: str
    code: str
    tier: Tier
    kind: str
    parent: str | None
    children: tuple[str, ...]
    buildings: tuple[str, ...]
    devices: tuple[str, ...]
    cloud: str | None = None
    applications: tuple[Application, ...] = ()
    cloud_areas: tuple[str, ...] = ()
    egress: tuple[str, ...] = ()
    accepted_risks: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()  # the zones this site serves (topology/zones.py)
    # per-site management plane (topology/mgmt_plane.py): the site's management subnet, its
    # gateway and the site whose management centre (NMS) serves its devices; None: a flat pool
    mgmt_subnet: str | None = None
    mgmt_gateway: str | None = None
    mgmt_centre: str | None = None


class Topology(Frozen):
    """The whole resolved network; dicts are keyed by name and never mutated after build."""

    schema_version: int = SCHEMA_VERSION
    name: str
    label: str
    source: str
    policy: Policy
    carriers: dict[str, Carrier]
    circuit_types: dict[str, CircuitType]
    platforms: dict[str, Platform]
    device_models: dict[str, DeviceModel]
    zones: dict[str, Zone]
    sites: dict[str, Site]
    devices: dict[str, Device]
    circuits: dict[str, Circuit]
    egress: dict[str, Egress]
    firewalls: dict[str, Firewall] = {}
    management: Management = Management()
    demands: DemandModel = DemandModel()
    departments: dict[str, Department] = {}
    nms: dict[str, str] = {}  # management centre site → its NMS segment (empty: a flat pool)

    def root(self) -> Site:
        """Return the province site."""
        return next(s for s in self.sites.values() if s.tier is Tier.PROVINCE)

    def sites_of(self, tier: Tier) -> list[Site]:
        """Return the sites of one tier in model order."""
        return [s for s in self.sites.values() if s.tier is tier]

    def circuits_of(self, device: str) -> list[Circuit]:
        """Return the circuits with an end on ``device``."""
        return [c for c in self.circuits.values() if device in (c.a.device, c.b.device)]
