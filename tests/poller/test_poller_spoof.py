"""Issue 9 §2: the fast engine accepts only replies that match their request in every field.

A spoofing SNMP agent written here (an asyncio datagram endpoint on a loopback port) answers the
poller correctly, but first sends one bad reply of a given kind — from another port, with another
msgID or request-id, without authentication, with another engine ID, an old clock, a wrong digest,
out-of-range integers, malicious lengths, a wrong community. Each bad reply must be dropped and
counted for that device, the genuine reply still used, and the engine clock never learnt from an
unauthenticated reply. Then ``egnet poll --once`` against an agent that sends only such replies
must exit 0 (device unreachable), never 70.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from poller import ber, usm
from poller.clients import ENGINES, make_client
from poller.cycle import Poller
from poller.fastsnmp import FastClient
from poller.oids import COLUMNS, SYS_UPTIME_0, parse_oid
from poller.readings import Credentials, DeviceReading, Target
from poller.snmp_client import SnmpClient
from topology.management import DEFAULT_SNMP_USERS

ROOT = Path(__file__).resolve().parents[2]
# the poller authenticates as the model's NMS user (management.snmp_users), never a secret's
USER = DEFAULT_SNMP_USERS[0].name
AUTH, PRIV, COMMUNITY = "auth-pass-123", "priv-pass-456", "s3cret-community"
ENGINE_ID = bytes.fromhex("80001f8880") + b"spoofagent"
BOOTS = 7
COL_TAGS = {"name": ber.OCTET_STRING, "in_octets": ber.COUNTER64, "out_octets": ber.COUNTER64,
            "high_speed": ber.GAUGE32, "discontinuity": ber.TIMETICKS, "oper_status": ber.INTEGER,
            "in_discards": ber.COUNTER32, "in_errors": ber.COUNTER32, "out_discards": ber.COUNTER32,
            "out_errors": ber.COUNTER32}  # fmt: skip
COL_VALUES: dict[str, bytes | int] = {"name": b"eth1", "in_octets": 123_456_789, "out_octets": 987_654_321,
              "high_speed": 1000, "discontinuity": 0, "oper_status": 1, "in_discards": 3,
              "in_errors": 4, "out_discards": 5, "out_errors": 6}  # fmt: skip
PREFIX = {n: ber.oid_body(parse_oid(o)) for n, o in COLUMNS.items()}
UPTIME_0 = ber.oid_body(parse_oid(SYS_UPTIME_0))


def _value(col: str, lie: bool = False) -> bytes:
    v = COL_VALUES[col]
    if lie and col == "in_octets":
        v = 666  # a bad reply carries other data: using it would show in the reading
    return ber.tlv(ber.OCTET_STRING, v) if isinstance(v, bytes) else ber.integer(v, COL_TAGS[col])


@dataclass
class Request:
    """What the agent understood of one request."""

    version: int
    msg_id: int
    rid: int
    non_rep: int
    oids: list[bytes]
    context: bytes = b""
    discovery: bool = False


@dataclass
class Reply:
    """How to answer: every field the client must check, each one overridable by a bad kind."""

    msg_id: int | None = None
    rid: int | None = None
    flags: int = usm.FLAG_AUTH | usm.FLAG_PRIV
    engine_id: bytes = ENGINE_ID
    key_engine: bytes = ENGINE_ID
    boots: int = BOOTS
    time_shift: int = 0
    user: bytes = USER.encode()
    context: bytes | None = None
    community: bytes = COMMUNITY.encode()
    pdu_tag: int = ber.RESPONSE
    bad_digest: bool = False
    raw: bytes | None = None  # send these bytes instead of a message
    lie: bool = True  # other counter values than the genuine reply


def _signed_int(v: int) -> bytes:
    """Encode any integer, even outside SNMP's ranges (what a hostile agent sends)."""
    return ber.integer(v)


