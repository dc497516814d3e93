"""Exports of the model for other tools: an Ansible inventory and graph files."""

from __future__ import annotations

from typing import Any

import networkx as nx

from topology.model import Topology


def ansible_inventory(topo: Topology) -> dict[str, Any]:
    """Return an Ansible YAML inventory: groups per tier, role and platform; no secrets.

    Credentials are left to Ansible's own mechanisms (``ansible_user``/``ansible_password`` from
    the environment or a vault); only connection settings that are facts of the model are set.
    """
    hosts: dict[str, dict[str, Any]] = {}
    groups: dict[str, set[str]] = {}
    for dev in topo.devices.values():
        plat = topo.platforms[dev.platform]
        site = topo.sites[dev.site]
        hosts[dev.hostname] = {
            "ansible_host": dev.mgmt_address.split("/")[0],
            "ansible_network_os": plat.ansible_network_os,
            "ansible_connection": "ansible.netcommon.network_cli"
            if dev.platform != "frr"
            else "ssh",
            "egnet_platform": dev.platform,
            "egnet_role": dev.role.value,
            "egnet_site": dev.site,
            "egnet_tier": site.tier.value,
            "egnet_loopback": dev.loopback,
        }
        for g in (f"tier_{site.tier.value}", f"role_{dev.role.value}", f"platform_{dev.platform}"):
            groups.setdefault(g, set()).add(dev.hostname)
    children = {
        g: {"hosts": {h: None for h in sorted(members)}} for g, members in sorted(groups.items())
    }
    return {"all": {"hosts": hosts, "children": children, "vars": {"egnet_network": topo.name}}}


def to_graph(topo: Topology) -> nx.MultiGraph:
    """Return the device graph: one node per device, one edge per circuit (keyed by circuit id)."""
    g = nx.MultiGraph(name=topo.name)
    for dev in topo.devices.values():
        g.add_node(
            dev.hostname,
            site=dev.site,
            role=dev.role.value,
            platform=dev.platform,
            tier=topo.sites[dev.site].tier.value,
            building=dev.building,
        )
    for c in topo.circuits.values():
        g.add_edge(
            c.a.device,
            c.b.device,
            key=c.id,
            type=c.type,
            carrier=c.carrier,
            capacity_bps=c.capacity_bps,
            cost_ab=c.cost_ab,
            cost_ba=c.cost_ba,
            role=c.role.value,
            srlgs=",".join(c.srlgs),
        )
    return g


def graphml(topo: Topology) -> str:
    """Return the device graph as GraphML text."""
    return "\n".join(nx.generate_graphml(to_graph(topo))) + "\n"


def graph_json(topo: Topology) -> dict[str, Any]:
    """Return the device graph as node-link JSON data."""
    data: dict[str, Any] = nx.node_link_data(to_graph(topo), edges="links")
    return data
