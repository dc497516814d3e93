"""A management plane that routes (issue 11 §6) and flow export in the vendor configs (issue 14 §1).

Read back from the rendered configs of every Jiangxi device (rendered once per session and shared
with the other Jiangxi render tests): each site's management ports sit in the site's own subnet,
no two sites share one, every management server a config names is reachable in its VRF (on-link
or by a static route via the site's management gateway), county and township devices talk to
their city's management centre first, and every MPLS backbone interface of a model that has
NetStream/NetFlow exports its flows to the level's collector.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
import shutil
from functools import lru_cache
from pathlib import Path

import pytest
from render_testlib import JIANGXI, MIXED, rendered, topology
from test_render_audit import apply_break

from configs.audit import AuditPolicy, ParsedConfig, check_rule, load_rules
from topology import InventoryError, load_topology
from topology.loader import load_inventory
from topology.model import Tier, Topology
from topology.platforms import find_model

BLOCK = re.compile(r"^interface (\S+)\n((?:[ \t].*\n?)*)", re.M)
ADDRESS = re.compile(r"^ ip address (\d+\.\d+\.\d+\.\d+) (\S+)", re.M)
ROUTER_PLATFORMS = ("huawei_vrp", "hp_comware", "cisco_ios")
EXPORT = {  # the line that names the collector, per platform (group ip)
    "huawei_vrp": re.compile(r"^ip netstream export host (\S+) (\d+)", re.M),
    "hp_comware": re.compile(r"^ip netstream export host (\S+) (\d+)", re.M),
    "cisco_ios": re.compile(r"^ destination (\S+)", re.M),
}
SAMPLES = {  # the interface lines that sample flows in both directions
    "huawei_vrp": (" ip netstream inbound", " ip netstream outbound"),
    "hp_comware": (" ip netstream inbound", " ip netstream outbound"),
    "cisco_ios": (" ip flow monitor EGOV input", " ip flow monitor EGOV output"),
}
NTP = {
    "huawei_vrp": re.compile(r"^ntp-service unicast-server (\S+)", re.M),
    "hp_comware": re.compile(r"^ntp-service unicast-server (\S+)", re.M),
    "cisco_ios": re.compile(r"^ntp server (?:vrf \S+ )?(\S+)", re.M),
    "huawei_usg": re.compile(r"^ntp-service unicast-server (\S+)", re.M),
    "hp_secpath": re.compile(r"^ntp-service unicast-server (\S+)", re.M),
}


def interfaces(text: str) -> dict[str, str]:
    """Interface name → its block body, parsed from a config."""
    return {m[1]: m[2] for m in BLOCK.finditer(text)}


def mgmt_address(text: str, name: str) -> ipaddress.IPv4Interface:
    """The address of interface ``name`` as the config sets it."""
    body = interfaces(text)[name]
    m = ADDRESS.search(body)
    assert m, f"no address on {name}"
    return ipaddress.IPv4Interface(f"{m[1]}/{m[2]}")


def rule(platform: str, rid: str, text: str) -> tuple[str, str]:
    r = next(r for r in load_rules(platform).rules if r.id == rid)
    res = check_rule(r, ParsedConfig(text), AuditPolicy())
    return res.status, res.reason


@lru_cache(maxsize=1)
def jiangxi() -> tuple[Topology, dict[str, str]]:
    return topology(JIANGXI), rendered(JIANGXI)


def test_every_site_has_its_own_management_subnet_read_back_from_the_configs() -> None:
    topo, configs = jiangxi()
    subnets: dict[str, ipaddress.IPv4Network] = {}
    for host, text in configs.items():
        dev = topo.devices[host]
        mgmt = next(i.name for i in dev.interfaces if i.kind == "mgmt")
        addr = mgmt_address(text, mgmt)
        site = topo.sites[dev.site]
        assert site.mgmt_subnet is not None and site.mgmt_gateway is not None, dev.site
        assert addr.network == ipaddress.IPv4Network(site.mgmt_subnet), (host, addr)
        assert str(addr.ip) != site.mgmt_gateway, f"{host} holds its site's gateway address"
        assert subnets.setdefault(dev.site, addr.network) == addr.network
    assert len(subnets) == len(topo.sites) > 1900
    nets = sorted(subnets.values())
    for a, b in itertools.pairwise(nets):
        assert not a.overlaps(b), f"{a} and {b} overlap"
    nms = [ipaddress.IPv4Network(n) for n in topo.nms.values()]
    assert len(nms) == 12  # the province and its 11 cities
    assert not any(s.overlaps(n) for s in nets for n in nms)


def test_every_management_server_is_reachable_and_routes_use_the_site_gateway() -> None:
    topo, configs = jiangxi()
    routed = 0
    for host, text in configs.items():
        dev = topo.devices[host]
        status, reason = rule(dev.platform, "mgmt-reach", text)
        assert status == "pass", f"{host}: {reason}"
        gateway = topo.sites[dev.site].mgmt_gateway
        routes = [ln for ln in text.splitlines() if "mgmt-nms" in ln]
        assert routes, f"{host}: no management route"
        assert all(f" {gateway} " in ln for ln in routes), (host, routes)
        routed += 1
    assert routed == len(topo.devices)


def test_county_and_township_devices_use_their_city_centre_first() -> None:
    topo, configs = jiangxi()
    root = topo.root().name
    province_host = str(ipaddress.IPv4Network(topo.nms[root]).network_address + 1)
    seen = set()
    for host, text in configs.items():
        dev = topo.devices[host]
        site = topo.sites[dev.site]
        servers = NTP[dev.platform].findall(text)
        assert servers, host
        if site.tier in (Tier.COUNTY, Tier.TOWNSHIP):
            city = site.mgmt_centre
            assert city is not None and topo.sites[city].tier is Tier.CITY
            city_host = str(ipaddress.IPv4Network(topo.nms[city]).network_address + 1)
            assert servers == [city_host, province_host], (host, servers)
        else:
            assert servers == [province_host], (host, servers)
        seen.add(site.tier)
    assert seen == set(Tier)


def test_flow_export_on_every_backbone_interface_where_the_model_has_it() -> None:
    topo, configs = jiangxi()
    exporting = {p: 0 for p in ROUTER_PLATFORMS}
    for host, text in configs.items():
        dev = topo.devices[host]
        entry = find_model(dev.platform, dev.model)
        assert entry is not None
        backbone = [
            topo.circuits[i.circuit]
            for i in dev.interfaces
            if i.circuit is not None and i.vrf is None and not topo.circuits[i.circuit].tail
        ]
        has = dev.platform in ROUTER_PLATFORMS and "flow_export" not in entry.na
        if not has or not backbone:
            assert "netstream" not in text and "flow monitor" not in text, host
            continue
        m = EXPORT[dev.platform].search(text)
        assert m, f"{host}: no flow export"
        assert m[1] == NTP[dev.platform].findall(text)[0], f"{host}: collector is not its NMS"
        blocks = interfaces(text)
        for c in backbone:
            end = c.a if c.a.device == host else c.b
            for line in SAMPLES[dev.platform]:
                assert line in blocks[end.interface].splitlines(), (host, end.interface, line)
        assert rule(dev.platform, "flow-export", text)[0] == "pass", host
        exporting[dev.platform] += 1
    assert all(n > 0 for n in exporting.values()), exporting


def test_models_without_netstream_say_why() -> None:
    for platform, model in (("huawei_vrp", "S5735-L"), ("hp_comware", "S5130S-EI")):
        entry = find_model(platform, model)
        assert entry is not None and "flow_export" in entry.na
        assert len(entry.na["flow_export"].na) > 20


@pytest.mark.parametrize(
    "host_of",
    ["huawei_vrp", "hp_comware", "cisco_ios", "huawei_usg", "hp_secpath"],
)
def test_a_config_without_its_management_routes_fails_mgmt_reach(host_of: str) -> None:
    topo, configs = jiangxi()
    host = next(h for h in sorted(configs) if topo.devices[h].platform == host_of)
    good = configs[host]
    assert rule(host_of, "mgmt-reach", good)[0] == "pass"
    bad = apply_break(good, {"delete_first": "mgmt-nms$"})
    status, reason = rule(host_of, "mgmt-reach", bad)
    assert status == "fail" and "no route to" in reason, reason


def test_a_default_route_to_the_carrier_does_not_count_as_a_management_route() -> None:
    topo, configs = jiangxi()
    host = next(h for h in sorted(configs) if topo.devices[h].platform == "huawei_usg")
    bad = apply_break(configs[host], {"delete": "mgmt-nms$"})
    assert "ip route-static 0.0.0.0 0.0.0.0" in bad  # the carrier default stays
    assert rule("huawei_usg", "mgmt-reach", bad)[0] == "fail"


def test_a_flat_pool_reaches_its_nms_on_link_without_routes() -> None:
    topo = topology(MIXED)
    for host, text in rendered(MIXED).items():
        assert "mgmt-nms" not in text, host
        plat = topo.devices[host].platform
        if plat != "frr":
            assert rule(plat, "mgmt-reach", text)[0] == "pass", host


# ---- IPAM: per-site subnets are locked, stable and sized -----------------------------------------

PLANE = """
  plane:
    site_prefix: {province: 28, city: 29, county: 29, township: 29, cloud: 29}