class SpoofAgent(asyncio.DatagramProtocol):
    """A tiny SNMP agent (v2c and v3 authPriv SHA/AES) with one interface row, and a liar.

    ``bad`` is the queue of bad reply kinds: each data request pops one and sends that bad reply
    first (``source``: the genuine reply from another port). With ``only_bad`` the genuine reply
    is never sent.
    """

    def __init__(self, bad: list[str] | None = None, only_bad: bool = False) -> None:
        self.bad = list(bad or [])
        self.only_bad = only_bad
        self.keys = usm.keys_for(USER, AUTH, PRIV, ENGINE_ID)
        self.started = time.monotonic() - 5000
        self.transport: asyncio.DatagramTransport | None = None
        self.other: asyncio.DatagramTransport | None = None
        self.elsewhere: asyncio.DatagramTransport | None = None  # another source address
        self.port = 0
        self.salt = 1

    async def start(self) -> SpoofAgent:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(
            lambda: self, local_addr=("127.0.0.1", 0)
        )
        self.port = self.transport.get_extra_info("sockname")[1]
        self.other, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
        )
        self.elsewhere, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.2", 0)
        )
        return self

    def close(self) -> None:
        for t in (self.transport, self.other, self.elsewhere):
            if t is not None:
                t.close()

    # -- parsing requests ------------------------------------------------------------------

    def _parse(self, data: bytes) -> Request:
        start, _ = ber.expect(data, 0, ber.SEQUENCE)
        version, p = ber.read_int(data, start)
        if version == 1:
            _, p = ber.read_octets(data, p)
            return self._pdu(1, 0, data, p, b"")
        msg = usm.parse_v3(data)
        if not msg.flags & usm.FLAG_AUTH:
            _, _, p = usm.open_scoped(msg.data)
            req = self._pdu(3, msg.msg_id, msg.data, p, b"")
            req.discovery = True
            return req
        iv = usm.aes_iv(msg.boots, msg.time, msg.priv_params)
        scoped = usm.aes_cfb(self.keys.priv, iv, msg.data, False)
        _, context, p = usm.open_scoped(scoped)
        return self._pdu(3, msg.msg_id, scoped, p, context)

    @staticmethod
    def _pdu(version: int, msg_id: int, buf: bytes, p: int, context: bytes) -> Request:
        tag, start, _ = ber.header(buf, p)
        rid, q = ber.read_int(buf, start)
        non_rep, q = ber.read_int(buf, q)
        _, q = ber.read_int(buf, q)
        vstart, vend = ber.expect(buf, q, ber.SEQUENCE)
        oids = [o for o, _, _ in ber.varbinds(buf, vstart, vend)]
        return Request(version, msg_id, rid, non_rep if tag == ber.GETBULK else 0, oids, context)

    # -- building replies ------------------------------------------------------------------

    def _varbinds(self, req: Request, lie: bool = False) -> bytes:
        out = []
        oids = req.oids
        if req.non_rep:
            ticks = int((time.monotonic() - self.started) * 100)
            out.append(ber.tlv(ber.OID, UPTIME_0) + ber.integer(ticks, ber.TIMETICKS))
            oids = oids[req.non_rep :]
        for oid in oids:
            col = next((c for c, pre in PREFIX.items() if oid == pre), None)
            if col is None:  # past the single row: end of this column
                out.append(ber.tlv(ber.OID, oid) + b"\x82\x00")
            else:
                out.append(ber.tlv(ber.OID, oid + b"\x01") + _value(col, lie))
        return b"".join(ber.tlv(ber.SEQUENCE, vb) for vb in out)

    def _pdu_bytes(self, req: Request, r: Reply, vbs: bytes) -> bytes:
        rid = req.rid if r.rid is None else r.rid
        body = _signed_int(rid) + ber.integer(0) + ber.integer(0) + ber.tlv(ber.SEQUENCE, vbs)
        return ber.tlv(r.pdu_tag, body)

    def _engine_time(self, r: Reply) -> int:
        return int(time.monotonic() - self.started) + r.time_shift

    def reply(self, req: Request, r: Reply) -> bytes:
        if r.raw is not None:
            return r.raw
        msg_id = req.msg_id if r.msg_id is None else r.msg_id
        if req.version == 1:
            msg_id = req.rid if r.rid is None else r.rid
            pdu = self._pdu_bytes(req, r, self._varbinds(req, r.lie))
            return ber.tlv(
                ber.SEQUENCE, ber.integer(1) + ber.tlv(ber.OCTET_STRING, r.community) + pdu
            )
        etime = self._engine_time(r)
        if req.discovery:
            vb = ber.tlv(
                ber.SEQUENCE,
                ber.tlv(ber.OID, usm.UNKNOWN_ENGINE_ID) + ber.integer(1, ber.COUNTER32),
            )
            scoped = usm.scoped_pdu(
                r.engine_id, b"", self._pdu_bytes(req, Reply(pdu_tag=ber.REPORT), vb)
            )
            sec = _sec(r.engine_id, r.boots, etime, b"", b"", b"")
            return _v3(msg_id, 0, sec, scoped)
        context = req.context if r.context is None else r.context
        scoped = usm.scoped_pdu(
            r.engine_id, context, self._pdu_bytes(req, r, self._varbinds(req, r.lie))
        )
        keys = usm.keys_for(USER, AUTH, PRIV, r.key_engine)
        self.salt += 1
        salt = self.salt.to_bytes(8, "big")
        if r.flags & usm.FLAG_PRIV:
            iv = usm.aes_iv(r.boots & 0xFFFFFFFF, etime & 0xFFFFFFFF, salt)
            data = ber.tlv(ber.OCTET_STRING, usm.aes_cfb(keys.priv, iv, scoped, True))
        else:
            data, salt = scoped, b""
        auth = bytes(12) if r.flags & usm.FLAG_AUTH else b""
        msg = _v3(msg_id, r.flags, _sec(r.engine_id, r.boots, etime, r.user, auth, salt), data)
        if not r.flags & usm.FLAG_AUTH:
            return msg
        off = msg.index(bytes(12))
        digest = usm.sign(keys.auth, msg)
        if r.bad_digest:
            digest = bytes(b ^ 0xFF for b in digest)
        return msg[:off] + digest + msg[off + 12 :]

    # -- the agent -------------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: Any) -> None:
        assert self.transport is not None and self.other is not None
        req = self._parse(data)
        if req.discovery:
            self.transport.sendto(self.reply(req, Reply(lie=False)), addr)
            return
        kind = self.bad.pop(0) if self.bad else None
        if kind is not None:
            if kind == "source":
                self.other.sendto(self.reply(req, Reply(lie=True)), addr)
            elif kind == "source-address":
                assert self.elsewhere is not None
                self.elsewhere.sendto(self.reply(req, Reply(lie=True)), addr)
            else:
                self.transport.sendto(self.reply(req, BAD[kind](req)), addr)
        if not self.only_bad:
            self.transport.sendto(self.reply(req, Reply(lie=False)), addr)


