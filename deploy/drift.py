"""Drift: fetch each device's running config and report what differs from the intended config."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from configs.diff import config_diff
from configs.render import render_device
from deploy.drivers.base import DriverError
from deploy.result import DriftResult
from deploy.verify import DriverFactory
from topology.diagnostics import OperationError
from topology.model import Topology
from topology.secrets import SecretSource


def drift_one(topo: Topology, host: str, secrets: SecretSource, make: DriverFactory) -> DriftResult:
    """Compare one device's running config with its rendered intended config."""
    platform = topo.devices[host].platform
    drv = make(host)
    try:
        intended = render_device(topo, host, secrets)
        drv.open()
        running = drv.get_running()
    except (DriverError, OperationError) as exc:
        return DriftResult(device=host, platform=platform, drifted=False, diff="", error=str(exc))
    finally:
        drv.close()
    diff = config_diff(running, intended, platform, host)
    return DriftResult(device=host, platform=platform, drifted=bool(diff), diff=diff)


def drift(
    topo: Topology,
    hosts: list[str],
    secrets: SecretSource,
    make: DriverFactory,
    workers: int = 16,
    progress: Callable[[int], None] | None = None,
) -> list[DriftResult]:
    """Return one drift result per host, fetched in parallel (``progress(1)`` per host done)."""

    def one(host: str) -> DriftResult:
        result = drift_one(topo, host, secrets, make)
        if progress:
            progress(1)
        return result

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, hosts))
