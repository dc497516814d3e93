"""Post-change checks: the device still answers over management and its IGP neighbours are up.

A change can break an adjacency silently: a new OSPF key is only noticed when the neighbour's
dead interval expires (40 s by default), so a check right after the commit sees every neighbour
still Full. :func:`post_check` therefore watches for at least ``hold`` seconds (the model's OSPF
dead + hello interval) and passes only on an observation made after that.
"""

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
    hold: float = 0.0,
) -> str | None:
    """Poll a fresh management session until every expected neighbour is Full, ``hold`` seconds
    after the start at the earliest (then up to ``timeout`` more seconds for late adjacencies).

    Returns None when the checks pass, else the last reason they failed.
    """
    start = time.monotonic()
    deadline = start + hold + timeout
    reason = "no check ran"
    while True:
        drv = make(hostname)
        held = 0.0
        try:
            drv.open()
            missing = missing_neighbors(expected, drv.ospf_neighbors())
            held = time.monotonic() - start
            if not missing and held >= hold:
                return None
            reason = (
                f"OSPF neighbours not Full: {', '.join(missing)}"
                if missing
                else f"watching for the protocol timers ({held:.1f}/{hold:.1f} s)"
            )
        except DriverError as exc:
            reason = f"management check failed: {exc}"
        finally:
            drv.close()
        now = time.monotonic()
        if now >= deadline:
            return reason
        wait = interval if held >= hold else min(interval, start + hold - now)
        time.sleep(max(0.0, min(wait, deadline - now)))


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
