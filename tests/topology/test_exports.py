"""Exports for other tools: the Ansible inventory as Ansible itself parses it, GraphML, NetBox CSV."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
import yaml

from egnet.cli import main
from topology import load_topology
from topology.model import Topology
from topology.netbox import netbox_tables, to_csv

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventory" / "lab"


@pytest.fixture(scope="module")
def lab() -> Topology:
    return load_topology(LAB)


def _ansible_list(path: Path) -> dict[str, object]:
    exe = str(Path(sys.executable).parent / "ansible-inventory")
    out = subprocess.run(
        [exe, "-i", str(path), "--list"], capture_output=True, text=True, check=True
    )
    data: dict[str, object] = json.loads(out.stdout)
    return data


def test_ansible_export_parsed_by_ansible(tmp_path: Path, lab: Topology) -> None:
    assert main(["export", "ansible", str(LAB), "-o", str(tmp_path)]) == 0
    data = _ansible_list(tmp_path / "hosts.ini")
    hostvars = data["_meta"]["hostvars"]  # type: ignore[index]
    assert set(hostvars) == set(lab.devices)
    core = hostvars["beicheng-dongxian-core1"]
    assert core["ansible_host"] == lab.devices["beicheng-dongxian-core1"].mgmt_address.split("/")[0]
    assert core["egnet_site"] == "beicheng-dongxian" and core["egnet_city"] == "beicheng"
    assert core["egnet_label"] == "东县" and core["egnet_tier"] == "county"
    assert core["egnet_role"] == "core" and core["ansible_network_os"] == "frr.frr.frr"
    # a city group holds its sites, a site group its devices
    assert "site_beicheng_dongxian" in data["city_beicheng"]["children"]  # type: ignore[index]
    assert set(data["site_beicheng_dongxian"]["hosts"]) == {  # type: ignore[index]
        "beicheng-dongxian-core1",
        "beicheng-dongxian-core2",
    }
    text = (tmp_path / "hosts.ini").read_text(encoding="utf-8")
    assert "password" not in text and "ansible_user" not in text


def test_ansible_ini_and_yaml_forms_agree(tmp_path: Path, lab: Topology) -> None:
    from topology.export import ansible_ini, ansible_inventory

    (tmp_path / "a.ini").write_text(ansible_ini(lab), encoding="utf-8")
    (tmp_path / "b.yml").write_text(
        yaml.safe_dump(ansible_inventory(lab), allow_unicode=True), encoding="utf-8"
    )
    a, b = _ansible_list(tmp_path / "a.ini"), _ansible_list(tmp_path / "b.yml")
    assert a["_meta"] == b["_meta"]


def test_graphml_nodes_and_srlgs(tmp_path: Path, lab: Topology) -> None:
    out = tmp_path / "g.graphml"
    assert main(["export", "graph", str(LAB), "-o", str(out)]) == 0
    g = nx.read_graphml(out)
    node = g.nodes["beicheng-xiqu-core1"]
    assert node["site_label"] == "西区" and "西区" in node["label"]
    assert node["tier"] == "county" and node["city"] == "beicheng"
    assert node["site"] == "beicheng-xiqu"
    ducted = [d for _, _, d in g.edges(data=True) if d["srlg_duct"]]
    assert {d["srlg_duct"] for d in ducted} == {"lab-duct-1"} and len(ducted) == 2
    one = next(iter(g.edges(data=True)))[2]
    assert {"srlg_building", "srlg_carrier", "srlg_device", "srlg_site"} <= set(one)


def _read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_netbox_csv_references_resolve(tmp_path: Path, lab: Topology) -> None:
    assert main(["export", "netbox", str(LAB), "-o", str(tmp_path)]) == 0
    regions = {r["name"] for r in _read(tmp_path, "01-regions.csv")}
    sites = _read(tmp_path, "02-sites.csv")
    assert {s["name"] for s in sites} == set(lab.sites) and {s["region"] for s in sites} <= regions
    devices = _read(tmp_path, "07-devices.csv")
    assert {d["name"] for d in devices} == set(lab.devices)
    assert {d["device_type"] for d in devices} <= {
        t["model"] for t in _read(tmp_path, "04-device-types.csv")
    }
    assert {d["role"] for d in devices} <= {
        r["name"] for r in _read(tmp_path, "05-device-roles.csv")
    }
    ifs = {(i["device"], i["name"]) for i in _read(tmp_path, "08-interfaces.csv")}
    assert len(ifs) == sum(len(d.interfaces) for d in lab.devices.values())
    ips = _read(tmp_path, "14-ip-addresses.csv")
    assert {(i["device"], i["interface"]) for i in ips} <= ifs
    assert sum(i["is_primary"] == "true" for i in ips) == len(lab.devices)
    circuits = _read(tmp_path, "11-circuits.csv")
    cables = _read(tmp_path, "15-cables.csv")
    # every link exactly once: a cable inside a site, a provider circuit between sites
    assert sorted([c["cid"] for c in circuits] + [c["label"] for c in cables]) == sorted(
        lab.circuits
    )
    for c in circuits:
        x = lab.circuits[c["cid"]]
        assert lab.devices[x.a.device].site != lab.devices[x.b.device].site
    assert cables, "the lab has links inside sites"
    for c in cables:
        assert (c["side_a_device"], c["side_a_name"]) in ifs
        assert (c["side_b_device"], c["side_b_name"]) in ifs
        assert c["side_a_type"] == c["side_b_type"] == "dcim.interface"
        x = lab.circuits[c["label"]]
        assert (x.a.device, x.b.device) == (c["side_a_device"], c["side_b_device"])
    assert {c["provider"] for c in circuits} <= {
        p["name"] for p in _read(tmp_path, "09-providers.csv")
    }
    assert {c["type"] for c in circuits} <= {
        t["name"] for t in _read(tmp_path, "10-circuit-types.csv")
    }
    up = next(c for c in circuits if c["cid"] == "beicheng-up1")
    assert up["commit_rate"] == str(lab.circuits["beicheng-up1"].capacity_bps // 1000)
    vrfs = {v["name"] for v in _read(tmp_path, "12-vrfs.csv")}
    prefixes = _read(tmp_path, "13-prefixes.csv")
    assert {p["vrf"] for p in prefixes} <= vrfs | {""}
    assert {p["scope_name"] for p in prefixes if p["scope_name"]} <= set(lab.sites)


def test_netbox_csv_neutralises_formulas_and_quotes(lab: Topology) -> None:
    text = to_csv([{"name": "=cmd|' /C calc'!A0", "description": 'a,"b"'}])
    row = next(csv.DictReader(text.splitlines()))
    assert row["name"].startswith("'=") and row["description"] == 'a,"b"'
    assert netbox_tables(lab)["03-manufacturers.csv"] == [
        {"name": "frrouting", "slug": "frrouting"}
    ]
