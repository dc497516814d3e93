"""SQLite (WAL) storage: raw circuit samples, 5-minute roll-ups, device status, alerts.

Retention is a setting: raw samples ``raw_days`` (default 14), roll-ups ``rollup_days`` (default
190, i.e. more than the six months of 等保 log retention). Statistics per circuit and direction: the
95th percentile of 5-minute averages and the busy-hour peak (highest clock-hour mean).

:func:`measured_loads` is what the planner reads (``egnet plan DIR --measured DB``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from poller.cycle import DeviceStatus
from poller.rates import percentile
from poller.samples import CircuitSample, EndCounters
from topology.diagnostics import OperationError

BUCKET = 300
DAY = 86400
_SHIFT = 2**63

SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    circuit TEXT NOT NULL, ts REAL NOT NULL, state TEXT NOT NULL, capacity_bps INTEGER NOT NULL,
    ab_bps REAL, ba_bps REAL, errors_ps REAL, discards_ps REAL, note TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS samples_circuit_ts ON samples (circuit, ts);
CREATE INDEX IF NOT EXISTS samples_ts ON samples (ts);
CREATE TABLE IF NOT EXISTS rollup5m (
    circuit TEXT NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
    ab_sum REAL NOT NULL, ab_max REAL NOT NULL, ba_sum REAL NOT NULL, ba_max REAL NOT NULL,
    errors_sum REAL NOT NULL, discards_sum REAL NOT NULL, down INTEGER NOT NULL,
    PRIMARY KEY (circuit, bucket)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS device_status (
    device TEXT PRIMARY KEY, ts REAL NOT NULL, reachable INTEGER NOT NULL, seconds REAL NOT NULL,
    error TEXT);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL,
    subject TEXT NOT NULL, message TEXT NOT NULL, raised REAL NOT NULL, cleared REAL);
CREATE INDEX IF NOT EXISTS alerts_open ON alerts (cleared, key);
CREATE TABLE IF NOT EXISTS counters (
    device TEXT NOT NULL, interface TEXT NOT NULL, circuit TEXT NOT NULL, ts REAL NOT NULL,
    in_octets INTEGER NOT NULL, out_octets INTEGER NOT NULL,
    PRIMARY KEY (device, interface)) WITHOUT ROWID;
"""

_ROLLUP_UPSERT = """
INSERT INTO rollup5m (circuit, bucket, n, ab_sum, ab_max, ba_sum, ba_max, errors_sum, discards_sum,
                      down, capacity_bps)
VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (circuit, bucket) DO UPDATE SET capacity_bps = excluded.capacity_bps,
    n = n + 1, ab_sum = ab_sum + excluded.ab_sum, ab_max = max(ab_max, excluded.ab_max),
    ba_sum = ba_sum + excluded.ba_sum, ba_max = max(ba_max, excluded.ba_max),
    errors_sum = errors_sum + excluded.errors_sum,
    discards_sum = discards_sum + excluded.discards_sum, down = down + excluded.down
"""


_DEVICE_UPSERT = """
INSERT INTO device_status (device, ts, reachable, seconds, error, dropped, discarded, last_ok)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (device) DO UPDATE SET ts = excluded.ts, reachable = excluded.reachable,
    seconds = excluded.seconds, error = excluded.error,
    dropped = dropped + excluded.dropped, discarded = discarded + excluded.discarded,
    last_ok = coalesce(excluded.last_ok, last_ok)
"""


@dataclass(frozen=True, slots=True)
class Retention:
    """How long to keep raw samples and roll-ups, in days."""

    raw_days: float = 14.0
    rollup_days: float = 190.0


@dataclass(frozen=True, slots=True)
class CircuitStats:
    """Busy-hour peak and 95th percentile per direction over a window, in bit/s."""

    circuit: str
    p95_ab: float
    p95_ba: float
    busy_ab: float
    busy_ba: float
    buckets: int


