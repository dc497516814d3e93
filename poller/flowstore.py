"""Flow bins in the poller's SQLite store: ingest the collector's files once, read a window back.

Tables (beside the poller's own, in the same WAL database):

- ``flow_bins(bin_start, exporter, src, dst, dscp, packets, bytes)``: one row per aggregate and bin;
- ``flow_files(name, bin_start, records, rejected, ingested)``: the files already read, so ingesting
  the same folder again adds nothing (a file still being appended to is ingested when its bin is
  over: see :func:`ingest_dir`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from poller.flows import FlowFileError, FlowRecord, bin_start_of, read_flow_file
from topology.diagnostics import OperationError

FLOW_SCHEMA = """
CREATE TABLE IF NOT EXISTS flow_bins (
    bin_start INTEGER NOT NULL, exporter TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL,
    dscp INTEGER NOT NULL, packets INTEGER NOT NULL, bytes INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS flow_bins_start ON flow_bins (bin_start);
CREATE TABLE IF NOT EXISTS flow_files (
    name TEXT PRIMARY KEY, bin_start INTEGER NOT NULL, records INTEGER NOT NULL,
    rejected INTEGER NOT NULL, ingested REAL NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingest run read."""

    files: int
    records: int
    rejected_lines: int
    rejected_files: tuple[str, ...]
    pending: int


def open_flow_store(path: str | Path) -> sqlite3.Connection:
    """Open (and create) the store with the flow tables, in WAL mode.

    Raises:
        OperationError: ``path`` is not a regular file or not an SQLite database (exit 2).
    """
    where = Path(path)
    if where.exists() and not where.is_file():
        raise OperationError(f"{where}: not a regular file (the poller database is an SQLite file)")
    con = sqlite3.connect(str(path), timeout=10.0)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(FLOW_SCHEMA)
    except sqlite3.DatabaseError as exc:
        con.close()
        raise OperationError(f"{where}: not a usable poller database: {exc}") from None
    return con


def ingest_dir(
    con: sqlite3.Connection, folder: Path, bin_seconds: int, now: float | None = None
) -> IngestResult:
    """Ingest every finished bin file of ``folder`` not ingested before.

    A bin is finished once ``bin_start + 2 × bin_seconds`` has passed (the collector writes a bin at
    the refresh after it closes); younger files are left for the next run and counted as pending.
    Files that are not the collector's (wrong name, not a regular file, too large) are skipped and
    named in the result.
    """
    now = time.time() if now is None else now
    done = {row[0] for row in con.execute("SELECT name FROM flow_files")}
    files = records = rejected_lines = pending = 0
    rejected_files: list[str] = []
    for path in sorted(folder.iterdir()):
        start = bin_start_of(path.name)
        if start is None or path.name in done:
            continue
        if start + 2 * bin_seconds > now:
            pending += 1
            continue
        try:
            flow_file = read_flow_file(path)
        except (FlowFileError, OSError):
            rejected_files.append(path.name)
            continue
        with con:
            con.executemany(
                "INSERT INTO flow_bins VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (start, r.exporter, r.src, r.dst, r.dscp, r.packets, r.bytes)
                    for r in flow_file.records
                ],
            )
            con.execute(
                "INSERT INTO flow_files VALUES (?, ?, ?, ?, ?)",
                (path.name, start, len(flow_file.records), flow_file.rejected, now),
            )
        files += 1
        records += len(flow_file.records)
        rejected_lines += flow_file.rejected
    return IngestResult(files, records, rejected_lines, tuple(rejected_files), pending)


def flow_window(con: sqlite3.Connection, start: int, end: int) -> Iterator[tuple[int, FlowRecord]]:
    """Yield ``(bin_start, record)`` for every bin starting in ``[start, end)``."""
    cur = con.execute(
        "SELECT bin_start, exporter, src, dst, dscp, packets, bytes FROM flow_bins "
        "WHERE bin_start >= ? AND bin_start < ? ORDER BY bin_start",
        (start, end),
    )
    for b, exporter, src, dst, dscp, packets, nbytes in cur:
        yield (
            int(b),
            FlowRecord(str(exporter), str(src), str(dst), int(dscp), int(packets), int(nbytes)),
        )


def bin_range(con: sqlite3.Connection) -> tuple[int, int] | None:
    """Return the first and last bin start in the store, or None when it holds no flows."""
    row = con.execute("SELECT min(bin_start), max(bin_start) FROM flow_bins").fetchone()
    if row is None or row[0] is None:
        return None
    return int(row[0]), int(row[1])
