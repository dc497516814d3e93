"""The SNMP client registry of ``egnet poll``: only ``fast`` (:mod:`poller.fastsnmp`), the engine
that checks every reply field RFC 3412/3414 define (issue 9 §2).

pysnmp 7.1 was offered here as a reference engine until it was found to take replies from another
source address or port and authenticated replies outside the time window; it is now only a
comparison peer for tests and benchmarks (:mod:`testing.pysnmp_client`), never a poll engine.
"""

from __future__ import annotations

from collections.abc import Callable

from poller.snmp_client import SnmpClient


def _fast() -> Callable[..., SnmpClient]:
    from poller.fastsnmp import FastClient

    return FastClient


ENGINES: dict[str, Callable[[], Callable[..., SnmpClient]]] = {"fast": _fast}
DEFAULT_ENGINE = "fast"


def make_client(
    engine: str = DEFAULT_ENGINE, timeout: float = 2.0, retries: int = 1, deadline: float = 20.0
) -> SnmpClient:
    """Return a client of the named engine (create it inside the running event loop).

    Examples:
        >>> type(make_client("fast")).__name__
        'FastClient'
    """
    try:
        factory = ENGINES[engine]()
    except KeyError:
        raise ValueError(f"unknown SNMP engine '{engine}' (known: {', '.join(ENGINES)})") from None
    return factory(timeout=timeout, retries=retries, deadline=deadline)
