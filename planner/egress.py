"""Internet egress utilisation per level (分级出口) and where each egress fails over to.

Internet demands (kind ``egress/up`` and ``egress/down``, from the demand model) leave at the
egress of their own level: the nearest site up their chain that has one (county → county, else
city, else province), so they never load the trunks above it. When that egress fails (its firewall
or all its carrier links), routing moves its internet traffic to the default route another level
advertises (configs/egress.py); BGP prefers the advertiser nearest by IGP cost, so the failover
egress here is the other egress site whose cores are nearest to this site's cores.

Failures of the firewall and its inside links are in the planner's N-1 sweep already (they are a
device and circuits of the model); this module adds the egress's own capacity (the carrier links).
"""

from __future__ import annotations

import networkx as nx
from pydantic import BaseModel, ConfigDict

from planner.demandgen import all_demands
from topology.demands import DemandModel
from topology.model import CircuitRole, Role, Topology


class EgressLoad(BaseModel):
    """One level's internet egress: capacity, busy-hour load and its failover."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    site: str
    level: str
    device: str
    links: tuple[str, ...]
    capacity_bps: int
    up_bps: float
    down_bps: float
    utilisation: float
    failover_site: str | None
    failover_utilisation: float | None


def _graph(topo: Topology) -> nx.Graph:
    """The backbone graph by IGP cost (the firewalls' inside links are not in the IGP)."""
    g = nx.Graph()
    for c in topo.circuits.values():
        if c.role is not CircuitRole.FIREWALL:
            g.add_edge(c.a.device, c.b.device, weight=min(c.cost_ab, c.cost_ba))
    return g


def _cores(topo: Topology, site: str) -> list[str]:
    roles = (Role.CORE, Role.CLOUD_GW)
    return [h for h in topo.sites[site].devices if topo.devices[h].role in roles]


def failover_of(topo: Topology, g: nx.Graph, site: str, candidates: list[str]) -> str | None:
    """The other egress site whose cores are nearest (IGP cost) to ``site``'s cores."""
    dist = nx.multi_source_dijkstra_path_length(g, _cores(topo, site), weight="weight")
    best: tuple[float, str] | None = None
    for other in candidates:
        if other == site:
            continue
        d = min((dist.get(h, float("inf")) for h in _cores(topo, other)), default=float("inf"))
        if d < float("inf") and (best is None or (d, other) < best):
            best = (d, other)
    return best[1] if best else None


def egress_loads(topo: Topology, model: DemandModel | None = None) -> list[EgressLoad]:
    """Busy-hour internet load and failover of every egress site, in model order."""
    up: dict[str, float] = {}
    down: dict[str, float] = {}
    for d in all_demands(topo, model):
        if d.kind == "egress/up":
            up[d.dst_site] = up.get(d.dst_site, 0.0) + d.rate_bps
        elif d.kind == "egress/down":  # from the egress (src_site) to the site
            down[d.src_site] = down.get(d.src_site, 0.0) + d.rate_bps
    sites = [s.name for s in topo.sites.values() if s.egress]
    cap = {s: sum(topo.egress[e].capacity_bps for e in topo.sites[s].egress) for s in sites}
    g = _graph(topo)
    out = []
    for s in sites:
        u, dn = up.get(s, 0.0), down.get(s, 0.0)
        fo = failover_of(topo, g, s, sites)
        fo_util = (
            max(up.get(fo, 0.0) + u, down.get(fo, 0.0) + dn) / cap[fo] if fo is not None else None
        )
        out.append(
            EgressLoad(
                site=s,
                level=topo.sites[s].tier.value,
                device=topo.egress[topo.sites[s].egress[0]].device,
                links=topo.sites[s].egress,
                capacity_bps=cap[s],
                up_bps=u,
                down_bps=dn,
                utilisation=max(u, dn) / cap[s],
                failover_site=fo,
                failover_utilisation=fo_util,
            )
        )
    return out
