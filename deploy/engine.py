"""The native deploy engine: render + audit everything first, then a staged, parallel rollout;
afterwards, optionally, a look at the forwarding paths (and a rollback when they differ from plan).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from configs.audit import AuditPolicy
from deploy.intent import Refusal, peers, prepare
from deploy.options import DeployOptions
from deploy.push import DeviceJob, RolloutContext, deploy_device
from deploy.result import DeployResult
from deploy.rollout import run_rollout
from deploy.verify import DriverFactory
from topology.diagnostics import OperationError
from topology.model import Topology
from topology.secrets import SecretSource

logger = logging.getLogger(__name__)

#: seconds of the commit-confirmed window kept free around the post-check (connect, commit, confirm)
WINDOW_MARGIN_S = 5.0

#: observe the forwarding paths now; return one message per sampled demand that differs from the
#: plan (``[]`` when all agree). Built by the CLI (the lab's kernel vs the planner's prediction):
#: deploy imports neither.
PathCheck = Callable[[], list[str]]


def resolve_options(topo: Topology, opts: DeployOptions) -> DeployOptions:
    """Fill in the post-check hold from the model and check it fits the commit-confirmed window.

    The hold is the OSPF dead + hello interval the configs run with (``topo.policy``), unless the
    options set one. The device's own rollback timer must outlast hold + verify timeout + a margin,
    or it would undo a good change while the check still runs.

    Raises:
        OperationError: the window is too short (nothing has been touched).
    """
    hold = opts.hold_s
    if hold is None:
        hold = float(topo.policy.ospf_dead_s + topo.policy.ospf_hello_s)
    need = hold + opts.verify_timeout + WINDOW_MARGIN_S
    if opts.commit and opts.revert_in < need:
        raise OperationError(
            f"--revert-in {opts.revert_in} s is shorter than the post-check: hold {hold:g} s "
            f"(OSPF dead {topo.policy.ospf_dead_s} s + hello {topo.policy.ospf_hello_s} s) + "
            f"--verify-timeout {opts.verify_timeout:g} s + {WINDOW_MARGIN_S:g} s\n"
            f"  hint: use --revert-in {int(need + 0.999)} or more"
        )
    return opts.model_copy(update={"hold_s": hold})


def refused_results(refused: list[Refusal], others: list[tuple[str, str]]) -> list[DeployResult]:
    """Results when any config is refused: the refusals, and every other device not attempted."""
    out = [
        DeployResult(device=r.hostname, platform=r.platform, stage=r.stage, error=r.reason)
        for r in refused
    ]
    why = f"not attempted: {len(refused)} config(s) refused by render/audit"
    out += [DeployResult(device=h, platform=p, stage="skipped", error=why) for h, p in others]
    return out


def deploy(
    topo: Topology,
    hosts: list[str],
    secrets: SecretSource,
    opts: DeployOptions,
    make: DriverFactory,
    overrides: dict[str, str] | None = None,
    policy: AuditPolicy | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[DeployResult]:
    """Deploy ``hosts``: refuse everything when any config fails render or audit.

    ``progress(1)`` is called (from worker threads) as each device finishes.

    Raises:
        OperationError: the options do not fit (see :func:`resolve_options`).
    """
    resolve_options(topo, opts)  # options that do not fit are refused before anything renders
    jobs, refused = prepare(topo, hosts, secrets, policy, overrides)
    if refused:
        return refused_results(refused, [(j.hostname, j.platform) for j in jobs])
    return deploy_jobs(topo, jobs, opts, make, progress)


def deploy_jobs(
    topo: Topology,
    jobs: list[DeviceJob],
    opts: DeployOptions,
    make: DriverFactory,
    progress: Callable[[int], None] | None = None,
) -> list[DeployResult]:
    """The staged rollout of prepared ``jobs`` (canaries, batches, commit-confirmed, post-check).

    Raises:
        OperationError: the options do not fit (see :func:`resolve_options`).
    """
    opts = resolve_options(topo, opts)
    ctx = RolloutContext()
    by_host = {j.hostname: j for j in jobs}
    platforms = {j.hostname: j.platform for j in jobs}

    def worker(host: str, batch: int) -> DeployResult:
        result = deploy_device(by_host[host], make, opts, ctx, batch)
        if progress:
            progress(1)
        return result

    return run_rollout([j.hostname for j in jobs], platforms, worker, opts)


class PathReport(BaseModel):
    """The forwarding-path check after a rollout."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mismatches: tuple[str, ...] = ()
    seconds: float = 0.0
    rolled_back: tuple[str, ...] = ()
    rollback_failed: tuple[str, ...] = ()


def watch_paths(check: PathCheck, timeout: float, interval: float = 1.0) -> list[str]:
    """Run ``check`` until the paths agree or ``timeout`` passes (routing may still converge);
    return the last mismatches."""
    deadline = time.monotonic() + timeout
    while True:
        mismatches = check()
        now = time.monotonic()
        if not mismatches or now >= deadline:
            return mismatches
        time.sleep(min(interval, deadline - now))


def restore_backups(
    topo: Topology, results: list[DeployResult], opts: DeployOptions, make: DriverFactory
) -> list[DeployResult]:
    """Put every device this rollout committed back to its backup (its config before), all in one
    batch, through the same pipeline (commit-confirmed, post-check, confirm)."""
    jobs = [
        DeviceJob(
            r.device, r.platform, Path(r.backup).read_text(encoding="utf-8"), peers(topo, r.device)
        )
        for r in results
        if r.committed and r.changed and r.backup
    ]
    if not jobs:
        return []
    every = opts.model_copy(update={"canary": 0, "batch": len(jobs), "max_failures": len(jobs)})
    ctx = RolloutContext()
    by_host = {j.hostname: j for j in jobs}

    def worker(host: str, batch: int) -> DeployResult:
        return deploy_device(by_host[host], make, every, ctx, batch)

    return run_rollout(list(by_host), {j.hostname: j.platform for j in jobs}, worker, every)


def check_paths(
    topo: Topology,
    results: list[DeployResult],
    opts: DeployOptions,
    make: DriverFactory,
    check: PathCheck,
) -> PathReport:
    """After a committed rollout, compare the forwarding paths with the plan; with
    ``opts.rollback_on_path_mismatch`` restore every committed device when they differ."""
    start = time.monotonic()
    mismatches = watch_paths(check, opts.verify_timeout)
    took = round(time.monotonic() - start, 3)
    if not mismatches or not opts.rollback_on_path_mismatch:
        return PathReport(mismatches=tuple(mismatches), seconds=took)
    logger.warning("forwarding paths differ from the plan: rolling the rollout back")
    restored = restore_backups(topo, results, resolve_options(topo, opts), make)
    return PathReport(
        mismatches=tuple(mismatches),
        seconds=took,
        rolled_back=tuple(r.device for r in restored if not r.failed),
        rollback_failed=tuple(f"{r.device}: {r.error}" for r in restored if r.failed),
    )
