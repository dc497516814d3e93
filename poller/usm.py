"""SNMPv3 User-based Security Model for the fast client: HMAC-SHA-96 (RFC 3414) and
AES-128-CFB privacy (RFC 3826). Pure functions over bytes; the cipher comes from ``cryptography``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # cryptography >= 47 keeps CFB among the "decrepit" modes
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from poller import ber

AUTH_LEN = 12  # HMAC-SHA-96
FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE = 0x01, 0x02, 0x04
USM_MODEL = 3
MAX_SIZE = 65507

#: usmStats report OIDs (content bytes) that mean "retry after resynchronising"
NOT_IN_TIME_WINDOW = ber.oid_body((1, 3, 6, 1, 6, 3, 15, 1, 1, 2, 0))
UNKNOWN_ENGINE_ID = ber.oid_body((1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0))


def password_to_key(password: str) -> bytes:
    """Return the SHA-1 key derived from a password (RFC 3414 A.2.2: 1 MiB of repeated password).

    Examples:
        >>> password_to_key("maplesyrup").hex()
        '9fb5cc0381497b3793528939ff788d5d79145211'
    """
    pw = password.encode()
    if not pw:
        raise ValueError("empty SNMPv3 password")
    stream = (pw * (1048576 // len(pw) + 1))[:1048576]
    return hashlib.sha1(stream).digest()


def localize(key: bytes, engine_id: bytes) -> bytes:
    """Localise a key to an agent's engine ID (RFC 3414 A.2.2).

    Examples:
        >>> ku = password_to_key("maplesyrup")
        >>> localize(ku, bytes.fromhex("000000000000000000000002")).hex()
        '6695febc9288e36282235fc7151f128497b38f3f'
    """
    return hashlib.sha1(key + engine_id + key).digest()


@dataclass(frozen=True, slots=True)
class UsmKeys:
    """A user's keys localised to one engine."""

    user: bytes
    auth: bytes
    priv: bytes


def keys_for(user: str, auth_password: str, priv_password: str, engine_id: bytes) -> UsmKeys:
    """Return a user's localised HMAC-SHA key and AES-128 key for ``engine_id``."""
    auth = localize(password_to_key(auth_password), engine_id)
    priv = localize(password_to_key(priv_password), engine_id)[:16]
    return UsmKeys(user.encode(), auth, priv)


def aes_iv(boots: int, time: int, salt: bytes) -> bytes:
    """Return the AES-CFB IV: engineBoots ‖ engineTime ‖ 64-bit salt (RFC 3826 §3.1.2.1).

    Examples:
        >>> aes_iv(1, 2, bytes(8)).hex()
        '00000001000000020000000000000000'
    """
    return boots.to_bytes(4, "big") + time.to_bytes(4, "big") + salt


