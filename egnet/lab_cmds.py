"""CLI commands of the lab: ``egnet lab up|status|down``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from egnet.output import emit_json, info, table
from egnet.zonelab import register_probe
from lab.manager import DEFAULT_ROOT, down, status, up


def cmd_up(args: argparse.Namespace) -> int:
    """Build (or complete) the lab for an inventory."""
    start = time.monotonic()
    state = up(Path(args.dir), Path(args.root))
    took = time.monotonic() - start
    info(
        f"lab '{state.network}' is up: {len(state.devices)} routers, "
        f"{len(state.veths)} veth pairs, {len(state.processes)} daemons in {took:.1f}s "
        f"(NMS namespace {state.nms_namespace} at {state.nms_address})"
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Show every lab router's namespace, daemons and OSPF neighbours."""
    rows = status(Path(args.root))
    if args.json:
        emit_json([r.model_dump(mode="json") for r in rows])
    elif not rows:
        info("no lab is up")
    else:
        table(
            "Lab routers",
            ["device", "namespace", "mgmt", "daemons", "#ospf full"],
            (
                (
                    r.device,
                    r.namespace if r.namespace_ok else f"{r.namespace} (missing)",
                    r.mgmt_address,
                    " ".join(f"{d}{'' if ok else '(down)'}" for d, ok in sorted(r.daemons.items())),
                    "-" if r.ospf_full is None else r.ospf_full,
                )
                for r in rows
            ),
        )
    healthy = all(r.namespace_ok and all(r.daemons.values()) for r in rows)
    return 0 if healthy else 1


def cmd_down(args: argparse.Namespace) -> int:
    """Remove exactly what ``lab up`` created."""
    removed = down(Path(args.root))
    info(f"lab down: removed {len(removed)} objects" if removed else "no lab is up")
    for line in removed if args.verbose_down else ():
        info(f"  {line}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``egnet lab``."""
    p = sub.add_parser("lab", help="network-namespace lab of an all-FRR inventory (needs root)")
    lab = p.add_subparsers(dest="lab_command", required=True, metavar="ACTION")
    q = lab.add_parser("up", help="create namespaces, veths, FRR, sshd and snmpd (idempotent)")
    q.add_argument("dir", help="inventory folder, e.g. inventory/lab")
    q.add_argument("--root", default=str(DEFAULT_ROOT), help="lab folder (default build/lab)")
    q.set_defaults(func=cmd_up)
    q = lab.add_parser("status", help="show the lab routers and their daemons")
    q.add_argument("--root", default=str(DEFAULT_ROOT), help="lab folder (default build/lab)")
    q.add_argument("--json", action="store_true", help="JSON output")
    q.set_defaults(func=cmd_status)
    q = lab.add_parser("down", help="remove exactly what `lab up` recorded")
    q.add_argument("--root", default=str(DEFAULT_ROOT), help="lab folder (default build/lab)")
    q.add_argument("--list", dest="verbose_down", action="store_true", help="list what was removed")
    q.set_defaults(func=cmd_down)
    register_probe(lab)
