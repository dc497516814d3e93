"""Reaching devices over management: credentials, and TCP sockets opened inside a namespace.

In the lab the management network lives in the NMS network namespace; a socket created there
keeps that namespace, so paramiko/Netmiko connect through it with ``sock=``. Elsewhere the
namespace is None and sockets are plain.
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from topology.secrets import SecretSource

CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")
_libc = ctypes.CDLL(None, use_errno=True)
_lock = threading.Lock()


class Credentials(BaseModel):
    """Device login; from the environment or the vault (secrets ``ssh_username``, ``ssh_password``,
    optional ``ssh_key_file``), never from the inventory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    password: str
    key_file: str | None = None

    @classmethod
    def from_secrets(cls, secrets: SecretSource) -> Credentials:
        """Resolve the login; the key file is optional."""
        try:
            key: str | None = secrets.get("ssh_key_file")
        except Exception:
            key = None
        return cls(
            username=secrets.get("ssh_username"), password=secrets.get("ssh_password"), key_file=key
        )


class Endpoint(BaseModel):
    """Where a device answers: management address, port and the namespace to connect from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str
    port: int = 22
    netns: str | None = None
    timeout: float = 10.0


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def netns_socket(
    netns: str | None, kind: int = socket.SOCK_STREAM, proto: int = 0
) -> socket.socket:
    """Return an IPv4 socket created inside ``netns`` (the calling thread's own when None)."""
    if netns is None:
        return socket.socket(socket.AF_INET, kind, proto)
    with _lock:
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(NETNS_DIR / netns, os.O_RDONLY)
        try:
            _setns(target)
            try:
                return socket.socket(socket.AF_INET, kind, proto)
            finally:
                _setns(own)
        finally:
            os.close(own)
            os.close(target)


def connect(ep: Endpoint) -> socket.socket:
    """Return a TCP connection to ``ep`` (raises ``OSError`` on failure)."""
    sock = netns_socket(ep.netns)
    sock.settimeout(ep.timeout)
    try:
        sock.connect((ep.host, ep.port))
    except OSError:
        sock.close()
        raise
    return sock
