"""Terminal and JSON output for CLI commands (the only place that prints)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

# Piped or logged output gets a wide table instead of rich's 80-column default.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
errconsole = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)


def emit_json(data: Any) -> None:
    """Print ``data`` as indented UTF-8 JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a rich table."""
    t = Table(title=title, title_justify="left")
    for col in columns:
        t.add_column(col, justify="right" if col.startswith("#") or col.endswith("%") else "left")
    for row in rows:
        t.add_row(*(str(x) for x in row))
    console.print(t)


def info(text: str) -> None:
    """Print a status line on stderr (keeps stdout clean for JSON)."""
    errconsole.print(text, markup=False)
