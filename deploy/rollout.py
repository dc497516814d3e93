"""Staged rollout: canaries first, then batches in parallel, stopping at the failure budget."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from deploy.options import DeployOptions
from deploy.result import DeployResult

logger = logging.getLogger(__name__)

Worker = Callable[[str, int], DeployResult]


def plan_batches(hosts: Sequence[str], canary: int, batch: int) -> list[list[str]]:
    """Split ``hosts`` into the canary batch (if any) and batches of ``batch``.

    Examples:
        >>> plan_batches(["a", "b", "c", "d", "e"], 1, 2)
        [['a'], ['b', 'c'], ['d', 'e']]
        >>> plan_batches(["a", "b"], 0, 5)
        [['a', 'b']]
    """
    first = [list(hosts[:canary])] if canary else []
    rest = list(hosts[canary:])
    return first + [rest[i : i + batch] for i in range(0, len(rest), batch)]


BatchRunner = Callable[[list[str], int], list[DeployResult]]


def run_rollout(
    hosts: Sequence[str], platforms: dict[str, str], worker: Worker, opts: DeployOptions
) -> list[DeployResult]:
    """Run ``worker`` per device, the devices of a batch in parallel (see :func:`run_staged`)."""
    with ThreadPoolExecutor(max_workers=opts.workers) as pool:

        def run_batch(members: list[str], index: int) -> list[DeployResult]:
            return list(pool.map(lambda h: worker(h, index), members))

        return run_staged(hosts, platforms, run_batch, opts)


def run_staged(
    hosts: Sequence[str], platforms: dict[str, str], run_batch: BatchRunner, opts: DeployOptions
) -> list[DeployResult]:
    """Run the batches in order; stop when a canary fails or failures exceed the budget.

    A dry run has no stages: every device is diffed in one batch.
    """
    batches = plan_batches(hosts, opts.canary, opts.batch) if opts.commit else [list(hosts)]
    results: list[DeployResult] = []
    failures = 0
    for index, members in enumerate(batches):
        batch_results = run_batch(members, index)
        results.extend(batch_results)
        failures += sum(1 for r in batch_results if r.failed)
        is_canary = opts.commit and opts.canary > 0 and index == 0
        reason = _stop_reason(is_canary, batch_results, failures, opts.max_failures)
        if reason and index + 1 < len(batches):
            logger.warning("rollout stopped after batch %d: %s", index, reason)
            results.extend(_skipped(batches[index + 1 :], platforms, index + 1, reason))
            break
    return results


def _stop_reason(
    is_canary: bool, batch: list[DeployResult], failures: int, budget: int
) -> str | None:
    if is_canary and any(r.failed for r in batch):
        return "canary failed"
    if failures > budget:
        return f"{failures} failure(s) exceed the budget of {budget}"
    return None


def _skipped(
    batches: list[list[str]], platforms: dict[str, str], first: int, reason: str
) -> list[DeployResult]:
    return [
        DeployResult(
            device=h,
            platform=platforms[h],
            batch=first + i,
            stage="skipped",
            error=f"not attempted: rollout stopped ({reason})",
        )
        for i, members in enumerate(batches)
        for h in members
    ]
