"""CLI commands of safe deployment: ``egnet deploy`` and ``egnet drift``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from deploy.drift import drift
from deploy.drivers.registry import driver_factory
from deploy.engine import PathCheck, PathReport, check_paths, deploy
from deploy.intent import select
from deploy.options import DeployOptions
from deploy.result import DeployResult, DriftResult, exit_code, summarise
from deploy.transport import Credentials
from egnet.output import console, emit_json, errconsole, info, table
from lab.manager import DEFAULT_ROOT, resolve_netns
from lab.netns import ns_wrapper, tcp_opener
from lab.paths import path_mismatches, sample_pairs
from topology import load_topology
from topology.model import Topology
from topology.secrets import Secrets


def _options(args: argparse.Namespace) -> DeployOptions:
    return DeployOptions(
        commit=args.commit,
        canary=args.canary,
        batch=args.batch,
        max_failures=args.max_failures,
        revert_in=args.revert_in,
        verify_timeout=args.verify_timeout,
        hold_s=args.hold,
        rollback_on_path_mismatch=args.rollback_on_path_mismatch,
        workers=args.workers,
        backups=Path(args.backups),
    )


def cmd_deploy(args: argparse.Namespace) -> int:
    """Render, audit, back up, diff and (with --commit) safely apply."""
    topo = load_topology(args.dir)
    hosts = select(topo, args.limit)
    opts = _options(args)
    secrets = Secrets()
    netns = resolve_netns(args.netns, topo, hosts, Path(args.lab_root))
    start = time.monotonic()
    if args.engine == "ansible":
        from deploy.ansible_engine import ansible_deploy

        results = ansible_deploy(
            topo, Path(args.dir), hosts, secrets, opts, ns_wrapper(netns), Path(args.ansible_dir)
        )
        paths = None
    else:
        make = driver_factory(topo, Credentials.from_secrets(secrets), tcp_opener(netns))
        results = deploy(topo, hosts, secrets, opts, make)
        check = _path_check(topo, args, hosts, results)
        paths = check_paths(topo, results, opts, make, check) if check else None
    report_deploy(results, args.json, opts.commit, time.monotonic() - start, paths)
    return exit_code(results) or (1 if paths and paths.mismatches else 0)


def _path_check(
    topo: Topology, args: argparse.Namespace, hosts: list[str], results: list[DeployResult]
) -> PathCheck | None:
    """The forwarding-path check after a committed rollout into the running lab: the kernels'
    paths for a sample of demands (the changed devices first) against the planner's prediction.
    None when there is nothing to check (dry run, failures, no change, not the lab, --check-paths 0).
    """
    changed = [r.device for r in results if r.committed and r.changed]
    if not (args.commit and args.check_paths and changed) or any(r.error for r in results):
        return None
    if resolve_netns("auto", topo, hosts, Path(args.lab_root)) is None:
        info("forwarding paths not checked: they are read from the running lab of this inventory")
        return None
    pairs = sample_pairs(topo, changed, args.check_paths)

    from planner.paths import predict_paths  # numpy/scipy: only when paths are checked

    def predict(src: str, dst: str) -> list[tuple[str, ...]]:
        return [p.devices for p in predict_paths(topo, src, dst)]

    return lambda: path_mismatches(topo, pairs, predict)


def report_deploy(
    results: list[DeployResult],
    as_json: bool,
    commit: bool,
    took: float,
    paths: PathReport | None = None,
) -> None:
    """Print results as JSON or as diffs plus a table (and the forwarding-path check, if any)."""
    if as_json:
        emit_json(
            {
                "commit": commit,
                "seconds": round(took, 3),
                "summary": summarise(results).model_dump(mode="json"),
                "results": [r.model_dump(mode="json") for r in results],
                "paths": None if paths is None else paths.model_dump(mode="json"),
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
    s = summarise(results)
    info(
        f"{s.devices} device(s), {s.changed} changed, {s.committed} committed, "
        f"{s.rolled_back} rolled back, {s.failed} failed, {s.skipped} skipped "
        f"(never attempted) in {took:.1f}s"
    )
    if paths is not None:
        _report_paths(paths)


def _report_paths(paths: PathReport) -> None:
    if not paths.mismatches:
        info(f"forwarding paths agree with the plan ({paths.seconds:.1f}s)")
        return
    for line in paths.mismatches:
        errconsole.print(f"path mismatch: {line}", markup=False)
    if paths.rolled_back or paths.rollback_failed:
        info(f"rolled back after the path mismatch: {', '.join(paths.rolled_back) or 'none'}")
    for line in paths.rollback_failed:
        errconsole.print(f"ROLLBACK FAILED: {line}", markup=False)


def cmd_drift(args: argparse.Namespace) -> int:
    """Report per device what differs between running and intended."""
    topo = load_topology(args.dir)
    hosts = select(topo, args.limit)
    secrets = Secrets()
    netns = resolve_netns(args.netns, topo, hosts, Path(args.lab_root))
    make = driver_factory(topo, Credentials.from_secrets(secrets), tcp_opener(netns))
    results = drift(topo, hosts, secrets, make)
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
    p.add_argument(
        "--hold",
        type=float,
        default=None,
        help="post-check watch after each commit (s; default: the model's OSPF dead + hello "
        "interval, so a change that breaks an adjacency at the dead interval is caught)",
    )
    p.add_argument(
        "--check-paths",
        type=int,
        default=4,
        metavar="N",
        help="after a committed rollout into the running lab, compare the forwarding paths of N "
        "sampled demands with the planner's prediction (0: off)",
    )
    p.add_argument(
        "--rollback-on-path-mismatch",
        action="store_true",
        help="restore every device of the rollout from its backup when the paths differ",
    )
    p.add_argument("--workers", type=int, default=16, help="devices in parallel")
    p.add_argument("--backups", default="build/backups", help="backup folder")
    p.add_argument("--ansible-dir", default="build/ansible", help="ansible-runner work folder")
    p.set_defaults(func=cmd_deploy)
    p = sub.add_parser("drift", help="report what differs between running and intended configs")
    _common(p)
    p.set_defaults(func=cmd_drift)
