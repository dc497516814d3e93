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

VENDOR = [p for p in PLATFORMS.values() if p.name != "frr"]  # netutils has no FRR entry


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
