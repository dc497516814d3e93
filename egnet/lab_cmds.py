"""CLI commands of the lab: ``egnet lab up|status|down``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from egnet.output import emit_json, info, table
from egnet.zonelab import register_probe
from lab.manager import DEFAULT_ROOT, down, status, up

LAB_VAULT_NAME = "lab-secrets.yaml"  # beside the lab root: build/lab-secrets.yaml


def cmd_up(args: argparse.Namespace) -> int:
    """Build (or complete) the lab for an inventory."""
    from egnet.secrets_cmds import lab_secrets
    from topology import load_topology

    start = time.monotonic()
    vault = Path(args.root).parent / LAB_VAULT_NAME
    secrets, generated = lab_secrets(load_topology(args.dir), vault)
    if generated:
        info(
            f"{vault}: generated lab secrets {', '.join(generated)} (mode 0600); for deploy and "
            f"poll on the lab: export EGNET_VAULT={vault}"
        )
    state = up(Path(args.dir), Path(args.root), secrets)
    took = time.monotonic() - start
    info(
        f"lab '{state.network}' is up: {len(state.devices)} routers, "
        f"{len(state.veths)} veth pairs, {len(state.processes)} daemons in {took:.1f}s "
        f"(NMS namespace {state.nms_namespace} at {state.nms_address})"
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Show every lab router's namespace, daemons, OSPF neighbours and stale kernel routes
    (``--repair``: re-install them first)."""
    rows = status(Path(args.root), repair=args.repair)
    if args.json:
        emit_json([r.model_dump(mode="json") for r in rows])
    elif not rows:
        info("no lab is up")
    else:
        table(
            "Lab routers",
            ["device", "namespace", "mgmt", "daemons", "#ospf full", "#stale routes"],
            (
                (
                    r.device,
                    r.namespace if r.namespace_ok else f"{r.namespace} (missing)",
                    r.mgmt_address,
                    " ".join(f"{d}{'' if ok else '(down)'}" for d, ok in sorted(r.daemons.items())),
                    "-" if r.ospf_full is None else r.ospf_full,
                    _stale_cell(r.stale_routes, r.repaired),
                )
                for r in rows
            ),
        )
    stale = sum(r.stale_routes or 0 for r in rows)
    repaired = sum(r.repaired or 0 for r in rows)
    if repaired:
        info(f"re-installed {repaired} stale route(s) in the kernels")
    if stale:
        info(
            f"{stale} route(s) differ between FRR and the kernel (stale ECMP groups)\n"
            "  hint: `egnet lab status --repair` re-installs them"
        )
    healthy = all(r.namespace_ok and all(r.daemons.values()) for r in rows)
    return 0 if healthy and not stale else 1


def _stale_cell(stale: int | None, repaired: int | None) -> str:
    """``3``, ``0 (2 repaired)`` or ``-`` when unknown.

    Examples:
        >>> _stale_cell(0, 2), _stale_cell(3, None), _stale_cell(None, None)
        ('0 (2 repaired)', '3', '-')
    """
    if stale is None:
        return "-"
    return f"{stale} ({repaired} repaired)" if repaired else str(stale)


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
    q.add_argument(
        "--repair",
        action="store_true",
        help="re-install routes whose kernel next hops differ from FRR's (stale ECMP groups)",
    )
    q.set_defaults(func=cmd_status)
    q = lab.add_parser("down", help="remove exactly what `lab up` recorded")
    q.add_argument("--root", default=str(DEFAULT_ROOT), help="lab folder (default build/lab)")
    q.add_argument("--list", dest="verbose_down", action="store_true", help="list what was removed")
    q.set_defaults(func=cmd_down)
    register_probe(lab)
