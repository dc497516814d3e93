"""CLI commands of safe deployment: ``egnet deploy`` and ``egnet drift``."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from configs.masking import Masker, MaskingFilter, RecordingSecrets
from deploy.backup_repo import BackupRepo, fetch_running, snapshot
from deploy.change import ChangeRefused, load_change
from deploy.change_run import run_change
from deploy.drift import drift
from deploy.drivers.base import DeviceDriver
from deploy.drivers.registry import driver_factory
from deploy.engine import PathCheck, PathReport, check_paths, deploy
from deploy.importer import ImportResult, import_running
from deploy.intent import select
from deploy.options import DeployOptions
from deploy.result import DeployResult, DriftResult, exit_code, summarise
from deploy.transport import Credentials, JumpHost, close_jumps
from deploy.verify import DriverFactory
from egnet.argtypes import integer, number
from egnet.output import console, emit_json, errconsole, info, table
from egnet.progress import progress_bar
from egnet.secrets_cmds import require_secrets
from lab.manager import DEFAULT_ROOT, resolve_netns
from lab.netns import ns_wrapper, tcp_opener
from lab.paths import path_mismatches, sample_pairs
from topology import load_topology
from topology.diagnostics import OperationError
from topology.model import Topology
from topology.secrets import Purpose, Secrets


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


def masked_secrets() -> tuple[RecordingSecrets, Masker]:
    """The run's secret source, remembering every value it resolves, and the masker that hides
    them (and every secret-bearing command) in all output; installs the log filter."""
    masker = Masker()
    root = logging.getLogger()
    for target in [root, *root.handlers]:
        for old in [f for f in target.filters if isinstance(f, MaskingFilter)]:
            target.removeFilter(old)  # one run, one masker (a process may run several commands)
        target.addFilter(MaskingFilter(masker))
    return RecordingSecrets(Secrets(), masker), masker


def _preflight(
    topo: Topology, secrets: RecordingSecrets, hosts: list[str], login: bool = True
) -> None:
    """Stop before any device is touched when a secret the run needs is missing or weak: the
    configs' secrets, and the shared login unless the run logs in otherwise (``--change`` uses
    the operator's personal account)."""
    purposes = [Purpose.RENDER, Purpose.DEPLOY] if login else [Purpose.RENDER]
    if isinstance(secrets.inner, Secrets):
        require_secrets(topo, secrets.inner, purposes, hosts)


def mask_deploy(r: DeployResult, m: Masker) -> DeployResult:
    """A deploy result with no secret in its diff or error."""
    return r.model_copy(update={"diff": m.mask(r.diff, r.platform), "error": _opt(m, r.error)})


def mask_drift(r: DriftResult, m: Masker) -> DriftResult:
    """A drift result with no secret in its diff or error."""
    return r.model_copy(update={"diff": m.mask(r.diff, r.platform), "error": _opt(m, r.error)})


def _opt(m: Masker, text: str | None) -> str | None:
    return None if text is None else m.mask(text)


def cmd_deploy(args: argparse.Namespace) -> int:
    """Render, audit, back up, diff and (with --commit) safely apply."""
    topo = load_topology(args.dir)
    hosts = select(topo, args.limit)
    opts = _options(args)
    secrets, masker = masked_secrets()
    _preflight(topo, secrets, hosts, login=not args.change)
    netns = resolve_netns(args.netns, topo, hosts, Path(args.lab_root))
    start = time.monotonic()
    if args.engine == "ansible":
        from deploy.ansible_engine import ansible_deploy

        results = ansible_deploy(
            topo, Path(args.dir), hosts, secrets, opts, ns_wrapper(netns), Path(args.ansible_dir)
        )
        paths = None
    elif args.change:
        return _deploy_change(args, topo, secrets, masker, opts, netns, start)
    else:
        make = driver_factory(topo, Credentials.from_secrets(secrets), tcp_opener(netns))
        with progress_bar("deploy", len(hosts), min_total=2) as tick:
            results = deploy(topo, hosts, secrets, opts, make, progress=tick)
        check = _path_check(topo, args, hosts, results)
        paths = check_paths(topo, results, opts, make, check) if check else None
    results = [mask_deploy(r, masker) for r in results]
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


