"""Townships as multi-VRF CEs (VRF-lite toward the county PE), read back from the rendered configs.

For every township (every one of the lab and mixed inventories, one per (CE model, PE model) pair
of Jiangxi): every zone it serves has, on every uplink, a sub-interface bound to the zone's VRF on
the township's access router and the matching one on the county PE, both on one /30 inside the
township's zone block, with the PE routing the block to the CE and the CE routing the zone's pool
to the PE. Parsed from the config text, not from the model.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from functools import lru_cache
from pathlib import Path

import pytest
from render_testlib import LAB, MIXED, ROOT, secrets, topology

from configs.render import render_device
from topology import load_topology
from topology.diagnostics import InventoryError
from topology.model import Role, Tier, Topology

JIANGXI = ROOT / "inventory" / "jiangxi"
Net = ipaddress.IPv4Network
Itf = ipaddress.IPv4Interface

# how each platform binds an interface to a VRF (FRR: the kernel does; the VLAN tag names the zone)
BIND = {
    "huawei_vrp": re.compile(r"^ ip binding vpn-instance (\S+)$", re.M),
    "hp_comware": re.compile(r"^ ip binding vpn-instance (\S+)$", re.M),
    "cisco_ios": re.compile(r"^ vrf forwarding (\S+)$", re.M),
}
TAG = {
    "huawei_vrp": re.compile(r"^ (?:dot1q termination vid|vlan-type dot1q) (\d+)$", re.M),
    "hp_comware": re.compile(r"^ vlan-type dot1q vid (\d+)$", re.M),
    "cisco_ios": re.compile(r"^ encapsulation dot1Q (\d+)$", re.M),
}
ADDR = re.compile(r"^ ip address (\S+)(?: (\S+))?$", re.M)
ROUTE = {  # (vrf, destination, next hop)
    "huawei_vrp": re.compile(r"^ip route-static vpn-instance (\S+) (\S+) (\S+) (\S+)", re.M),
    "hp_comware": re.compile(r"^ip route-static vpn-instance (\S+) (\S+) (\S+) (\S+)", re.M),
    "cisco_ios": re.compile(r"^ip route vrf (\S+) (\S+) (\S+) (\S+)", re.M),
}
FRR_VRF = re.compile(r"^vrf (\S+)\n(.*?)^exit-vrf$", re.M | re.S)
FRR_ROUTE = re.compile(r"^ ip route (\S+) (\S+)$", re.M)


def vrf_interfaces(
    text: str, platform: str, vrf_of_tag: dict[int, str]
) -> dict[str, tuple[str, Itf]]:
    """Sub-interface → (VRF, address) of every tagged sub-interface bound to a VRF."""
    out = {}
    for block in re.split(r"\n(?=interface )", text):
        header, _, body = block.partition("\n")
        name = header.removeprefix("interface ").strip()
        if not header.startswith("interface ") or "." not in name:
            continue
        addr = ADDR.search(body)
        if platform == "frr":
            vrf = vrf_of_tag.get(int(name.rpartition(".")[2]))
        else:
            bind, tag = BIND[platform].search(body), TAG[platform].search(body)
            ok = bind and tag and int(tag[1]) == int(name.rpartition(".")[2])
            vrf = bind[1] if bind and ok else None
        if vrf is None or addr is None:
            continue
        out[name] = (vrf, Itf(f"{addr[1]}/{addr[2]}" if addr[2] else addr[1]))
    return out


def vrf_routes(text: str, platform: str) -> set[tuple[str, Net, str]]:
    """(VRF, destination, next hop) of every static route in a VRF."""
    if platform == "frr":
        return {
            (vrf, Net(dst), via)
            for vrf, body in FRR_VRF.findall(text)
            for dst, via in FRR_ROUTE.findall(body)
        }
    return {
        (vrf, Net(f"{dst}/{mask}"), via) for vrf, dst, mask, via in ROUTE[platform].findall(text)
    }


def sample(topo: Topology, every: bool) -> list[str]:
    """Township access routers: all of them, or one per (CE model, PE model)."""
    seen: dict[tuple[str, str], str] = {}
    for h, d in sorted(topo.devices.items()):
        if d.role is not Role.ACCESS or topo.sites[d.site].tier is not Tier.TOWNSHIP:
            continue
        pes = sorted(
            {topo.devices[x].model for c in topo.circuits_of(h) for x in c.ends()} - {d.model}
        )
        key = (d.model, ",".join(pes)) if not every else (h, "")
        seen.setdefault(key, h)
    return sorted(seen.values())


@lru_cache(maxsize=4)
def configs(inv: Path) -> dict[str, str]:
    """Rendered configs of the sampled township routers and their uplink peers."""
    topo = topology(inv)
    hosts: set[str] = set()
    for h in sample(topo, inv != JIANGXI):
        hosts.add(h)
        hosts |= {x for c in topo.circuits_of(h) if c.role.value == "uplink" for x in c.ends()}
    s = secrets()
    return {h: render_device(topo, h, s) for h in sorted(hosts)}


def problems(topo: Topology, texts: dict[str, str], towns: list[str]) -> list[str]:
    """What a township's VRF-lite attachment lacks, read from the configs."""
    tags = {z.vlan if z.vlan is not None else z.vpn_id: z.vrf for z in topo.zones.values()}
    ifs = {h: vrf_interfaces(t, topo.devices[h].platform, tags) for h, t in texts.items()}
    routes = {h: vrf_routes(t, topo.devices[h].platform) for h, t in texts.items()}
    out = []
    for ar in towns:
        site = topo.sites[topo.devices[ar].site]
        ups = [c for c in topo.circuits_of(ar) if c.role.value == "uplink"]
        for z in site.zones:
            zone = topo.zones[z]
            block = Net(next(b.prefix for b in zone.blocks if b.site == site.name))
            for c in ups:
                me, pe = (c.a, c.b) if c.a.device == ar else (c.b, c.a)
                ce_if = ifs[ar].get(f"{me.interface}.{zone.vlan or zone.vpn_id}")
                pe_if = ifs[pe.device].get(f"{pe.interface}.{zone.vlan or zone.vpn_id}")
                where = f"{ar}/{z}/{c.id}"
                if ce_if is None or pe_if is None:
                    out.append(
                        f"{where}: no bound sub-interface on {'CE' if ce_if is None else 'PE'}"
                    )
                    continue
                if ce_if[0] != zone.vrf or pe_if[0] != zone.vrf:
                    out.append(f"{where}: bound to {ce_if[0]}/{pe_if[0]}")
                if not (ce_if[1].network == pe_if[1].network and ce_if[1].network.subnet_of(block)):
                    out.append(f"{where}: link {ce_if[1]} / {pe_if[1]} not one subnet of {block}")
                ce_ip, pe_ip = str(ce_if[1].ip), str(pe_if[1].ip)
                if (zone.vrf, block, ce_ip) not in routes[pe.device]:
                    out.append(f"{where}: PE has no route {block} via {ce_ip}")
                if (zone.vrf, Net(zone.pool), pe_ip) not in routes[ar]:
                    out.append(f"{where}: CE has no route {zone.pool} via {pe_ip}")
    return out