def _sec(engine: bytes, boots: int, etime: int, user: bytes, auth: bytes, priv: bytes) -> bytes:
    body = ber.tlv(ber.OCTET_STRING, engine) + _signed_int(boots) + _signed_int(etime)
    body += ber.tlv(ber.OCTET_STRING, user) + ber.tlv(ber.OCTET_STRING, auth)
    return ber.tlv(ber.SEQUENCE, body + ber.tlv(ber.OCTET_STRING, priv))


def _v3(msg_id: int, flags: int, sec: bytes, data: bytes) -> bytes:
    head = (
        _signed_int(msg_id) + ber.integer(usm.MAX_SIZE) + ber.tlv(ber.OCTET_STRING, bytes((flags,)))
    )
    head = ber.tlv(ber.SEQUENCE, head + ber.integer(usm.USM_MODEL))
    return ber.tlv(ber.SEQUENCE, ber.integer(3) + head + ber.tlv(ber.OCTET_STRING, sec) + data)


OTHER_ENGINE = bytes.fromhex("80001f8880") + b"someoneelse"

#: bad reply kind → how the reply differs from the genuine one
BAD: dict[str, Callable[[Request], Reply]] = {
    "msg-id": lambda q: Reply(msg_id=q.msg_id + 1),
    "request-id": lambda q: Reply(rid=q.rid + 1),
    "plaintext": lambda q: Reply(flags=0, boots=BOOTS + 100),
    "auth-no-priv": lambda q: Reply(flags=usm.FLAG_AUTH),
    "engine-id": lambda q: Reply(engine_id=OTHER_ENGINE, key_engine=OTHER_ENGINE, boots=BOOTS + 1),
    "user": lambda q: Reply(user=b"intruder"),
    "digest": lambda q: Reply(bad_digest=True, boots=BOOTS + 1),
    "old-boots": lambda q: Reply(boots=BOOTS - 1),
    "old-time": lambda q: Reply(time_shift=-1000),
    "boots-max": lambda q: Reply(boots=2**31 - 1),
    "boots-negative": lambda q: Reply(boots=-1),
    "boots-huge": lambda q: Reply(boots=2**31),
    "time-huge": lambda q: Reply(time_shift=2**40),
    "msgid-negative": lambda q: Reply(msg_id=-q.msg_id),
    "context": lambda q: Reply(context=b"other"),
    "pdu-type": lambda q: Reply(pdu_tag=ber.GET_REQUEST),
    "community": lambda q: Reply(community=b"public"),
    "truncated": lambda q: Reply(raw=_v3(q.msg_id, 3, b"", b"")[:-1]),
    "huge-length": lambda q: Reply(raw=b"\x30\x84\x7f\xff\xff\xff\x02\x01\x03"),
    "indefinite-length": lambda q: Reply(raw=b"\x30\x80\x02\x01\x03\x00\x00"),
    "deep-nesting": lambda q: Reply(raw=b"\x30\x82\x01\x2c" + b"\x30\x81\xfa" * 100),
}