#: columns added after the first schema: (table, column, declaration); added on open when missing
ADDED_COLUMNS = (
    # replies dropped and rates discarded, cumulative per device (issue 9 §2, §3)
    ("device_status", "dropped", "INTEGER NOT NULL DEFAULT 0"),
    ("device_status", "discarded", "INTEGER NOT NULL DEFAULT 0"),
    # when the device last answered (the last successful poll)
    ("device_status", "last_ok", "REAL"),
    # the contracted rate the bucket's samples were measured against (0: unknown, older data)
    ("rollup5m", "capacity_bps", "INTEGER NOT NULL DEFAULT 0"),
)


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (and create, or bring up to date) the database in WAL mode.

    A path that is not a regular file (``/dev/zero``, a FIFO, a folder) or a file that is not an
    SQLite database is an :class:`OperationError` naming it (exit 2), never a hang or exit 70.
    """
    where = Path(path)
    if str(path) != ":memory:" and where.exists() and not where.is_file():
        raise OperationError(f"{where}: not a regular file (the poller database is an SQLite file)")
    try:
        con = sqlite3.connect(str(path), timeout=10.0, check_same_thread=False)
    except sqlite3.Error as exc:
        raise OperationError(f"{where}: cannot open the poller database: {exc}") from None
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.executescript(SCHEMA)
        for table, column, decl in ADDED_COLUMNS:
            have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                with con:
                    con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
    except sqlite3.DatabaseError as exc:
        con.close()
        raise OperationError(f"{where}: not a usable poller database: {exc}") from None
    return con


@contextmanager
def _tx(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    with con:
        yield con


class Store:
    """The poller's database (one connection; use from one thread at a time)."""

    def __init__(self, path: str | Path, retention: Retention | None = None) -> None:
        self.path = Path(path)
        self.retention = retention or Retention()
        self.con = connect(self.path)

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def write_samples(self, samples: Iterable[CircuitSample]) -> int:
        """Store raw samples and fold the ones with rates into their 5-minute roll-up."""
        rows: list[tuple[Any, ...]] = []
        ups: list[tuple[Any, ...]] = []
        for s in samples:
            head = (s.circuit, s.at, s.state.value, s.capacity_bps, s.ab_bps, s.ba_bps)
            rows.append((*head, s.errors_ps, s.discards_ps, s.note))
            if s.ab_bps is not None and s.ba_bps is not None:
                bucket = int(s.at) // BUCKET * BUCKET
                err, disc = s.errors_ps or 0.0, s.discards_ps or 0.0
                down = int(s.state.value == "down")
                ups.append((s.circuit, bucket, s.ab_bps, s.ab_bps, s.ba_bps, s.ba_bps, err, disc,
                            down, s.capacity_bps))  # fmt: skip
        with _tx(self.con) as con:
            con.executemany("INSERT INTO samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            con.executemany(_ROLLUP_UPSERT, ups)
        return len(rows)

    def write_devices(self, statuses: Iterable[DeviceStatus], at: float) -> None:
        """Record each device's latest reachability; add up its dropped replies and discarded
        rates; remember its last successful poll."""
        rows = [
            (d.device, at, int(d.reachable), d.seconds, d.error, sum(d.dropped.values()),
             sum(d.discarded.values()), at if d.reachable else None)
            for d in statuses
        ]  # fmt: skip
        with _tx(self.con) as con:
            con.executemany(_DEVICE_UPSERT, rows)

    def write_counters(self, counters: Iterable[EndCounters], at: float) -> None:
        """Keep the latest raw octet counters of each circuit end (Counter64 fits SQLite's
        64-bit integers only as signed: stored as value - 2^63)."""
        rows = [(e.device, e.interface, e.circuit, at, e.in_octets - _SHIFT, e.out_octets - _SHIFT)
                for e in counters]  # fmt: skip
        with _tx(self.con) as con:
            con.executemany("INSERT OR REPLACE INTO counters VALUES (?, ?, ?, ?, ?, ?)", rows)

    def counters(self) -> list[EndCounters]:
        """Return the latest raw octet counters of every circuit end."""
        cur = self.con.execute(
            "SELECT circuit, device, interface, in_octets, out_octets FROM counters"
            " ORDER BY device, interface"
        )
        return [EndCounters(circuit=c, device=d, interface=i, in_octets=a + _SHIFT,
                            out_octets=b + _SHIFT) for c, d, i, a, b in cur]  # fmt: skip

    def prune(self, now: float | None = None) -> tuple[int, int]:
        """Delete data older than the retention; return (raw rows, roll-up rows) deleted."""
        now = time.time() if now is None else now
        raw_cut = now - self.retention.raw_days * DAY
        roll_cut = now - self.retention.rollup_days * DAY
        with _tx(self.con) as con:
            a = con.execute("DELETE FROM samples WHERE ts < ?", (raw_cut,)).rowcount
            b = con.execute("DELETE FROM rollup5m WHERE bucket < ?", (roll_cut,)).rowcount
            con.execute("DELETE FROM alerts WHERE cleared IS NOT NULL AND cleared < ?", (roll_cut,))
        return a, b

    def latest(self) -> dict[str, dict[str, Any]]:
        """Return each circuit's most recent sample as plain data."""
        cur = self.con.execute(
            "SELECT s.circuit, s.ts, s.state, s.capacity_bps, s.ab_bps, s.ba_bps, s.errors_ps,"
            " s.discards_ps, s.note FROM samples s JOIN (SELECT circuit, max(ts) AS ts FROM"
            " samples GROUP BY circuit) m ON s.circuit = m.circuit AND s.ts = m.ts"
        )
        keys = [
            "circuit",
            "ts",
            "state",
            "capacity_bps",
            "ab_bps",
            "ba_bps",
            "errors_ps",
            "discards_ps",
            "note",
        ]
        return {r[0]: dict(zip(keys, r, strict=True)) for r in cur}

    def history(self, circuit: str, since: float, raw: bool = True) -> list[tuple[float, ...]]:
        """Return (ts, a→b bps, b→a bps, capacity bps) points: raw samples, or 5-minute averages.

        The capacity is the one each sample was measured against (0 for roll-ups written before
        it was recorded).
        """
        if raw:
            sql = (
                "SELECT ts, ab_bps, ba_bps, capacity_bps FROM samples WHERE circuit = ?"
                " AND ts >= ? AND ab_bps IS NOT NULL ORDER BY ts"
            )
        else:
            sql = (
                "SELECT bucket, ab_sum / n, ba_sum / n, capacity_bps FROM rollup5m"
                " WHERE circuit = ? AND bucket >= ? ORDER BY bucket"
            )
        return [tuple(r) for r in self.con.execute(sql, (circuit, since))]

    def devices(self) -> dict[str, dict[str, Any]]:
        """Return each device's latest status, cumulative drop/discard counts, last success."""
        cur = self.con.execute(
            "SELECT device, ts, reachable, seconds, error, dropped, discarded, last_ok"
            " FROM device_status"
        )
        return {
            r[0]: {"ts": r[1], "reachable": bool(r[2]), "seconds": r[3], "error": r[4],
                   "dropped": r[5], "discarded": r[6], "last_ok": r[7]}
            for r in cur
        }  # fmt: skip

    def stats(self, since: float, circuits: Iterable[str] | None = None) -> list[CircuitStats]:
        """Return 95th percentile and busy-hour peak per circuit over roll-ups since ``since``."""
        return circuit_stats(self.con, since, circuits)


def _busy_hour(points: list[tuple[int, float, float]]) -> tuple[float, float]:
    """Return the highest clock-hour mean per direction from (bucket, ab, ba) 5-minute points.

    Examples:
        >>> _busy_hour([(0, 1.0, 4.0), (300, 3.0, 4.0), (3600, 10.0, 1.0)])
        (10.0, 4.0)
    """
    hours: dict[int, list[tuple[float, float]]] = {}
    for bucket, ab, ba in points:
        hours.setdefault(bucket // 3600, []).append((ab, ba))
    best_ab = max((sum(p[0] for p in v) / len(v) for v in hours.values()), default=0.0)
    best_ba = max((sum(p[1] for p in v) / len(v) for v in hours.values()), default=0.0)
    return best_ab, best_ba


def circuit_stats(
    con: sqlite3.Connection, since: float, circuits: Iterable[str] | None = None
) -> list[CircuitStats]:
    """Compute :class:`CircuitStats` from the roll-up table."""
    points: dict[str, list[tuple[int, float, float]]] = {}
    cur = con.execute(
        "SELECT circuit, bucket, ab_sum / n, ba_sum / n FROM rollup5m WHERE bucket >= ?"
        " ORDER BY circuit, bucket",
        (since,),
    )
    for circuit, bucket, ab, ba in cur:
        points.setdefault(circuit, []).append((bucket, ab, ba))
    wanted = set(circuits) if circuits is not None else None
    out = []
    for circuit, pts in sorted(points.items()):
        if wanted is not None and circuit not in wanted:
            continue
        busy_ab, busy_ba = _busy_hour(pts)
        out.append(
            CircuitStats(
                circuit=circuit,
                p95_ab=percentile([p[1] for p in pts], 95),
                p95_ba=percentile([p[2] for p in pts], 95),
                busy_ab=busy_ab,
                busy_ba=busy_ba,
                buckets=len(pts),
            )
        )
    return out


def measured_loads(
    db_path: str | Path,
    days: float = 30.0,
    method: Literal["busy_hour", "p95"] = "busy_hour",
    now: float | None = None,
) -> dict[str, tuple[float, float]]:
    """Return measured load per circuit for the planner: circuit id → (a→b bps, b→a bps).

    Args:
        db_path: the poller's SQLite database.
        days: look-back window.
        method: ``busy_hour`` (highest clock-hour mean, the planning basis) or ``p95``.
        now: end of the window (default: now).
    """
    path = Path(db_path)
    if not path.exists():
        raise OperationError(f"{path}: no poller database here (run `egnet poll DIR --db {path}`)")
    since = (time.time() if now is None else now) - days * DAY
    with closing(connect(path)) as con:
        stats = circuit_stats(con, since)
    if method == "p95":
        return {s.circuit: (s.p95_ab, s.p95_ba) for s in stats}
    return {s.circuit: (s.busy_ab, s.busy_ba) for s in stats}


def write_alerts(store: Store, alerts: Iterable[Any]) -> None:
    """Record raised alerts and close cleared ones (``alerts`` are :class:`poller.alerts.Alert`)."""
    with _tx(store.con) as con:
        for a in alerts:
            if a.action == "raise":
                con.execute(
                    "INSERT INTO alerts (key, kind, severity, subject, message, raised)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (a.key, a.kind, a.severity, a.subject, a.message, a.at),
                )
            else:
                con.execute(
                    "UPDATE alerts SET cleared = ? WHERE key = ? AND cleared IS NULL", (a.at, a.key)
                )


def read_alerts(con: sqlite3.Connection, limit: int = 200) -> list[dict[str, Any]]:
    """Return open alerts first, then the most recent cleared ones."""
    cur = con.execute(
        "SELECT key, kind, severity, subject, message, raised, cleared FROM alerts"
        " ORDER BY cleared IS NOT NULL, coalesce(cleared, raised) DESC LIMIT ?",
        (limit,),
    )
    keys = ("key", "kind", "severity", "subject", "message", "raised", "cleared")
    return [dict(zip(keys, r, strict=True)) for r in cur]
