"""A lean asyncio SNMP client for interface-table walks (v2c and v3 authPriv SHA/AES-128).

It implements the same :class:`poller.snmp_client.SnmpClient` protocol as the pysnmp-based
:class:`testing.pysnmp_client.PysnmpClient` and returns identical readings (the tests compare both against the
same agents), but encodes and decodes with :mod:`poller.ber` instead of pyasn1, which is what makes
a Python poller faster than net-snmp's ``snmpbulkwalk`` (see ``benchmarks/bench_poller.py``).

One UDP socket (large receive buffer) serves every device; replies are routed by request/message id.
SNMPv3 engine discovery (RFC 3414 §4) runs once per agent; an authenticated ``notInTimeWindow``
report resynchronises the clock and the request is retried. A reply that does not match its
request in every field is dropped and counted (see :class:`FastClient`).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import itertools
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from poller import ber, usm
from poller.oids import COLUMNS, SYS_UPTIME, parse_oid
from poller.readings import Credentials, DeviceReading, IfReading, Target
from poller.snmp_client import DEFAULT_RCVBUF, SnmpReadError, set_rcvbuf

logger = logging.getLogger(__name__)

#: RFC 3414 §3.2 step 7b: an authenticated reply older than this (seconds) is not timely
TIME_WINDOW = 150
#: request-ids a Report may carry when the agent could not decrypt the request's: RFC 3412 §7.1
#: suggests 2^31-1, net-snmp sends 0 (seen with usmStatsUnknownEngineIDs after a restart)
UNKNOWN_REQUEST_IDS = (0, ber.MAX_INT32)
#: interface rows one device may return (a bound on memory per device)
MAX_ROWS = 65536

_UPTIME = ber.oid_body(parse_oid(SYS_UPTIME))
_UPTIME_0 = _UPTIME + b"\x00"  # GETBULK non-repeater: the successor of sysUpTime is .0
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


class Dropped(Exception):
    """A reply that does not match its request in some field: dropped and counted, never used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Pending:
    """One request in flight: who asked, where it went, and how to check its reply."""

    device: str
    addr: tuple[str, int]
    fut: asyncio.Future[Any]
    accept: Callable[[bytes], Any]


