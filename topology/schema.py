"""Input models: the inventory YAML one-to-one, strict and frozen.

Units are normalised here (rates to bit/s, percentages to ratios). Cross-references (carrier names,
device models, zones) are checked later by :mod:`topology.expand`, which knows where each value came from.

Files of an inventory folder:

* ``network.yaml`` — :class:`NetworkFile`: carriers, circuit types, device models, tier defaults, pools,
  IGP, zones, policy, role requirements, ducts.
* ``province.yaml`` — :class:`ProvinceFile`: the province site, its cloud and egress.
* ``cities/*.yaml`` — :class:`CityFile`: one city each, with its county-level nodes and townships.
* ``demands.yaml`` (optional) — read by the planner's demand model.
* ``ipam.lock.json`` — the committed address/port allocations (written by ``egnet ipam sync``).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
)

from topology.management import ManagementIn
from topology.text import (
    Area,
    CircuitId,
    Code,
    Hostname,
    Id,
    Int,
    Label,
    ModelName,
    PlatformName,
)
from topology.units import parse_rate, parse_ratio

Rate = Annotated[int, BeforeValidator(parse_rate)]
Ratio = Annotated[float, BeforeValidator(parse_ratio)]
Name = Id
Prefix = Annotated[str, Strict(), StringConstraints(pattern=r"^[0-9.]+/[0-9]{1,2}$", max_length=18)]


class Input(BaseModel):
    """Base of every input model: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class NetworkInfo(Input):
    name: Name
    label: Label


class CarrierIn(Input):
    label: Label


class CircuitTypeIn(Input):
    label: Label
    nominal: Rate
    usable: Rate


class DeviceModelIn(Input):
    platform: PlatformName
    vendor: ModelName
    kind: Literal["router", "switch", "firewall"]
    ports: Int | None = Field(
        default=None, ge=1, le=1024, description="optional; must match the hardware catalogue"
    )


class UplinkIn(Input):
    """One uplink of a site: from its core ``local`` to its parent's core ``remote``.

    ``remote: auto`` picks a parent core by a stable hash of the site code (townships).
    """

    local: Int = Field(default=1, ge=1, le=4)
    remote: Int | Literal["auto"] = 1
    type: Name
    carrier: Name
    ducts: tuple[Name, ...] = Field(default=(), max_length=16)
    cost: Int | None = Field(default=None, ge=1, le=65535)
    cost_ab: Int | None = Field(default=None, ge=1, le=65535)  # local core → parent core
    cost_ba: Int | None = Field(default=None, ge=1, le=65535)  # parent core → local core
    id: CircuitId | None = None


class ServiceLinkIn(Input):
    type: Name
    carrier: Name


class EgressIn(Input):
    """An internet exit of a level: on core ``core`` over ``carrier`` with ``rate``."""

    core: Int = Field(default=1, ge=1, le=4)
    carrier: Name
    rate: Rate


def _ipv4(text: str) -> str:
    """A dotted IPv4 host address (text reaches device configs: nothing else gets through)."""
    return str(ipaddress.IPv4Address(text))


