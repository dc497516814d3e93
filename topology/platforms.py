"""The platform registry: one folder per platform, ``templates/<platform>/``, read by one typed loader.

A platform's folder holds everything egnet knows about it: ``platform.yaml`` (features, safe-commit
capability, interface naming, render data, diff-ignore patterns, the netutils names of its tool
libraries), ``rules.yaml`` (等保 audit rules, read by ``configs.audit``) and its Jinja templates.
Adding a platform is a new folder plus a golden case (``templates/README.md``); no code branches on
a platform name. Tool names (Netmiko device type, NAPALM driver, Ansible network OS) are looked up
in netutils' ``lib_mapper`` from the folder's netutils names, never typed by hand, except where
netutils has no entry at all (``*_without_netutils``, e.g. FRR).

This module reads data files only; it imports nothing of egnet's outside ``topology``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeVar, get_args

import yaml
from netutils.lib_mapper import (
    ANSIBLE_LIB_MAPPER_REVERSE,
    NAPALM_LIB_MAPPER_REVERSE,
    NETMIKO_LIB_MAPPER_REVERSE,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from topology.diagnostics import OperationError
from topology.model import Platform
from topology.units import parse_rate

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MAX_SPEC_BYTES = 256 * 1024
SafeCommit = Literal["commit_trial", "commit_delay", "commit_revert", "commit_reload"]
Section = Literal["aaa", "users", "snmp", "qos", "mpls", "vrfs", "bgp", "ntp_auth"]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")


class Libraries(_Strict):
    """netutils normalised names to look up in ``netutils.lib_mapper`` (null: no such library)."""

    netmiko: str | None
    napalm: str | None
    ansible: str | None


Control = Literal["bfd", "ldp_igp_sync", "ldp_md5", "urpf", "lldp", "command_accounting",
                  "flow_export", "cpp", "bgp_policy", "vrf_route_limit"]  # fmt: skip


class NotApplicable(_Strict):
    """A control the platform's configs do not carry, and why."""

    na: str = Field(min_length=8, max_length=300)


class RenderSpec(_Strict):
    """What the renderer needs to know about a platform beyond the registry entry."""

    sections: tuple[Section, ...] = Field(
        description="optional config sections this platform's config carries (system, interfaces "
        "and the IGP are always rendered)"
    )
    password_hash: Literal["cisco_type9", "device"] | None = Field(
        default=None,
        description="cisco_type9: egnet computes the stored hash; device: the config carries the "
        "vendor's documented plaintext input form and the device hashes it on commit; null: no "
        "local users",
    )
    shape_unit_bps: int = Field(default=1000, ge=1, description="1 = bit/s, 1000 = kbit/s")
    description_replace: dict[str, str] = Field(
        default_factory=dict,
        description="characters the platform's CLI cannot take in a description, and their "
        "replacement (FRR's vtysh reads '|' as an output pipe)",
    )
    notes: str = ""
    controls: dict[Control, Literal["on"] | NotApplicable] = Field(
        default_factory=dict,
        description="network controls beyond 等保 basics (BFD, LDP sync/MD5, uRPF, LLDP, command "
        "accounting, flow export, control-plane protection, BGP policy): on, or {na: reason}",
    )

    @model_validator(mode="after")
    def _every_control_listed(self) -> RenderSpec:
        missing = sorted(set(get_args(Control)) - set(self.controls))
        if self.controls and missing:
            raise ValueError(f"controls: list every control (on or na: reason); missing {missing}")
        return self

    def enabled(self) -> frozenset[str]:
        """The controls this platform's configs carry."""
        return frozenset(k for k, v in self.controls.items() if v == "on")


class SecretForm(_Strict):
    """A line whose secret the device rewrites (plaintext in, its own hash out): both the
    intended and the running line are rewritten to ``replace`` before comparing."""

    pattern: str = Field(max_length=256)
    replace: str = Field(max_length=256)


class DiffSpec(_Strict):
    """How intended and running configs are compared (``configs.diff``)."""

    secrets: tuple[SecretForm, ...] = Field(
        default=(), description="secrets the device stores in its own form"
    )
    ignore: tuple[str, ...] = Field(
        default=(), description="volatile lines the device adds or rewrites by itself"
    )
    hidden: tuple[str, ...] = Field(
        default=(), description="lines the device accepts but never shows (its defaults)"
    )
    canonical: Literal["frr"] | None = Field(
        default=None, description="the device's own rewrites to undo (a named canonicaliser)"
    )


