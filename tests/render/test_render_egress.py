"""Tiered egress on inventory/jiangxi: every level with an egress has its firewall config (zones,
default routes, NAT, logging), and its cores send the internet zone — and only it — to it."""

from __future__ import annotations

import re

from render_testlib import ROOT, secrets, topology

from configs.audit import audit_config
from configs.render import render_device

JIANGXI = ROOT / "inventory" / "jiangxi"
NAT = {"huawei_usg": r"^  action source-nat easy-ip$", "hp_secpath": r"^ nat outbound \d+$"}
LOG = {"huawei_usg": r"^  policy logging$", "hp_secpath": r"^  logging enable$"}
STATIC = {
    "huawei_vrp": r"^ip route-static vpn-instance (\S+) 0\.0\.0\.0 0\.0\.0\.0 (\S+) ",
    "hp_comware": r"^ip route-static vpn-instance (\S+) 0\.0\.0\.0 0 (\S+) ",
    "cisco_ios": r"^ip route vrf (\S+) 0\.0\.0\.0 0\.0\.0\.0 (\S+) ",
}


def test_every_level_with_egress_has_its_firewall_and_default_route() -> None:
    topo = topology(JIANGXI)
    s = secrets()
    sites = [site for site in topo.sites.values() if site.egress]
    assert len(sites) == 134  # province, 11 cities, 122 county-level nodes
    for site in sites:
        fw = topo.firewalls[f"{site.name}-fw1"]
        dev = topo.devices[fw.hostname]
        text = render_device(topo, fw.hostname, s)
        gateways = [topo.egress[e].gateway for e in site.egress]
        for gw in gateways:  # a default route per carrier link
            assert re.search(rf"^ip route-static 0\.0\.0\.0 (0|0\.0\.0\.0) {gw} ", text, re.M)
        assert re.search(NAT[dev.platform], text, re.M), fw.hostname
        assert len(re.findall(LOG[dev.platform], text, re.M)) >= 2, fw.hostname
        assert not [r.rule for r in audit_config(text, dev.platform) if r.status == "fail"]
        inside = {topo.circuits[c].b.address.split("/")[0] for c in fw.inside}
        for core in (c.a.device for c in (topo.circuits[i] for i in fw.inside)):
            ctext = render_device(topo, core, s)
            routes = re.findall(STATIC[topo.devices[core].platform], ctext, re.M)
            assert routes and {v for v, _ in routes} == {"internet"}, core  # only the internet zone
            assert {nh for _, nh in routes} <= inside
