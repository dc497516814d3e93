"""The SNMP client registry: ``fast`` (:mod:`poller.fastsnmp`, default) and ``pysnmp``
(:mod:`poller.snmp`, the reference implementation); both satisfy
:class:`poller.snmp_client.SnmpClient`. pysnmp is imported only when its engine is chosen."""

from __future__ import annotations

from collections.abc import Callable

from poller.snmp_client import SnmpClient


def _fast() -> Callable[..., SnmpClient]:
    from poller.fastsnmp import FastClient

    return FastClient


def _pysnmp() -> Callable[..., SnmpClient]:
    from poller.snmp import PysnmpClient  # loads pysnmp and pyasn1 (~0.5 s)

    return PysnmpClient


ENGINES: dict[str, Callable[[], Callable[..., SnmpClient]]] = {"fast": _fast, "pysnmp": _pysnmp}
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
