"""Side effects at the edge: running commands, inside or outside a network namespace."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from topology.diagnostics import OperationError

logger = logging.getLogger(__name__)

NETNS_DIR = Path("/run/netns")


class LabError(OperationError):
    """A lab operation failed (command error, missing privilege, foreign object in the way)."""

    exit_code = 1  # the operation failed on the host or network, not the input


def require_root(action: str) -> None:
    """Raise :class:`LabError` unless running as root."""
    if os.geteuid() != 0:
        raise LabError(
            f"lab {action}: needs root to create network namespaces, veth pairs and daemons "
            f"(running as uid {os.geteuid()})\n  hint: run as root, e.g. `sudo egnet lab {action} ...`"
        )


def run(
    argv: Sequence[str], check: bool = True, input_text: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``argv``; raise :class:`LabError` with its output when ``check`` and it fails."""
    logger.debug("run: %s", " ".join(argv))
    proc = subprocess.run(
        list(argv), capture_output=True, text=True, input=input_text, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise LabError(
            f"command failed ({proc.returncode}): {' '.join(argv)}\n"
            f"  {(proc.stderr or proc.stdout).strip()}"
        )
    return proc


def in_ns(namespace: str, argv: Sequence[str], hostname: str | None = None) -> list[str]:
    """Return ``argv`` wrapped to run in ``namespace`` (and its own UTS hostname when given).

    Examples:
        >>> in_ns("eg-r1", ["ip", "link"])
        ['ip', 'netns', 'exec', 'eg-r1', 'ip', 'link']
        >>> in_ns("eg-r1", ["zebra"], "r1")[4:]
        ['unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', 'r1', 'zebra']
    """
    prefix = ["ip", "netns", "exec", namespace]
    if hostname is None:
        return [*prefix, *argv]
    return [*prefix, "unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', hostname, *argv]


def namespaces() -> set[str]:
    """Return the names of the existing named network namespaces."""
    return {p.name for p in NETNS_DIR.iterdir()} if NETNS_DIR.is_dir() else set()


def ns_inode(namespace: str) -> int | None:
    """Return the inode of a named namespace (its identity), or None when it does not exist."""
    try:
        return (NETNS_DIR / namespace).stat().st_ino
    except OSError:
        return None


def pid_netns_inode(pid: int) -> int | None:
    """Return the network-namespace inode of process ``pid``, or None when it is gone."""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        return None


def read_pid(path: Path) -> int | None:
    """Return the PID in a pid file, or None."""
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def pid_alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