def jump_host(topo: Topology, creds: Credentials) -> JumpHost | None:
    """The bastion the inventory names (``management.jump_host``), logged in as ``creds``."""
    m = topo.management
    if m.jump_host is None:
        return None
    return JumpHost(host=m.jump_host, port=m.jump_port, creds=creds)


def _deploy_change(
    args: argparse.Namespace,
    topo: Topology,
    secrets: RecordingSecrets,
    masker: Masker,
    opts: DeployOptions,
    netns: str | None,
    start: float,
) -> int:
    """``egnet deploy --change ID --changes REPO``: the change-controlled run."""
    if args.engine != "native":
        raise OperationError("--change runs with the native engine only")
    repo = BackupRepo(Path(args.changes))
    rec = load_change(repo, args.change)
    hosts = select(topo, args.limit) if args.limit else list(rec.devices)
    unknown = sorted(set(hosts) - set(topo.devices))
    if unknown:
        raise OperationError(f"change {rec.id} names devices not in the inventory: {unknown[:10]}")
    made: list[DriverFactory] = []

    def make(host: str) -> DeviceDriver:
        """The operator's login is resolved only once the change has passed its gate."""
        if not made:
            creds = Credentials.for_operator(secrets, rec.operator)
            made.append(driver_factory(topo, creds, tcp_opener(netns), jump=jump_host(topo, creds)))
        return made[0](host)

    try:
        results, outcome = run_change(
            topo,
            repo,
            rec,
            hosts,
            secrets,
            opts,
            make,
            deploy,
            lambda t: masker.mask(t),
            mask_commands=masker.mask,
        )
    except ChangeRefused as exc:
        info(f"refused: {exc} (recorded in {repo.path}/changes/{rec.id}.yaml)")
        return 1
    finally:
        close_jumps()
    results = [mask_deploy(r, masker) for r in results]
    report_deploy(results, args.json, opts.commit, time.monotonic() - start)
    info(
        f"change {rec.id}: {outcome.status} as {rec.operator}; backups {outcome.backup_before} "
        f"-> {outcome.backup_after}; recorded in {repo.path}/changes/{rec.id}.yaml"
    )
    return 0 if outcome.status == "done" else 1


def cmd_backup(args: argparse.Namespace) -> int:
    """Fetch every device's running config into the git backup repository."""
    topo = load_topology(args.dir)
    hosts = select(topo, args.limit)
    secrets, masker = masked_secrets()
    netns = resolve_netns(args.netns, topo, hosts, Path(args.lab_root))
    if args.operator:
        creds = Credentials.for_operator(secrets, args.operator)
    else:
        creds = Credentials.from_secrets(secrets)
    make = driver_factory(topo, creds, tcp_opener(netns), jump=jump_host(topo, creds))
    try:
        configs, errors = fetch_running(hosts, make, args.workers)
    finally:
        close_jumps()
    errors = {h: masker.mask(e) for h, e in errors.items()}
    repo = BackupRepo(Path(args.to))
    commit = snapshot(repo, configs, errors, "scheduled" if args.scheduled else "manual")
    if args.json:
        emit_json({"commit": commit, "devices": len(configs), "errors": errors})
    else:
        for h, e in sorted(errors.items()):
            info(f"{h}: not backed up: {e}")
        state = f"commit {commit}" if commit else "no change, no commit"
        info(f"{len(configs)} of {len(hosts)} device(s) backed up into {repo.path}: {state}")
    return 1 if errors else 0


def cmd_import(args: argparse.Namespace) -> int:
    """``egnet import running DIR --from REPO``: two-way drift from backed-up running configs."""
    topo = load_topology(args.dir)
    hosts = select(topo, args.limit)
    secrets, masker = masked_secrets()
    repo = BackupRepo(Path(args.source))
    if not (repo.path / "configs").is_dir():
        raise OperationError(f"{repo.path}: no configs/ folder (run `egnet backup` first)")
    results = [mask_import(r, masker) for r in import_running(topo, repo, hosts, secrets)]
    report_import(results, args.json)
    if any(r.status == "error" for r in results):
        return 2
    return 0 if all(r.status == "in_sync" for r in results) else 1


def mask_import(r: ImportResult, m: Masker) -> ImportResult:
    """An import result with every secret masked."""
    return r.model_copy(
        update={
            "unknown": tuple(m.mask(x, r.platform) for x in r.unknown),
            "missing": tuple(m.mask(x, r.platform) for x in r.missing),
            "error": _opt(m, r.error),
        }
    )


