"""Round trip: parse addresses, OSPF costs and VRFs back out of every rendered config (hier_config)
and compare them with the model."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hier_config import Platform, get_hconfig
from hier_config.child import HConfigChild
from render_testlib import LAB, MIXED, rendered, topology

from topology.model import Device, Role, Topology


@dataclass(frozen=True)
class Syntax:
    """How to read one platform's config back."""

    hier: Platform
    address: str  # groups: ip, mask or ip/len
    cost: str
    vrf: str  # header of a VRF definition, group: name
    rd: str
    drop: str = r"(?!)"  # lines to drop before parsing: FRR's comments, block ends and one-line banner (hier_config reads
    # 'banner' as a multi-line banner start)


SYNTAX = {
    "cisco_ios": Syntax(
        Platform.CISCO_IOS,
        r"^ip address (\S+) (\S+)$",
        r"^ip ospf cost (\d+)$",
        r"^vrf definition (\S+)$",
        r"^rd (\S+)$",
    ),
    "huawei_vrp": Syntax(
        Platform.HUAWEI_VRP,
        r"^ip address (\S+) (\S+)$",
        r"^ospf cost (\d+)$",
        r"^ip vpn-instance (\S+)$",
        r"^route-distinguisher (\S+)$",
    ),
    # hier_config has no Comware 7 driver (HP_COMWARE5 rejects "#" separators); VRP shares the syntax
    "hp_comware": Syntax(
        Platform.HUAWEI_VRP,
        r"^ip address (\S+) (\S+)$",
        r"^ospf cost (\d+)$",
        r"^ip vpn-instance (\S+)$",
        r"^route-distinguisher (\S+)$",
    ),
    # the egress firewalls print VRP / Comware 7 interface syntax
    "huawei_usg": Syntax(
        Platform.HUAWEI_VRP,
        r"^ip address (\S+) (\S+)$",
        r"^ospf cost (\d+)$",
        r"^ip vpn-instance (\S+)$",
        r"^route-distinguisher (\S+)$",
    ),
    "hp_secpath": Syntax(
        Platform.HUAWEI_VRP,
        r"^ip address (\S+) (\S+)$",
        r"^ospf cost (\d+)$",
        r"^ip vpn-instance (\S+)$",
        r"^route-distinguisher (\S+)$",
    ),
    "frr": Syntax(
        Platform.GENERIC,
        r"^ip address (\S+)()$",
        r"^ip ospf cost (\d+)$",
        r"^router bgp \d+ vrf (\S+)$",
        r"^rd vpn export (\S+)$",
        r"^\s*(!|exit|exit-vrf|exit-address-family|banner motd line .*)$",
    ),
}


def _cidr(ip: str, mask: str) -> str:
    return str(ipaddress.IPv4Interface(f"{ip}/{mask}" if mask else ip))


def _first(children: list[HConfigChild], pattern: str) -> re.Match[str] | None:
    rx = re.compile(pattern)
    return next((m for c in children if (m := rx.match(c.text))), None)


def parse_back(
    text: str, syntax: Syntax, own: frozenset[str] = frozenset()
) -> tuple[dict[str, tuple[str, int | None]], dict[str, str]]:
    """Interfaces (name → (address, ospf cost)) and VRFs (name → RD) read from a config."""
    drop = re.compile(syntax.drop)
    hc = get_hconfig(syntax.hier, "\n".join(ln for ln in text.splitlines() if not drop.match(ln)))
    ifs: dict[str, tuple[str, int | None]] = {}
    vrfs: dict[str, str] = {}
    # a switch's routed VLAN interface stands for the access port in that VLAN
    access: dict[str, str] = {}
    for child in hc.children:
        if child.text.startswith("interface "):
            m = _first(list(child.children), r"^port (?:access|default) vlan (\d+)$")
            if m:
                access[m[1]] = child.text.split()[1]
    for child in hc.children:
        if child.text.startswith("interface "):
            name = child.text.split()[1]
            v = re.match(r"^(?:Vlanif|Vlan-interface)(\d+)$", name)
            if v and name not in own:  # `own`: VLAN interfaces the model has (management)
                name = access[v[1]]
            kids = list(child.children)
            addr = _first(kids, syntax.address)
            cost = _first(kids, syntax.cost)
            if addr:
                ifs[name] = (
                    _cidr(addr[1], addr[2]),
                    int(cost[1]) if cost else None,
                )
        elif m := re.match(syntax.vrf, child.text):
            rd = _first(list(child.all_children()), syntax.rd)
            vrfs[m[1]] = rd[1] if rd else ""
    return ifs, vrfs