#: bad kind → the reason the client must count (v3)
V3_CASES = {
    "source": "source",
    "source-address": "source",
    "msg-id": "unexpected-id",
    "request-id": "request-id",
    "plaintext": "security-level",
    "auth-no-priv": "security-level",
    "engine-id": "engine-id",
    "user": "user",
    "digest": "auth",
    "old-boots": "time-window",
    "old-time": "time-window",
    "boots-max": "time-window",
    "boots-negative": "malformed",
    "boots-huge": "malformed",
    "time-huge": "malformed",
    "msgid-negative": "unexpected-id",
    "context": "context",
    "pdu-type": "pdu-type",
    "truncated": "malformed",
    "huge-length": "malformed",
    "indefinite-length": "malformed",
    "deep-nesting": "malformed",
}
V2C_CASES = {
    "source": "source",
    "source-address": "source",
    "request-id": "unexpected-id",
    "community": "community",
    "pdu-type": "pdu-type",
    "huge-length": "malformed",
    "truncated": "malformed",
}


def _v3cred() -> Credentials:
    return Credentials("3", USER, AUTH, PRIV)


def _v2cred() -> Credentials:
    return Credentials("2c", community=COMMUNITY)


async def _read_with(agent: SpoofAgent, cred: Credentials, client: SnmpClient) -> DeviceReading:
    await agent.start()
    try:
        return await client.read_device(Target("r1", "127.0.0.1", agent.port, cred))
    finally:
        agent.close()


def _genuine(r: DeviceReading) -> None:
    assert r.ok, r.error
    (row,) = r.interfaces
    assert (row.name, row.in_octets, row.out_octets, row.in_errors) == (
        "eth1",
        123_456_789,
        987_654_321,
        4,
    )


