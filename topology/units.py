"""Unit parsing at the inventory boundary: rates and percentages.

Every rate in the model is an ``int`` of bits per second; every ratio a ``float`` in 0..1.
"""

from __future__ import annotations

import math
import re

_RATE = re.compile(
    r"^\s*(?P<num>\d{1,15}(?:\.\d{1,15})?)\s*(?P<unit>[kKmMgGtT]?)\s*(?:bps|b/s|bit/s|Bps)?\s*$"
)
_SCALE = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
MAX_RATE = 10**15  # 1 Pb/s: far above any circuit, far below float and int64 trouble


def shorten(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters with an ellipsis (errors never echo 2 MB).

    Examples:
        >>> shorten("x" * 100, 12)
        "'xxxxxxxxxx…"
        >>> shorten(5)
        '5'
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_rate(value: object) -> int:
    """Parse a rate such as ``"155M"``, ``"2.5G"``, ``"100Mbps"`` or a plain number into bit/s.

    Args:
        value: a string with an SI suffix (k, M, G, T; optional ``bps``/``b/s``) or a number of bit/s.

    Returns:
        The rate in bits per second, rounded to the nearest integer.

    Raises:
        ValueError: when the value is not a rate, is not finite, rounds to 0 bit/s or is above
            1 Pb/s (:data:`MAX_RATE`).

    Examples:
        >>> parse_rate("155.52M")
        155520000
        >>> parse_rate("2.5G")
        2500000000
        >>> parse_rate("100Mbps")
        100000000
        >>> parse_rate(20_000_000)
        20000000
    """
    expected = "expected a rate such as '155M', '2.5G' or '100Mbps'"
    if isinstance(value, bool):
        raise ValueError(f"{expected}, found {shorten(value)}")
    if isinstance(value, int):
        if abs(value) > MAX_RATE:
            raise ValueError(f"a rate must be at most 1P bit/s, found {shorten(value)}")
        bps = float(value)
    elif isinstance(value, float):
        bps = value
    elif isinstance(value, str):
        m = _RATE.match(value) if len(value) <= 64 else None
        if not m:
            raise ValueError(f"{expected}, found {shorten(value)}")
        bps = float(m["num"]) * _SCALE[m["unit"].lower()]
    else:
        raise ValueError(f"{expected}, found {shorten(value)}")
    if not math.isfinite(bps):
        raise ValueError(f"a rate must be a finite number, found {shorten(value)}")
    if bps > MAX_RATE:
        raise ValueError(f"a rate must be at most 1P bit/s, found {shorten(value)}")
    if bps <= 0:
        raise ValueError(f"a rate must be positive, found {shorten(value)}")
    if round(bps) < 1:
        raise ValueError(f"a rate must be at least 1 bit/s, found {shorten(value)} (rounds to 0)")
    return round(bps)


def parse_ratio(value: object) -> float:
    """Parse ``"70%"`` or ``0.7`` into a ratio in (0, 1].

    Examples:
        >>> parse_ratio("70%")
        0.7
        >>> parse_ratio(0.8)
        0.8
    """
    expected = "expected a percentage such as '70%'"
    if isinstance(value, bool):
        raise ValueError(f"{expected}, found {shorten(value)}")
    if isinstance(value, str) and len(value) <= 32 and value.strip().endswith("%"):
        try:
            ratio = float(value.strip()[:-1]) / 100
        except ValueError:
            raise ValueError(f"{expected}, found {shorten(value)}") from None
    elif isinstance(value, int) and abs(value) <= 100:
        ratio = float(value)
    elif isinstance(value, float):
        ratio = value
    else:
        raise ValueError(f"{expected}, found {shorten(value)}")
    if not 0 < ratio <= 1:  # also rejects NaN
        raise ValueError(f"a percentage must be above 0 and at most 100%, found {shorten(value)}")
    return ratio


def format_rate(bps: float) -> str:
    """Format bit/s with an SI suffix.

    Examples:
        >>> format_rate(155_520_000)
        '155.52M'
        >>> format_rate(10_000_000_000)
        '10G'
    """
    for unit, scale in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if abs(bps) >= scale:
            return f"{bps / scale:.2f}".rstrip("0").rstrip(".") + unit
    return f"{bps:.0f}"
