"""Safe text at the inventory boundary: identifier patterns, device-safe free text, strict numbers.

Every identifier of the inventory (site ids, circuit ids, hostnames, duct ids, zone names, carrier,
circuit-type, device-model, platform and feature names) matches one of the patterns below, so it can
never carry a line break, a comment or a pipe into a device config. Free text that can reach a
device (labels, site names, banners) is checked by :func:`device_text`: no control, format,
surrogate, private-use, unassigned or line/paragraph-separator characters, no space other than
U+0020, and none of the characters the vendors' CLIs treat specially (see :data:`CLI_SPECIAL`).

This module imports nothing of egnet, so every input model can use it.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Strict, StringConstraints

#: site ids, carriers, circuit types, zones, ducts, clouds, applications, buildings, features
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
#: hostnames (legacy core hostnames may be upper case and dotted)
HOSTNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
#: circuit ids (uplink ``id`` and extra circuits)
CIRCUIT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
#: device model and vendor names, e.g. ``NE40E-X8A``
MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$"
#: platform names, e.g. ``huawei_vrp``
PLATFORM_PATTERN = r"^[a-z][a-z0-9_]*$"
#: names of secrets (looked up in the environment and the vault, never their values)
SECRET_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
#: administrative codes
CODE_PATTERN = r"^[0-9A-Za-z]+$"
#: OSPF area: dotted quad or a decimal number
AREA_PATTERN = r"^([0-9]{1,10}|[0-9]{1,3}(\.[0-9]{1,3}){3})$"

#: characters with a meaning on a vendor CLI: comments (``!`` Cisco/FRR, ``#`` Huawei/H3C), output
#: pipes (``|``), context help (``?``), banner delimiters (``%`` ``^`` ``"``), escapes and backquote
CLI_SPECIAL = frozenset('!#|?%^"\\`')
#: Unicode categories never accepted in free text: Cc (control, incl. NUL ESC BEL CR VT FF), Cf
#: (format), Cs (surrogate), Co (private use), Cn (unassigned), Zl/Zp (U+2028/U+2029) and Zs other
#: than the ASCII space
BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})


def char_name(ch: str) -> str:
    """Name a character for an error message.

    Examples:
        >>> char_name("\\r")
        'U+000D'
        >>> char_name("\\u2028")
        'U+2028 (LINE SEPARATOR)'
    """
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def bad_char(text: str, special: frozenset[str] = CLI_SPECIAL) -> tuple[int, str] | None:
    """Return (index, reason) of the first character not allowed in device text, else None.

    Examples:
        >>> bad_char("北城市 core 1")
        >>> bad_char("a\\x1b[31m")
        (1, 'control character U+001B')
        >>> bad_char("to r2 | c1")
        (6, "character '|' (special on vendor CLIs)")
    """
    for i, ch in enumerate(text):
        if ch == " ":
            continue
        cat = unicodedata.category(ch)
        if cat in BAD_CATEGORIES:
            kind = "space" if cat == "Zs" else "control"
            return i, f"{kind} character {char_name(ch)}"
        if ch in special:
            return i, f"character {ch!r} (special on vendor CLIs)"
    return None


def device_text(text: str) -> str:
    """Validate free text that may reach a device (pydantic after-validator).

    Examples:
        >>> device_text("省级政务云")
        '省级政务云'
        >>> device_text("x\\u2029y")
        Traceback (most recent call last):
        ...
        ValueError: position 2: control character U+2029 (PARAGRAPH SEPARATOR) is not allowed in text for devices
    """
    found = bad_char(text)
    if found is not None:
        index, reason = found
        raise ValueError(f"position {index + 1}: {reason} is not allowed in text for devices")
    if text != text.strip():
        raise ValueError("leading or trailing spaces are not allowed")
    return text


Int = Annotated[int, Strict()]
Id = Annotated[str, Strict(), StringConstraints(pattern=ID_PATTERN, max_length=48)]
Hostname = Annotated[str, Strict(), StringConstraints(pattern=HOSTNAME_PATTERN, max_length=63)]
CircuitId = Annotated[str, Strict(), StringConstraints(pattern=CIRCUIT_ID_PATTERN, max_length=64)]
ModelName = Annotated[str, Strict(), StringConstraints(pattern=MODEL_PATTERN, max_length=48)]
PlatformName = Annotated[str, Strict(), StringConstraints(pattern=PLATFORM_PATTERN, max_length=32)]
SecretName = Annotated[str, Strict(), StringConstraints(pattern=SECRET_NAME_PATTERN, max_length=64)]
Code = Annotated[str, Strict(), StringConstraints(pattern=CODE_PATTERN, max_length=16)]
Area = Annotated[str, Strict(), StringConstraints(pattern=AREA_PATTERN)]
Label = Annotated[
    str, Strict(), StringConstraints(min_length=1, max_length=120), AfterValidator(device_text)
]
