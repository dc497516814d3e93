"""Bounded argparse types: a number outside its range, NaN or infinity is a usage error (exit 2)
naming the option, never a hang (``--gap inf``), a busy loop (``--interval 0``) or exit 70
(``--port 70000``).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from urllib.parse import urlsplit


def number(lo: float, hi: float, *, above: bool = False) -> Callable[[str], float]:
    """A finite float in [lo, hi] (in (lo, hi] when ``above``).

    Examples:
        >>> number(0, 10, above=True)("2.5")
        2.5
        >>> number(0, 10, above=True)("0")
        Traceback (most recent call last):
        argparse.ArgumentTypeError: must be a number > 0 and <= 10, got '0'
    """
    want = f"> {lo:g}" if above else f">= {lo:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and (value > lo if above else value >= lo) and value <= hi
        if not ok:
            raise argparse.ArgumentTypeError(
                f"must be a number {want} and <= {hi:g}, got {text[:40]!r}"
            )
        return value

    return parse


def integer(lo: int, hi: int) -> Callable[[str], int]:
    """An integer in [lo, hi].

    Examples:
        >>> integer(1, 65535)("161")
        161
        >>> integer(1, 65535)("70000")
        Traceback (most recent call last):
        argparse.ArgumentTypeError: must be an integer from 1 to 65535, got '70000'
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = lo - 1
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                f"must be an integer from {lo} to {hi}, got {text[:40]!r}"
            )
        return value

    return parse


def http_url(text: str) -> str:
    """An http(s)://HOST[:PORT][/PATH] URL without whitespace or control characters.

    Examples:
        >>> http_url("https://hooks.example/egnet")
        'https://hooks.example/egnet'
        >>> http_url("javascript:alert(1)")
        Traceback (most recent call last):
        argparse.ArgumentTypeError: expected an http(s)://HOST[:PORT][/PATH] URL, got 'javascript:alert(1)'
    """
    bad = any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text)
    try:
        parts = urlsplit(text)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        ok = ok and (parts.port is None or parts.port > 0)
    except ValueError:  # a bad port or IPv6 literal
        ok = False
    if bad or len(text) > 2000 or not ok:
        raise argparse.ArgumentTypeError(
            f"expected an http(s)://HOST[:PORT][/PATH] URL, got {text[:80]!r}"
        )
    return text


#: seconds of a network wait or a period: more than 0, at most a day
SECONDS = number(0, 86_400, above=True)
#: a UDP/TCP port
PORT = integer(1, 65_535)
#: days of history
DAYS = number(0, 36_500, above=True)