class _Proto(asyncio.DatagramProtocol):
    def __init__(self, client: FastClient) -> None:
        self.client = client

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.client._received(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        logger.debug("socket error: %s", exc)


@dataclass
class _Engine:
    """What we know about one agent's SNMPv3 engine (RFC 3414 §2.3: boots, time, latest time)."""

    engine_id: bytes
    boots: int
    time: int
    at: float

    def clock(self) -> int:
        """The local notion of the agent's snmpEngineTime."""
        return min(self.time + int(time.monotonic() - self.at), ber.MAX_INT32)

    def timely(self, boots: int, etime: int) -> bool:
        """RFC 3414 §3.2 step 7b (non-authoritative side): is an authenticated reply in the window?"""
        if boots >= ber.MAX_INT32 or boots < self.boots:
            return False
        return not (boots == self.boots and etime < self.clock() - TIME_WINDOW)

    def learn(self, boots: int, etime: int) -> None:
        """RFC 3414 §3.2 step 7a: update from an authenticated reply that is newer."""
        if boots > self.boots or (boots == self.boots and etime > self.time):
            self.boots, self.time, self.at = boots, etime, time.monotonic()


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
            oid, tag, value = vbs[0]
            if oid != _UPTIME_0 or tag != ber.TIMETICKS:
                raise ber.BerError("the first varbind is not sysUpTime.0 TimeTicks")
            self.uptime = _number(tag, value)
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
            if idx not in self.rows and len(self.rows) >= MAX_ROWS:
                raise ber.BerError(f"more than {MAX_ROWS} interface rows")
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


_NUMERIC_TAGS = frozenset((ber.INTEGER, ber.COUNTER32, ber.GAUGE32, ber.TIMETICKS, ber.COUNTER64))


def _number(tag: int, value: bytes) -> int:
    """Decode a column value, rejecting lengths and values outside its SMI type's range."""
    if tag not in _NUMERIC_TAGS:
        raise ber.BerError(f"a value of tag 0x{tag:02x} where a number is expected")
    if not 0 < len(value) <= ber.MAX_INT_OCTETS:
        raise ber.BerError(f"value of {len(value)} octets (tag 0x{tag:02x})")
    n = int.from_bytes(value, "big", signed=tag == ber.INTEGER)
    if tag == ber.INTEGER:
        ok = -(2**31) <= n <= ber.MAX_INT32
    elif tag == ber.COUNTER64:
        ok = n < 2**64
    else:
        ok = tag in (ber.COUNTER32, ber.GAUGE32, ber.TIMETICKS) and n < 2**32
    if not ok:
        raise ber.BerError(f"value {n} out of range for tag 0x{tag:02x}")
    return n


def _check_response(buf: bytes, p: int) -> None:
    """Decode a Response's varbinds and check every number against its SMI range, so that a reply
    with the right ids but hostile contents is dropped (``malformed``) and the genuine reply is
    still awaited, instead of failing the read."""
    _, _, _, _, vstart, vend = ber.parse_pdu(buf, p)
    for _, tag, value in ber.varbinds(buf, vstart, vend):
        if tag in _NUMERIC_TAGS:
            _number(tag, value)


def _report_oid(scoped: bytes, p: int) -> bytes:
    _, _, _, _, vstart, vend = ber.parse_pdu(scoped, p)
    return next(ber.varbinds(scoped, vstart, vend), (b"", 0, b""))[0]


def _accept_v2c(community: bytes, rid: int, buf: bytes) -> tuple[bytes, int]:
    """Check a v2c reply against its request (community, PDU type, request-id)."""
    got, p = ber.parse_v2c(buf)
    if not hmac.compare_digest(got, community):
        raise Dropped("community")
    tag, prid, *_ = ber.parse_pdu(buf, p)
    if tag != ber.RESPONSE:
        raise Dropped("pdu-type")
    if prid != rid:
        raise Dropped("request-id")
    _check_response(buf, p)
    return buf, p


def _v3_header(resp: usm.V3Response, rid: int) -> None:
    if resp.msg_id != rid:
        raise Dropped("msg-id")
    if resp.security_model != usm.USM_MODEL:
        raise Dropped("security-model")
    if resp.flags & usm.FLAG_PRIV and not resp.flags & usm.FLAG_AUTH:
        raise Dropped("security-level")


def _plain_report(resp: usm.V3Response, rid: int) -> bytes:
    """Return the first varbind OID of an unauthenticated Report, or raise :class:`Dropped`."""
    if resp.data_is_encrypted or resp.flags & (usm.FLAG_AUTH | usm.FLAG_PRIV):
        raise Dropped("security-level")
    _, _, p = usm.open_scoped(resp.data)
    tag, prid, *_ = ber.parse_pdu(resp.data, p)
    if tag != ber.REPORT:
        raise Dropped("security-level")
    if prid != rid and prid not in UNKNOWN_REQUEST_IDS:
        raise Dropped("request-id")
    return _report_oid(resp.data, p)


def _accept_discovery(rid: int, buf: bytes) -> usm.V3Response:
    """Check the Report that answers engine discovery (RFC 3414 §4): plaintext, our msgID and
    request-id, an engine ID of 5..32 octets (RFC 3411 SnmpEngineID)."""
    resp = usm.parse_v3(buf)
    _v3_header(resp, rid)
    _plain_report(resp, rid)
    if not 5 <= len(resp.engine_id) <= 32:
        raise Dropped("engine-id")
    return resp


class FastClient:
    """An :class:`poller.snmp_client.SnmpClient` on one UDP socket, without pyasn1 or pysnmp.

    Every reply is checked against the request it claims to answer before it is used (RFC 3412
    §7.2, RFC 3414 §3.2): source address and port, msgID / request-id (the inner PDU's for v3),
    the v2c community, and for v3 the security level (a reply to an authPriv request must be
    authenticated, and a Response encrypted), the authoritative engine ID, the user, the HMAC and
    the 150 s time window. Engine boots/time are learnt only from authenticated replies and from
    the discovery exchange. Anything else is dropped and counted per device
    (``DeviceReading.dropped``); the request keeps waiting for the genuine reply.

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
        self.pending: dict[int, _Pending] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self.engines: dict[tuple[str, int], _Engine] = {}
        #: replies dropped per device and reason, handed out with each reading
        self.drops: dict[str, Counter[str]] = {}
        #: dropped replies that could not be tied to one device (reason → count)
        self.unattributed: Counter[str] = Counter()
        #: devices polled at each address (to attribute a datagram whose id matches no request)
        self._inflight: dict[tuple[str, int], set[str]] = {}
        self._ids = itertools.count(int.from_bytes(os.urandom(2), "big") + 1)
        self._salt = itertools.count(int.from_bytes(os.urandom(7), "big"))

    async def _socket(self) -> asyncio.DatagramTransport:
        if self.transport is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            set_rcvbuf(sock, self.rcvbuf)
            sock.bind(("0.0.0.0", 0))
            sock.setblocking(False)
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(lambda: _Proto(self), sock=sock)
            self.transport = transport
        return self.transport

    def _next_id(self) -> int:
        return (next(self._ids) & 0x7FFFFFFF) or 1

    def _drop(self, device: str, reason: str) -> None:
        logger.debug("%s: dropped a reply (%s)", device, reason)
        self.drops.setdefault(device, Counter())[reason] += 1

    def _drop_from(self, src: tuple[str, int], reason: str) -> None:
        devices = self._inflight.get(src, set())
        if len(devices) == 1:
            self._drop(next(iter(devices)), reason)
        else:
            logger.debug("dropped a reply from %s:%d (%s)", *src, reason)
            self.unattributed[reason] += 1

    def _received(self, data: bytes, src: tuple[str, int]) -> None:
        """Route a datagram to the request it answers, if it passes that request's checks."""
        try:
            rid = message_id(data)
        except ber.BerError:
            self._drop_from(src, "malformed")
            return
        p = self.pending.get(rid)
        if p is None or p.fut.done():
            self._drop_from(src, "unexpected-id")
            return
        if src != p.addr:
            self._drop(p.device, "source")
            return
        try:
            result = p.accept(data)
        except Dropped as exc:
            self._drop(p.device, exc.reason)
        except ber.BerError:
            self._drop(p.device, "malformed")
        except Exception:  # a bug in a check must not kill the socket: count it, log it
            logger.exception("%s: error checking a reply", p.device)
            self._drop(p.device, "error")
        else:
            p.fut.set_result(result)

    async def _address(self, target: Target) -> tuple[str, int]:
        try:
            return str(ipaddress.IPv4Address(target.host)), target.port
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        info = await loop.getaddrinfo(target.host, target.port, family=socket.AF_INET,
                                      type=socket.SOCK_DGRAM)  # fmt: skip
        if not info:
            raise SnmpReadError(f"cannot resolve {target.host}")
        return str(info[0][4][0]), target.port

    async def _exchange(
        self, target: Target, build: Callable[[int], bytes], accept: Callable[[int, bytes], Any]
    ) -> Any:
        """Send ``build(id)``; await the first reply that ``accept(id, reply)`` takes; retry on
        timeout. ``accept`` raises :class:`Dropped` or :class:`poller.ber.BerError` to refuse."""
        transport = await self._socket()
        addr = await self._address(target)
        loop = asyncio.get_running_loop()
        for _ in range(self.retries + 1):
            rid = self._next_id()
            fut: asyncio.Future[Any] = loop.create_future()
            self.pending[rid] = _Pending(target.device, addr, fut, partial(accept, rid))
            self._inflight.setdefault(addr, set()).add(target.device)
            try:
                transport.sendto(build(rid), addr)
                return await asyncio.wait_for(fut, self.timeout)
            except TimeoutError:
                continue
            finally:
                self.pending.pop(rid, None)
        raise SnmpReadError(f"no response from {target.host}:{target.port} "
                            f"({self.retries + 1} tries × {self.timeout:g} s)")  # fmt: skip

    async def _bulk_v2c(self, target: Target, pdu: Callable[[int], bytes]) -> tuple[bytes, int]:
        community = target.credentials.community.encode()
        result: tuple[bytes, int] = await self._exchange(
            target,
            lambda rid: ber.v2c_message(community, pdu(rid)),
            partial(_accept_v2c, community),
        )
        return result

    async def _discover(self, target: Target) -> _Engine:
        key = (target.host, target.port)
        eng = self.engines.get(key)
        if eng is not None:
            return eng

        def build(rid: int) -> bytes:
            sec = usm.security_params(b"", 0, 0, b"", b"", b"")
            scoped = usm.scoped_pdu(b"", b"", ber.get_pdu(rid))
            return usm.v3_message(rid, usm.FLAG_REPORTABLE, sec, scoped)

        resp: usm.V3Response = await self._exchange(target, build, _accept_discovery)
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

    @staticmethod
    def _accept_v3(
        eng: _Engine, keys: usm.UsmKeys, target: Target, rid: int, buf: bytes
    ) -> tuple[str, bytes, int]:
        """Check an answer to an authPriv request; return (kind, scoped PDU, PDU position).

        ``kind`` is ``data`` (a Response), ``report`` (an authenticated Report) or ``rediscover``
        (an unauthenticated usmStatsUnknownEngineIDs Report, RFC 3414 §3.2 step 3: the agent's
        engine changed; it teaches nothing and updates nothing, the client re-runs discovery).
        """
        resp = usm.parse_v3(buf)
        _v3_header(resp, rid)
        if not resp.flags & usm.FLAG_AUTH:
            if _plain_report(resp, rid) == usm.UNKNOWN_ENGINE_ID:
                return "rediscover", b"", 0
            raise Dropped("security-level")
        if resp.engine_id != eng.engine_id:
            raise Dropped("engine-id")
        if resp.user != keys.user:
            raise Dropped("user")
        if not usm.verify(keys.auth, buf, resp):
            raise Dropped("auth")
        if not eng.timely(resp.boots, resp.time):
            raise Dropped("time-window")
        if resp.data_is_encrypted != bool(resp.flags & usm.FLAG_PRIV):
            raise Dropped("security-level")
        scoped = resp.data
        if resp.data_is_encrypted:
            if len(resp.priv_params) != 8:
                raise Dropped("priv-params")
            iv = usm.aes_iv(resp.boots, resp.time, resp.priv_params)
            scoped = usm.aes_cfb(keys.priv, iv, resp.data, False)
        context_engine, context, p = usm.open_scoped(scoped)
        tag, prid, *_ = ber.parse_pdu(scoped, p)
        if tag == ber.RESPONSE:
            if not resp.data_is_encrypted:
                raise Dropped("security-level")
            if prid != rid:
                raise Dropped("request-id")
            if context_engine != eng.engine_id or context != target.context.encode():
                raise Dropped("context")
            _check_response(scoped, p)
            kind = "data"
        elif tag == ber.REPORT:
            if prid != rid and prid not in UNKNOWN_REQUEST_IDS:
                raise Dropped("request-id")
            kind = "report"
        else:
            raise Dropped("pdu-type")
        eng.learn(resp.boots, resp.time)
        return kind, scoped, p

    async def _rediscover(self, target: Target) -> tuple[_Engine, usm.UsmKeys]:
        self.engines.pop((target.host, target.port), None)
        eng = await self._discover(target)
        return eng, _keys(target.credentials, eng.engine_id)

    async def _bulk_v3(self, target: Target, pdu: Callable[[int], bytes]) -> tuple[bytes, int]:
        eng = await self._discover(target)
        keys = _keys(target.credentials, eng.engine_id)
        for _ in range(3):
            build = partial(self._v3_build, eng, keys, target, pdu)
            kind, scoped, p = await self._exchange(
                target, build, partial(self._accept_v3, eng, keys, target)
            )
            if kind == "data":
                return scoped, p
            oid = usm.UNKNOWN_ENGINE_ID if kind == "rediscover" else _report_oid(scoped, p)
            if oid == usm.UNKNOWN_ENGINE_ID:  # the agent's engine changed: discover it again
                eng, keys = await self._rediscover(target)
            elif oid != usm.NOT_IN_TIME_WINDOW:  # (the clock was learnt from the report)
                raise SnmpReadError(f"SNMPv3 report: {_REPORT_NAMES.get(oid, oid.hex())}")
        raise SnmpReadError("SNMPv3: agent keeps reporting notInTimeWindow or unknownEngineID")

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
            rows = cols.readings()  # a value of the wrong type for its column is a BerError
        except (SnmpReadError, ber.BerError, TimeoutError, OSError, ValueError) as exc:
            msg = str(exc) or type(exc).__name__
            logger.info("%s (%s:%d): %s", target.device, target.host, target.port, msg)
            return DeviceReading(target.device, at, None, error=msg, duration=time.monotonic() - started,
                                 dropped=self._take_drops(target.device))  # fmt: skip
        return DeviceReading(target.device, at, cols.uptime, rows,
                             duration=time.monotonic() - started,
                             dropped=self._take_drops(target.device))  # fmt: skip

    def _take_drops(self, device: str) -> dict[str, int]:
        return dict(sorted(self.drops.pop(device, Counter()).items()))

    def close(self) -> None:
        """Close the socket."""
        if self.transport is not None:
            self.transport.close()
            self.transport = None
