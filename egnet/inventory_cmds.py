"""CLI commands of the source of truth: validate, inspect, export, ipam."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

import yaml

from egnet.output import console, emit_json, info, table
from topology import load_inventory
from topology.cloud import CSV_FIELDS, border_document, border_rows, cloud_borders
from topology.diagnostics import safe_text
from topology.export import ansible_ini, graph_json, graphml
from topology.model import Topology
from topology.summary import summarize


def load_warning(folder: str | Path) -> Topology:
    """Load an inventory for a command; warn on stderr when its IPAM lock is out of date."""
    res = load_inventory(folder)
    if not res.lock_current:
        info(
            f"{res.lock_path}: warning: lock is out of date ({res.new_allocations} new, "
            f"{res.dropped_allocations} dropped allocations); results use unlocked addresses\n"
            f"  hint: run `egnet ipam sync {folder}` and commit the lock"
        )
    return res.topology


def cmd_validate(args: argparse.Namespace) -> int:
    res = load_inventory(args.dir)
    summary = summarize(res.topology)
    summary["ipam"] = {
        "lock_current": res.lock_current,
        "new": res.new_allocations,
        "dropped": res.dropped_allocations,
    }
    if args.json:
        emit_json(summary)
    else:
        _print_summary(summary)
    if not res.lock_current:
        warning = (
            f"{res.lock_path}: warning: lock is out of date ({res.new_allocations} new, "
            f"{res.dropped_allocations} dropped allocations)\n  hint: run `egnet ipam sync {args.dir}` "
            "and commit the lock"
        )
        # with --json stdout holds only the JSON; otherwise the verdict and warnings go with the tables
        if args.json:
            info(warning)
        else:
            console.print(warning, markup=False)
    return 0


def _print_summary(s: dict[str, Any]) -> None:
    console.print(
        f"{s['network']['label']} ({s['network']['name']}): inventory is valid", markup=False
    )
    table("Sites per tier", ["tier", "#sites"], s["sites"].items())
    table("County-level nodes per kind", ["kind", "#nodes"], s["county_kinds"].items())
    table("Devices", ["role", "#devices"], s["devices"]["by_role"].items())
    table("Devices per platform", ["platform", "#devices"], s["devices"]["by_platform"].items())
    table(
        "Circuits",
        ["type", "carrier", "#circuits"],
        ((t, c, n) for t, by in s["circuits"]["by_type_carrier"].items() for c, n in by.items()),
    )
    r = s["redundancy"]
    table("Cores per site above township", ["cores", "#sites"], r["cores_per_site"].items())


def cmd_inspect(args: argparse.Namespace) -> int:
    topo = load_inventory(args.dir).topology
    data: Any
    if args.device:
        dev = topo.devices.get(args.device)
        if dev is None:
            info(f"error: unknown device {safe_text(repr(args.device), 80)}")
            return 2
        data = dev.model_dump(mode="json")
        data["circuits"] = [c.model_dump(mode="json") for c in topo.circuits_of(args.device)]
    elif args.site:
        site = topo.sites.get(args.site)
        if site is None:
            info(f"error: unknown site {safe_text(repr(args.site), 80)}")
            return 2
        data = site.model_dump(mode="json")
    else:
        data = topo.model_dump(mode="json")
    if args.yaml:
        print(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), end="")
    else:
        emit_json(data)
    return 0


def _export_cloud(topo: Topology, out: Path, fmt: str) -> int:
    """Write the government-cloud border document; exit 1 when a cloud has problems."""
    out.parent.mkdir(parents=True, exist_ok=True)
    borders = cloud_borders(topo)
    if fmt == "csv":
        with out.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
            w.writeheader()
            w.writerows(border_rows(borders))
    else:
        out.write_text(json.dumps(border_document(topo), ensure_ascii=False, indent=1), "utf-8")
    problems = [p for b in borders for p in b.problems]
    for p in problems:
        info(f"finding: {p}")
    info(f"wrote {out} ({len(borders)} cloud(s), {len(problems)} problem(s))")
    return 1 if problems else 0


def cmd_export(args: argparse.Namespace) -> int:
    topo = load_inventory(args.dir).topology
    out = Path(args.output)
    fmt = args.format or {"graph": "graphml", "cloud": "json"}.get(args.kind, "")
    allowed = {
        "graph": ("graphml", "json"),
        "cloud": ("json", "csv"),
        "ansible": ("",),
        "netbox": ("",),
    }
    if fmt not in allowed[args.kind] and args.format is not None:
        info(f"error: --format {args.format} does not apply to '{args.kind}'")
        return 2
    if args.kind == "cloud":
        return _export_cloud(topo, out, fmt)
    if args.kind == "ansible":
        out.mkdir(parents=True, exist_ok=True)
        (out / "hosts.ini").write_text(ansible_ini(topo), encoding="utf-8")
        stale = out / "hosts.yml"  # the YAML form of older versions would be read as well
        if stale.is_file() and stale.read_text(encoding="utf-8").startswith("all:"):
            stale.unlink()
        info(f"wrote {out / 'hosts.ini'} ({len(topo.devices)} hosts)")
    elif args.kind == "netbox":
        from topology.netbox import netbox_tables, to_csv

        out.mkdir(parents=True, exist_ok=True)
        tables = netbox_tables(topo)
        for name, rows in tables.items():
            (out / name).write_text(to_csv(rows), encoding="utf-8")
        counts = ", ".join(f"{name[3:-4]} {len(rows)}" for name, rows in tables.items())
        info(f"wrote {len(tables)} NetBox import files to {out} ({counts})")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        text = (
            graphml(topo)
            if fmt == "graphml"
            else json.dumps(graph_json(topo), ensure_ascii=False, indent=1)
        )
        out.write_text(text, encoding="utf-8")
        info(f"wrote {out} ({len(topo.devices)} nodes, {len(topo.circuits)} edges)")
    return 0


def cmd_ipam(args: argparse.Namespace) -> int:
    res = load_inventory(args.dir)
    if res.lock_current:
        info(f"{res.lock_path}: up to date")
        return 0
    if args.check:
        info(
            f"{res.lock_path}: out of date ({res.new_allocations} new, {res.dropped_allocations} dropped)"
        )
        return 1
    res.lock_path.write_text(res.lock.dumps(), encoding="utf-8")
    info(f"{res.lock_path}: wrote ({res.new_allocations} new, {res.dropped_allocations} dropped)")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="validate an inventory and print its summary")
    p.add_argument("dir", help="inventory folder")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("inspect", help="print the resolved model (JSON by default)")
    p.add_argument("dir", help="inventory folder")
    p.add_argument("--device", help="only this device (with its circuits)")
    p.add_argument("--site", help="only this site")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="JSON output (default)")
    g.add_argument("--yaml", action="store_true", help="YAML output")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("export", help="export the model for other tools")
    p.add_argument(
        "kind",
        choices=["ansible", "graph", "cloud", "netbox"],
        help="ansible: OUT/hosts.ini inventory; graph: a GraphML/JSON file; cloud: the "
        "government-cloud border file; netbox: bulk-import CSV files in OUT/",
    )
    p.add_argument("dir", help="inventory folder")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="output folder (ansible, netbox) or file (graph, cloud)",
    )
    p.add_argument(
        "--format",
        choices=["graphml", "json", "csv"],
        help="graph: graphml (default) or json; cloud: json (default) or csv",
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("ipam", help="address allocation lock file")
    p.add_argument("action", choices=["sync"], help="sync: write DIR/ipam.lock.json")
    p.add_argument("dir", help="inventory folder")
    p.add_argument(
        "--check", action="store_true", help="exit 1 if the lock is out of date; write nothing"
    )
    p.set_defaults(func=cmd_ipam)
