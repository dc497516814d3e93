"""The government cloud's border firewall, read back from its rendered config (USG and SecPath).

Per cloud: one extranet-side and one cloud-side sub-interface per zone, in untrust and trust; one
logged permit per hosted extranet application from its zone's pool to its zone's sub-area and a
logged default deny; a route back to each zone's pool via the gateways and no other route (no
default: the internet application area has no path from the extranet); the gateways route each
sub-area to the firewall in the zone's VRF; the 等保 audit passes, cloud-border rule included.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path

import pytest
from render_testlib import MIXED, ROOT, secrets, topology

from configs.audit import audit_config
from configs.render import render_device
from topology.model import Role

JIANGXI = ROOT / "inventory" / "jiangxi"
Net = ipaddress.IPv4Network

SYNTAX = {  # platform → (zone header, member line, permit rule pattern, static route pattern)
    "huawei_usg": (
        r"^firewall zone (trust|untrust)$",
        r"^ add interface (\S+)$",
        re.compile(
            r"^ rule name (\S+)\n(?:  .*\n)*?  source-address (\S+) mask (\S+)\n"
            r"  destination-address (\S+) mask (\S+)\n  action permit$",
            re.M,
        ),
        re.compile(r"^ip route-static (\S+) (\S+) (\S+) description cloud-border-return$", re.M),
    ),
    "hp_secpath": (
        r"^security-zone name (Trust|Untrust|Management)$",
        r"^ import interface (\S+)$",
        re.compile(
            r"^ rule \d+ name (\S+)\n(?:  .*\n)*?  source-ip-subnet (\S+) (\S+)\n"
            r"  destination-ip-subnet (\S+) (\S+)$",
            re.M,
        ),
        re.compile(r"^ip route-static (\S+) (\S+) (\S+) description cloud-border-return$", re.M),
    ),
}


@lru_cache(maxsize=2)
def configs(inv: Path) -> dict[str, str]:
    topo = topology(inv)
    hosts = [h for b in topo.borders.values() for h in (b.hostname, *topo.sites[b.site].devices)]
    return {h: render_device(topo, h, secrets()) for h in sorted(set(hosts))}


def read_border(text: str, platform: str) -> dict[str, object]:
    """Security-zone members, permits and static routes of a border firewall's config."""
    header, member, permit, route = SYNTAX[platform]
    zones: dict[str, set[str]] = {}
    for block in re.split(r"\n(?=\S)", text):
        head, _, body = block.partition("\n")
        m = re.match(header, head)
        if m:
            zones[m[1].lower()] = set(re.findall(member, body, re.M))
    permits = {
        (name, Net(f"{sa}/{sm}"), Net(f"{da}/{dm}"))
        for name, sa, sm, da, dm in permit.findall(text)
    }
    routes = {(Net(f"{d}/{m}"), via) for d, m, via in route.findall(text)}
    return {"zones": zones, "permits": permits, "routes": routes}


@pytest.mark.parametrize("inv", [JIANGXI, MIXED], ids=["jiangxi-usg", "mixed-secpath"])
def test_border_config_holds_the_policy_and_no_way_out(inv: Path) -> None:
    topo = topology(inv)
    texts = configs(inv)
    assert topo.borders
    for fw, bf in topo.borders.items():
        dev = topo.devices[fw]
        got = read_border(texts[fw], dev.platform)
        ext = {i.name for i in dev.interfaces if i.kind == "border_ext"}
        app = {i.name for i in dev.interfaces if i.kind == "border_app"}
        mgmt = next(i.name for i in dev.interfaces if i.kind == "mgmt")
        zones = got["zones"]
        assert isinstance(zones, dict)
        # the management port: in trust on the USG, in its own Management zone on the SecPath
        assert zones.pop("management", {mgmt}) == {mgmt}
        assert zones == {
            "untrust": ext,
            "trust": app | ({mgmt} if dev.platform == "huawei_usg" else set()),
        }
        assert len(ext) == len(app) == len(bf.zones) == len(topo.sites[bf.site].zones)
        site = topo.sites[bf.site]
        want = {
            (a.name, Net(topo.zones[a.zone].pool), Net(bf.sub_areas[a.zone]))
            for a in site.applications
            if a.area == "extranet"
        }
        assert got["permits"] == want and want
        internet = {a.name for a in site.applications if a.area == "internet"}
        assert not internet & {p[0] for p in got["permits"]}
        # routes back: each zone's pool via every gateway's zone address (the management routes
        # toward the NMS are the management plane's); and no default route anywhere
        gws = [h for h in site.devices if topo.devices[h].role is Role.CLOUD_GW]
        want_routes = {
            (Net(topo.zones[z].pool), (i.address or "").split("/")[0])
            for z in bf.zones
            for h in gws
            for i in topo.devices[h].interfaces
            if i.kind == "zone" and i.vrf == z
        }
        assert got["routes"] == want_routes
        assert all(r[0].prefixlen > 0 for r in want_routes)
        assert not re.search(r"^(nat-policy| nat outbound)", texts[fw], re.M)
        assert not re.search(r"^ip route-static 0\.0\.0\.0 0", texts[fw], re.M)
        audit = {r.rule: r.status for r in audit_config(texts[fw], dev.platform)}
        assert audit["cloud-border"] == "pass" and audit["boundary-policy"] == "pass"
        assert audit["egress-nat"] == "na"
        assert [r for r, s in audit.items() if s == "fail"] == []


@pytest.mark.parametrize("inv", [JIANGXI, MIXED], ids=["jiangxi", "mixed"])
def test_gateways_route_each_sub_area_to_the_firewall(inv: Path) -> None:
    topo = topology(inv)
    texts = configs(inv)
    for fw, bf in topo.borders.items():
        ext = {i.vrf: (i.address or "").split("/")[0] for i in topo.devices[fw].interfaces
               if i.kind == "border_ext"}  # fmt: skip
        for h in topo.sites[bf.site].devices:
            if topo.devices[h].role is not Role.CLOUD_GW:
                continue
            assert topo.devices[h].platform == "cisco_ios"
            routes = {
                (vrf, Net(f"{d}/{m}"), via)
                for vrf, d, m, via in re.findall(
                    r"^ip route vrf (\S+) (\S+) (\S+) (\S+) name cloud-border$", texts[h], re.M
                )
            }
            want = {(topo.zones[z].vrf, Net(bf.sub_areas[z]), ext[z]) for z in bf.zones}
            assert routes == want


def test_the_audit_catches_a_way_out_and_an_open_permit() -> None:
    topo = topology(MIXED)
    fw = next(iter(topo.borders))
    text = configs(MIXED)[fw]
    out = text + "ip route-static 0.0.0.0 0 198.51.100.1 description internet-area\n"
    assert {r.rule: r.status for r in audit_config(out, "hp_secpath")}["cloud-border"] == "fail"
    open_rule = re.sub(r"^  destination-ip-subnet .*\n", "", text, count=1, flags=re.M)
    assert {r.rule: r.status for r in audit_config(open_rule, "hp_secpath")}[
        "cloud-border"
    ] == "fail"
