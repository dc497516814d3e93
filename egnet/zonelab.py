"""CLI: ``egnet lab probe zones`` — the zones, the internet egress and a failover, with packets.

Registered under ``egnet lab`` by :mod:`egnet.lab_cmds` (one line there). Composes the lab's
zone emulation (:mod:`lab.zones`, :mod:`lab.zone_run`, :mod:`lab.probe_zones`) with the
planner's prediction of each site's egress and of the failover (:mod:`planner.egress`).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from egnet.output import emit_json, info, table
from lab.probe_zones import as_dicts, failover, internet, matrix, wait_converged
from lab.zone_run import zone_lab
from lab.zones import zone_plan
from planner.demandgen import targets
from planner.egress import egress_loads
from topology import load_inventory
from topology.model import Topology


def _expected_egress_site(topo: Topology, site: str) -> str | None:
    found = targets(topo, topo.sites[site])["egress"]
    return found.name if found is not None else None


def _failover_choice(topo: Topology, wanted: str | None) -> tuple[str, str] | None:
    """(egress to fail, site to watch): a lower level's egress by default, watched from its site."""
    if wanted is not None:
        return wanted, topo.egress[wanted].site
    root = topo.root().name
    below = [e for e in topo.egress.values() if e.site != root]
    pick = below[0] if below else next(iter(topo.egress.values()), None)
    return (pick.name, pick.site) if pick else None


def cmd_probe(args: argparse.Namespace) -> int:
    topo = load_inventory(args.dir).topology
    if args.fail is not None and args.fail not in topo.egress:
        info(f"error: unknown egress '{args.fail}' (known: {', '.join(topo.egress)})")
        return 2
    plan = zone_plan(topo)
    predicted = {e.site: e.failover_site for e in egress_loads(topo)}
    choice = _failover_choice(topo, args.fail)
    work = Path(tempfile.mkdtemp(prefix="egnet-zonelab-"))
    try:
        with zone_lab(plan, work):
            converged = wait_converged(plan)
            cells = matrix(plan)
            probes = internet(plan)
            fo = failover(plan, *choice) if choice else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    inet = []
    for p in probes:
        exp_site = _expected_egress_site(topo, p.site) if p.expected else None
        got_site = topo.egress[p.egress].site if p.egress in topo.egress else None
        inet.append(as_dicts([p])[0] | {"expected_egress_site": exp_site, "egress_site": got_site})
    bad = [c for c in cells if c.expected != c.observed]
    bad_inet = [
        p for p in inet
        if p["expected"] != p["observed"] or p["expected_egress_site"] != p["egress_site"]
    ]  # fmt: skip
    fo_ok = True
    if fo is not None:
        during = str(fo["during"])
        fo["egress_site_during"] = topo.egress[during].site if during in topo.egress else None
        fo["predicted_site"] = predicted.get(topo.egress[str(fo["egress"])].site)
        fo_ok = fo["egress_site_during"] == fo["predicted_site"] and fo["after"] == fo["before"]
    doc = {
        "schema": "egnet.zone-probe/1",
        "emulation": "VRF-lite: a namespace per (PE, zone), OSPF per zone, NAT in nftables",
        "converged_seconds": round(converged, 2),
        "matrix": as_dicts(cells),
        "internet": inet,
        "failover": fo,
        "mismatches": len(bad) + len(bad_inet) + (0 if fo_ok else 1),
    }
    if args.json:
        emit_json(doc)
    else:
        _print(cells, inet, fo)
    info(
        f"{len(cells)} cells ({sum(c.expected for c in cells)} allowed), {len(inet)} internet "
        f"probes, failover {'as predicted' if fo_ok else 'NOT as predicted'}; "
        f"{doc['mismatches']} mismatch(es)"
    )
    return 1 if doc["mismatches"] else 0


def _print(cells: list, inet: list[dict[str, object]], fo: dict[str, object] | None) -> None:  # type: ignore[type-arg]
    zones = sorted({c.src_zone for c in cells})
    srcs = sorted({(c.src_level, c.src_site, c.src_zone) for c in cells})
    dsts = sorted({(c.dst_level, c.dst_site, c.dst_zone) for c in cells})
    got = {((c.src_level, c.src_site, c.src_zone), (c.dst_level, c.dst_site, c.dst_zone)): c
           for c in cells}  # fmt: skip

    def mark(s: tuple[str, str, str], d: tuple[str, str, str]) -> str:
        c = got.get((s, d))
        if c is None:
            return "·"
        sym = "ok" if c.observed else "--"
        return sym if c.observed == c.expected else f"{sym}!"

    table(
        f"zone reachability (rows: source level/site/zone; zones: {', '.join(zones)}; ! = differs)",
        ["source", *[f"{d[0][:4]}/{d[2]}" for d in dsts]],
        [(f"{s[0]}/{s[1]}/{s[2]}", *[mark(s, d) for d in dsts]) for s in srcs],
    )
    table(
        "internet",
        ["site", "level", "zone", "expected", "observed", "egress", "expected egress site"],
        [
            (
                p["site"],
                p["level"],
                p["zone"],
                p["expected"],
                p["observed"],
                p["egress"] or "-",
                p["expected_egress_site"] or "-",
            )
            for p in inet
        ],
    )
    if fo is not None:
        table(
            "egress failover",
            ["failed", "site", "before", "during", "during site", "predicted", "after", "s"],
            [
                (
                    fo["egress"],
                    fo["site"],
                    fo["before"],
                    fo["during"],
                    fo["egress_site_during"],
                    fo["predicted_site"],
                    fo["after"],
                    fo["seconds"],
                )
            ],
        )


def register_probe(lab: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``egnet lab probe zones`` to the ``egnet lab`` subcommands."""
    q = lab.add_parser("probe", help="build the zone emulation, send packets, tear it down")
    q.add_argument("what", choices=["zones"])
    q.add_argument("dir", help="inventory folder, e.g. inventory/lab")
    q.add_argument("--json", action="store_true", help="JSON output")
    q.add_argument("--fail", help="the egress to fail (default: a lower level's first egress)")
    q.set_defaults(func=cmd_probe)
