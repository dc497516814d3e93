"""Password hashing for rendered configs: no plaintext user password ever reaches a file.

Schemes (chosen per platform in ``templates/<platform>/platform.yaml``, key ``password_hash``):

- ``cisco_type9``: ``$9$<14-char salt>$<43 chars>``: scrypt (N=16384, r=1, p=1, 32 bytes) encoded
  with standard base64 over Cisco's ``./0-9A-Za-z`` alphabet, as IOS ``secret 9`` expects.
- ``sha512_crypt``: ``$6$<salt>$<86 chars>`` (Drepper's SHA-512-crypt, 5000 rounds), implemented
  here because the stdlib ``crypt`` module is gone in Python 3.13. Used for Huawei VRP
  (``irreversible-cipher``) and H3C Comware (``password hash``): their native formats are
  proprietary, so what we emit is a standard crypt hash in that position, not a byte-exact VRP or
  Comware hash; such devices must be given the password out of band (see the render README).

Salts are derived from the user name and password with HMAC, so renders are deterministic (golden
files, idempotent pushes) and one hash per (user, password) is computed per process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from functools import lru_cache

from topology.diagnostics import OperationError

CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_STD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_TO_CISCO = str.maketrans(_STD_ALPHABET, CRYPT_ALPHABET)
_SHA512_ORDER = [
    (0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4), (47, 5, 26), (6, 27, 48),
    (28, 49, 7), (50, 8, 29), (9, 30, 51), (31, 52, 10), (53, 11, 32), (12, 33, 54),
    (34, 55, 13), (56, 14, 35), (15, 36, 57), (37, 58, 16), (59, 17, 38), (18, 39, 60),
    (40, 61, 19), (62, 20, 41),
]  # fmt: skip


def derive_salt(user: str, password: str, length: int) -> str:
    """Return a deterministic salt of ``length`` crypt-alphabet characters.

    Examples:
        >>> derive_salt("netadmin", "pw", 8) == derive_salt("netadmin", "pw", 8)
        True
        >>> len(derive_salt("a", "b", 14))
        14
    """
    digest = hmac.new(password.encode(), b"egnet-salt:" + user.encode(), "sha256").digest()
    return "".join(CRYPT_ALPHABET[b % 64] for b in digest[:length])


def _b64_24(b2: int, b1: int, b0: int, n: int) -> str:
    w = (b2 << 16) | (b1 << 8) | b0
    out = []
    for _ in range(n):
        out.append(CRYPT_ALPHABET[w & 0x3F])
        w >>= 6
    return "".join(out)


def _sha512_intermediate(key: bytes, salt: bytes) -> bytes:
    alt = hashlib.sha512(key + salt + key).digest()
    a = hashlib.sha512(key + salt)
    n = len(key)
    while n > 64:
        a.update(alt)
        n -= 64
    a.update(alt[:n])
    n = len(key)
    while n > 0:
        a.update(alt if n & 1 else key)
        n >>= 1
    return a.digest()


def sha512_crypt(password: str, salt: str, rounds: int = 5000) -> str:
    """Return the SHA-512-crypt (``$6$``) hash of ``password``.

    Examples (test vectors of Drepper's specification):
        >>> h = sha512_crypt("Hello world!", "saltstring")
        >>> h == ("$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBF"
        ...       "dcbYEdFCoEOfaS35inz1")
        True
        >>> sha512_crypt("Hello world!", "saltstringsaltstring", rounds=10000)[:45]
        '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6B'
    """
    key, s = password.encode(), salt.encode()[:16]
    c = _sha512_intermediate(key, s)
    p = (hashlib.sha512(key * len(key)).digest() * (len(key) // 64 + 1))[: len(key)]
    ds = hashlib.sha512(s * (16 + c[0])).digest()[: len(s)]
    for i in range(rounds):
        h = hashlib.sha512(p if i & 1 else c)
        if i % 3:
            h.update(ds)
        if i % 7:
            h.update(p)
        h.update(c if i & 1 else p)
        c = h.digest()
    enc = "".join(_b64_24(c[x], c[y], c[z], 4) for x, y, z in _SHA512_ORDER) + _b64_24(
        0, 0, c[63], 2
    )
    prefix = "" if rounds == 5000 else f"rounds={rounds}$"
    return f"$6${prefix}{s.decode()}${enc}"


def cisco_type9(password: str, salt: str) -> str:
    """Return a Cisco type 9 (scrypt) secret.

    Examples (hashcat's published example hash for mode 9300, "Cisco-IOS $9$"):
        >>> cisco_type9("hashcat", "2MJBozw/9R3UsU")
        '$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6'
    """
    raw = hashlib.scrypt(password.encode(), salt=salt.encode(), n=16384, r=1, p=1, dklen=32)
    return f"$9${salt}${base64.b64encode(raw).decode().rstrip('=').translate(_TO_CISCO)}"


_SCHEMES: dict[str, tuple[int, Callable[[str, str], str]]] = {
    "cisco_type9": (14, cisco_type9),
    "sha512_crypt": (16, sha512_crypt),
}


@lru_cache(maxsize=4096)
def hash_password(scheme: str, user: str, password: str) -> str:
    """Hash ``password`` for ``user`` with ``scheme`` (cached: one computation per process).

    Examples:
        >>> hash_password("sha512_crypt", "noc", "x").startswith("$6$")
        True
    """
    if scheme not in _SCHEMES:
        raise OperationError(
            f"unknown password hash scheme '{scheme}' (known: {', '.join(_SCHEMES)})"
        )
    length, func = _SCHEMES[scheme]
    return func(password, derive_salt(user, password, length))
