"""Masking secrets in every text egnet shows: diffs, remediations, errors, logs, JSON (pure).

Two layers, both applied by :meth:`Masker.mask`:

1. the resolved secret values themselves (every value a :class:`RecordingSecrets` handed out), in
   any text, whatever the platform;
2. the secret-bearing command forms of each platform (data, below): the token after ``cipher``,
   ``simple``, ``password``, ``key``, ``community``, an SNMPv3 ``authentication-mode sha``/
   ``privacy-mode aes128`` key, a stored hash, … — so a key typed on the device by hand, or one
   egnet never resolved, is masked too.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

from topology.secrets import SecretSource

MASK = "<masked>"
MIN_VALUE = 4  # shorter values are not masked as free text (they would hide ordinary words)

_ENC = r"(?!(?:cipher|simple|plain|hash|irreversible-cipher|authentication-mode|privacy-mode)\b)"
#: per platform: regexes whose group 1 is a secret token
SECRET_COMMANDS: dict[str, tuple[str, ...]] = {
    "huawei_vrp": (
        rf"\b(?:cipher|irreversible-cipher|simple|plain)\s+{_ENC}(\S+)",
        r"\bsnmp-agent community (?:read|write) (?!cipher\b|simple\b)(\S+)",
        r"\bshared-key (?!cipher\b|simple\b)(\S+)",
        rf"\bauthentication-mode (?:md5|sha|sha2-256|hmac-sha256)\s+(?!\d+\b){_ENC}(\S+)",
        rf"\bprivacy-mode (?:aes128|aes192|aes256|des56|3des168)\s+{_ENC}(\S+)",
        r"\bmd5-password (?:cipher|plain) \S+ (\S+)",  # LDP MD5: peer LSR id, then the key
        # key id then a key without cipher/plain (hand-typed on older VRP)
        rf"\bauthentication-mode (?:md5|hmac-md5|hmac-sha256)\s+\d+\s+{_ENC}(\S+)",
        r"\bparams securityname (?!cipher\b)(\S+)",  # v1/v2c trap target: the community
    ),
    "hp_comware": (
        rf"\b(?:cipher|simple|plain|hash)\s+{_ENC}(\S+)",
        r"\bsnmp-agent community (?:read|write) (?!cipher\b|simple\b)(\S+)",
        rf"\bauthentication-mode (?:md5|sha|sha224|sha256|sha384|sha512)\s+(?!\d+\b){_ENC}(\S+)",
        rf"\bprivacy-mode (?:aes128|aes192|aes256|des56|3des)\s+{_ENC}(\S+)",
        r"\bmd5-authentication \S+ (?:cipher|plain) (\S+)",  # LDP MD5: peer LSR id, then the key
        rf"\bauthentication-mode (?:md5|hmac-md5|hmac-sha256)\s+\d+\s+{_ENC}(\S+)",
        r"\bparams securityname (?!cipher\b|simple\b)(\S+)",  # v1/v2c trap target: the community
    ),
    "cisco_ios": (
        r"(?<![-\w])(?:password|secret)\s+(?:\d+\s+)?(\S+)",
        r"(?<![-\w])key\s+(?!chain\b|config-key\b)(?:\d+\s+)?(\S+)",
        r"\bmd5\s+(?:\d+\s+)?(?!key-string\b|key-chain\b)(\S+)",
        r"\bsnmp-server community\s+(\S+)",
        r"\bip ospf authentication-key\s+(?:[07]\s+)?(\S+)",
        r"\bkey-string\s+(?:[07]\s+)?(\S+)",  # key chains, HSRP MD5
        r"\b(?:area|domain)-password\s+(\S+)",  # IS-IS
        # v1/v2c trap host: the community follows the optional version (v3 names a user)
        r"\bsnmp-server host \S+ (?:(?:informs|traps) )?(?:version (?:1|2c) )?(?!version\b)(\S+)",
        r"\bstandby (?:\d+ )?authentication (?:text )?(?!md5\b)(\S+)",
        r"\bvrrp \d+ authentication (?:text )?(?!md5\b)(\S+)",
        r"(?<![-\w])pre-shared-key\s+(?:(?:local|remote)\s+)?(?:[06]\s+)?(?!address\b|hostname\b)(\S+)",
        r"\bauth (?:md5|sha)\s+(\S+)",
        r"\bpriv (?:des|3des|aes(?:\s+\d+)?)\s+(\S+)",
        r"\bauthentication-key \d+ (?:md5|cmac-aes-128|hmac-sha1|hmac-sha2-256) (?:\d+ )?(\S+)",
    ),
    "frr": (
        r"(?<![-\w])password\s+(?!(?:clear|md5)\b)(\S+)",
        r"\b(?:password|area-password|domain-password)\s+(?:clear|md5)\s+(\S+)",  # IS-IS
        r"\bmd5\s+(\S+)",
        r"\bauthentication-key\s+(\S+)",
        r"\bcommunity\s+(\S+)\s+(?:ro|rw)\b",
        r"\brocommunity\s+(\S+)",
    ),
}
#: platforms not named above are masked with every table (a harmless over-approximation)
_ALL = tuple(dict.fromkeys(p for pats in SECRET_COMMANDS.values() for p in pats))


def _compiled(platform: str | None) -> list[re.Pattern[str]]:
    pats = SECRET_COMMANDS.get(platform or "", _ALL)
    return [re.compile(p) for p in pats]


def mask_commands(text: str, platform: str | None = None) -> str:
    """Mask the secret tokens of known secret-bearing commands.

    Examples:
        >>> mask_commands(" ospf authentication-mode md5 1 cipher Ab1xyz!", "huawei_vrp")
        ' ospf authentication-mode md5 1 cipher <masked>'
        >>> mask_commands("password min-length 12", "hp_comware")
        'password min-length 12'
        >>> mask_commands(" key authentication simple k3y-t3st", "hp_comware")
        ' key authentication simple <masked>'
        >>> mask_commands("snmp-server user u G v3 auth sha AK1 priv aes 128 PK1 access M", "cisco_ios")
        'snmp-server user u G v3 auth sha <masked> priv aes 128 <masked> access M'
    """
    out = []
    for line in text.split("\n"):
        for pat in _compiled(platform):
            line = pat.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + MASK, line)
        out.append(line)
    return "\n".join(out)


class Masker:
    """Masks known secret values and secret-bearing commands; thread-safe."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        for v in values:
            self.add(v)

    def add(self, value: str) -> None:
        """Remember one secret value (too short values are left to the command rules)."""
        if len(value) >= MIN_VALUE:
            with self._lock:
                self._values.add(value)

    def mask(self, text: str | None, platform: str | None = None) -> str:
        """Return ``text`` with every known value and secret command token masked.

        Examples:
            >>> Masker(["s3cr3t-v4lue"]).mask("hostname r1 ! s3cr3t-v4lue")
            'hostname r1 ! <masked>'
        """
        if not text:
            return text or ""
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for v in values:
            text = text.replace(v, MASK)
        return mask_commands(text, platform)


class RecordingSecrets:
    """A :class:`SecretSource` that hands every resolved value to a :class:`Masker`."""

    def __init__(self, inner: SecretSource, masker: Masker) -> None:
        self.inner = inner
        self.masker = masker

    def get(self, name: str, device: str | None = None) -> str:
        """Resolve through the wrapped source and remember the value."""
        value = self.inner.get(name, device)
        self.masker.add(value)
        return value


class MaskingFilter(logging.Filter):
    """A logging filter that masks every record's message (and arguments) before it is emitted."""

    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self.masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the message with its masked rendering."""
        record.msg = self.masker.mask(record.getMessage())
        record.args = None
        return True
