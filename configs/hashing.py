"""Password hashing for rendered configs, where the platform documents a hash format we can compute.

Schemes (chosen per platform in ``templates/<platform>/platform.yaml``, ``render.password_hash``):

- ``cisco_type9``: ``$9$<14-char salt>$<43 chars>``: scrypt (N=16384, r=1, p=1, 32 bytes) encoded
  with standard base64 over Cisco's ``./0-9A-Za-z`` alphabet, as IOS ``secret 9`` expects.
- ``device`` (Huawei VRP, H3C Comware): no hash is computed here. Their stored formats are
  proprietary, so the config carries the vendor's documented input form (VRP ``password
  irreversible-cipher <plain>``, Comware ``password simple <plain>``) and the device hashes it on
  commit; the deploy diff treats the device's stored hash as equal (``diff.secrets`` in the
  platform's ``platform.yaml``).

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
}


@lru_cache(maxsize=4096)
def hash_password(scheme: str, user: str, password: str) -> str:
    """Hash ``password`` for ``user`` with ``scheme`` (cached: one computation per process).

    Examples:
        >>> hash_password("cisco_type9", "noc", "x").startswith("$9$")
        True
    """
    if scheme not in _SCHEMES:
        raise OperationError(
            f"unknown password hash scheme '{scheme}' (known: {', '.join(_SCHEMES)})"
        )
    length, func = _SCHEMES[scheme]
    return func(password, derive_salt(user, password, length))