"""


def _site_mode(tmp_path: Path, plane: str = PLANE) -> Path:
    inv = tmp_path / "inv"
    shutil.copytree(MIXED, inv)
    net = inv / "network.yaml"
    text = net.read_text(encoding="utf-8").replace("management:\n", "management:" + plane, 1)
    net.write_text(text, encoding="utf-8")
    return inv


def _sync(inv: Path) -> dict[str, dict[str, str]]:
    res = load_inventory(inv)
    (inv / "ipam.lock.json").write_text(res.lock.dumps(), encoding="utf-8")
    data: dict[str, dict[str, str]] = json.loads(res.lock.dumps())
    return data


def test_site_subnets_are_locked_and_a_new_township_renumbers_nothing(tmp_path: Path) -> None:
    inv = _site_mode(tmp_path)
    before = _sync(inv)
    assert before["mgmt_sites"] and before["nms"]
    assert load_inventory(inv).lock_current
    city = inv / "cities" / "9901-beicheng.yaml"
    town = '        - {id: dongxian-qiaotou, name: 桥头镇, code: "990121101"}\n'
    text = city.read_text(encoding="utf-8")
    assert town in text
    new = '        - {id: dongxian-xinzhen, name: 新镇, code: "990121102"}\n'
    city.write_text(text.replace(town, town + new), encoding="utf-8")
    after = _sync(inv)
    for section in ("mgmt_sites", "mgmt", "nms"):
        kept = {k: v for k, v in after[section].items() if k in before[section]}
        assert kept == before[section], section
    assert len(after["mgmt_sites"]) == len(before["mgmt_sites"]) + 1


def test_a_site_subnet_too_small_for_its_devices_is_a_located_error(tmp_path: Path) -> None:
    inv = _site_mode(tmp_path, PLANE.replace("township: 29", "township: 30"))
    topo = topology(MIXED)
    assert all(len(s.devices) == 2 for s in topo.sites.values() if s.tier is Tier.TOWNSHIP)
    with pytest.raises(InventoryError) as err:
        load_topology(inv)
    msg = str(err.value)
    assert "ipam.lock.json" in msg and "mgmt_sites." in msg and "besides its gateway" in msg


def test_a_tier_without_a_site_prefix_is_a_located_error(tmp_path: Path) -> None:
    inv = _site_mode(tmp_path, PLANE.replace(", cloud: 29", ""))  # the test inventory has a cloud
    with pytest.raises(InventoryError) as err:
        load_topology(inv)
    msg = str(err.value)
    assert "network.yaml" in msg and "no prefix for tier 'cloud'" in msg


def test_centres_are_data_and_explicit_servers_are_routed(tmp_path: Path) -> None:
    """`centres:` moves a tier to another centre; the inventory's own server lists (here inside
    the province NMS segment) stay the province's, reached through a route to that segment."""
    from render_testlib import secrets

    from configs.render import render_device

    plane = PLANE + "    centres: {province: province, city: city, county: province, "
    plane += "township: city, cloud: province}\n"
    inv = _site_mode(tmp_path, plane)
    _sync(inv)
    topo = load_topology(inv)
    root = topo.root().name
    province = ipaddress.IPv4Network(topo.nms[root])
    by_tier: dict[Tier, str] = {}
    for h, d in sorted(topo.devices.items()):
        if d.platform != "frr":
            by_tier.setdefault(topo.sites[d.site].tier, h)
    for tier, host in by_tier.items():
        dev = topo.devices[host]
        site = topo.sites[dev.site]
        text = render_device(topo, host, secrets())
        servers = NTP[dev.platform].findall(text)
        if tier in (Tier.CITY, Tier.TOWNSHIP):  # served by their (own) city's centre
            assert site.mgmt_centre is not None and site.mgmt_centre != root
            city = ipaddress.IPv4Network(topo.nms[site.mgmt_centre])
            assert servers == [str(city.network_address + 1), "198.19.0.2", "198.19.0.3"], host
        else:  # the province, the cloud and, by this inventory's choice, the counties
            assert servers == ["198.19.0.2", "198.19.0.3"], (host, servers)
        routes = "\n".join(ln for ln in text.splitlines() if "mgmt-nms" in ln)
        assert f" {province.network_address} " in routes, host
        cities = [ipaddress.IPv4Network(n) for s, n in topo.nms.items() if s != root]
        wanted = {site.mgmt_centre} if tier in (Tier.CITY, Tier.TOWNSHIP) else set()
        for s, n in topo.nms.items():
            if s != root:
                routed = f" {ipaddress.IPv4Network(n).network_address} " in routes
                assert routed == (s in wanted), (host, s, routes)
        assert cities
        assert rule(dev.platform, "mgmt-reach", text)[0] == "pass", host