@pytest.mark.parametrize("kind", sorted(V3_CASES))
def test_v3_bad_reply_is_dropped_and_counted(kind: str) -> None:
    client = FastClient(timeout=1.0, retries=0)

    async def go() -> tuple[DeviceReading, int]:
        agent = SpoofAgent([kind])
        try:
            r = await _read_with(agent, _v3cred(), client)
            return r, client.engines[("127.0.0.1", agent.port)].boots
        finally:
            client.close()

    reading, boots = asyncio.run(go())
    _genuine(reading)
    assert reading.dropped == {V3_CASES[kind]: 1}
    assert boots == BOOTS  # never learnt from a dropped reply


@pytest.mark.parametrize("kind", sorted(V2C_CASES))
def test_v2c_bad_reply_is_dropped_and_counted(kind: str) -> None:
    client = FastClient(timeout=1.0, retries=0)

    async def go() -> DeviceReading:
        try:
            return await _read_with(SpoofAgent([kind]), _v2cred(), client)
        finally:
            client.close()

    reading = asyncio.run(go())
    _genuine(reading)
    assert reading.dropped == {V2C_CASES[kind]: 1}


def test_unauthenticated_report_never_moves_the_engine_clock() -> None:
    """A plaintext unknownEngineID report (RFC 3414 §3.2 step 3) only triggers rediscovery."""
    client = FastClient(timeout=1.0, retries=0)

    class Liar(SpoofAgent):
        def datagram_received(self, data: bytes, addr: Any) -> None:
            req = self._parse(data)
            if not req.discovery and self.bad:
                self.bad.pop()
                assert self.transport is not None
                fake = Request(3, req.msg_id, 0, 0, [], discovery=True)
                self.transport.sendto(self.reply(fake, Reply(boots=BOOTS + 50)), addr)
                return
            super().datagram_received(data, addr)

    async def go() -> tuple[DeviceReading, int]:
        agent = Liar(["x"])
        try:
            r = await _read_with(agent, _v3cred(), client)
            return r, client.engines[("127.0.0.1", agent.port)].boots
        finally:
            client.close()

    reading, boots = asyncio.run(go())
    _genuine(reading)
    # the rediscovery is the only place boots come from without authentication (RFC 3414 §4);
    # the report itself (boots + 50) changed nothing
    assert boots == BOOTS


def test_misbehaving_agent_does_not_affect_another_device() -> None:
    async def go() -> dict[str, DeviceReading]:
        bad = await SpoofAgent(["boots-negative"] * 50, only_bad=True).start()
        good = await SpoofAgent().start()
        client = FastClient(timeout=0.5, retries=1)
        targets = [Target("bad", "127.0.0.1", bad.port, _v3cred()),
                   Target("good", "127.0.0.1", good.port, _v3cred())]  # fmt: skip
        try:
            return await Poller(client, targets).read_all()
        finally:
            client.close()
            bad.close()
            good.close()

    got = asyncio.run(go())
    _genuine(got["good"])
    assert got["good"].dropped == {}
    assert not got["bad"].ok and got["bad"].dropped == {"malformed": 2}


# -- egnet poll --once against an agent that only lies: exit 0, never 70 --------------------


@pytest.fixture
def lying_agent() -> Iterator[int]:
    """Run a SpoofAgent that sends only bad replies in a thread (the CLI is another process)."""
    ready = threading.Event()
    stop: list[Callable[[], object]] = []
    port: list[int] = []

    def run() -> None:
        async def main() -> None:
            kinds = [k for k in V3_CASES if k != "source"] * 20
            agent = await SpoofAgent(kinds, only_bad=True).start()
            port.append(agent.port)
            done = asyncio.Event()
            loop = asyncio.get_running_loop()
            stop.append(lambda: loop.call_soon_threadsafe(done.set))
            ready.set()
            await done.wait()
            agent.close()

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield port[0]
    stop[0]()
    thread.join(10)


