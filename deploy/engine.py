"""The native deploy engine: render + audit everything first, then a staged, parallel rollout."""

from __future__ import annotations

import logging
from collections.abc import Callable

from configs.audit import AuditPolicy
from deploy.intent import Refusal, prepare
from deploy.options import DeployOptions
from deploy.push import RolloutContext, deploy_device
from deploy.result import DeployResult
from deploy.rollout import run_rollout
from deploy.verify import DriverFactory
from topology.model import Topology
from topology.secrets import SecretSource

logger = logging.getLogger(__name__)


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
    """
    jobs, refused = prepare(topo, hosts, secrets, policy, overrides)
    if refused:
        return refused_results(refused, [(j.hostname, j.platform) for j in jobs])
    ctx = RolloutContext()
    by_host = {j.hostname: j for j in jobs}
    platforms = {j.hostname: j.platform for j in jobs}

    def worker(host: str, batch: int) -> DeployResult:
        result = deploy_device(by_host[host], make, opts, ctx, batch)
        if progress:
            progress(1)
        return result

    return run_rollout([j.hostname for j in jobs], platforms, worker, opts)
