"""Internet egress per level: loads stay at their own level; failover to the nearest other egress."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from egnet.cli import main
from planner.demandgen import all_demands
from planner.egress import egress_loads
from topology import load_topology
from topology.model import Tier

ROOT = Path(__file__).resolve().parents[2]


def test_jiangxi_levels_fail_over_upwards() -> None:
    topo = load_topology(ROOT / "inventory" / "jiangxi")
    loads = {e.site: e for e in egress_loads(topo)}
    counties = [s for s in topo.sites_of(Tier.COUNTY) if s.egress]
    assert counties and all(loads[s.name].failover_site == s.parent for s in counties)
    cities = [s for s in topo.sites_of(Tier.CITY) if s.egress]
    assert cities and all(loads[s.name].failover_site == topo.root().name for s in cities)
    assert all(e.device.endswith("-fw1") for e in loads.values())  # the level's firewall


def test_every_internet_demand_is_carried_by_exactly_one_egress() -> None:
    topo = load_topology(ROOT / "inventory" / "lab")
    demands = all_demands(topo)
    loads = egress_loads(topo)
    up = sum(d.rate_bps for d in demands if d.kind == "egress/up")
    down = sum(d.rate_bps for d in demands if d.kind == "egress/down")
    assert up > 0 and down > 0
    assert sum(e.up_bps for e in loads) == pytest.approx(up)
    assert sum(e.down_bps for e in loads) == pytest.approx(down)
    by = {e.site: e for e in loads}
    # the city's own internet traffic does not go to the province's egress
    city_up = sum(d.rate_bps for d in demands if d.kind == "egress/up" and d.src_site == "beicheng")
    assert city_up > 0 and by["beicheng"].up_bps >= city_up
    fo = by[by["beicheng"].failover_site or ""]
    b = by["beicheng"]
    assert fo.site == "lab"
    expected = max(fo.up_bps + b.up_bps, fo.down_bps + b.down_bps) / fo.capacity_bps
    assert b.failover_utilisation == pytest.approx(expected)


def test_an_undersized_egress_is_a_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(ROOT / "inventory" / "lab", inv)
    city = inv / "cities" / "9901-beicheng.yaml"
    text = city.read_text(encoding="utf-8")
    assert "rate: 500M" in text
    city.write_text(text.replace("rate: 500M", "rate: 10M"), encoding="utf-8")
    assert main(["egress", str(inv), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    # beicheng overflows on its own; the province overflows it when failing over to it
    assert doc["over_threshold"] == ["lab", "beicheng"]
    by = {e["site"]: e for e in doc["egress"]}
    assert by["beicheng"]["utilisation"] > 1 and by["lab"]["utilisation"] < 0.8
    assert main(["egress", str(ROOT / "inventory" / "lab")]) == 0
