"""The SNMP client registry: ``fast`` (:mod:`poller.fastsnmp`, default) and ``pysnmp``
(:mod:`poller.snmp`, the reference implementation); both satisfy :class:`poller.snmp.SnmpClient`."""

from __future__ import annotations

from collections.abc import Callable

from poller.fastsnmp import FastClient
from poller.snmp import PysnmpClient, SnmpClient

ENGINES: dict[str, Callable[..., SnmpClient]] = {"fast": FastClient, "pysnmp": PysnmpClient}
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
        factory = ENGINES[engine]
    except KeyError:
        raise ValueError(f"unknown SNMP engine '{engine}' (known: {', '.join(ENGINES)})") from None
    return factory(timeout=timeout, retries=retries, deadline=deadline)