def aes_cfb(key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
    """AES-128 in CFB-128 mode (no padding needed).

    Examples:
        >>> k, iv = bytes(16), bytes(16)
        >>> aes_cfb(k, iv, aes_cfb(k, iv, b"scoped pdu", True), False)
        b'scoped pdu'
    """
    cipher = Cipher(algorithms.AES(key), CFB(iv))
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


def sign(auth_key: bytes, whole_msg: bytes) -> bytes:
    """Return the 12-byte HMAC-SHA-96 of a message whose auth field holds 12 zero bytes."""
    return hmac.new(auth_key, whole_msg, hashlib.sha1).digest()[:AUTH_LEN]


def security_params(
    engine_id: bytes, boots: int, time: int, user: bytes, auth: bytes, priv: bytes
) -> bytes:
    """Encode UsmSecurityParameters (the content of msgSecurityParameters)."""
    body = ber.tlv(ber.OCTET_STRING, engine_id) + ber.integer(boots) + ber.integer(time)
    body += ber.tlv(ber.OCTET_STRING, user) + ber.tlv(ber.OCTET_STRING, auth)
    return ber.tlv(ber.SEQUENCE, body + ber.tlv(ber.OCTET_STRING, priv))


def scoped_pdu(context_engine: bytes, context: bytes, pdu: bytes) -> bytes:
    """Encode a ScopedPDU."""
    body = ber.tlv(ber.OCTET_STRING, context_engine) + ber.tlv(ber.OCTET_STRING, context) + pdu
    return ber.tlv(ber.SEQUENCE, body)


def v3_message(msg_id: int, flags: int, sec_params: bytes, data: bytes) -> bytes:
    """Encode an SNMPv3 message; ``data`` is a ScopedPDU or an encrypted OCTET STRING TLV."""
    head = ber.integer(msg_id) + ber.integer(MAX_SIZE) + ber.tlv(ber.OCTET_STRING, bytes((flags,)))
    head = ber.tlv(ber.SEQUENCE, head + ber.integer(USM_MODEL))
    body = ber.integer(3) + head + ber.tlv(ber.OCTET_STRING, sec_params) + data
    return ber.tlv(ber.SEQUENCE, body)


@dataclass(frozen=True, slots=True)
class V3Response:
    """The parts of a received SNMPv3 message the client needs."""

    msg_id: int
    flags: int
    engine_id: bytes
    boots: int
    time: int
    user: bytes
    auth_params: bytes
    auth_offset: int
    priv_params: bytes
    data: bytes
    data_is_encrypted: bool
    security_model: int = USM_MODEL


def parse_v3(buf: bytes) -> V3Response:
    """Split an SNMPv3 message into header fields, USM parameters and the (maybe encrypted) data.

    Every field is checked against its RFC 3412/3414 range (msgID, msgMaxSize, msgFlags one octet,
    engine boots/time 0..2^31-1, engine ID at most 32 octets, user at most 32 octets); a message out
    of range or with trailing garbage raises :class:`poller.ber.BerError`, never another exception.
    """
    start, end = ber.expect(buf, 0, ber.SEQUENCE)
    if end != len(buf):
        raise ber.BerError("trailing data after the message")
    version, p = ber.read_int32(buf, start)
    if version != 3:
        raise ber.BerError(f"not an SNMPv3 message (version field {version})")
    gstart, gend = ber.expect(buf, p, ber.SEQUENCE)
    msg_id, q = ber.read_int32(buf, gstart)
    max_size, q = ber.read_int32(buf, q)
    if max_size < 484:
        raise ber.BerError(f"msgMaxSize {max_size} below 484")
    flags_raw, q = ber.read_octets(buf, q)
    if len(flags_raw) != 1:
        raise ber.BerError(f"msgFlags of {len(flags_raw)} octets")
    model, q = ber.read_int32(buf, q, low=1)
    if q != gend:
        raise ber.BerError("trailing data in msgGlobalData")
    sstart, send = ber.expect(buf, gend, ber.OCTET_STRING)
    ustart, uend = ber.expect(buf, sstart, ber.SEQUENCE)
    engine_id, u = ber.read_octets(buf, ustart)
    boots, u = ber.read_int32(buf, u)
    etime, u = ber.read_int32(buf, u)
    user, u = ber.read_octets(buf, u)
    astart, aend = ber.expect(buf, u, ber.OCTET_STRING)
    priv, u = ber.read_octets(buf, aend)
    if u != uend or uend != send:
        raise ber.BerError("trailing data in msgSecurityParameters")
    if len(engine_id) > 32 or len(user) > 32:
        raise ber.BerError("engine ID or user name longer than 32 octets")
    tag, dstart, dend = ber.header(buf, send)
    if dend != end:
        raise ber.BerError("trailing data after msgData")
    encrypted = tag == ber.OCTET_STRING
    if not encrypted and tag != ber.SEQUENCE:
        raise ber.BerError(f"msgData of tag 0x{tag:02x}")
    data = buf[dstart:dend] if encrypted else buf[send:dend]
    return V3Response(msg_id, flags_raw[0], engine_id, boots, etime, user, buf[astart:aend],
                      astart, priv, data, encrypted, model)  # fmt: skip


def open_scoped(scoped: bytes) -> tuple[bytes, bytes, int]:
    """Return (contextEngineID, contextName, PDU position) of a plaintext ScopedPDU.

    Examples:
        >>> open_scoped(scoped_pdu(b"engine", b"ctx", ber.get_pdu(1)))
        (b'engine', b'ctx', 15)
    """
    start, end = ber.expect(scoped, 0, ber.SEQUENCE)
    engine, p = ber.read_octets(scoped, start)
    context, p = ber.read_octets(scoped, p)
    _, _, pend = ber.header(scoped, p)
    if pend != end:
        raise ber.BerError("trailing data in the ScopedPDU")
    return engine, context, p


def verify(auth_key: bytes, buf: bytes, resp: V3Response) -> bool:
    """Check a response's HMAC-SHA-96 (its auth field zeroed while hashing)."""
    if len(resp.auth_params) != AUTH_LEN:
        return False
    a = resp.auth_offset
    zeroed = buf[:a] + bytes(AUTH_LEN) + buf[a + AUTH_LEN :]
    return hmac.compare_digest(sign(auth_key, zeroed), resp.auth_params)