def test_poll_once_survives_a_lying_agent(lying_agent: int, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGNET_")}
    env |= {"EGNET_SECRET_SNMP_V3_AUTH_KEY": AUTH,
            "EGNET_SECRET_SNMP_V3_PRIV_KEY": PRIV, "EGNET_VAULT": str(tmp_path / "none.yaml")}  # fmt: skip
    cmd = [sys.executable, "-m", "egnet.cli", "poll", str(ROOT / "inventory" / "lab"), "--once",
           "--gap", "0", "--json", "--timeout", "0.5", "--retries", "1", "--netns", "none",
           "--device", "lab-core1", "--target", f"lab-core1=127.0.0.1:{lying_agent}"]  # fmt: skip
    got = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert got.returncode == 0, got.stderr
    assert "Traceback" not in got.stderr
    (dev,) = json.loads(got.stdout)["devices"]
    assert not dev["reachable"] and sum(dev["dropped"].values()) >= 2


#: what pysnmp 7.1 takes from a bad reply: it matches a reply by its ids from any source address
#: and port, and applies no time window to authenticated replies. That is why it is no longer a
#: poll engine (only a comparison peer, testing.pysnmp_client).
PYSNMP_ACCEPTS = [("3", "source"), ("2c", "source"), ("3", "source-address"), ("2c", "source-address"),
                  ("3", "old-boots"), ("3", "old-time")]  # fmt: skip


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_every_poll_engine_drops_every_bad_reply(engine: str) -> None:
    """Whatever engine ``egnet poll --engine`` offers passes every spoof case (v3 and v2c)."""

    async def one(kind: str, cred: Credentials) -> DeviceReading:
        client = make_client(engine, timeout=1.0, retries=0)
        try:
            return await _read_with(SpoofAgent([kind]), cred, client)
        finally:
            client.close()

    for cred, cases in ((_v3cred(), V3_CASES), (_v2cred(), V2C_CASES)):
        for kind, reason in cases.items():
            reading = asyncio.run(one(kind, cred))
            _genuine(reading)
            assert reading.dropped == {reason: 1}, (cred.version, kind)


def test_pysnmp_is_not_a_poll_engine(tmp_path: Path) -> None:
    """``--engine pysnmp`` is a usage error (exit 2, located), not a poll with a weaker engine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGNET_")}
    env["EGNET_VAULT"] = str(tmp_path / "none.yaml")
    cmd = [sys.executable, "-m", "egnet.cli", "poll", str(ROOT / "inventory" / "lab"), "--once",
           "--engine", "pysnmp", "--netns", "none"]  # fmt: skip
    got = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, cwd=ROOT)
    assert got.returncode == 2, got.stderr
    assert "--engine" in got.stderr and "pysnmp" in got.stderr
    assert "Traceback" not in got.stderr
    assert sorted(ENGINES) == ["fast"]
    with pytest.raises(ValueError, match="unknown SNMP engine 'pysnmp'"):
        make_client("pysnmp")


@pytest.mark.parametrize(("version", "kind"), PYSNMP_ACCEPTS)
def test_pysnmp_peer_still_uses_these_bad_replies(version: str, kind: str) -> None:
    """Why pysnmp 7.1 is only a comparison peer: it reads the liar's counters (in_octets 666).
    If a pysnmp release stops doing so, this fails and the engine may be reconsidered."""
    from testing.pysnmp_client import PysnmpClient

    cred = _v3cred() if version == "3" else _v2cred()

    async def one() -> DeviceReading:
        agent = await SpoofAgent([kind]).start()
        client = PysnmpClient(timeout=0.5, retries=0)
        try:
            return await client.read_device(Target("r1", "127.0.0.1", agent.port, cred))
        finally:
            client.close()
            agent.close()

    r = asyncio.run(one())
    assert r.ok, r.error
    assert r.interfaces[0].in_octets == 666
