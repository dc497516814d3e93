"""Post-change checks: the device still answers over management and its IGP neighbours are up."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from deploy.drivers.base import DeviceDriver, DriverError

logger = logging.getLogger(__name__)

DriverFactory = Callable[[str], DeviceDriver]


def missing_neighbors(expected: frozenset[str], seen: dict[str, str]) -> list[str]:
    """Return the expected neighbours that are not ``Full``, sorted.

    Examples:
        >>> missing_neighbors(frozenset({"1.1.1.1", "2.2.2.2"}), {"1.1.1.1": "Full"})
        ['2.2.2.2']
    """
    return sorted(n for n in expected if seen.get(n) != "Full")


def post_check(
    make: DriverFactory,
    hostname: str,
    expected: frozenset[str],
    timeout: float,
    interval: float = 1.0,
) -> str | None:
    """Poll a fresh management session until every expected neighbour is Full.

    Returns None when the checks pass, else the last reason they failed.
    """
    deadline = time.monotonic() + timeout
    reason = "no check ran"
    while True:
        drv = make(hostname)
        try:
            drv.open()
            missing = missing_neighbors(expected, drv.ospf_neighbors())
            if not missing:
                return None
            reason = f"OSPF neighbours not Full: {', '.join(missing)}"
        except DriverError as exc:
            reason = f"management check failed: {exc}"
        finally:
            drv.close()
        if time.monotonic() + interval > deadline:
            return reason
        time.sleep(interval)


def wait_reachable(
    make: DriverFactory, hostname: str, timeout: float, interval: float = 1.0
) -> bool:
    """Return True as soon as the device answers over management again (within ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        drv = make(hostname)
        try:
            drv.open()
            drv.get_running()
            return True
        except DriverError:
            time.sleep(interval)
        finally:
            drv.close()
    return False
