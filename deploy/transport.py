"""Reaching devices over management: credentials, and TCP sockets opened inside a namespace.

In the lab the management network lives in the NMS network namespace; the CLI passes an opener of
sockets created there (:func:`lab.netns.tcp_opener`; a socket keeps its namespace), so
paramiko/Netmiko connect through it with ``sock=``. Elsewhere the opener is None and sockets are
plain.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from topology.secrets import SecretSource

SocketOpener = Callable[[], socket.socket]


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
    opener: SocketOpener | None = None  # e.g. sockets inside the lab's NMS namespace (lab.netns)
    timeout: float = 10.0


def connect(ep: Endpoint) -> socket.socket:
    """Return a TCP connection to ``ep`` (raises ``OSError`` on failure)."""
    sock = ep.opener() if ep.opener else socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(ep.timeout)
    try:
        sock.connect((ep.host, ep.port))
    except OSError:
        sock.close()
        raise
    return sock
