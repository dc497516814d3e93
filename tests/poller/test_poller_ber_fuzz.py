"""Property and fuzz tests of the fast engine's BER decoder and USM path (issue 9 §2).

Whatever bytes arrive, decoding raises only :class:`poller.ber.BerError` (or the client's
:class:`poller.fastsnmp.Dropped`), never IndexError/OverflowError/RecursionError/MemoryError, and a
mutated authenticated reply is never accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poller import ber, usm
from poller.fastsnmp import Dropped, FastClient, _Engine, _Pending, message_id
from poller.readings import Credentials, Target

ENGINE = bytes.fromhex("80001f888077656c6c")
KEYS = usm.keys_for("poller", "auth-pass-123", "priv-pass-456", ENGINE)
TARGET = Target(
    "r1", "127.0.0.1", 161, Credentials("3", "poller", "auth-pass-123", "priv-pass-456")
)
RID = 4242
BOOTS, TIME = 3, 1000


def _genuine_reply(rid: int = RID) -> bytes:
    vb = ber.tlv(ber.SEQUENCE, ber.tlv(ber.OID, ber.oid_body((1, 3, 6, 1, 2, 1, 1, 3, 0)))
                 + ber.integer(12345, ber.TIMETICKS))  # fmt: skip
    pdu = ber.tlv(
        ber.RESPONSE, ber.integer(rid) + ber.integer(0) + ber.integer(0) + ber.tlv(ber.SEQUENCE, vb)
    )
    scoped = usm.scoped_pdu(ENGINE, b"", pdu)
    salt = bytes(range(8))
    enc = usm.aes_cfb(KEYS.priv, usm.aes_iv(BOOTS, TIME, salt), scoped, True)
    sec = usm.security_params(ENGINE, BOOTS, TIME, b"poller", bytes(12), salt)
    msg = usm.v3_message(rid, usm.FLAG_AUTH | usm.FLAG_PRIV, sec, ber.tlv(ber.OCTET_STRING, enc))
    off = usm.parse_v3(msg).auth_offset
    return msg[:off] + usm.sign(KEYS.auth, msg) + msg[off + usm.AUTH_LEN :]


GENUINE = _genuine_reply()


def _engine() -> _Engine:
    return _Engine(ENGINE, BOOTS, TIME, time.monotonic())


def _decode_everything(data: bytes) -> None:
    """Run every decoder the client applies to a datagram; only BerError may escape."""
    for fn in (message_id, ber.parse_v2c, usm.parse_v3, usm.open_scoped):
        with contextlib.suppress(ber.BerError):
            fn(data)
    with contextlib.suppress(ber.BerError):
        ber.parse_pdu(data, 0)
    with contextlib.suppress(ber.BerError):
        list(ber.varbinds(data, 0, len(data)))


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400))
def test_decoders_raise_only_ber_error_on_any_bytes(data: bytes) -> None:
    _decode_everything(data)


lengths = st.sampled_from([b"\x80", b"\x84\xff\xff\xff\xff", b"\x85\x01\x00\x00\x00\x00",
                           b"\xff" + b"\xff" * 127, b"\x82\xff\xff", b"\x81\x00", b"\x7f"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(pos=st.integers(0, len(GENUINE) - 1), length=lengths)
def test_malicious_length_fields_anywhere(pos: int, length: bytes) -> None:
    """Splice a hostile length field after any byte of a genuine reply (where a tag would be)."""
    data = GENUINE[: pos + 1] + length + GENUINE[pos + 2 :]
    _decode_everything(data)
    try:
        FastClient._accept_v3(_engine(), KEYS, TARGET, RID, data)
    except (Dropped, ber.BerError):
        return
    assert data == GENUINE, "a reply with a spliced length field was accepted"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(GENUINE) - 1), st.integers(0, 255)), min_size=1, max_size=6
    )
)
def test_mutated_authenticated_reply_is_never_accepted(edits: list[tuple[int, int]]) -> None:
    data = bytearray(GENUINE)
    for pos, byte in edits:
        data[pos] = byte
    mutated = bytes(data)
    eng = _engine()
    try:
        kind, _, _ = FastClient._accept_v3(eng, KEYS, TARGET, RID, mutated)
    except (Dropped, ber.BerError):
        assert (eng.boots, eng.time) == (BOOTS, TIME)
        return
    assert mutated == GENUINE and kind == "data"


def test_genuine_reply_is_accepted_and_teaches_the_clock() -> None:
    eng = _Engine(ENGINE, BOOTS, TIME - 10, time.monotonic())
    kind, scoped, p = FastClient._accept_v3(eng, KEYS, TARGET, RID, GENUINE)
    assert kind == "data" and ber.parse_pdu(scoped, p)[1] == RID
    assert (eng.boots, eng.time) == (BOOTS, TIME)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.builds(lambda b, i: GENUINE[:i] + b, st.binary(max_size=40),
                                          st.integers(0, len(GENUINE))))  # fmt: skip
def test_client_receive_path_never_raises_and_counts(data: bytes) -> None:
    """The socket callback with a request in flight: any datagram is either the reply or a drop."""
    client = FastClient()
    loop = asyncio.new_event_loop()
    try:
        fut: asyncio.Future[object] = loop.create_future()
        accept = lambda buf: FastClient._accept_v3(_engine(), KEYS, TARGET, RID, buf)  # noqa: E731
        client.pending[RID] = _Pending("r1", ("127.0.0.1", 161), fut, accept)
        client._inflight[("127.0.0.1", 161)] = {"r1"}
        client._received(data, ("127.0.0.1", 161))
        dropped = sum(client.drops.get("r1", {}).values())
        assert fut.done() != (dropped == 1)
        if fut.done():
            assert data == GENUINE
    finally:
        loop.close()


@given(st.integers(0, ber.MAX_INT32))
def test_int32_round_trip(v: int) -> None:
    assert ber.read_int32(ber.integer(v), 0) == (v, len(ber.integer(v)))


@given(st.integers(2**31, 2**70) | st.integers(-(2**70), -1))
def test_int32_out_of_range_is_a_ber_error(v: int) -> None:
    try:
        ber.read_int32(ber.integer(v), 0)
    except ber.BerError:
        return
    raise AssertionError(f"{v} accepted")


@given(
    st.tuples(st.integers(0, 2), st.integers(0, 39)), st.lists(st.integers(0, 2**32), max_size=20)
)
def test_oid_round_trip(head: tuple[int, int], tail: list[int]) -> None:
    oid = (*head, *tail)
    assert ber.decode_oid_body(ber.oid_body(oid)) == oid