def report_import(results: list[ImportResult], as_json: bool) -> None:
    """Print the two-way drift per device."""
    if as_json:
        emit_json([r.model_dump(mode="json") for r in results])
        return
    for r in results:
        for line in r.unknown:
            console.print(f"{r.device}: device only (model does not know): {line}", markup=False)
        for line in r.missing:
            console.print(f"{r.device}: model only (device lacks): {line}", markup=False)
    table(
        "Import running",
        ["device", "status", "device only", "model only", "error"],
        ((r.device, r.status, len(r.unknown), len(r.missing), r.error or "") for r in results),
    )


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
    secrets, masker = masked_secrets()
    _preflight(topo, secrets, hosts)
    netns = resolve_netns(args.netns, topo, hosts, Path(args.lab_root))
    make = driver_factory(topo, Credentials.from_secrets(secrets), tcp_opener(netns))
    with progress_bar("drift", len(hosts), min_total=2) as tick:
        found = drift(topo, hosts, secrets, make, progress=tick)
    results = [mask_drift(r, masker) for r in found]
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
                changed_lines(r.diff),
                r.error or "",
            )
            for r in results
        ),
    )


def changed_lines(diff: str) -> int:
    """Lines a diff changes: ``+``/``-`` lines of a unified diff, or remediation commands.

    Examples:
        >>> changed_lines("--- a\\n+++ b\\n@@ -1 +1 @@\\n-x\\n+y\\n")
        2
        >>> changed_lines("# r1 remediation (running -> intended)\\nundo sysname a\\nsysname b\\n")
        2
    """
    lines = diff.splitlines()
    if lines and lines[0].startswith("# ") and "remediation" in lines[0]:
        return sum(1 for ln in lines[1:] if ln.strip() and ln.strip() not in ("quit", "exit"))
    return sum(1 for ln in lines if ln[:1] in "+-" and ln[:3] not in ("+++", "---"))


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
    p.add_argument(
        "--canary", type=integer(0, 10_000), default=1, help="devices committed alone first"
    )
    p.add_argument(
        "--batch", type=integer(1, 10_000), default=10, help="devices per batch after the canaries"
    )
    p.add_argument(
        "--max-failures", type=integer(0, 10_000), default=0, help="failures tolerated before stop"
    )
    p.add_argument("--engine", choices=["native", "ansible"], default="native")
    p.add_argument(
        "--revert-in", type=integer(1, 86_400), default=120, help="device rollback timer (s)"
    )
    p.add_argument(
        "--verify-timeout",
        type=number(0, 3600, above=True),
        default=30.0,
        help="post-check patience (s)",
    )
    p.add_argument(
        "--hold",
        type=number(0, 3600),
        default=None,
        help="post-check watch after each commit (s; default: the model's OSPF dead + hello "
        "interval, so a change that breaks an adjacency at the dead interval is caught)",
    )
    p.add_argument(
        "--check-paths",
        type=integer(0, 1000),
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
    p.add_argument("--workers", type=integer(1, 256), default=16, help="devices in parallel")
    p.add_argument("--backups", default="build/backups", help="backup folder")
    p.add_argument("--ansible-dir", default="build/ansible", help="ansible-runner work folder")
    p.add_argument("--change", help="run under this change record (approval, window, operator)")
    p.add_argument(
        "--changes", default="build/backup-repo", help="backup git repository holding changes/"
    )
    p.set_defaults(func=cmd_deploy)
    p = sub.add_parser("backup", help="keep every device's running config in a git repository")
    _common(p)
    p.add_argument("--to", default="build/backup-repo", help="backup git repository")
    p.add_argument("--operator", help="log in with this operator's personal account")
    p.add_argument("--workers", type=integer(1, 256), default=16, help="devices in parallel")
    p.add_argument("--scheduled", action="store_true", help="mark the commit as a scheduled run")
    p.set_defaults(func=cmd_backup)
    # `egnet import running` (cmd_import) is registered by egnet/import_cmds.py with `import csv`
    p = sub.add_parser("drift", help="report what differs between running and intended configs")
    _common(p)
    p.set_defaults(func=cmd_drift)
