"""Redundancy audit (等保 2.0 GB/T 22239-2019 §8.1.2.1: hardware redundancy of lines and key devices).

Per site above township: two cores in two buildings; uplinks to two different parent cores over two
different carriers, with a pair of uplinks sharing no shared-risk group (carrier, building, duct,
device). From the graph: articulation points and bridges of the backbone, the minimum node and edge
cut from every site to the province core and to its clouds, and every single element whose loss
disconnects a site. Single-homed townships are an accepted risk by design: counted, not failed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, maximum_flow

from planner.demandgen import all_demands
from topology.model import Circuit, CircuitRole, Role, Site, Tier, Topology

logger = logging.getLogger(__name__)
CLAUSE = "等保 2.0 (GB/T 22239-2019) §8.1.2.1"
ABOVE = (Tier.PROVINCE, Tier.CITY, Tier.COUNTY, Tier.CLOUD)
SRLG_KINDS = ("carrier:", "building:", "duct:", "device:")


@dataclass(frozen=True)
class Finding:
    """One audit finding.

    ``severity``: ``violation`` (fails the check), ``accepted`` (the site lists the rule in its
    ``accepted_risks``) or ``warning`` (government-cloud sites, and the province's path to its
    cloud: the hierarchy rules of §8.1.2.1 are about province, city and county nodes; a cloud's
    single data-centre building and own-fibre links are reported, not failed).
    """

    rule: str
    site: str
    message: str
    elements: tuple[str, ...] = ()
    severity: str = "violation"
    clause: str = CLAUSE


@dataclass(frozen=True)
class SiteCut:
    """Minimum cuts from a site to a target set of devices (-1: no path at all)."""

    site: str
    target: str
    min_node_cut: int
    min_edge_cut: int


@dataclass
class RedundancyReport:
    """Everything ``egnet check`` reports."""

    findings: list[Finding] = field(default_factory=list)
    articulation_points: list[str] = field(default_factory=list)
    bridges: list[str] = field(default_factory=list)
    cuts: list[SiteCut] = field(default_factory=list)
    townships: dict[str, float] = field(default_factory=dict)

    @property
    def violations(self) -> list[Finding]:
        """Findings that break the policy (not accepted)."""
        return [f for f in self.findings if f.severity == "violation"]


def shared_risks(a: Circuit, b: Circuit) -> list[str]:
    """Shared-risk groups (carrier, building, duct, device) two circuits have in common.

    Examples:
        >>> from topology import load_topology
        >>> t = load_topology("inventory/lab")
        >>> shared_risks(t.circuits["beicheng-xiqu-up1"], t.circuits["beicheng-xiqu-up2"])
        ['duct:lab-duct-1']
    """
    mine = {g for g in a.srlgs if g.startswith(SRLG_KINDS)}
    return sorted(mine & {g for g in b.srlgs if g.startswith(SRLG_KINDS)})


def uplinks_by_site(topo: Topology) -> dict[str, list[Circuit]]:
    """Uplink circuits per site (the site at the lower end)."""
    out: dict[str, list[Circuit]] = {}
    for c in topo.circuits.values():
        if c.role is not CircuitRole.UPLINK:
            continue
        sa, sb = (topo.sites[topo.devices[h].site] for h in c.ends())
        child = sa if sa.parent == sb.name else sb if sb.parent == sa.name else None
        if child is not None:
            out.setdefault(child.name, []).append(c)
    return out


def site_rules(topo: Topology, site: Site, ups: list[Circuit]) -> Iterable[Finding]:
    """Static rules: cores, buildings, uplink count, parent cores, carriers, shared risks."""
    keys = [d for d in site.devices if topo.devices[d].role in (Role.CORE, Role.CLOUD_GW)]
    what = "gateway" if site.tier is Tier.CLOUD else "core"
    if len(keys) < 2:
        yield Finding("cores", site.name, f"{len(keys)} {what} device(s), 2 required", tuple(keys))
    buildings = sorted({topo.devices[d].building for d in keys})
    if len(buildings) < 2 and site.tier is not Tier.CLOUD:
        yield Finding(
            "buildings",
            site.name,
            f"{what}s in {len(buildings)} building(s), 2 required (异地备份)",
            tuple(buildings),
        )
    if site.tier in (Tier.PROVINCE, Tier.CLOUD):
        return
    own = set(site.devices)
    if len(ups) < 2:
        yield Finding(
            "uplinks", site.name, f"{len(ups)} uplink(s), 2 required", tuple(c.id for c in ups)
        )
        return
    parents = sorted({h for c in ups for h in c.ends() if h not in own})
    if len(parents) < 2:
        yield Finding(
            "uplink-parent-cores",
            site.name,
            f"all uplinks end on one parent core ({parents[0]})",
            tuple(c.id for c in ups),
        )
    carriers = sorted({c.carrier for c in ups})
    if len(carriers) < 2:
        yield Finding(
            "uplink-carriers",
            site.name,
            f"all uplinks use carrier {carriers[0]}",
            tuple(c.id for c in ups),
        )
    best = min(combinations(ups, 2), key=lambda p: len(shared_risks(*p)))
    common = shared_risks(*best)
    if common:
        yield Finding(
            "uplink-srlg",
            site.name,
            f"every pair of uplinks shares a risk; best pair {best[0].id}/{best[1].id} "
            f"shares {', '.join(common)}",
            tuple(common),
        )


class _Graph:
    """The device graph as arrays, for fast connectivity under element loss."""

    def __init__(self, topo: Topology) -> None:
        self.topo = topo
        self.hosts = list(topo.devices)
        self.index = {h: i for i, h in enumerate(self.hosts)}
        self.circuits = list(topo.circuits.values())
        self.a = np.array([self.index[c.a.device] for c in self.circuits], np.int64)
        self.b = np.array([self.index[c.b.device] for c in self.circuits], np.int64)
        self.n = len(self.hosts)

    def components(self, dead_links: set[int], dead_nodes: set[int]) -> np.ndarray:
        """Component label of every device with the given elements removed."""
        dead = np.zeros(self.n, bool)
        dead[list(dead_nodes)] = True
        keep = ~dead[self.a] & ~dead[self.b]
        keep[list(dead_links)] = False
        m = sp.csr_matrix(
            (np.ones(int(keep.sum())), (self.a[keep], self.b[keep])), shape=(self.n, self.n)
        )
        _, labels = connected_components(m, directed=False)
        return np.asarray(labels)


def _elements(topo: Topology, g: _Graph) -> dict[str, tuple[set[int], set[int]]]:
    """Every single element that can cut a site above township (township tails cannot)."""
    keep = {i for i, h in enumerate(g.hosts) if topo.sites[topo.devices[h].site].tier in ABOVE}
    out: dict[str, tuple[set[int], set[int]]] = {}
    for i, c in enumerate(g.circuits):
        if not c.tail:
            out[f"circuit:{c.id}"] = ({i}, set())
            if c.carrier != "own":  # own fibre: separate cables, not one shared risk
                out.setdefault(f"carrier:{c.carrier}", (set(), set()))[0].add(i)
            for d in c.ducts:
                out.setdefault(f"duct:{d}", (set(), set()))[0].add(i)
    for i in sorted(keep):
        dev = topo.devices[g.hosts[i]]
        out[f"device:{dev.hostname}"] = (set(), {i})
        out.setdefault(f"building:{dev.building}", (set(), set()))[1].add(i)
    return out


def single_points(topo: Topology) -> list[Finding]:
    """Every element whose loss cuts a site above township off the province core (the province
    itself: off its cloud)."""
    g = _Graph(topo)
    root = topo.root()
    sites = [s for s in topo.sites.values() if s.tier in ABOVE]
    members = [np.array([g.index[h] for h in s.devices], np.int64) for s in sites]
    owner = np.concatenate([np.full(len(m), k) for k, m in enumerate(members)])
    flat = np.concatenate(members)
    core = np.array([g.index[h] for h in root.devices], np.int64)
    cloud = np.array(
        [g.index[h] for h in topo.sites[root.cloud].devices] if root.cloud else [], np.int64
    )
    is_root = np.array([s is root for s in sites])
    cut: dict[str, list[str]] = {}
    for name, (links, nodes) in _elements(topo, g).items():
        labels = g.components(links, nodes)
        alive = ~np.isin(flat, list(nodes))
        for anchor, pick in ((core, ~is_root), (cloud, is_root)):
            up = anchor[~np.isin(anchor, list(nodes))]
            ok = alive & np.isin(labels[flat], labels[up])
            reached = np.bincount(owner, weights=ok, minlength=len(sites)) > 0
            for k in np.flatnonzero(~reached & pick).tolist():
                cut.setdefault(sites[k].name, []).append(name)
    root_name = root.name
    return [
        Finding(
            "single-point",
            site,
            f"loss of any one of {len(els)} element(s) cuts the site off "
            + ("its cloud" if site == root_name else "the province core"),
            tuple(els),
        )
        for site, els in sorted(cut.items())
    ]


BIG = 1 << 20


def _big(k: int) -> np.ndarray:
    return np.full(k, BIG)


class _Flows:
    """Backbone as integer flow networks (edge cut and split-node cut) for scipy max-flow."""

    def __init__(self, topo: Topology) -> None:
        edges = [(c.a.device, c.b.device) for c in topo.circuits.values() if not c.tail]
        self.nodes = sorted({h for e in edges for h in e})
        self.index = {h: i for i, h in enumerate(self.nodes)}
        self.u = np.array([self.index[a] for a, _ in edges], np.int64)
        self.v = np.array([self.index[b] for _, b in edges], np.int64)

    def _solve(self, rows: np.ndarray, cols: np.ndarray, caps: np.ndarray, n: int) -> int:
        m = sp.csr_matrix((caps.astype(np.int32), (rows, cols)), shape=(n, n))
        return int(maximum_flow(m, n - 2, n - 1).flow_value)

    def cuts(self, src: list[str], dst: list[str]) -> tuple[int, int]:
        """(minimum node cut, minimum edge cut) between two device sets; -1 when not in the graph."""
        s = [self.index[h] for h in src if h in self.index]
        t = [self.index[h] for h in dst if h in self.index]
        if not s or not t:
            return -1, -1
        n = len(self.nodes)
        rows = np.concatenate([self.u, self.v, np.full(len(s), n), t])
        cols = np.concatenate([self.v, self.u, s, np.full(len(t), n + 1)])
        caps = np.concatenate([np.ones(2 * len(self.u)), _big(len(s)), _big(len(t))])
        edge = self._solve(rows, cols, caps, n + 2)
        # split nodes: v_in = v, v_out = v + n; unit capacity inside each node
        rows = np.concatenate(
            [np.arange(n), self.u + n, self.v + n, np.full(len(s), 2 * n), np.array(t) + n]
        )
        cols = np.concatenate([np.arange(n) + n, self.v, self.u, s, np.full(len(t), 2 * n + 1)])
        caps = np.concatenate([np.ones(n), _big(2 * len(self.u)), _big(len(s)), _big(len(t))])
        node = self._solve(rows, cols, caps, 2 * n + 2)
        return node, edge


def graph_facts(topo: Topology) -> tuple[list[str], list[str], list[SiteCut]]:
    """Articulation points, bridges (circuit ids) and per-site minimum cuts of the backbone."""
    mg = nx.MultiGraph()
    for c in topo.circuits.values():
        if not c.tail:
            mg.add_edge(c.a.device, c.b.device, key=c.id)
    simple = nx.Graph(mg)
    arts = sorted(nx.articulation_points(simple))
    bridges = sorted(
        k for u, v in nx.bridges(simple) if mg.number_of_edges(u, v) == 1 for k in mg[u][v]
    )
    flows = _Flows(topo)
    root = topo.root()
    cuts: list[SiteCut] = []
    for site in topo.sites.values():
        if site.tier not in (Tier.CITY, Tier.COUNTY):
            continue
        targets = {"province-core": list(root.devices)}
        if root.cloud:
            targets["province-cloud"] = list(topo.sites[root.cloud].devices)
        city = site if site.tier is Tier.CITY else topo.sites[site.parent or ""]
        if city.cloud:
            targets["city-cloud"] = list(topo.sites[city.cloud].devices)
        for tname, tdevs in targets.items():
            node, edge = flows.cuts(list(site.devices), tdevs)
            cuts.append(SiteCut(site.name, tname, node, edge))
    return arts, bridges, cuts


def township_risk(topo: Topology) -> dict[str, float]:
    """Single-homed townships (accepted by design): count and busy-hour traffic exposed."""
    ups = uplinks_by_site(topo)
    single = {s.name for s in topo.sites_of(Tier.TOWNSHIP) if len(ups.get(s.name, ())) < 2}
    exposed = sum(d.rate_bps for d in all_demands(topo) if d.owner in single)
    return {
        "townships": float(len(topo.sites_of(Tier.TOWNSHIP))),
        "single_homed": float(len(single)),
        "exposed_bps": float(exposed),
    }


def audit(topo: Topology) -> RedundancyReport:
    """Run every rule; findings listed in a site's ``accepted_risks`` become accepted."""
    findings: list[Finding] = []
    ups = uplinks_by_site(topo)
    for site in topo.sites.values():
        if site.tier in ABOVE:
            findings.extend(site_rules(topo, site, ups.get(site.name, [])))
    findings.extend(single_points(topo))
    findings = [_accept(topo, f) for f in findings]
    arts, bridges, cuts = graph_facts(topo)
    return RedundancyReport(findings, arts, bridges, cuts, township_risk(topo))


def _accept(topo: Topology, f: Finding) -> Finding:
    site = topo.sites[f.site]
    if f.rule in site.accepted_risks:
        return Finding(f.rule, f.site, f.message, f.elements, "accepted", f.clause)
    if site.tier is Tier.CLOUD or (site.tier is Tier.PROVINCE and f.rule == "single-point"):
        return Finding(f.rule, f.site, f.message, f.elements, "warning", f.clause)
    return f