def test_netbox_export_carries_the_management_subnets_and_nms_segments() -> None:
    from topology.netbox import netbox_tables

    topo = topology(JIANGXI)
    rows = netbox_tables(topo)["13-prefixes.csv"]
    mgmt = {
        r["prefix"]: r["scope_name"] for r in rows if r["description"].startswith("out-of-band")
    }
    assert mgmt == {s.mgmt_subnet: s.name for s in topo.sites.values()}
    nms = {r["prefix"]: r["scope_name"] for r in rows if r["description"].startswith("NMS of")}
    assert nms == {v: k for k, v in topo.nms.items()}
    flat = netbox_tables(topology(MIXED))["13-prefixes.csv"]
    assert not any(r["description"].startswith(("out-of-band", "NMS of")) for r in flat)


def test_netbox_export_lists_every_vrf_its_addresses_use() -> None:
    """Management ports in a model's built-in VRF (NE40E __LOCAL_OAM_VPN__, ISR Mgmt-intf) need
    that VRF in 12-vrfs.csv, or NetBox refuses the addresses that name it."""
    from topology.netbox import netbox_tables

    t = netbox_tables(topology(JIANGXI))
    vrfs = {r["name"] for r in t["12-vrfs.csv"]}
    used = {r["vrf"] for r in t["14-ip-addresses.csv"] + t["13-prefixes.csv"] if r["vrf"]}
    assert {"__LOCAL_OAM_VPN__", "Mgmt-intf"} <= used <= vrfs
