"""A minimal BER codec for SNMP GETBULK walks (pure functions, bytes in, bytes out).

Why not pyasn1: decoding an interface-table response with pyasn1 costs ~170 µs per variable
binding, which makes a Python poller several times slower than net-snmp. SNMP responses only use a
handful of universal and application types, so a specialised decoder that keeps OIDs as their raw
encoded bytes (a column prefix test is then a ``bytes.startswith``) is ~50× cheaper.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

SEQUENCE = 0x30
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
GET_REQUEST = 0xA0
RESPONSE = 0xA2
GETBULK = 0xA5
REPORT = 0xA8
COUNTER32, GAUGE32, TIMETICKS, COUNTER64 = 0x41, 0x42, 0x43, 0x46
#: exceptions in a varbind value (RFC 3416): noSuchObject, noSuchInstance, endOfMibView
END_TAGS = frozenset((0x80, 0x81, 0x82))
#: the largest INTEGER (0..2147483647) of SNMP's header fields, request-ids, boots and time
MAX_INT32 = 2**31 - 1
#: longest definite length field accepted (4 octets: an SNMP message is at most 65,507 bytes)
MAX_LENGTH_OCTETS = 4
#: longest INTEGER/Counter64 content accepted (a Counter64 may need 9 octets with a leading 0)
MAX_INT_OCTETS = 9


class BerError(ValueError):
    """Malformed or unexpected BER data."""


def length(n: int) -> bytes:
    """Encode a BER length.

    Examples:
        >>> length(5).hex(), length(200).hex(), length(300).hex()
        ('05', '81c8', '82012c')
    """
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, content: bytes) -> bytes:
    """Encode one tag-length-value.

    Examples:
        >>> tlv(OCTET_STRING, b"public").hex()
        '04067075626c6963'
    """
    return bytes((tag,)) + length(len(content)) + content


def integer(v: int, tag: int = INTEGER) -> bytes:
    """Encode a (signed, two's complement) INTEGER.

    Examples:
        >>> integer(0).hex(), integer(127).hex(), integer(128).hex(), integer(-1).hex()
        ('020100', '02017f', '02020080', '0201ff')
    """
    size = max(1, (v + (v < 0)).bit_length() // 8 + 1)
    return tlv(tag, v.to_bytes(size, "big", signed=True))


def oid_body(oid: Sequence[int]) -> bytes:
    """Encode an OID's content octets (without tag and length).

    Examples:
        >>> oid_body((1, 3, 6, 1, 2, 1, 1, 3, 0)).hex()
        '2b06010201010300'
        >>> oid_body((1, 3, 6, 1, 4, 1, 8072)).hex()
        '2b06010401bf08'
    """
    out = bytearray((40 * oid[0] + oid[1],))
    for arc in oid[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return bytes(out)


def decode_oid_body(body: bytes) -> tuple[int, ...]:
    """Decode OID content octets.

    Examples:
        >>> decode_oid_body(bytes.fromhex("2b06010401bf08"))
        (1, 3, 6, 1, 4, 1, 8072)
        >>> decode_oid_body(b"")
        Traceback (most recent call last):
        ...
        poller.ber.BerError: empty OID
    """
    if not body:
        raise BerError("empty OID")
    first = body[0]
    arcs = [first // 40, first % 40] if first < 80 else [2, first - 80]
    acc = 0
    for b in body[1:]:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(acc)
            acc = 0
    return tuple(arcs)


def suffix_arc(body: bytes, start: int) -> int | None:
    """Decode the single sub-identifier at ``body[start:]`` (a table row index), or None.

    Examples:
        >>> suffix_arc(bytes.fromhex("2b0601020102020108") + bytes((0x81, 0x00)), 9)
        128
        >>> suffix_arc(bytes.fromhex("2b060102010202010801"), 9)
        1
        >>> suffix_arc(bytes.fromhex("2b06010201020201080101"), 9) is None
        True
    """
    acc = 0
    n = len(body)
    for i in range(start, n):
        b = body[i]
        acc = (acc << 7) | (b & 0x7F)
        if acc > MAX_INT32:  # an ifIndex is 1..2147483647
            return None
        if not b & 0x80:
            return acc if i == n - 1 else None
    return None


def header(buf: bytes, pos: int) -> tuple[int, int, int]:
    """Read a TLV header at ``pos``: return (tag, content start, content end).

    Lengths are definite and at most :data:`MAX_LENGTH_OCTETS` octets long; an indefinite length
    (0x80), an over-long length field or a length past the end of ``buf`` raises :class:`BerError`.

    Examples:
        >>> header(bytes.fromhex("0481c8") + bytes(200), 0)
        (4, 3, 203)
        >>> header(bytes.fromhex("0480"), 0)
        Traceback (most recent call last):
        ...
        poller.ber.BerError: indefinite or over-long length at 1
    """
    if pos < 0 or pos + 2 > len(buf):
        raise BerError("truncated TLV header")
    tag = buf[pos]
    n = buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > MAX_LENGTH_OCTETS:
            raise BerError(f"indefinite or over-long length at {pos - 1}")
        if pos + k > len(buf):
            raise BerError("truncated TLV header")
        n = int.from_bytes(buf[pos : pos + k], "big")
        pos += k
    end = pos + n
    if end > len(buf):
        raise BerError(f"TLV at {pos} runs past the end ({end} > {len(buf)})")
    return tag, pos, end


def expect(buf: bytes, pos: int, tag: int) -> tuple[int, int]:
    """Read a TLV that must have ``tag``; return (content start, end)."""
    t, start, end = header(buf, pos)
    if t != tag:
        raise BerError(f"expected tag 0x{tag:02x} at {pos}, found 0x{t:02x}")
    return start, end


def read_int(buf: bytes, pos: int) -> tuple[int, int]:
    """Read an INTEGER (or unsigned application integer) at ``pos``; return (value, next pos).

    Examples:
        >>> read_int(integer(-1), 0)
        (-1, 3)
        >>> read_int(bytes.fromhex("0200"), 0)
        Traceback (most recent call last):
        ...
        poller.ber.BerError: integer of 0 octets at 0
    """
    tag, start, end = header(buf, pos)
    if not 0 < end - start <= MAX_INT_OCTETS:
        raise BerError(f"integer of {end - start} octets at {pos}")
    signed = tag == INTEGER
    return int.from_bytes(buf[start:end], "big", signed=signed), end


def read_int32(buf: bytes, pos: int, low: int = 0) -> tuple[int, int]:
    """Read an INTEGER that must lie in ``low``..2^31-1 (msgID, request-id, boots, time ...).

    Examples:
        >>> read_int32(integer(7), 0)
        (7, 3)
        >>> read_int32(integer(2**31), 0)
        Traceback (most recent call last):
        ...
        poller.ber.BerError: integer 2147483648 at 0 out of range 0..2147483647
    """
    expect(buf, pos, INTEGER)
    value, end = read_int(buf, pos)
    if not low <= value <= MAX_INT32:
        raise BerError(f"integer {value} at {pos} out of range {low}..{MAX_INT32}")
    return value, end


def read_octets(buf: bytes, pos: int) -> tuple[bytes, int]:
    """Read an OCTET STRING at ``pos``; return (value, next pos)."""
    start, end = expect(buf, pos, OCTET_STRING)
    return buf[start:end], end


def varbinds(buf: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, bytes]]:
    """Yield (OID content bytes, value tag, value content bytes) from a varbind list.

    Examples:
        >>> vb = tlv(SEQUENCE, tlv(OID, oid_body((1, 3, 6, 1))) + integer(7, COUNTER32))
        >>> list(varbinds(vb, 0, len(vb)))
        [(b'+\\x06\\x01', 65, b'\\x07')]
    """
    pos = start
    while pos < end:
        vstart, vend = expect(buf, pos, SEQUENCE)
        ostart, oend = expect(buf, vstart, OID)
        vtag, cstart, cend = header(buf, oend)
        if vend > end or cend != vend or oend == ostart:
            raise BerError(f"malformed varbind at {pos}")
        yield buf[ostart:oend], vtag, buf[cstart:cend]
        pos = vend


def getbulk_pdu(request_id: int, non_repeaters: int, max_reps: int, oids: Sequence[bytes]) -> bytes:
    """Encode a GetBulkRequest-PDU; ``oids`` are OID content bytes.

    Examples:
        >>> getbulk_pdu(1, 0, 10, [oid_body((1, 3, 6))]).hex()
        'a51302010102010002010a3008300606022b060500'
    """
    vbl = b"".join(tlv(SEQUENCE, tlv(OID, o) + b"\x05\x00") for o in oids)
    body = integer(request_id) + integer(non_repeaters) + integer(max_reps) + tlv(SEQUENCE, vbl)
    return tlv(GETBULK, body)


def get_pdu(request_id: int, oids: Sequence[bytes] = ()) -> bytes:
    """Encode a GetRequest-PDU (empty for SNMPv3 engine discovery)."""
    vbl = b"".join(tlv(SEQUENCE, tlv(OID, o) + b"\x05\x00") for o in oids)
    return tlv(GET_REQUEST, integer(request_id) + integer(0) + integer(0) + tlv(SEQUENCE, vbl))


def parse_pdu(buf: bytes, pos: int) -> tuple[int, int, int, int, int, int]:
    """Read a response/report PDU; return (pdu tag, request id, error status, error index,
    varbind list start, varbind list end)."""
    tag, start, end = header(buf, pos)
    rid, p = read_int32(buf, start, low=-(2**31))
    status, p = read_int32(buf, p)
    index, p = read_int32(buf, p)
    vstart, vend = expect(buf, p, SEQUENCE)
    if vend > end:
        raise BerError("varbind list runs past its PDU")
    return tag, rid, status, index, vstart, vend


def v2c_message(community: bytes, pdu: bytes) -> bytes:
    """Wrap a PDU in an SNMPv2c message.

    Examples:
        >>> v2c_message(b"c", get_pdu(1)).hex()
        '3013020101040163a00b0201010201000201003000'
    """
    return tlv(SEQUENCE, integer(1) + tlv(OCTET_STRING, community) + pdu)


def parse_v2c(buf: bytes) -> tuple[bytes, int]:
    """Return (community, PDU position) of an SNMPv2c message."""
    start, _ = expect(buf, 0, SEQUENCE)
    version, p = read_int32(buf, start)
    if version != 1:
        raise BerError(f"not an SNMPv2c message (version field {version})")
    community, p = read_octets(buf, p)
    return community, p
