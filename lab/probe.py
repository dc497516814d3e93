"""Data-plane probes inside lab namespaces: ICMP echo and the kernel's forwarding path."""

from __future__ import annotations

import json
import os
import select
import socket
import struct
import time

from lab.netns import netns_socket
from lab.system import run


def checksum(data: bytes) -> int:
    """Return the Internet checksum of ``data``.

    Examples:
        >>> hex(checksum(bytes([8, 0, 0, 0, 0, 1, 0, 1])))
        '0xf7fd'
    """
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return int(~total & 0xFFFF)


def ping(netns: str, source: str, target: str, timeout: float = 1.0, tries: int = 2) -> bool:
    """Send ICMP echo from ``source`` (an address of the namespace) to ``target``; True on reply."""
    ident = (os.getpid() ^ hash((netns, target))) & 0xFFFF
    sock = netns_socket(netns, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    try:
        sock.bind((source, 0))
        for seq in range(1, tries + 1):
            header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
            payload = b"egnet-probe"
            packet = struct.pack("!BBHHH", 8, 0, checksum(header + payload), ident, seq) + payload
            try:
                sock.sendto(packet, (target, 0))
            except OSError:  # no route (yet): a failed probe, not an error
                time.sleep(timeout)
                continue
            if _await_reply(sock, target, ident, timeout):
                return True
        return False
    finally:
        sock.close()


def _await_reply(sock: socket.socket, target: str, ident: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return False
        data, addr = sock.recvfrom(2048)
        ihl = (data[0] & 0x0F) * 4
        kind, _, _, rid, _ = struct.unpack("!BBHHH", data[ihl : ihl + 8])
        if kind == 0 and rid == ident and addr[0] == target:
            return True
    return False


def route_get(
    netns: str, target: str, source: str | None = None, iif: str | None = None
) -> dict[str, str]:
    """Return the kernel's forwarding choice for ``target`` in ``netns`` (``ip -j route get``).

    With ``iif`` the lookup is the one for a packet from ``source`` arriving on ``iif`` (a transit
    router); without it, for a packet the router itself sends.
    """
    argv = ["ip", "-n", netns, "-j", "route", "get", target]
    if source:
        argv += ["from", source]
    if iif:
        argv += ["iif", iif]
    data = json.loads(run(argv).stdout)
    first: dict[str, str] = {k: str(v) for k, v in data[0].items() if not isinstance(v, list)}
    return first
