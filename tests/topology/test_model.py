"""The resolved model of the bundled inventories, the generator and the exports."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
import yaml

from egnet.cli import main
from topology import Tier, load_topology
from topology.export import ansible_inventory, graph_json, to_graph
from topology.generator import existing_ids, generate
from topology.model import Topology

ROOT = Path(__file__).resolve().parents[2]
JX = ROOT / "inventory" / "jiangxi"


@pytest.fixture(scope="module")
def jiangxi() -> Topology:
    return load_topology(JX)


def test_jiangxi_counts(jiangxi: Topology) -> None:
    tiers = Counter(s.tier for s in jiangxi.sites.values())
    assert tiers[Tier.PROVINCE] == 1
    assert tiers[Tier.CITY] == 11
    assert tiers[Tier.COUNTY] == 122
    assert tiers[Tier.TOWNSHIP] == 1767
    kinds = Counter(s.kind for s in jiangxi.sites.values() if s.tier is Tier.COUNTY)
    assert sum(kinds.values()) - kinds["dev_zone"] == 100


def test_jiangxi_dual_core_dual_carrier(jiangxi: Topology) -> None:
    for site in jiangxi.sites.values():
        if site.tier not in (Tier.CITY, Tier.COUNTY):
            continue
        cores = [d for d in site.devices if jiangxi.devices[d].role.value == "core"]
        ups = [
            c for c in jiangxi.circuits.values() if c.role.value == "uplink" and c.a.device in cores
        ]
        if site.name == "pingxiang-lianhua":
            assert len(cores) == 1
            continue
        assert len(cores) == 2, site.name
        assert len({jiangxi.devices[c].building for c in cores}) == (
            1 if site.name == "jian-yongxin" else 2
        )
        assert len({c.carrier for c in ups}) == 2, site.name
        assert len({c.b.device for c in ups}) == 2, site.name


def test_township_tail_circuits(jiangxi: Topology) -> None:
    for site in jiangxi.sites_of(Tier.TOWNSHIP)[:50]:
        ar = jiangxi.devices[f"{site.name}-ar1"]
        circuits = jiangxi.circuits_of(ar.hostname)
        types = sorted(c.type for c in circuits)
        assert types == ["fibre_100m", "mstp_20m"], site.name
        assert all(c.tail for c in circuits)
        up = next(c for c in circuits if c.type == "mstp_20m")
        assert up.capacity_bps == 20_000_000
        assert up.cost_ab == 5000


def test_hostnames_ascii_unique(jiangxi: Topology) -> None:
    assert all(h.isascii() and len(h) <= 63 for h in jiangxi.devices)
    assert len(jiangxi.devices) == len({h.lower() for h in jiangxi.devices})


def test_generator_is_deterministic_and_matches_committed() -> None:
    csv_text = (JX / "source" / "divisions.csv").read_text(encoding="utf-8")
    overrides = yaml.safe_load((JX / "source" / "overrides.yaml").read_text(encoding="utf-8"))
    committed = {p.name: p.read_text(encoding="utf-8") for p in (JX / "cities").glob("*.yaml")}
    fresh = generate(csv_text, overrides, "source/divisions.csv")
    assert fresh == generate(csv_text, overrides, "source/divisions.csv")
    assert fresh == committed
    kept = generate(csv_text, overrides, "source/divisions.csv", existing_ids(committed.values()))
    assert kept == committed


def test_generator_keeps_ids_when_a_division_is_added() -> None:
    csv_text = (JX / "source" / "divisions.csv").read_text(encoding="utf-8")
    overrides = yaml.safe_load((JX / "source" / "overrides.yaml").read_text(encoding="utf-8"))
    before = generate(csv_text, overrides, "x")
    ids = existing_ids(before.values())
    extra = csv_text + "township,360102999,东湖新街道,360102\n"
    after_ids = existing_ids(generate(extra, overrides, "x", ids).values())
    assert {k: v for k, v in after_ids.items() if k != "360102999"} == ids
    assert after_ids["360102999"].startswith("donghu-")


def test_model_dumps_to_json_and_back(jiangxi: Topology) -> None:
    data = jiangxi.model_dump(mode="json")
    again = Topology.model_validate_json(json.dumps(data))
    assert again == jiangxi


def test_model_is_frozen(jiangxi: Topology) -> None:
    dev = next(iter(jiangxi.devices.values()))
    with pytest.raises(Exception, match="frozen"):
        dev.hostname = "x"  # type: ignore[misc]


def test_circuit_ends_agree_with_interfaces(jiangxi: Topology) -> None:
    for c in jiangxi.circuits.values():
        for end in (c.a, c.b):
            iface = next(
                i for i in jiangxi.devices[end.device].interfaces if i.name == end.interface
            )
            assert iface.circuit == c.id and iface.address == end.address
        assert f"carrier:{c.carrier}" in c.srlgs


def test_graph_export(jiangxi: Topology) -> None:
    g = to_graph(jiangxi)
    assert g.number_of_nodes() == len(jiangxi.devices)
    lan = sum(  # each cloud gateway's LAN attachment of its cloud's border firewall
        1
        for b in jiangxi.borders.values()
        for h in jiangxi.sites[b.site].devices
        if jiangxi.devices[h].role.value == "cloud_gw"
    )
    assert lan == 2 * 12
    assert g.number_of_edges() == len(jiangxi.circuits) + lan
    assert nx.is_connected(g)
    data = graph_json(jiangxi)
    assert len(data["links"]) == len(jiangxi.circuits) + lan


def test_ansible_inventory_groups_and_no_secrets(jiangxi: Topology) -> None:
    inv = ansible_inventory(jiangxi)
    groups = inv["all"]["children"]
    hosts = {h for g in groups.values() for h in g.get("hosts", {})}
    assert hosts == set(jiangxi.devices)
    assert {"tier_province", "role_core", "platform_huawei_vrp", "platform_hp_comware"} <= set(
        groups
    )
    assert groups["platform_huawei_vrp"]["vars"]["ansible_network_os"] == "community.network.ce"
    assert "jiangxi-core1" in groups["platform_huawei_vrp"]["hosts"]
    text = yaml.safe_dump(inv)
    assert "password" not in text and "secret" not in text


def test_cli_export_and_inspect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lab = str(ROOT / "inventory" / "lab")
    assert main(["export", "ansible", lab, "-o", str(tmp_path / "ans")]) == 0
    hosts = (tmp_path / "ans" / "hosts.ini").read_text(encoding="utf-8")
    assert "\nlab-core1 ansible_host=" in hosts
    assert main(["export", "graph", lab, "-o", str(tmp_path / "g.graphml")]) == 0
    assert nx.read_graphml(tmp_path / "g.graphml").number_of_nodes() == 20
    capsys.readouterr()
    assert main(["inspect", lab, "--device", "lab-core1"]) == 0
    dev = json.loads(capsys.readouterr().out)
    assert dev["hostname"] == "lab-core1" and dev["circuits"]
    assert main(["inspect", lab, "--device", "nope"]) == 2


def test_validate_json_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(JX), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["sites"] == {"province": 1, "city": 11, "county": 122, "township": 1767, "cloud": 12}
    assert s["redundancy"]["sites_with_fewer_than_two_cores"] == ["pingxiang-lianhua"]
    assert s["ipam"]["lock_current"] is True


def test_missing_folder_is_a_located_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "/nonexistent/inventory"]) == 2
    err = capsys.readouterr().err
    assert "inventory folder not found" in err and "Traceback" not in err
