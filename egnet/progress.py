"""One progress bar helper for every long CLI run (render, audit, deploy, drift, failure sweeps).

The bar is drawn on stderr by rich, and only when both stdout and stderr are terminals and the run
is large enough to be worth one: piped or logged output stays clean.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from egnet.output import errconsole

Tick = Callable[[int], None]


def interactive() -> bool:
    """True when both stdout and stderr are terminals (a person is watching)."""
    return sys.stdout.isatty() and errconsole.is_terminal


@contextmanager
def progress_bar(label: str, total: int, min_total: int = 50) -> Iterator[Tick | None]:
    """Yield ``tick(n)`` advancing a bar of ``total`` steps, or ``None`` when no bar is shown.

    Callers pass the tick (or ``None``) to library code that accepts a progress callback; a tick
    may be called from worker threads.
    """
    if not interactive() or total < min_total:
        yield None
        return
    cols = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*cols, console=errconsole, transient=True) as bar:
        task = bar.add_task(label, total=total)

        def tick(n: int = 1) -> None:
            bar.advance(task, n)

        yield tick