@pytest.mark.parametrize("inv", [JIANGXI, MIXED, LAB], ids=["jiangxi", "mixed", "lab"])
def test_every_township_zone_is_attached_on_both_ends(inv: Path) -> None:
    topo = topology(inv)
    towns = sample(topo, inv != JIANGXI)
    assert towns and all(topo.sites[topo.devices[h].site].zones for h in towns)
    assert problems(topo, configs(inv), towns) == []


def test_jiangxi_sample_covers_every_township_platform() -> None:
    topo = topology(JIANGXI)
    towns = sample(topo, every=False)
    assert {topo.devices[h].model for h in towns} == {"AR6120", "MSR3610"}
    pes = {topo.devices[x].model for h in towns for c in topo.circuits_of(h) for x in c.ends()}
    assert {"AR6300", "MSR5660"} <= pes
    # the default choice: public, office business and management zones, never the internet zone
    assert {topo.sites[topo.devices[h].site].zones for h in towns} == {("public", "mgmt", "office")}


def test_a_missing_binding_or_route_is_found() -> None:
    """The read-back can fail: an unbound CE sub-interface and a lost PE route are both reported."""
    topo = topology(MIXED)
    towns = sample(topo, every=True)
    texts = dict(configs(MIXED))
    ar = towns[0]
    assert topo.devices[ar].platform == "huawei_vrp"
    texts[ar] = texts[ar].replace(" ip binding vpn-instance office\n", "", 1)
    pe = next(
        x for c in topo.circuits_of(ar) if c.role.value == "uplink" for x in c.ends() if x != ar
    )
    texts[pe] = re.sub(r"^ip route vrf public .*township-ce\n", "", texts[pe], count=1, flags=re.M)
    found = problems(topo, texts, towns)
    assert any(p.startswith(f"{ar}/office/") and "no bound" in p for p in found)
    assert any("/public/" in p and "PE has no route" in p for p in found)
    lab = topology(LAB)
    frr = dict(configs(LAB))
    ltowns = sample(lab, every=True)
    frr[ltowns[0]] = re.sub(r"^ ip route 10\.0\.0\.0/16 .*\n", "", frr[ltowns[0]], flags=re.M)
    assert any("CE has no route" in p for p in problems(lab, frr, ltowns))


def test_a_township_choice_is_honoured(tmp_path: Path) -> None:
    """A township naming its zones gets exactly those links; the tier default applies elsewhere."""
    inv = tmp_path / "lab"
    shutil.copytree(LAB, inv)
    city = inv / "cities" / "9901-beicheng.yaml"
    text = city.read_text(encoding="utf-8")
    text = text.replace(
        '{id: dongxian-qiaotou, name: 桥头镇, code: "990121101"}',
        '{id: dongxian-qiaotou, name: 桥头镇, code: "990121101", zones: [office]}',
    )
    city.write_text(text, encoding="utf-8")
    topo = load_topology(inv)
    kinds = {
        h: sorted(i.vrf or "" for i in topo.devices[h].interfaces if i.kind == "ce_uplink")
        for h in ("dongxian-qiaotou-ar1", "dongxian-shanxia-ar1")
    }
    assert kinds == {
        "dongxian-qiaotou-ar1": ["office"],
        "dongxian-shanxia-ar1": ["office", "public"],
    }


def test_a_township_block_too_small_for_its_links_is_a_located_error(tmp_path: Path) -> None:
    inv = tmp_path / "lab"
    shutil.copytree(LAB, inv)
    net = inv / "network.yaml"
    text = net.read_text(encoding="utf-8")
    text = text.replace("county: 27, township: 28}}", "county: 27, township: 29}}")
    net.write_text(text, encoding="utf-8")
    with pytest.raises(InventoryError) as err:
        load_topology(inv)
    msg = str(err.value)
    assert "network.yaml:" in msg and "zones.office.site_prefix.township" in msg
    assert "no room for 2 CE link" in msg
