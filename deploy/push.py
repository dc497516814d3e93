"""One device's deploy pipeline: back up, diff, check, commit-confirmed, verify, confirm or roll back."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from configs.diff import config_diff
from deploy.backup import save_backup
from deploy.drivers.base import CommandDriver, DriverError, Unreachable
from deploy.options import DeployOptions
from deploy.result import DeployResult
from deploy.verify import DriverFactory, post_check, wait_reachable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceJob:
    """A device to deploy: its intended config and its IGP peers (hostname → router id).

    With ``commands`` (a change record's remediation) the device gets exactly those commands
    (a merge, :class:`~deploy.drivers.base.CommandDriver`), not a replace by ``intended``;
    ``intended`` is then what the device should run afterwards.
    """

    hostname: str
    platform: str
    intended: str
    peers: dict[str, str] = field(default_factory=dict)
    commands: str = ""


class RolloutContext:
    """State shared by the devices of one rollout: which devices are confirmed in their new config."""

    def __init__(self) -> None:
        self._confirmed: set[str] = set()
        self._lock = threading.Lock()

    def confirm(self, hostname: str) -> None:
        """Record that ``hostname`` runs its intended config."""
        with self._lock:
            self._confirmed.add(hostname)

    def expected_peers(self, job: DeviceJob) -> frozenset[str]:
        """Router ids of the job's peers that already run their intended config."""
        with self._lock:
            return frozenset(rid for peer, rid in job.peers.items() if peer in self._confirmed)


class _Clock:
    def __init__(self) -> None:
        self.start = time.monotonic()
        self.mark = self.start
        self.timings: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.monotonic()
        self.timings[stage] = round(now - self.mark, 3)
        self.mark = now

    def done(self) -> dict[str, float]:
        self.timings["total"] = round(time.monotonic() - self.start, 3)
        return self.timings


def deploy_device(
    job: DeviceJob, make: DriverFactory, opts: DeployOptions, ctx: RolloutContext, batch: int = 0
) -> DeployResult:
    """Run the pipeline for one device and return its structured result (never raises)."""
    clock = _Clock()
    base = {"device": job.hostname, "platform": job.platform, "batch": batch}
    drv = make(job.hostname)
    try:
        drv.open()
        running = drv.get_running()
        clock.lap("backup")
        backup = str(save_backup(opts.backups, job.hostname, running))
        diff = config_diff(running, job.intended, job.platform, job.hostname)
        clock.lap("diff")
        if not diff or not opts.commit:
            if not diff:
                ctx.confirm(job.hostname)
            return DeployResult(
                **base,
                changed=bool(diff),
                diff=diff,
                backup=backup,
                stage="diff",
                timings=clock.done(),
            )
        # a merge is checked line by line by the device as it is typed (a refused line aborts it)
        problem = None if job.commands else drv.check(job.intended)
        clock.lap("check")
        if problem:
            return DeployResult(
                **base,
                changed=True,
                diff=diff,
                backup=backup,
                stage="check",
                error=f"syntax check refused the config: {problem[-400:]}",
                timings=clock.done(),
            )
        before = frozenset(r for r, s in drv.ospf_neighbors().items() if s == "Full")
    except DriverError as exc:
        return DeployResult(**base, error=str(exc), stage="connect", timings=clock.done())
    finally:
        drv.close()
    expected = expected_neighbors(job, before, ctx)
    base |= {"changed": True, "diff": diff, "backup": backup}
    return _commit(job, make, opts, ctx, base, clock, running, expected)


def expected_neighbors(
    job: DeviceJob, before: frozenset[str], ctx: RolloutContext
) -> frozenset[str]:
    """The neighbours the post-check requires: those the model intends (peers across the device's
    circuits) that were Full before, plus intended peers already running their intended config.

    A neighbour that is Full but not in the model is not required (and is logged).

    Examples:
        >>> job = DeviceJob("r1", "frr", "", {"r2": "2.2.2.2", "r3": "3.3.3.3", "r4": "4.4.4.4"})
        >>> ctx = RolloutContext()
        >>> ctx.confirm("r3")
        >>> sorted(expected_neighbors(job, frozenset({"2.2.2.2", "9.9.9.9"}), ctx))
        ['2.2.2.2', '3.3.3.3']
    """
    intended = frozenset(job.peers.values())
    stray = before - intended
    if stray:
        logger.warning(
            "%s: OSPF neighbours the model does not intend: %s", job.hostname, sorted(stray)
        )
    return (before & intended) | ctx.expected_peers(job)


def _commit(
    job: DeviceJob,
    make: DriverFactory,
    opts: DeployOptions,
    ctx: RolloutContext,
    base: dict[str, object],
    clock: _Clock,
    running: str,
    expected: frozenset[str],
) -> DeployResult:
    """Commit-confirmed, post-check, then confirm or roll back. ``base`` holds the result so far."""
    note, failed = _apply(make, job, opts.revert_in)
    clock.lap("commit")
    reason = "device refused the change" if failed else None
    reason = reason or post_check(
        make, job.hostname, expected, opts.verify_timeout, hold=opts.hold_s or 0.0
    )
    clock.lap("verify")
    reason = reason or _confirm(make, job.hostname)
    if reason is None:
        ctx.confirm(job.hostname)
        return DeployResult(**base, committed=True, stage="confirm", timings=clock.done())
    rolled, how = roll_back(make, job, running, opts)
    clock.lap("rollback")
    verdict = f"rolled back automatically ({how})" if rolled else f"ROLLBACK FAILED ({how})"
    error = f"post-check failed: {note}{reason}; {verdict}"
    stage = "commit" if failed else "verify"
    return DeployResult(**base, rolled_back=rolled, stage=stage, error=error, timings=clock.done())


def _apply(make: DriverFactory, job: DeviceJob, revert_in: int) -> tuple[str, bool]:
    """Send the commit-confirmed; return (note, refused). A lost session is not a refusal: the
    post-check decides."""
    drv = make(job.hostname)
    try:
        drv.open()
        if job.commands:
            if not isinstance(drv, CommandDriver):
                raise DriverError(
                    f"{job.hostname}: the {job.platform} driver cannot merge commands"
                )
            drv.commit_commands(job.commands, revert_in)
        else:
            drv.commit_confirmed(job.intended, revert_in)
    except Unreachable as exc:
        return f"session lost while committing ({exc}); ", False
    except DriverError as exc:
        return f"commit failed ({exc}); ", True
    finally:
        drv.close()
    return "", False


def _confirm(make: DriverFactory, hostname: str) -> str | None:
    """Confirm the pending change; return why it failed, or None."""
    drv = make(hostname)
    try:
        drv.open()
        drv.confirm()
    except DriverError as exc:
        return f"confirm failed: {exc}"
    finally:
        drv.close()
    return None


def roll_back(
    make: DriverFactory, job: DeviceJob, before: str, opts: DeployOptions
) -> tuple[bool, str]:
    """Restore ``before``: explicitly when the device answers, else wait for its own timer.

    Returns (restored, how) where restored means the running config equals ``before`` again.
    """
    how = "explicit rollback"
    drv = make(job.hostname)
    try:
        drv.open()
        drv.rollback()
    except Unreachable:
        how = "device unreachable; waited for its own commit timer"
        if not wait_reachable(make, job.hostname, opts.revert_in + 60):
            return False, how + ": still unreachable"
    except DriverError:
        how = "the device's commit timer had already restored the previous config"
    finally:
        drv.close()
    drv = make(job.hostname)
    try:
        drv.open()
        left = config_diff(before, drv.get_running(), job.platform)
    except DriverError as exc:
        return False, f"{how}; cannot read config back: {exc}"
    finally:
        drv.close()
    return (not left), how if not left else f"{how}; config still differs from backup"
