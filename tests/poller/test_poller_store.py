"""SQLite store: WAL, roll-ups, 95th percentile, busy hour, retention, measured loads."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from poller.cycle import DeviceStatus
from poller.metrics import exposition
from poller.samples import CircuitSample, State
from poller.store import Retention, Store, measured_loads
from poller.web import history_data, map_data
from topology import load_topology
from topology.diagnostics import OperationError

ROOT = Path(__file__).resolve().parents[2]

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
    assert raw[0][:3] == (DAY0 + 10 * 3600, 50e6, 8e6)
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


def test_history_and_map_use_each_samples_capacity_after_an_upgrade(tmp_path: Path) -> None:
    """Issue 10 §4: a circuit upgraded from half its contracted rate to today's: the history's
    old points are utilisation of the old rate, and the map agrees with the newest point."""
    topo = load_topology(ROOT / "inventory" / "lab")
    cid = "beicheng-up1"
    today = topo.circuits[cid].capacity_bps
    store = Store(tmp_path / "p.db")
    now = time.time()
    old = [_cap_sample(cid, now - 3000 + 60 * k, 0.5 * today * 0.9, today // 2) for k in range(5)]
    new = [_cap_sample(cid, now - 600 + 60 * k, 0.5 * today * 0.9, today) for k in range(5)]
    store.write_samples(old + new)
    store.close()
    h = history_data(topo, tmp_path / "p.db", cid, 1.0)
    utils = [p[4] for p in h["points"]]
    assert utils[:5] == [pytest.approx(0.9)] * 5 and utils[5:] == [pytest.approx(0.45)] * 5
    assert [p[3] for p in h["points"]] == [today // 2] * 5 + [today] * 5
    m = {c["id"]: c for c in map_data(topo, tmp_path / "p.db", 30)["circuits"]}
    assert m[cid]["util"] == pytest.approx(h["points"][-1][4])
    text = exposition(tmp_path / "p.db").decode()
    line = next(x for x in text.splitlines() if x.startswith(
        f'egnet_circuit_utilisation_ratio{{circuit="{cid}",direction="ab"}}'))  # fmt: skip
    assert float(line.split()[-1]) == pytest.approx(0.45)


def _cap_sample(cid: str, t: float, bps: float, cap: int) -> CircuitSample:
    return CircuitSample(circuit=cid, at=t, state=State.UP, capacity_bps=cap, ab_bps=bps,
                         ba_bps=bps / 2, errors_ps=0.0, discards_ps=0.0)  # fmt: skip


def test_device_counters_accumulate_and_old_databases_are_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE device_status (device TEXT PRIMARY KEY, ts REAL NOT NULL,"
        " reachable INTEGER NOT NULL, seconds REAL NOT NULL, error TEXT);"
        "INSERT INTO device_status VALUES ('r1', 1.0, 1, 0.1, NULL);"
    )
    con.commit()
    con.close()
    store = Store(db)
    assert store.devices()["r1"]["dropped"] == 0
    s1 = DeviceStatus(device="r1", reachable=True, interfaces=2, seconds=0.1,
                      dropped={"source": 2, "auth": 1}, discarded={"reboot": 2})  # fmt: skip
    s2 = DeviceStatus(device="r1", reachable=False, interfaces=0, seconds=2.0, error="timeout",
                      dropped={"time-window": 1})  # fmt: skip
    store.write_devices([s1], 100.0)
    store.write_devices([s2], 160.0)
    got = store.devices()["r1"]
    assert (got["dropped"], got["discarded"], got["last_ok"], got["reachable"]) == (
        4,
        2,
        100.0,
        False,
    )
    store.close()
    text = exposition(db).decode()
    assert 'egnet_device_snmp_replies_dropped_total{device="r1"} 4.0' in text
    assert 'egnet_device_rates_discarded_total{device="r1"} 2.0' in text
    assert 'egnet_device_last_successful_poll_timestamp_seconds{device="r1"} 100.0' in text
