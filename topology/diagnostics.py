"""Compiler-style diagnostics: ``file:line:col: error: path: message`` plus a hint."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

Path = tuple[str | int, ...]
MAX_MESSAGE = 400  # characters of one message; longer ones end in an ellipsis

#: process exit codes (see "Exit codes" in README.md)
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_BUG = 70


def safe_text(text: str, limit: int = MAX_MESSAGE) -> str:
    """Make text safe for one terminal line: escape control and separator characters, cut long text.

    Examples:
        >>> print(safe_text("a\x1b[2Jb\u2028c"))
        a\\x1b[2Jb\\u2028c
        >>> safe_text("x" * 10, 5)
        'xxxx…'
    """
    out = "".join(
        ch
        if ch == " " or unicodedata.category(ch)[0] not in "CZ"
        else ch.encode("unicode_escape").decode("ascii")
        for ch in (text if len(text) <= 4 * limit else text[: 4 * limit])
    )
    return out if len(out) <= limit else out[: limit - 1] + "…"


def format_path(path: Path) -> str:
    """Format a data path as ``a.b[3].c``.

    Examples:
        >>> format_path(("city", "counties", 3, "uplinks", 1, "carrier"))
        'city.counties[3].uplinks[1].carrier'
        >>> format_path(())
        '(top)'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top)"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One located error or warning."""

    file: str
    line: int
    col: int
    path: str
    message: str
    hint: str | None = None
    severity: str = "error"

    def render(self) -> str:
        """Return the diagnostic as compiler-style text (one or two lines)."""
        where = f"{safe_text(self.file, 200)}:{self.line}:{self.col}"
        path = f"{safe_text(self.path, 200)}: " if self.path else ""
        text = f"{where}: {self.severity}: {path}{safe_text(self.message)}"
        if self.hint:
            text += f"\n  hint: {safe_text(self.hint)}"
        return text

    def as_dict(self) -> dict[str, object]:
        """Return the diagnostic as plain data for ``--json``."""
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "path": self.path,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


class InventoryError(Exception):
    """The one exception type that reaches the CLI: a stage found errors in the input."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.render())

    def render(self) -> str:
        """Return every diagnostic, one block each, and a count."""
        errors = sum(1 for d in self.diagnostics if d.severity == "error")
        lines = [d.render() for d in self.diagnostics]
        lines.append(f"{errors} error{'s' if errors != 1 else ''}")
        return "\n".join(lines)


def known(names: Iterable[str], limit: int = 12) -> str:
    """Return a hint listing known names.

    Examples:
        >>> known(["unicom", "telecom"])
        'known: telecom, unicom'
    """
    items = sorted(names)
    more = f" … ({len(items) - limit} more)" if len(items) > limit else ""
    return "known: " + ", ".join(items[:limit]) + more


class OperationError(Exception):
    """An operational failure with a human message (device unreachable, missing secret, not root…).

    Every egnet package raises this (or a subclass) for expected failures; the CLI prints the message
    without a traceback and exits with :attr:`exit_code`: 2 (bad input or usage) unless a subclass
    says otherwise (1 for an operation that failed on the network or host, 70 for a bug caught by a
    self-check).
    """

    exit_code: ClassVar[int] = EXIT_INPUT
