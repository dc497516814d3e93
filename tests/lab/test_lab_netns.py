"""lab.netns: the one way egnet enters a namespace (per socket, and for a whole process)."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from lab.netns import enter_netns, netns_socket, tcp_opener

ADDR = "192.0.2.77"  # TEST-NET-1, only ever on the scratch namespace's loopback


@pytest.fixture
def scratch_ns() -> Iterator[str]:
    """A namespace of this test only (removed by name, even when the test fails)."""
    ns = f"egx-ns-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "-n", ns, "addr", "add", f"{ADDR}/32", "dev", "lo"], check=True)
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


@pytest.mark.lab
def test_a_socket_opened_in_the_namespace_lives_there(scratch_ns: str) -> None:
    inside = netns_socket(scratch_ns, socket.SOCK_DGRAM)
    try:
        inside.bind((ADDR, 0))  # the address exists only in the scratch namespace
    finally:
        inside.close()
    outside = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the thread came back
    try:
        with pytest.raises(OSError):
            outside.bind((ADDR, 0))
    finally:
        outside.close()
    opener = tcp_opener(scratch_ns)
    assert opener is not None
    tcp = opener()
    try:
        tcp.bind((ADDR, 0))
        assert tcp.type == socket.SOCK_STREAM
    finally:
        tcp.close()


@pytest.mark.lab
def test_enter_netns_moves_the_process_and_its_threads(scratch_ns: str) -> None:
    script = (
        "import socket, threading, sys\n"
        "from lab.netns import enter_netns\n"
        f"enter_netns({scratch_ns!r})\n"
        "ok = []\n"
        "def bind():\n"
        "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"    s.bind(({ADDR!r}, 0)); ok.append(1); s.close()\n"
        "t = threading.Thread(target=bind); t.start(); t.join()\n"
        "sys.exit(0 if ok else 3)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr


def test_bad_namespace_names_are_refused_before_any_syscall() -> None:
    for name in ("", "../etc", "a/b", ".."):
        with pytest.raises(OSError):
            enter_netns(name)
        with pytest.raises(OSError):
            netns_socket(name)
