"""Zones attached: every zone of every non-township site has a bound, addressed interface in the
rendered configs of every platform (read back from the config text, not from the model)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path

import pytest
from render_testlib import LAB, MIXED, ROOT, secrets, topology

from configs.render import render_device
from topology.model import Tier, Topology

JIANGXI = ROOT / "inventory" / "jiangxi"
# how each platform binds an interface to a VRF: in the block body; FRR 8.2+ takes the VRF from the
# kernel (the VLAN device is enslaved to the VRF device), so for FRR the zone is the one whose 802.1Q
# tag the sub-interface carries
BIND = {
    "huawei_vrp": re.compile(r"^ ip binding vpn-instance (\S+)$", re.M),
    "hp_comware": re.compile(r"^ ip binding vpn-instance (\S+)$", re.M),
    "cisco_ios": re.compile(r"^ vrf forwarding (\S+)$", re.M),
}
ADDR = re.compile(r"^ ip address (\S+)(?: (\S+))?$", re.M)
FRR_HEADER = re.compile(r"^interface (\S+\.(\d+))$")


def bound_interfaces(
    text: str, platform: str, vrf_of_tag: dict[int, str] | None = None
) -> list[tuple[str, str, ipaddress.IPv4Interface]]:
    """(interface, vrf, address) of every interface block bound to a VRF, parsed from a config."""
    out = []
    for block in re.split(r"\n(?=interface )", text):
        header, _, body = block.partition("\n")
        if not header.startswith("interface "):
            continue
        frr = FRR_HEADER.match(header) if platform == "frr" else None
        bind = BIND[platform].search(body) if platform in BIND else None
        vrf = (vrf_of_tag or {}).get(int(frr[2])) if frr else (bind[1] if bind else None)
        addr = ADDR.search(body)
        if vrf is None or addr is None:
            continue
        ip = f"{addr[1]}/{addr[2]}" if addr[2] else addr[1]
        out.append((header.split()[1], vrf, ipaddress.IPv4Interface(ip)))
    return out


@lru_cache(maxsize=4)
def zone_configs(inv: Path) -> dict[str, str]:
    """Rendered configs of the PEs of every non-township site (the devices zones attach to)."""
    topo = topology(inv)
    s = secrets()
    return {
        h: render_device(topo, h, s)
        for h, d in topo.devices.items()
        if topo.sites[d.site].tier is not Tier.TOWNSHIP and d.role.value in ("core", "cloud_gw")
    }


def lower(block: str) -> ipaddress.IPv4Network:
    """The bottom half of a site block."""
    return next(ipaddress.IPv4Network(block).subnets())


def missing_zones(topo: Topology, configs: dict[str, str]) -> list[str]:
    """Zones of non-township sites without a bound interface addressed from the bottom half of the
    site's block."""
    found: dict[tuple[str, str], int] = {}
    for host, text in configs.items():
        dev = topo.devices[host]
        tags = {z.vlan if z.vlan is not None else z.vpn_id: z.vrf for z in topo.zones.values()}
        for _, vrf, addr in bound_interfaces(text, dev.platform, tags):
            for z in topo.zones.values():
                block = next((b.prefix for b in z.blocks if b.site == dev.site), None)
                # the site's own zone interfaces take the bottom half of the block (the top half
                # holds departments' blocks: topology/zones.py)
                if z.vrf == vrf and block and addr.network == lower(block):
                    found[(dev.site, vrf)] = found.get((dev.site, vrf), 0) + 1
    return [
        f"{s.name}/{z}"
        for s in topo.sites.values()
        if s.tier is not Tier.TOWNSHIP
        for z in s.zones
        if found.get((s.name, topo.zones[z].vrf), 0) == 0
    ]


@pytest.mark.parametrize("inv", [JIANGXI, MIXED, LAB], ids=["jiangxi", "mixed", "lab"])
def test_every_zone_of_every_non_township_site_is_bound(inv: Path) -> None:
    topo = topology(inv)
    configs = zone_configs(inv)
    served = [
        (s.name, z) for s in topo.sites.values() if s.tier is not Tier.TOWNSHIP for z in s.zones
    ]
    assert len(served) > len(topo.sites_of(Tier.CITY)) * 3  # zones really are served
    assert missing_zones(topo, configs) == []


def test_jiangxi_covers_every_platform_and_tier() -> None:
    topo = topology(JIANGXI)
    platforms = {topo.devices[h].platform for h in zone_configs(JIANGXI)}
    assert platforms == {"huawei_vrp", "hp_comware", "cisco_ios"}
    tiers = {topo.sites[topo.devices[h].site].tier for h in zone_configs(JIANGXI)}
    assert tiers == {Tier.PROVINCE, Tier.CITY, Tier.COUNTY, Tier.CLOUD}


def test_a_missing_binding_is_found() -> None:
    """The check fails when a zone's sub-interface loses its VRF binding (Huawei and FRR)."""
    topo = topology(MIXED)
    configs = dict(zone_configs(MIXED))
    host = "lab-core1"
    assert topo.devices[host].platform == "huawei_vrp"
    configs[host] = configs[host].replace(" ip binding vpn-instance office\n", "", 1)
    configs["lab-core2"] = configs["lab-core2"].replace(" ip binding vpn-instance office\n", "", 1)
    assert missing_zones(topo, configs) == ["lab/office"]
    lab = topology(LAB)
    frr = dict(zone_configs(LAB))
    for h in ("beicheng-core1", "beicheng-core2"):
        frr[h] = re.sub(r"interface (\S+)\.100\n", r"interface \1.4000\n", frr[h])
    assert missing_zones(lab, frr) == ["beicheng/public"]


def test_townships_join_the_zones_with_a_township_block() -> None:
    topo = topology(JIANGXI)
    town = topo.sites_of(Tier.TOWNSHIP)[0]
    assert town.zones == ("public", "mgmt", "office")
    assert all(z.name != "vpn-gongan" for z in topo.zones.values())
    assert {s.tier for s in topo.sites.values() if "internet" in s.zones} == {
        Tier.PROVINCE,
        Tier.CITY,
        Tier.COUNTY,
        Tier.CLOUD,
    }