IPv4 = Annotated[
    str,
    Strict(),
    StringConstraints(pattern=r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$"),
    AfterValidator(_ipv4),
]


class FirewallIn(Input):
    """The internet-egress firewall of a level (分级出口): a device of its own between the site's
    cores (inside, in the internet zone's VRF) and the carriers (outside, one link per egress)."""

    model: ModelName
    log_servers: tuple[IPv4, ...] = Field(default=(), max_length=8)  # default: management syslog


class TierIn(Input):
    """Defaults for every site of a tier."""

    core_model: ModelName | None = None
    cores: Int = Field(default=2, ge=1, le=4)
    buildings: tuple[Name, ...] = ("a", "b")
    interconnect: Name | None = None
    uplinks: tuple[UplinkIn, ...] = ()
    access_model: ModelName | None = None
    service_model: ModelName | None = None
    service: ServiceLinkIn | None = None
    gateway_model: ModelName | None = None
    gateways: Int = Field(default=2, ge=1, le=4)
    cloud_link: Name | None = None
    egress: tuple[EgressIn, ...] = ()
    zones: tuple[Name, ...] | None = None  # township tier: the zones a township joins
    firewall: FirewallIn | None = None  # the egress firewall of every site of the tier with egress


class TiersIn(Input):
    province: TierIn
    city: TierIn
    county: TierIn
    township: TierIn
    cloud: TierIn


class PoolsIn(Input):
    loopback: Prefix
    p2p: Prefix
    p2p_prefix: Int = Field(default=30, ge=30, le=31)
    mgmt: Prefix


class IgpIn(Input):
    protocol: Literal["ospf", "isis"] = "ospf"
    reference_bandwidth: Rate = 100_000_000_000
    area: Area = "0.0.0.0"
    max_paths: Int = Field(default=8, ge=1, le=64)
    # OSPF hello/dead intervals of the backbone interfaces (s). The defaults are every platform's own
    # for point-to-point links and are not rendered; other values are rendered (FRR only today).
    hello: Int = Field(default=10, ge=1, le=65535)
    dead: Int = Field(default=40, ge=1, le=65535)


class BgpIn(Input):
    asn: Int = Field(ge=1, le=4294967295)


class ZoneIn(Input):
    """A zone (VRF) with its pool and the block size each tier's sites get."""

    label: Label
    kind: Literal["public", "internet", "management", "vpn", "office"]
    pool: Prefix
    vpn_id: Int = Field(ge=1, le=65535)
    site_prefix: dict[Literal["province", "city", "county", "township", "cloud"], Int]
    vlan: Int | None = Field(default=None, ge=1, le=4094)  # CE sub-interface tag; else vpn_id


class PolicyIn(Input):
    warn: Ratio = 0.7
    fail: Ratio = 0.8


class RoleIn(Input):
    requires: tuple[Name, ...] = Field(default=(), max_length=32)


class DuctIn(Input):
    label: Label


class NetworkFile(Input):
    """``network.yaml``."""

    network: NetworkInfo
    carriers: dict[Name, CarrierIn]
    circuit_types: dict[Name, CircuitTypeIn]
    device_models: dict[ModelName, DeviceModelIn]
    roles: dict[Literal["core", "access", "service", "cloud_gw", "firewall"], RoleIn] = {}
    tiers: TiersIn
    pools: PoolsIn
    igp: IgpIn = IgpIn()
    bgp: BgpIn
    zones: dict[Name, ZoneIn]
    policy: PolicyIn = PolicyIn()
    ducts: dict[Name, DuctIn] = {}
    management: ManagementIn = ManagementIn()


class ApplicationIn(Input):
    name: Name
    label: Label
    zone: Name
    area: Literal["extranet", "internet"] = "extranet"


class CloudIn(Input):
    """A government cloud (政务云) attached to a province or city site."""

    id: Name
    label: Label
    gateways: Int | None = Field(default=None, ge=1, le=4)
    zones: tuple[Name, ...] = Field(default=(), max_length=64)
    applications: tuple[ApplicationIn, ...] = ()


class ExtraCircuitIn(Input):
    """An extra circuit between two named devices (hostnames)."""

    id: CircuitId
    a: Hostname
    b: Hostname
    type: Name
    carrier: Name
    ducts: tuple[Name, ...] = Field(default=(), max_length=16)
    cost: Int | None = Field(default=None, ge=1, le=65535)
    cost_ab: Int | None = Field(default=None, ge=1, le=65535)  # a → b
    cost_ba: Int | None = Field(default=None, ge=1, le=65535)  # b → a


class SiteOverrides(Input):
    """Per-site overrides of tier defaults (shared by every site kind)."""

    cores: Int | None = Field(default=None, ge=1, le=4)
    hostnames: tuple[Hostname, ...] | None = None  # legacy core hostnames, in core order
    buildings: tuple[Name, ...] | None = None
    core_model: ModelName | None = None
    uplinks: tuple[UplinkIn, ...] | None = None
    circuits: tuple[ExtraCircuitIn, ...] = ()
    egress: tuple[EgressIn, ...] | None = None
    accepted_risks: tuple[Name, ...] = Field(default=(), max_length=32)
    firewall: FirewallIn | None = None


class TownshipIn(Input):
    id: Name
    name: Label
    code: Code
    kind: Literal["town", "township", "street", "ethnic_township", "other"] = "town"
    uplinks: tuple[UplinkIn, ...] | None = None
    access_model: ModelName | None = None
    zones: tuple[Name, ...] | None = None  # the zones this township joins (topology/zones.py)


class CountyIn(SiteOverrides):
    id: Name
    name: Label
    code: Code
    kind: Literal["county", "district", "county_city", "dev_zone"]
    townships: tuple[TownshipIn, ...] = ()


class CityIn(SiteOverrides):
    id: Name
    name: Label
    code: Code
    cloud: CloudIn | None = None
    counties: tuple[CountyIn, ...] = ()


class ProvinceIn(SiteOverrides):
    id: Name
    name: Label
    code: Code
    cloud: CloudIn | None = None


class ProvinceFile(Input):
    """``province.yaml``."""

    province: ProvinceIn


class CityFile(Input):
    """``cities/<name>.yaml``."""

    city: CityIn
