"""Reaching devices over management: credentials, and TCP sockets opened inside a namespace.

In the lab the management network lives in the NMS network namespace; the CLI passes an opener of
sockets created there (:func:`lab.netns.tcp_opener`; a socket keeps its namespace), so
paramiko/Netmiko connect through it with ``sock=``. Elsewhere the opener is None and sockets are
plain.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import paramiko
from pydantic import BaseModel, ConfigDict, Field

from topology.secrets import SecretSource

_lock = threading.Lock()

SocketOpener = Callable[[], socket.socket]


class Credentials(BaseModel):
    """Device login; from the environment or the vault (secrets ``ssh_username``, ``ssh_password``,
    optional ``ssh_key_file``), never from the inventory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    password: str = Field(repr=False)
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

    @classmethod
    def for_operator(cls, secrets: SecretSource, operator: str) -> Credentials:
        """The operator's personal login: user ``operator`` with secret
        ``user_<operator>_password`` and optional ``user_<operator>_key_file`` (no shared login)."""
        try:
            key: str | None = secrets.get(f"user_{operator}_key_file")
        except Exception:
            key = None
        try:
            password = secrets.get(f"user_{operator}_password")
        except Exception:
            if key is None:
                raise
            password = ""
        return cls(username=operator, password=password, key_file=key)


class JumpHost(BaseModel):
    """A bastion that forwards SSH to the devices (``direct-tcpip``), logged in as the operator."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str
    port: int = 22
    creds: Credentials


class Endpoint(BaseModel):
    """Where a device answers: management address, port and the namespace to connect from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str
    port: int = 22
    opener: SocketOpener | None = None  # e.g. sockets inside the lab's NMS namespace (lab.netns)
    timeout: float = 10.0
    jump: JumpHost | None = None


_jumps: dict[tuple[str, int, str], paramiko.Transport] = {}


def _jump_transport(ep: Endpoint, jump: JumpHost) -> paramiko.Transport:
    """One authenticated SSH session per bastion and operator, shared by every device session;
    the bastion is reached the way the devices would be (same namespace)."""
    key = (jump.host, jump.port, jump.creds.username)
    with _lock:
        cached = _jumps.get(key)
        if cached is not None and cached.is_active():
            return cached
    sock = _tcp(ep.model_copy(update={"host": jump.host, "port": jump.port, "jump": None}))
    transport = paramiko.Transport(sock)
    try:
        pkey = paramiko.PKey.from_path(jump.creds.key_file) if jump.creds.key_file else None
        transport.connect(username=jump.creds.username, password=jump.creds.password, pkey=pkey)
    except (paramiko.SSHException, OSError) as exc:
        transport.close()
        raise OSError(f"jump host {jump.host}:{jump.port}: {exc}") from exc
    with _lock:
        _jumps[key] = transport
    return transport


def close_jumps() -> None:
    """Close every bastion session (end of a run)."""
    with _lock:
        for t in _jumps.values():
            t.close()
        _jumps.clear()


def connect(ep: Endpoint) -> socket.socket | paramiko.Channel:
    """Return a stream to ``ep``'s SSH port: a TCP socket, or a ``direct-tcpip`` channel through
    the jump host when ``ep`` names one (raises ``OSError`` on failure)."""
    if ep.jump is None:
        return _tcp(ep)
    transport = _jump_transport(ep, ep.jump)
    try:
        chan = transport.open_channel(
            "direct-tcpip", (ep.host, ep.port), ("127.0.0.1", 0), timeout=ep.timeout
        )
    except (paramiko.SSHException, OSError) as exc:
        raise OSError(f"{ep.host}:{ep.port} via jump host {ep.jump.host}: {exc}") from exc
    chan.settimeout(ep.timeout)
    return chan


def _tcp(ep: Endpoint) -> socket.socket:
    sock = ep.opener() if ep.opener else socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(ep.timeout)
    try:
        sock.connect((ep.host, ep.port))
    except OSError:
        sock.close()
        raise
    return sock