class PlatformSpec(_Strict):
    """``templates/<platform>/platform.yaml``."""

    features: tuple[str, ...]
    safe_commit: SafeCommit | None = Field(
        default=None, description="null: egnet has no safe-commit driver for it and will not push"
    )
    libraries: Libraries
    netmiko_without_netutils: str | None = None
    ansible_without_netutils: str | None = None
    interface_template: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9/.-]*\{n\}$")
    loopback_name: str
    mgmt_interface: str
    mgmt_vrf: bool
    render: RenderSpec
    diff: DiffSpec = DiffSpec()

    @model_validator(mode="after")
    def _names_from_netutils(self) -> PlatformSpec:
        for tool, own in (
            ("netmiko", self.netmiko_without_netutils),
            ("ansible", self.ansible_without_netutils),
        ):
            if own is not None and getattr(self.libraries, tool) is not None:
                raise ValueError(
                    f"{tool}_without_netutils is only for platforms netutils has no {tool} name for"
                )
        return self


Dialect = Literal[
    "vrp_ne",
    "vrp_ar",
    "vrp_s",
    "comware_sr",
    "comware_msr",
    "comware_s",
    "iosxe_isr",
    "frr",
    "vrp_usg",
    "comware_secpath",
]
ModelFeature = Literal["l3vpn", "bfd", "hqos", "vlanif"]
_NAME = r"^[A-Za-z0-9_][A-Za-z0-9/.:_-]{0,63}$"


class PortGroup(_Strict):
    """Ports of one speed: ``template`` formatted with each slot and port number, in that order."""

    template: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9/.{}-]*\{port\}$", max_length=64)
    speed: str = Field(max_length=16, description="line rate, e.g. 1G, 10G")
    slots: tuple[int, ...] = Field(min_length=1, max_length=64)
    first: int = Field(ge=0, le=1024, description="number of the first port of the group")
    count: int = Field(ge=1, le=128)

    @model_validator(mode="after")
    def _speed_parses(self) -> PortGroup:
        parse_rate(self.speed)
        return self

    @property
    def speed_bps(self) -> int:
        """The line rate in bit/s."""
        return parse_rate(self.speed)


class Mgmt(_Strict):
    """The management port and the VRF it is locked in (``null``: the inventory's management zone)."""

    interface: str = Field(pattern=_NAME)
    vrf: str | None = Field(default=None, pattern=_NAME)
    port: str | None = Field(
        default=None,
        pattern=_NAME,
        description="a switch without a management port: the access port (kept out of port "
        "allocation) whose VLAN `vlan` the management VLAN interface `interface` routes",
    )
    vlan: int | None = Field(default=None, ge=2, le=4094)

    @model_validator(mode="after")
    def _port_and_vlan_together(self) -> Mgmt:
        if (self.port is None) != (self.vlan is None):
            raise ValueError("mgmt: give both port and vlan, or neither")
        return self


class HardwareModel(_Strict):
    """One device model of a platform's hardware catalogue (``hardware.yaml``)."""

    kind: Literal["router", "switch", "firewall"]
    dialect: Dialect
    mgmt: Mgmt
    features: tuple[ModelFeature, ...] = ()
    ports: tuple[PortGroup, ...] = Field(min_length=1, max_length=16)
    na: dict[Control, NotApplicable] = Field(
        default_factory=dict,
        description="controls the platform has on that this model lacks, and why "
        "(e.g. flow_export: {na: no NetStream on this switch}); not rendered for the model",
    )

    def port_table(self) -> tuple[tuple[str, int], ...]:
        """Every port as (name, speed in bit/s), in allocation order (index 1 is the first).

        Examples:
            >>> g = PortGroup(template="GigabitEthernet{slot}/0/{port}", speed="1G", slots=(1,),
            ...               first=0, count=2)
            >>> m = HardwareModel(kind="router", dialect="vrp_ne", ports=(g,),
            ...                   mgmt=Mgmt(interface="GigabitEthernet0/0/0"))
            >>> m.port_table()
            (('GigabitEthernet1/0/0', 1000000000), ('GigabitEthernet1/0/1', 1000000000))
        """
        return tuple(
            (g.template.format(slot=slot, port=g.first + n), g.speed_bps)
            for g in self.ports
            for slot in g.slots
            for n in range(g.count)
        )


class Catalogue(_Strict):
    """``templates/<platform>/hardware.yaml``."""

    models: dict[str, HardwareModel]

    @model_validator(mode="after")
    def _names_unique(self) -> Catalogue:
        for name, model in self.models.items():
            names = [n for n, _ in model.port_table()]
            dup = sorted({n for n in names if names.count(n) > 1})
            mgmt = {model.mgmt.interface, model.mgmt.port} - {None}
            if dup or mgmt & set(names):
                raise ValueError(
                    f"model {name}: port names repeat or include the management port: "
                    f"{', '.join(dup) or ', '.join(sorted(str(m) for m in mgmt & set(names)))}"
                )
        return self


def _lookup(table: dict[str, str], key: str | None, path: Path, tool: str) -> str | None:
    if key is None:
        return None
    if key not in table:
        raise OperationError(
            f"{path}: libraries.{tool}: '{key}' is not a netutils name for {tool}"
            f"\n  hint: one of {', '.join(sorted(table)[:12])}, …"
        )
    return table[key]


