"""The platform registry agrees with netutils, the field's shared name mapper."""

from __future__ import annotations

import pytest
from netutils.interface import canonical_interface_name
from netutils.lib_mapper import (
    ANSIBLE_LIB_MAPPER_REVERSE,
    MAIN_LIB_MAPPER,
    NAPALM_LIB_MAPPER_REVERSE,
)

from topology.platforms import PLATFORMS, interface_name

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
