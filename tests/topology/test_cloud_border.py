"""The government-cloud border export: sub-areas, routes and zone → application policy."""

from __future__ import annotations

import csv
import ipaddress
import json
import shutil
from pathlib import Path

import pytest

from egnet.cli import main
from topology import load_topology
from topology.cloud import CSV_FIELDS, cloud_borders

ROOT = Path(__file__).resolve().parents[2]
JIANGXI = ROOT / "inventory" / "jiangxi"
LAB = ROOT / "inventory" / "lab"


def test_jiangxi_borders_place_every_extranet_application() -> None:
    topo = load_topology(JIANGXI)
    borders = cloud_borders(topo)
    assert len(borders) == 12 and all(not b.problems for b in borders)
    for b in borders:
        site = topo.sites[b.cloud]
        areas = {a.zone: a for a in b.extranet_area}
        extranet = [a for a in site.applications if a.area == "extranet"]
        assert sorted(p.application for p in b.policy) == sorted(a.name for a in extranet)
        for p in b.policy:
            zone = topo.zones[p.zone]
            assert p.source == zone.pool  # only the application's own zone reaches it
            assert p.destination == areas[p.zone].prefix
            dest, pool = ipaddress.IPv4Network(p.destination), ipaddress.IPv4Network(zone.pool)
            assert dest.subnet_of(pool)
        # every Jiangxi cloud has a border firewall (tiers.cloud.firewall): the sub-areas are
        # behind it, its own address in each is the operator's next hop, its rules are the policy
        assert b.firewall == f"{b.cloud}-fw1" and b.firewall in topo.borders
        fw = topo.borders[b.firewall]
        assert {(r.application, r.source, r.destination) for r in fw.rules} == {
            (p.application, p.source, p.destination) for p in b.policy
        }
        for a in b.extranet_area:  # the firewall really carries the sub-area
            assert len(a.gateways) == 1
            net = ipaddress.ip_network(a.prefix)
            assert all(ipaddress.ip_address(g) in net for g in a.gateways)
        internet = {a.name for a in site.applications if a.area == "internet"}
        assert set(b.internet_area.applications) == internet
        assert not b.internet_area.extranet_path
        assert not internet & {p.application for p in b.policy}


def test_province_cloud_serves_its_department_vpn_and_office_zone() -> None:
    (b,) = [b for b in cloud_borders(load_topology(JIANGXI)) if b.level == "province"]
    assert {a.zone for a in b.extranet_area} == {"public", "internet", "vpn-renshe", "office"}
    assert {p.application: p.zone for p in b.policy}["shebao"] == "vpn-renshe"


def test_an_application_without_a_sub_area_is_a_finding(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(LAB, inv)
    prov = inv / "province.yaml"
    prov.write_text(
        prov.read_text(encoding="utf-8").replace(
            "{name: video, label: 视频会议, zone: public}",
            "{name: video, label: 视频会议, zone: office}",
        ),
        encoding="utf-8",
    )
    assert main(["ipam", "sync", str(inv)]) == 0
    out = tmp_path / "cloud.json"
    assert main(["export", "cloud", str(inv), "-o", str(out)]) == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["schema"] == "egnet.cloud-border/1"
    (cloud,) = doc["clouds"]
    assert [p["application"] for p in cloud["policy"]] == ["oa"]
    assert "'video' (zone office) has no sub-area" in cloud["problems"][0]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_cli(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"cloud.{fmt}"
    assert main(["export", "cloud", str(LAB), "-o", str(out), "--format", fmt]) == 0
    if fmt == "csv":
        with out.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert tuple(rows[0]) == CSV_FIELDS
        kinds = {r["kind"] for r in rows}
        assert {"sub_area", "route", "policy"} <= kinds
    else:
        assert json.loads(out.read_text(encoding="utf-8"))["clouds"][0]["cloud"] == "lab-cloud"
    assert main(["export", "graph", str(LAB), "-o", str(tmp_path / "g"), "--format", "csv"]) == 2
