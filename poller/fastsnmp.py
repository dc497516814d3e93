"""A lean asyncio SNMP client for interface-table walks (v2c and v3 authPriv SHA/AES-128).

It implements the same :class:`poller.snmp_client.SnmpClient` protocol as the pysnmp-based
:class:`poller.snmp.PysnmpClient` and returns identical readings (the tests compare both against the
same agents), but encodes and decodes with :mod:`poller.ber` instead of pyasn1, which is what makes
a Python poller faster than net-snmp's ``snmpbulkwalk`` (see ``benchmarks/bench_poller.py``).

One UDP socket (large receive buffer) serves every device; replies are routed by request/message id.
SNMPv3 engine discovery (RFC 3414 §4) runs once per agent; a ``notInTimeWindow`` report
resynchronises the clock and the request is retried.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from poller import ber, usm
from poller.oids import COLUMNS, SYS_UPTIME, parse_oid
from poller.readings import Credentials, DeviceReading, IfReading, Target
from poller.snmp_client import DEFAULT_RCVBUF, SnmpReadError, set_rcvbuf

logger = logging.getLogger(__name__)

_UPTIME = ber.oid_body(parse_oid(SYS_UPTIME))
_REPORT_NAMES = {
    usm.NOT_IN_TIME_WINDOW: "notInTimeWindow",
    usm.UNKNOWN_ENGINE_ID: "unknownEngineID",
    ber.oid_body((1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0)): "unknownUserName",
    ber.oid_body((1, 3, 6, 1, 6, 3, 15, 1, 1, 5, 0)): "wrongDigest",
    ber.oid_body((1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0)): "decryptionError",
    ber.oid_body((1, 3, 6, 1, 6, 3, 15, 1, 1, 1, 0)): "unsupportedSecLevel",
}


def message_id(buf: bytes) -> int:
    """Return the id that routes a reply: request-id (v2c) or msgID (v3).

    Examples:
        >>> message_id(ber.v2c_message(b"x", ber.get_pdu(4242)))
        4242
    """
    start, _ = ber.expect(buf, 0, ber.SEQUENCE)
    version, p = ber.read_int(buf, start)
    if version == 3:
        gstart, _ = ber.expect(buf, p, ber.SEQUENCE)
        return ber.read_int(buf, gstart)[0]
    _, p = ber.read_octets(buf, p)
    _, pstart, _ = ber.header(buf, p)
    return ber.read_int(buf, pstart)[0]


class _Proto(asyncio.DatagramProtocol):
    def __init__(self, pending: dict[int, asyncio.Future[bytes]]) -> None:
        self.pending = pending

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            fut = self.pending.get(message_id(data))
        except ber.BerError:
            logger.debug("undecodable datagram from %s", addr)
            return
        if fut is not None and not fut.done():
            fut.set_result(data)

    def error_received(self, exc: Exception) -> None:
        logger.debug("socket error: %s", exc)


@dataclass
class _Engine:
    """What we know about one agent's SNMPv3 engine."""

    engine_id: bytes
    boots: int
    time: int
    at: float

    def clock(self) -> int:
        return self.time + int(time.monotonic() - self.at)


@lru_cache(maxsize=4096)
def _keys(cred: Credentials, engine_id: bytes) -> usm.UsmKeys:
    return usm.keys_for(cred.user, cred.auth_key, cred.priv_key, engine_id)


class _Columns:
    """Raw-bytes walk state over the interface columns of one device."""

    def __init__(self) -> None:
        self.prefix = {n: ber.oid_body(parse_oid(o)) for n, o in COLUMNS.items()}
        self.cursor = dict(self.prefix)
        self.active = list(COLUMNS)
        self.rows: dict[int, dict[str, tuple[int, bytes]]] = {}
        self.uptime: int | None = None

    def absorb(self, vbs: Sequence[tuple[bytes, int, bytes]], non_rep: int) -> None:
        if non_rep and vbs:
            self.uptime = int.from_bytes(vbs[0][2], "big")
        active, width, done = self.active, len(self.active), set()
        for pos, (oid, tag, value) in enumerate(vbs[non_rep:]):
            col = active[pos % width]
            if col in done:
                continue
            prefix = self.prefix[col]
            idx = suffix_arc(oid, prefix)
            if idx is None or tag in ber.END_TAGS:
                done.add(col)
                continue
            self.rows.setdefault(idx, {})[col] = (tag, value)
            self.cursor[col] = oid
        self.active = [c for c in active if c not in done]

    def readings(self) -> tuple[IfReading, ...]:
        out = []
        needed = [c for c in COLUMNS if c != "discontinuity"]
        for idx in sorted(self.rows):
            row = self.rows[idx]
            if any(c not in row for c in needed):
                continue
            num = {c: _number(*row[c]) for c in needed if c != "name"}
            disc = row.get("discontinuity")
            out.append(IfReading(index=idx, name=row["name"][1].decode("utf-8", "replace"), **num,
                                 discontinuity=None if disc is None else _number(*disc)))  # fmt: skip
        return tuple(out)


