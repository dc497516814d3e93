"""Zones with real packets: the VRF-lite emulation of inventory/lab (needs root; run the lab tests
under the shared lab lock). Builds its own namespaces (``ez-*``), probes, and tears them down."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from egnet.cli import main
from lab.system import namespaces
from lab.zones import PREFIX, zone_plan
from topology import load_topology

INVENTORY = Path(__file__).resolve().parents[2] / "inventory" / "lab"


def test_plan_keeps_zones_apart() -> None:
    plan = zone_plan(load_topology(INVENTORY))
    zone_of = {n.ns: n.zone for n in plan.nodes}
    assert len({n.zone for n in plan.nodes}) == 5
    assert plan.links and all(zone_of[lk.a_ns] == zone_of[lk.b_ns] == lk.zone for lk in plan.links)
    assert {zone_of[e.ns] for e in plan.egress} == {plan.internet_zone}
    assert {e.site for e in plan.egress} == {"lab", "beicheng"}


@pytest.mark.lab
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")
@pytest.mark.skipif(
    shutil.which("nft") is None or not Path("/usr/lib/frr/zebra").exists(),
    reason="needs nftables and FRR (scripts/setup.sh)",
)
def test_probe_zones(capsys: pytest.CaptureFixture[str]) -> None:
    if any(n.startswith(PREFIX) for n in namespaces()):
        pytest.skip("a zone lab is running (ez-* namespaces exist)")
    rc = main(["lab", "probe", "zones", str(INVENTORY), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert not any(n.startswith(PREFIX) for n in namespaces())  # torn down
    cells = doc["matrix"]
    assert any(c["expected"] for c in cells) and any(not c["expected"] for c in cells)
    assert {c["src_level"] for c in cells} == {"province", "city", "county", "cloud"}
    assert [c for c in cells if c["expected"] != c["observed"]] == []
    inet = doc["internet"]
    assert all(p["observed"] == (p["zone"] == "internet") for p in inet)
    used = {p["site"]: p["egress_site"] for p in inet if p["zone"] == "internet"}
    assert used["beicheng-xiqu"] == "beicheng" and used["nancheng"] == "lab"
    fo = doc["failover"]
    assert fo["egress"] == "beicheng-egress1" and fo["before"] == "beicheng-egress1"
    assert fo["egress_site_during"] == fo["predicted_site"] == "lab"
    assert fo["after"] == fo["before"]
    assert rc == 0 and doc["mismatches"] == 0
