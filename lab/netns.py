"""Entering a named network namespace from Python: the one way egnet reaches lab management.

Both functions use ``setns(2)`` on ``/run/netns/<name>`` (what ``ip netns exec`` does, without a
child process). :func:`netns_socket` moves the calling thread only while it creates one socket (a
socket keeps the namespace it was created in), so deploy sessions and probes to different namespaces
can run side by side; :func:`enter_netns` moves the calling thread for good, so that everything it
opens and every thread it starts afterwards lives there (``egnet poll`` from the NMS namespace).
The CLI composition root hands these to ``deploy`` and ``poller``, which never import ``lab``.
"""

from __future__ import annotations

import ctypes
import functools
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from lab.system import in_ns

CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")
_libc = ctypes.CDLL(None, use_errno=True)
_lock = threading.Lock()

SocketOpener = Callable[[], socket.socket]


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def _open_ns(netns: str) -> int:
    if not netns or "/" in netns or netns in {".", ".."}:
        raise OSError(f"bad network namespace name {netns!r}")
    return os.open(NETNS_DIR / netns, os.O_RDONLY)


def netns_socket(
    netns: str | None, kind: int = socket.SOCK_STREAM, proto: int = 0
) -> socket.socket:
    """Return an IPv4 socket created inside ``netns`` (the calling thread's own when None)."""
    if netns is None:
        return socket.socket(socket.AF_INET, kind, proto)
    with _lock:
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            target = _open_ns(netns)
            try:
                _setns(target)
                try:
                    return socket.socket(socket.AF_INET, kind, proto)
                finally:
                    _setns(own)
            finally:
                os.close(target)
        finally:
            os.close(own)


def tcp_opener(netns: str | None) -> SocketOpener | None:
    """A factory of TCP sockets inside ``netns`` for deploy's transport (None: plain sockets).

    Examples:
        >>> tcp_opener(None) is None
        True
        >>> tcp_opener("eg-nms").func.__name__
        'netns_socket'
    """
    return None if netns is None else functools.partial(netns_socket, netns)


def ns_wrapper(netns: str | None) -> Callable[[list[str]], list[str]] | None:
    """A wrapper that runs a command inside ``netns`` (``ip netns exec``, as the lab runs its
    daemons), for programs egnet starts there (ansible-playbook); None: run as is.

    Examples:
        >>> ns_wrapper("eg-nms")(["ansible-playbook", "x.yml"])
        ['ip', 'netns', 'exec', 'eg-nms', 'ansible-playbook', 'x.yml']
        >>> ns_wrapper(None) is None
        True
    """
    return None if netns is None else functools.partial(in_ns, netns)


def enter_netns(netns: str) -> None:
    """Move the calling thread into ``netns`` for good (threads it starts later follow it)."""
    target = _open_ns(netns)
    try:
        _setns(target)
    finally:
        os.close(target)