def suffix_arc(oid: bytes, prefix: bytes) -> int | None:
    """Return the row index when ``oid`` is ``prefix`` plus one sub-identifier, else None.

    Examples:
        >>> p = ber.oid_body((1, 3, 6, 1, 2, 1, 2, 2, 1, 8))
        >>> suffix_arc(ber.oid_body((1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 300)), p)
        300
        >>> suffix_arc(ber.oid_body((1, 3, 6, 1, 2, 1, 2, 2, 1, 9, 1)), p) is None
        True
    """
    if not oid.startswith(prefix):
        return None
    return ber.suffix_arc(oid, len(prefix))


def _number(tag: int, value: bytes) -> int:
    return int.from_bytes(value, "big", signed=tag == ber.INTEGER)


class FastClient:
    """An :class:`poller.snmp_client.SnmpClient` on one UDP socket, without pyasn1 or pysnmp.

    Args:
        timeout: seconds to wait for each reply before retrying.
        retries: retransmissions per request.
        max_repetitions: GETBULK max-repetitions.
        deadline: hard limit in seconds for reading one whole device.
        rcvbuf: socket receive buffer in bytes.
    """

    def __init__(
        self,
        timeout: float = 2.0,
        retries: int = 1,
        max_repetitions: int = 25,
        deadline: float = 20.0,
        rcvbuf: int = DEFAULT_RCVBUF,
    ) -> None:
        self.timeout, self.retries = timeout, retries
        self.max_repetitions, self.deadline, self.rcvbuf = max_repetitions, deadline, rcvbuf
        self.pending: dict[int, asyncio.Future[bytes]] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self.engines: dict[tuple[str, int], _Engine] = {}
        self._ids = itertools.count(int.from_bytes(os.urandom(2), "big") + 1)
        self._salt = itertools.count(int.from_bytes(os.urandom(7), "big"))

    async def _socket(self) -> asyncio.DatagramTransport:
        if self.transport is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            set_rcvbuf(sock, self.rcvbuf)
            sock.bind(("0.0.0.0", 0))
            sock.setblocking(False)
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Proto(self.pending), sock=sock
            )
            self.transport = transport
        return self.transport

    def _next_id(self) -> int:
        return (next(self._ids) & 0x7FFFFFFF) or 1

    async def _exchange(self, target: Target, build: Callable[[int], bytes]) -> bytes:
        """Send ``build(id)`` and await the reply with that id, retrying on timeout."""
        transport = await self._socket()
        loop = asyncio.get_running_loop()
        for _ in range(self.retries + 1):
            rid = self._next_id()
            fut: asyncio.Future[bytes] = loop.create_future()
            self.pending[rid] = fut
            try:
                transport.sendto(build(rid), (target.host, target.port))
                return await asyncio.wait_for(fut, self.timeout)
            except TimeoutError:
                continue
            finally:
                self.pending.pop(rid, None)
        raise SnmpReadError(f"no response from {target.host}:{target.port} "
                            f"({self.retries + 1} tries × {self.timeout:g} s)")  # fmt: skip

    async def _bulk_v2c(self, target: Target, pdu: Callable[[int], bytes]) -> tuple[bytes, int]:
        community = target.credentials.community.encode()
        buf = await self._exchange(target, lambda rid: ber.v2c_message(community, pdu(rid)))
        return buf, ber.parse_v2c(buf)[1]

    async def _discover(self, target: Target) -> _Engine:
        key = (target.host, target.port)
        eng = self.engines.get(key)
        if eng is not None:
            return eng

        def build(rid: int) -> bytes:
            sec = usm.security_params(b"", 0, 0, b"", b"", b"")
            scoped = usm.scoped_pdu(b"", b"", ber.get_pdu(rid))
            return usm.v3_message(rid, usm.FLAG_REPORTABLE, sec, scoped)

        resp = usm.parse_v3(await self._exchange(target, build))
        eng = _Engine(resp.engine_id, resp.boots, resp.time, time.monotonic())
        self.engines[key] = eng
        return eng

    def _v3_request(
        self, eng: _Engine, keys: usm.UsmKeys, target: Target, rid: int, pdu: bytes
    ) -> bytes:
        salt = (next(self._salt) & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")
        boots, now = eng.boots, eng.clock()
        scoped = usm.scoped_pdu(eng.engine_id, target.context.encode(), pdu)
        enc = usm.aes_cfb(keys.priv, usm.aes_iv(boots, now, salt), scoped, True)
        sec = usm.security_params(eng.engine_id, boots, now, keys.user, bytes(12), salt)
        flags = usm.FLAG_AUTH | usm.FLAG_PRIV | usm.FLAG_REPORTABLE
        msg = usm.v3_message(rid, flags, sec, ber.tlv(ber.OCTET_STRING, enc))
        off = usm.parse_v3(msg).auth_offset
        return msg[:off] + usm.sign(keys.auth, msg) + msg[off + usm.AUTH_LEN :]

    def _v3_build(
        self, eng: _Engine, keys: usm.UsmKeys, target: Target, pdu: Callable[[int], bytes], rid: int
    ) -> bytes:
        return self._v3_request(eng, keys, target, rid, pdu(rid))

    def _v3_open(self, eng: _Engine, keys: usm.UsmKeys, buf: bytes) -> tuple[bytes, int]:
        """Verify and decrypt a v3 reply; return (scoped PDU bytes, PDU position)."""
        resp = usm.parse_v3(buf)
        if resp.flags & usm.FLAG_AUTH and not usm.verify(keys.auth, buf, resp):
            raise SnmpReadError("SNMPv3 reply failed authentication (wrong auth key?)")
        scoped = resp.data
        if resp.data_is_encrypted:
            iv = usm.aes_iv(resp.boots, resp.time, resp.priv_params)
            scoped = usm.aes_cfb(keys.priv, iv, resp.data, False)
        if resp.engine_id == eng.engine_id and resp.boots >= eng.boots:
            eng.boots, eng.time, eng.at = resp.boots, resp.time, time.monotonic()
        start, _ = ber.expect(scoped, 0, ber.SEQUENCE)
        _, p = ber.read_octets(scoped, start)
        _, p = ber.read_octets(scoped, p)
        return scoped, p

    async def _bulk_v3(self, target: Target, pdu: Callable[[int], bytes]) -> tuple[bytes, int]:
        eng = await self._discover(target)
        keys = _keys(target.credentials, eng.engine_id)
        for _ in range(3):
            build = partial(self._v3_build, eng, keys, target, pdu)
            buf = await self._exchange(target, build)
            scoped, p = self._v3_open(eng, keys, buf)
            tag, _, _, _, vstart, vend = ber.parse_pdu(scoped, p)
            if tag != ber.REPORT:
                return scoped, p
            oid = next(ber.varbinds(scoped, vstart, vend), (b"", 0, b""))[0]
            if oid == usm.UNKNOWN_ENGINE_ID:  # the agent's engine changed: discover it again
                self.engines.pop((target.host, target.port), None)
                eng = await self._discover(target)
                keys = _keys(target.credentials, eng.engine_id)
            elif oid != usm.NOT_IN_TIME_WINDOW:
                raise SnmpReadError(f"SNMPv3 report: {_REPORT_NAMES.get(oid, oid.hex())}")
        raise SnmpReadError("SNMPv3: agent keeps reporting notInTimeWindow")

    async def _bulk(
        self, target: Target, non_rep: int, oids: Sequence[bytes]
    ) -> list[tuple[bytes, int, bytes]]:
        reps = self.max_repetitions

        def pdu(rid: int) -> bytes:
            return ber.getbulk_pdu(rid, non_rep, reps, oids)

        if target.credentials.version == "2c":
            buf, p = await self._bulk_v2c(target, pdu)
        else:
            buf, p = await self._bulk_v3(target, pdu)
        _, _, status, index, vstart, vend = ber.parse_pdu(buf, p)
        if status:
            raise SnmpReadError(f"agent error-status {status} at index {index}")
        return list(ber.varbinds(buf, vstart, vend))

    async def _walk(self, target: Target) -> _Columns:
        cols = _Columns()
        non_rep = 1
        while cols.active:
            oids = ([_UPTIME] if non_rep else []) + [cols.cursor[c] for c in cols.active]
            vbs = await self._bulk(target, non_rep, oids)
            if not vbs:
                break
            cols.absorb(vbs, non_rep)
            non_rep = 0
        return cols

    async def read_device(self, target: Target) -> DeviceReading:
        """Read ``sysUpTime`` and every interface row; errors become ``DeviceReading.error``."""
        started, at = time.monotonic(), time.time()
        try:
            cols = await asyncio.wait_for(self._walk(target), self.deadline)
        except (SnmpReadError, ber.BerError, TimeoutError, OSError, ValueError) as exc:
            msg = str(exc) or type(exc).__name__
            logger.info("%s (%s:%d): %s", target.device, target.host, target.port, msg)
            return DeviceReading(target.device, at, None, error=msg,
                                 duration=time.monotonic() - started)  # fmt: skip
        return DeviceReading(target.device, at, cols.uptime, cols.readings(),
                             duration=time.monotonic() - started)  # fmt: skip

    def close(self) -> None:
        """Close the socket."""
        if self.transport is not None:
            self.transport.close()
            self.transport = None
