"""The SNMP client protocol both engines satisfy, its error, and their socket receive buffer.

Beside what it abstracts, and free of pysnmp: :mod:`poller.fastsnmp` (the default engine) and
:mod:`poller.cycle` import only this module, so ``egnet poll`` loads pysnmp only for
``--engine pysnmp``.
"""

from __future__ import annotations

import logging
import socket
from typing import Protocol

from poller.readings import DeviceReading, Target

logger = logging.getLogger(__name__)

DEFAULT_RCVBUF = 8 * 1024 * 1024


def set_rcvbuf(sock: socket.socket, size: int) -> int:
    """Ask for a ``size``-byte receive buffer (beyond ``net.core.rmem_max`` when root); return
    what the kernel granted (Linux reports twice the requested size)."""
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    try:
        if force is not None:
            sock.setsockopt(socket.SOL_SOCKET, force, size)
        else:  # pragma: no cover - non-Linux
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    except OSError:  # not root: capped at net.core.rmem_max
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    granted: int = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    if granted < size:
        logger.info("receive buffer %d bytes (asked %d; raise net.core.rmem_max)", granted, size)
    return granted


class SnmpClient(Protocol):
    """Reads one device; never raises for an unreachable agent (sets ``error`` instead)."""

    async def read_device(self, target: Target) -> DeviceReading:
        """Return the device's uptime and interface rows."""
        ...

    def close(self) -> None:
        """Release sockets."""
        ...


class SnmpReadError(Exception):
    """The agent answered with an error or not at all."""