def expected(
    topo: Topology, dev: Device
) -> tuple[dict[str, tuple[str, int | None]], dict[str, str]]:
    """What the model says the config must hold."""
    ifs: dict[str, tuple[str, int | None]] = {}
    for i in dev.interfaces:
        if i.circuit is None:
            ifs[i.name] = (str(ipaddress.IPv4Interface(i.address or "")), None)
            continue
        c = topo.circuits[i.circuit]
        cost: int | None = c.cost_ab if c.a.device == dev.hostname else c.cost_ba
        if i.vrf is not None or dev.role is Role.FIREWALL:
            cost = None  # a firewall's inside link is not in the backbone IGP (configs/egress.py)
        ifs[i.name] = (str(ipaddress.IPv4Interface(i.address or "")), cost)
    lan = {i.name.rpartition(".")[0] for i in dev.interfaces if i.kind == "zone"}
    for d in topo.departments.values():
        if dev.hostname in d.pe and lan:
            k = d.pe.index(dev.hostname)
            for a in d.attachments:
                plen = a.prefix.partition("/")[2]
                ifs[f"{min(lan)}.{a.vlan}"] = (f"{a.pe_addresses[k]}/{plen}", None)
    vrfs: dict[str, str] = {}
    if dev.role in (Role.CORE, Role.CLOUD_GW):
        for z in topo.zones.values():
            if any(b.site == dev.site for b in z.blocks):
                vrfs[z.vrf] = z.rd
    mgmt_vrf = next((i.vrf for i in dev.interfaces if i.kind == "mgmt" and i.vrf), None)
    by_vrf = {z.vrf: z for z in topo.zones.values()}
    if mgmt_vrf in by_vrf:  # a model's built-in management VRF (Mgmt-intf …) is not configured
        vrfs[mgmt_vrf] = by_vrf[mgmt_vrf].rd
    for i in dev.interfaces:  # a township CE (VRF-lite) defines the VRFs of its zone links (FRR:
        # kernel VRF devices, no route distinguisher without BGP)
        if i.kind == "ce_uplink" and i.vrf in by_vrf and dev.platform != "frr":
            vrfs[i.vrf] = by_vrf[i.vrf].rd
    return ifs, vrfs


def _all_devices() -> list[tuple[Path, str]]:
    return [(inv, h) for inv in (MIXED, LAB) for h in sorted(topology(inv).devices)]


@pytest.mark.parametrize(("inv", "host"), _all_devices(), ids=lambda x: getattr(x, "name", x))
def test_round_trip(inv: Path, host: str) -> None:
    topo = topology(inv)
    dev = topo.devices[host]
    own = frozenset(i.name for i in dev.interfaces)
    got_ifs, got_vrfs = parse_back(rendered(inv)[host], SYNTAX[dev.platform], own)
    want_ifs, want_vrfs = expected(topo, dev)
    assert got_ifs == want_ifs
    assert got_vrfs == want_vrfs


def test_cisco_and_huawei_hierarchy() -> None:
    """Sections land where they belong in hier_config's tree (not flattened to the top level)."""
    texts = rendered(MIXED)
    ios = get_hconfig(Platform.CISCO_IOS, texts["lab-cloud-gw1"])
    bgp = ios.get_child(startswith="router bgp ")
    assert bgp is not None and bgp.get_child(equals="address-family vpnv4") is not None
    assert ios.get_child(equals="line vty 0 15") is not None
    assert ios.get_child(startswith="ip ssh version 2") is not None
    vrp = get_hconfig(Platform.HUAWEI_VRP, texts["lab-core1"])
    aaa = vrp.get_child(equals="aaa")
    assert aaa is not None and aaa.get_child(startswith="authentication-scheme ") is not None
    bgp = vrp.get_child(equals="bgp 64512")
    assert bgp is not None and bgp.get_child(equals="ipv4-family vpnv4") is not None


def test_round_trip_detects_a_wrong_cost() -> None:
    """The comparison can fail: a changed cost in the text no longer matches the model."""
    topo = topology(MIXED)
    dev = topo.devices["lab-core1"]
    text = rendered(MIXED)["lab-core1"].replace(" ospf cost 643", " ospf cost 644", 1)
    got_ifs, _ = parse_back(text, SYNTAX["huawei_vrp"])
    assert got_ifs != expected(topo, dev)[0]
