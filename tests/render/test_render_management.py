"""The ``management:`` section (topology/management.py): defaults and located input errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from render_testlib import LAB, MIXED, topology

from topology import InventoryError, load_topology
from topology.management import ManagementIn


def test_inventories_without_a_section_get_compliant_defaults() -> None:
    mg = topology(LAB).management
    assert mg.model_dump() == ManagementIn().model_dump()
    assert (mg.lockout_tries, mg.lockout_minutes, mg.idle_timeout_minutes) == (5, 10, 10)
    assert {u.name for u in mg.users} == {"netadmin", "noc"}


def test_section_values_reach_the_model() -> None:
    mg = topology(MIXED).management
    assert mg.ntp_servers == ("198.19.0.2", "198.19.0.3")
    assert mg.aaa.servers == ("198.19.0.5", "198.19.0.6")


def test_bad_values_are_located_errors(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(MIXED, inv)
    net = inv / "network.yaml"
    text = net.read_text(encoding="utf-8").replace(
        "  ntp_servers: [198.19.0.2, 198.19.0.3]",
        "  ntp_servers: [198.19.0.2, 198.19.0]\n  lockout_tries: 50",
    )
    net.write_text(text, encoding="utf-8")
    with pytest.raises(InventoryError) as err:
        load_topology(inv)
    msg = str(err.value)
    assert "network.yaml:" in msg and "management.ntp_servers[1]" in msg
    assert "management.lockout_tries" in msg
