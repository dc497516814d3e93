"""Issue 9 §2 re-checked with spoofs the other tests do not send.

Each case has the spoofing agent of ``test_poller_spoof`` send one hostile reply before the genuine
one: a v3 reply that claims privacy without authentication, an authenticated reply whose "encrypted"
flag covers a plaintext scoped PDU, another security model, a clock 151 s behind (one second past
RFC 3414's window), an old genuine reply replayed for a new request, a v1 message answering a v2c
request; and replies that carry the right ids but hostile contents (a 9-octet Counter64 ≥ 2^64, a
negative Counter32, an OCTET STRING whose length field claims 2 GiB, the first varbind not being
sysUpTime). None may be used, raise, or move the engine clock.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from test_poller_spoof import (
    BOOTS,
    COMMUNITY,
    USER,
    Reply,
    Request,
    SpoofAgent,
    _genuine,
    _read_with,
    _sec,
    _v2cred,
    _v3,
    _v3cred,
)

from poller import ber, usm
from poller.clients import make_client
from poller.cycle import Poller
from poller.fastsnmp import FastClient
from poller.readings import DeviceReading, Target


class Agent(SpoofAgent):
    """The spoofing agent with more kinds of bad reply (``kind`` → bytes to send first)."""

    def __init__(self, kind: str, only_bad: bool = False) -> None:
        super().__init__([], only_bad)
        self.kind = kind
        self.last: bytes | None = None  # the last genuine reply, for the replay
        self.sent = False

    def bad_reply(self, req: Request) -> bytes | None:
        k = self.kind
        if k == "priv-without-auth":
            return self.reply(req, Reply(flags=usm.FLAG_PRIV))
        if k == "plaintext-claims-priv":
            return self._plain_but_flagged(req)
        if k == "security-model":
            msg = self.reply(req, Reply())
            model = ber.integer(usm.USM_MODEL)
            return msg.replace(model + b"\x04", ber.integer(1) + b"\x04", 1)
        if k == "time-151-behind":
            return self.reply(req, Reply(time_shift=-151))
        if k == "replay":
            return self.last
        if k == "v1-for-v2c":
            msg = self.reply(req, Reply())
            start, _ = ber.expect(msg, 0, ber.SEQUENCE)
            assert msg[start : start + 3] == ber.integer(1)
            return msg[:start] + ber.integer(0) + msg[start + 3 :]  # SNMPv1's version 0
        return hostile_varbinds(self, req, k)

    def _plain_but_flagged(self, req: Request) -> bytes:
        """An authenticated, correctly signed reply flagged authPriv whose data is plaintext."""
        etime = self._engine_time(Reply())
        scoped = usm.scoped_pdu(
            usm_engine(), req.context, self._pdu_bytes(req, Reply(), self._varbinds(req, True))
        )
        salt = (10**6).to_bytes(8, "big")
        keys = self.keys
        msg = _v3(req.msg_id, usm.FLAG_AUTH | usm.FLAG_PRIV,
                  _sec(usm_engine(), BOOTS, etime, USER.encode(), bytes(12), salt), scoped)  # fmt: skip
        off = msg.index(bytes(12))
        return msg[:off] + usm.sign(keys.auth, msg) + msg[off + 12 :]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        assert self.transport is not None
        req = self._parse(data)
        if req.discovery:
            self.transport.sendto(self.reply(req, Reply(lie=False)), addr)
            return
        bad = None if self.sent else self.bad_reply(req)
        if bad is not None:
            self.sent = True  # one bad reply per read
            self.transport.sendto(bad, addr)
        genuine = self.reply(req, Reply(lie=False))
        self.last = genuine
        if not self.only_bad:
            self.transport.sendto(genuine, addr)


def usm_engine() -> bytes:
    from test_poller_spoof import ENGINE_ID

    return ENGINE_ID


#: hostile encodings of ifHCInOctets.1 in an otherwise genuine v2c Response (right community and id)
HOSTILE_VALUES = {
    "counter64-9-octets": ber.tlv(ber.COUNTER64, b"\x01" + bytes(8)),  # 2^64
    "length-2gib": b"\x46\x84\x7f\xff\xff\xff\x01",
    "counter64-empty": ber.tlv(ber.COUNTER64, b""),
    "counter-as-string": ber.tlv(ber.OCTET_STRING, b"12345"),
}


def hostile_varbinds(agent: SpoofAgent, req: Request, kind: str) -> bytes | None:
    """A v2c Response with the right community and request-id whose in_octets value is hostile."""
    if req.version != 1 or req.non_rep == 0:
        return None
    genuine = agent._varbinds(req)
    vbs = b""
    for oid, tag, value in ber.varbinds(genuine, 0, len(genuine)):
        enc = ber.tlv(tag, value)
        if tag == ber.COUNTER64 and int.from_bytes(value, "big") == 123_456_789:
            enc = HOSTILE_VALUES[kind]  # in_octets.1, re-framed so only its value is hostile
        vbs += ber.tlv(ber.SEQUENCE, ber.tlv(ber.OID, oid) + enc)
    pdu = ber.tlv(ber.RESPONSE, ber.integer(req.rid) + ber.integer(0) + ber.integer(0)
                  + ber.tlv(ber.SEQUENCE, vbs))  # fmt: skip
    return ber.tlv(
        ber.SEQUENCE, ber.integer(1) + ber.tlv(ber.OCTET_STRING, COMMUNITY.encode()) + pdu
    )


V3_KINDS = {
    "priv-without-auth": "security-level",
    "plaintext-claims-priv": "security-level",
    "security-model": "security-model",
    "time-151-behind": "time-window",
    "replay": "unexpected-id",
}
V2C_KINDS = {"v1-for-v2c": "malformed"} | {k: "malformed" for k in HOSTILE_VALUES}


def _run(agent: Agent, v3: bool) -> tuple[DeviceReading, FastClient]:
    client = FastClient(timeout=1.0, retries=0)

    async def go() -> DeviceReading:
        try:
            return await _read_with(agent, _v3cred() if v3 else _v2cred(), client)
        finally:
            client.close()

    return asyncio.run(go()), client


@pytest.mark.parametrize("kind", sorted(V3_KINDS))
def test_v3_other_spoofs_are_dropped(kind: str) -> None:
    agent = Agent(kind)
    reading, client = _run(agent, v3=True)
    _genuine(reading)
    assert reading.dropped == {V3_KINDS[kind]: 1}
    assert client.engines[("127.0.0.1", agent.port)].boots == BOOTS


@pytest.mark.parametrize("kind", sorted(V2C_KINDS))
def test_v2c_hostile_contents_never_raise_and_are_not_used(kind: str) -> None:
    """With the right ids a reply is taken as the answer; hostile contents then fail the read
    (located error, counted) or are dropped: never used, never an exception out of read_device."""
    reading, _ = _run(Agent(kind), v3=False)
    if reading.ok:
        _genuine(reading)
        assert reading.dropped == {V2C_KINDS[kind]: 1}
    else:
        assert reading.error and not reading.interfaces


def test_hostile_contents_of_one_device_leave_the_others_alone() -> None:
    async def go() -> dict[str, DeviceReading]:
        bad = await Agent("counter64-9-octets", only_bad=True).start()
        good = await SpoofAgent().start()
        client = make_client("fast", timeout=0.5, retries=0)
        targets = [Target("bad", "127.0.0.1", bad.port, _v2cred()),
                   Target("good", "127.0.0.1", good.port, _v2cred())]  # fmt: skip
        try:
            return await Poller(client, targets).read_all()
        finally:
            client.close()
            bad.close()
            good.close()

    got = asyncio.run(go())
    _genuine(got["good"])
    assert not got["bad"].ok and "internal error" not in (got["bad"].error or "")