_M = TypeVar("_M", bound=BaseModel)


def _read(path: Path, model: type[_M], what: str) -> _M:
    if not path.is_file():
        raise OperationError(f"{path}: no {what}\n  hint: see templates/README.md")
    raw = path.read_bytes()
    if len(raw) > MAX_SPEC_BYTES:
        raise OperationError(f"{path}: {len(raw)} bytes, more than {MAX_SPEC_BYTES}")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
        # strict models read JSON types: YAML lists become tuples the way JSON arrays do
        return model.model_validate_json(json.dumps(data))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise OperationError(f"{path}: not readable YAML: {exc}") from exc
    except (ValidationError, ValueError) as exc:
        raise OperationError(f"{path}: invalid {what}: {exc}") from exc


@lru_cache(maxsize=32)
def platform_spec(name: str, root: Path = TEMPLATES) -> PlatformSpec:
    """Load and validate ``<root>/<name>/platform.yaml``.

    Examples:
        >>> platform_spec("huawei_vrp").safe_commit
        'commit_trial'
    """
    return _read(root / name / "platform.yaml", PlatformSpec, "platform data")


@lru_cache(maxsize=32)
def hardware(name: str, root: Path = TEMPLATES) -> Catalogue:
    """Load and validate ``<root>/<name>/hardware.yaml``, the platform's hardware catalogue.

    Examples:
        >>> hardware("huawei_vrp").models["S5735-L"].dialect
        'vrp_s'
    """
    return _read(root / name / "hardware.yaml", Catalogue, "hardware catalogue")


def find_model(platform: str, model: str, root: Path = TEMPLATES) -> HardwareModel | None:
    """The catalogue entry of ``model`` in ``platform``'s ``hardware.yaml`` (None: not listed).

    Examples:
        >>> find_model("cisco_ios", "ISR4451-X").mgmt.vrf
        'Mgmt-intf'
        >>> find_model("cisco_ios", "NE40E-X8A") is None
        True
    """
    return hardware(platform, root).models.get(model)


def platform_dir(name: str, root: Path = TEMPLATES) -> Path:
    """The folder of platform ``name``.

    Examples:
        >>> platform_dir("frr").name
        'frr'
    """
    return root / name


def registry_entry(name: str, root: Path = TEMPLATES) -> Platform:
    """The topology's view of a platform, with tool names from netutils.

    Examples:
        >>> registry_entry("hp_comware").netmiko_device_type
        'hp_comware'
        >>> registry_entry("huawei_vrp").ansible_network_os
        'community.network.ce'
    """
    spec = platform_spec(name, root)
    path = root / name / "platform.yaml"
    lib = spec.libraries
    netmiko = _lookup(NETMIKO_LIB_MAPPER_REVERSE, lib.netmiko, path, "netmiko")
    ansible = _lookup(ANSIBLE_LIB_MAPPER_REVERSE, lib.ansible, path, "ansible")
    netmiko = netmiko or spec.netmiko_without_netutils
    ansible = ansible or spec.ansible_without_netutils
    if netmiko is None or ansible is None:
        raise OperationError(f"{path}: a platform needs a Netmiko and an Ansible name")
    return Platform(
        name=name,
        features=(*spec.features, *((spec.safe_commit,) if spec.safe_commit else ())),
        napalm_driver=_lookup(NAPALM_LIB_MAPPER_REVERSE, lib.napalm, path, "napalm"),
        netmiko_device_type=netmiko,
        ansible_network_os=ansible,
        interface_template=spec.interface_template,
        loopback_name=spec.loopback_name,
        mgmt_interface=spec.mgmt_interface,
        mgmt_vrf=spec.mgmt_vrf,
    )


def discover(root: Path = TEMPLATES) -> dict[str, Platform]:
    """Every platform folder under ``root`` (a folder with a ``platform.yaml``)."""
    return {
        p.parent.name: registry_entry(p.parent.name, root)
        for p in sorted(root.glob("*/platform.yaml"))
    }


class _Registry(Mapping[str, Platform]):
    """The platforms of ``templates/``, read on first use (a bad platform file is then an
    ``OperationError`` the CLI reports, not a failure at import)."""

    def __init__(self) -> None:
        self._data: dict[str, Platform] | None = None

    def _load(self) -> dict[str, Platform]:
        if self._data is None:
            self._data = discover()
        return self._data

    def __getitem__(self, name: str) -> Platform:
        return self._load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


PLATFORMS: Mapping[str, Platform] = _Registry()


def interface_name(platform: Platform, index: int) -> str:
    """Return the canonical name of port ``index`` (1-based) on ``platform``.

    Examples:
        >>> interface_name(PLATFORMS["huawei_vrp"], 3)
        'GigabitEthernet0/0/3'
        >>> interface_name(PLATFORMS["frr"], 1)
        'eth1'
    """
    return platform.interface_template.format(n=index)
