"""SQLite store: WAL, roll-ups, 95th percentile, busy hour, retention, measured loads."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from poller.samples import CircuitSample, State
from poller.store import Retention, Store, measured_loads
from topology.diagnostics import OperationError

DAY0 = 1_700_000_000 - 1_700_000_000 % 86400  # a UTC midnight


def _sample(t: float, ab: float, ba: float, circuit: str = "c1") -> CircuitSample:
    return CircuitSample(
        circuit=circuit, at=t, state=State.UP, capacity_bps=100_000_000, ab_bps=ab, ba_bps=ba,
        util_ab=ab / 1e8, util_ba=ba / 1e8, errors_ps=0.0, discards_ps=0.0,
    )  # fmt: skip


def _day(store: Store, day0: float = DAY0) -> None:
    """One sample a minute for a day: 10M/2M, except 10:00-11:00 at 50M/8M."""
    rows = []
    for minute in range(24 * 60):
        t = day0 + minute * 60
        busy = 10 * 60 <= minute < 11 * 60
        rows.append(_sample(t, 50e6 if busy else 10e6, 8e6 if busy else 2e6))
    store.write_samples(rows)


def test_wal_rollups_and_stats(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    assert store.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    _day(store)
    n = store.con.execute("SELECT count(*), sum(n) FROM rollup5m").fetchone()
    assert n == (288, 1440)
    (st,) = store.stats(since=DAY0)
    assert st.busy_ab == pytest.approx(50e6) and st.busy_ba == pytest.approx(8e6)
    # 12 of 288 five-minute buckets are busy (4.2 %): the 95th percentile is the quiet level
    assert st.p95_ab == pytest.approx(10e6)
    loads = measured_loads(tmp_path / "p.db", now=DAY0 + 86400, days=2)
    assert list(loads) == ["c1"]
    assert loads["c1"][0] == pytest.approx(50e6) and loads["c1"][1] == pytest.approx(8e6)
    p95 = measured_loads(tmp_path / "p.db", now=DAY0 + 86400, days=2, method="p95")
    assert p95["c1"][0] == pytest.approx(10e6)
    store.close()


def test_samples_without_rates_are_kept_raw_but_not_rolled_up(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    down = CircuitSample(circuit="c2", at=DAY0, state=State.DOWN, capacity_bps=1, note="first")
    store.write_samples([down])
    assert store.latest()["c2"]["state"] == "down"
    assert store.con.execute("SELECT count(*) FROM rollup5m").fetchone()[0] == 0
    store.close()


def test_retention_keeps_rollups_six_months(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db", Retention(raw_days=7, rollup_days=190))
    _day(store, DAY0)
    old_raw, old_roll = store.prune(now=DAY0 + 30 * 86400)
    assert old_raw == 1440 and old_roll == 0
    assert store.stats(since=DAY0)[0].buckets == 288  # roll-ups survive a month
    _, gone = store.prune(now=DAY0 + 191 * 86400)
    assert gone == 288
    store.close()


def test_history_raw_and_rolled(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    _day(store)
    raw = store.history("c1", DAY0 + 10 * 3600)
    assert raw[0] == (DAY0 + 10 * 3600, 50e6, 8e6)
    rolled = store.history("c1", DAY0, raw=False)
    assert len(rolled) == 288
    store.close()


def test_measured_loads_needs_a_database(tmp_path: Path) -> None:
    with pytest.raises(OperationError, match="no poller database"):
        measured_loads(tmp_path / "missing.db")


def test_poll_loads_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from egnet.cli import main

    store = Store(tmp_path / "p.db")
    _day(store, DAY0)
    store.close()
    days = (time.time() - DAY0) / 86400 + 1
    assert main(["poll-loads", str(tmp_path / "p.db"), "--json", "--days", str(days)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["c1"]["ab_bps"] == pytest.approx(50e6)
