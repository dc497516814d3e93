"""CLI commands of safe deployment: ``egnet deploy`` and ``egnet drift``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from deploy.drift import drift
from deploy.drivers.registry import driver_factory
from deploy.engine import deploy
from deploy.intent import select
from deploy.options import DeployOptions
from deploy.result import DeployResult, DriftResult, exit_code
from deploy.transport import Credentials
from egnet.output import console, emit_json, info, table
from egnet.progress import progress_bar
from egnet.secrets_cmds import require_secrets
from lab.manager import DEFAULT_ROOT, resolve_netns
from topology import load_topology
from topology.secrets import Purpose, Secrets


def _options(args: argparse.Namespace) -> DeployOptions:
    return DeployOptions(
        commit=args.commit,
        canary=args.canary,
        batch=args.batch,
        max_failures=args.max_failures,
        revert_in=args.revert_in,
        verify_timeout=args.verify_timeout,
        workers=args.workers,
        backups=Path(args.backups),
    )


def cmd_deploy(args: argparse.Namespace) -> int:
    """Render, audit, back up, diff and (with --commit) safely apply."""
    topo = load_topology(args.dir)
    hosts = select(topo, args.limit)
    opts = _options(args)
    secrets = Secrets()
    require_secrets(topo, secrets, [Purpose.RENDER, Purpose.DEPLOY], hosts)
    netns = resolve_netns(args.netns, topo, hosts, Path(args.lab_root))
    start = time.monotonic()
    if args.engine == "ansible":
        from deploy.ansible_engine import ansible_deploy

        results = ansible_deploy(
            topo, Path(args.dir), hosts, secrets, opts, netns, Path(args.ansible_dir)
        )
    else:
        make = driver_factory(topo, Credentials.from_secrets(secrets), netns)
        with progress_bar("deploy", len(hosts), min_total=2) as tick:
            results = deploy(topo, hosts, secrets, opts, make, progress=tick)
    report_deploy(results, args.json, opts.commit, time.monotonic() - start)
    return exit_code(results)


def report_deploy(results: list[DeployResult], as_json: bool, commit: bool, took: float) -> None:
    """Print results as JSON or as diffs plus a table."""
    if as_json:
        emit_json(
            {
                "commit": commit,
                "seconds": round(took, 3),
                "results": [r.model_dump(mode="json") for r in results],
            }
        )
        return
    for r in results:
        if r.diff and not commit:
            console.print(r.diff, markup=False, highlight=False)
    table(
        "Deploy" + ("" if commit else " (dry run: add --commit to apply)"),
        ["device", "batch", "stage", "changed", "committed", "rolled back", "#s", "error"],
        (
            (
                r.device,
                r.batch,
                r.stage,
                r.changed,
                r.committed,
                r.rolled_back,
                r.timings.get("total", 0.0),
                r.error or "",
            )
            for r in results
        ),
    )
    failed = sum(1 for r in results if r.failed)
    info(
        f"{len(results)} device(s), {sum(r.changed for r in results)} changed, "
        f"{sum(r.committed for r in results)} committed, "
        f"{sum(r.rolled_back for r in results)} rolled back, {failed} failed in {took:.1f}s"
    )


def cmd_drift(args: argparse.Namespace) -> int:
    """Report per device what differs between running and intended."""
    topo = load_topology(args.dir)
    hosts = select(topo, args.limit)
    secrets = Secrets()
    require_secrets(topo, secrets, [Purpose.RENDER, Purpose.DEPLOY], hosts)
    netns = resolve_netns(args.netns, topo, hosts, Path(args.lab_root))
    make = driver_factory(topo, Credentials.from_secrets(secrets), netns)
    with progress_bar("drift", len(hosts), min_total=2) as tick:
        results = drift(topo, hosts, secrets, make, progress=tick)
    report_drift(results, args.json)
    if any(r.error for r in results):
        return 2
    return 1 if any(r.drifted for r in results) else 0


def report_drift(results: list[DriftResult], as_json: bool) -> None:
    """Print drift results."""
    if as_json:
        emit_json([r.model_dump(mode="json") for r in results])
        return
    for r in results:
        if r.diff:
            console.print(r.diff, markup=False, highlight=False)
    table(
        "Drift",
        ["device", "drifted", "#lines", "error"],
        (
            (
                r.device,
                r.drifted,
                sum(
                    1
                    for ln in r.diff.splitlines()
                    if ln[:1] in "+-" and ln[:3] not in ("+++", "---")
                ),
                r.error or "",
            )
            for r in results
        ),
    )


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="inventory folder")
    p.add_argument("--limit", help="glob(s) of hostnames, comma-separated")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.add_argument(
        "--netns",
        default="auto",
        help="namespace to reach management from: auto (the lab's NMS when the lab "
        "of this inventory is up), none, or a name",
    )
    p.add_argument("--lab-root", default=str(DEFAULT_ROOT), help="lab folder for --netns auto")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``egnet deploy`` and ``egnet drift``."""
    p = sub.add_parser("deploy", help="render, audit, back up, diff and safely apply configs")
    _common(p)
    p.add_argument("--commit", action="store_true", help="apply (default: dry run, show diffs)")
    p.add_argument("--canary", type=int, default=1, help="devices committed alone first")
    p.add_argument("--batch", type=int, default=10, help="devices per batch after the canaries")
    p.add_argument("--max-failures", type=int, default=0, help="failures tolerated before stop")
    p.add_argument("--engine", choices=["native", "ansible"], default="native")
    p.add_argument("--revert-in", type=int, default=120, help="device rollback timer (s)")
    p.add_argument("--verify-timeout", type=float, default=30.0, help="post-check patience (s)")
    p.add_argument("--workers", type=int, default=16, help="devices in parallel")
    p.add_argument("--backups", default="build/backups", help="backup folder")
    p.add_argument("--ansible-dir", default="build/ansible", help="ansible-runner work folder")
    p.set_defaults(func=cmd_deploy)
    p = sub.add_parser("drift", help="report what differs between running and intended configs")
    _common(p)
    p.set_defaults(func=cmd_drift)
