"""The platform registry: one folder per platform, tool names from netutils' lib_mapper."""

from __future__ import annotations

from pathlib import Path

import pytest
from netutils.interface import canonical_interface_name
from netutils.lib_mapper import (
    ANSIBLE_LIB_MAPPER_REVERSE,
    MAIN_LIB_MAPPER,
    NAPALM_LIB_MAPPER_REVERSE,
    NETMIKO_LIB_MAPPER_REVERSE,
)

from configs.audit import load_rules
from topology.diagnostics import OperationError
from topology.platforms import (
    PLATFORMS,
    discover,
    hardware,
    interface_name,
    platform_dir,
    registry_entry,
)

# netutils has no entry for FRR nor for the egress firewalls (USG, SecPath)
NOT_IN_NETUTILS = {"frr", "huawei_usg", "hp_secpath"}
VENDOR = [p for p in PLATFORMS.values() if p.name not in NOT_IN_NETUTILS]


@pytest.mark.parametrize("name", sorted(NOT_IN_NETUTILS - {"frr"}))
def test_firewalls_use_a_netutils_netmiko_type(name: str) -> None:
    from netutils.lib_mapper import NETMIKO_LIB_MAPPER

    assert PLATFORMS[name].netmiko_device_type in NETMIKO_LIB_MAPPER
    assert canonical_interface_name(interface_name(PLATFORMS[name], 3)) == "GigabitEthernet1/0/3"


@pytest.mark.parametrize("plat", VENDOR, ids=lambda p: p.name)
def test_names_are_netutils_normalised(plat: object) -> None:
    from topology.model import Platform

    assert isinstance(plat, Platform)
    assert plat.name in set(MAIN_LIB_MAPPER.values())
    if plat.name in NAPALM_LIB_MAPPER_REVERSE:
        assert plat.napalm_driver == NAPALM_LIB_MAPPER_REVERSE[plat.name]
    if plat.name in ANSIBLE_LIB_MAPPER_REVERSE:
        assert plat.ansible_network_os == ANSIBLE_LIB_MAPPER_REVERSE[plat.name]


@pytest.mark.parametrize("plat", VENDOR, ids=lambda p: p.name)
def test_interface_names_are_canonical(plat: object) -> None:
    from topology.model import Platform

    assert isinstance(plat, Platform)
    for n in (1, 7, 24):
        name = interface_name(plat, n)
        assert canonical_interface_name(name) == name


def _write(root: Path, name: str, text: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "platform.yaml").write_text(text, encoding="utf-8")


_NEW = """
features: [ospf, ssh]
safe_commit: commit_revert
libraries: {netmiko: arista_eos, ansible: arista_eos, napalm: arista_eos}
interface_template: "Ethernet{n}"
loopback_name: Loopback0
mgmt_interface: Management1
mgmt_vrf: true
render: {sections: [bgp]}
"""


def test_a_new_platform_is_one_folder_with_tool_names_from_netutils(tmp_path: Path) -> None:
    _write(tmp_path, "arista_eos", _NEW)
    plats = discover(tmp_path)
    assert list(plats) == ["arista_eos"]
    p = plats["arista_eos"]
    assert (p.napalm_driver, p.netmiko_device_type, p.ansible_network_os) == (
        NAPALM_LIB_MAPPER_REVERSE["arista_eos"],
        NETMIKO_LIB_MAPPER_REVERSE["arista_eos"],
        ANSIBLE_LIB_MAPPER_REVERSE["arista_eos"],
    )
    assert "commit_revert" in p.features


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("netmiko: arista_eos", "netmiko: no_such_os"), "not a netutils name for netmiko"),
        (("mgmt_vrf: true", "mgmt_vrf: true\nnetmiko_without_netutils: eos"), "only for platforms"),
        (("safe_commit: commit_revert", "safe_commit: yolo"), "invalid platform data"),
        (("mgmt_vrf: true", "mgmt_vrf: 'yes'"), "invalid platform data"),  # strict: no coercion
        (("render: {sections: [bgp]}", "render: {sections: [bgp], colour: red}"), "invalid"),
    ],
)
def test_bad_platform_data_is_a_located_error(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    _write(tmp_path, "arista_eos", _NEW.replace(*change))
    with pytest.raises(OperationError, match=message) as info:
        registry_entry("arista_eos", tmp_path)
    assert "arista_eos/platform.yaml" in str(info.value)


def test_every_platform_folder_has_rules_and_a_device_template() -> None:
    for name in PLATFORMS:
        folder = platform_dir(name)
        assert (folder / "rules.yaml").is_file(), name
        assert (folder / "device.j2").is_file(), name
        assert load_rules(name).platform == name


_HW = """
models:
  X1:
    kind: router
    dialect: vrp_ar
    mgmt: {interface: MEth0/0/0, vrf: null}
    ports:
      - {template: "GigabitEthernet{slot}/0/{port}", speed: 1G, slots: [0], first: 0, count: 4}
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("speed: 1G", "speed: fast"), "rate"),
        (("slots: [0]", "slots: [0, 0]"), "port names repeat"),
        (("MEth0/0/0", "GigabitEthernet0/0/1"), "include the management port"),
        (("dialect: vrp_ar", "dialect: vrp_xx"), "dialect"),
        (("count: 4", "count: '4'"), "count"),  # strict: no string → int coercion
        (("vrf: null}", "vrf: null, vlan: 10}"), "both port and vlan"),
        (("vrf: null}", "vrf: null, port: GigabitEthernet0/0/2, vlan: 10}"), "management port"),
    ],
)
def test_bad_hardware_catalogue_is_an_error_naming_the_file(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "hardware.yaml").write_text(_HW.replace(*change), encoding="utf-8")
    with pytest.raises(OperationError, match=message) as info:
        hardware("p", tmp_path)
    assert "p/hardware.yaml: invalid hardware catalogue" in str(info.value)


def test_port_table_numbers_each_speed_separately() -> None:
    ne = hardware("huawei_vrp").models["NE40E-X3A"].port_table()
    assert ne[0] == ("GigabitEthernet1/0/0", 10**9)
    assert ("10GE3/0/0", 10**10) in ne
    assert not any(n.startswith("GigabitEthernet0/") for n, _ in ne)  # slot 0 holds no line card
