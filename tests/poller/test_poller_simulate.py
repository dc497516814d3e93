"""``egnet simulate``: a store with plausible data for a demo, readable by every consumer."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from poller.simulate import working_day
from poller.store import Store, measured_loads, read_alerts
from poller.web import map_data
from topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventory" / "lab"


def test_simulate_fills_a_store_the_noc_and_planner_can_read(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGNET_")}
    cmd = [sys.executable, "-m", "egnet.cli", "simulate", str(LAB), "--db", str(db), "--hours", "6",
           "--step", "60", "--seed", "7", "--end", "1800000000"]  # fmt: skip
    got = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert got.returncode == 0, got.stderr
    topo = load_topology(LAB)
    m = map_data(topo, db, 30)
    circuits = {c["id"]: c for c in m["circuits"]}
    assert set(circuits) == set(topo.circuits)
    assert sum(c["state"] == "down" for c in circuits.values()) == 1
    assert sum(not d["reachable"] for d in m["devices"].values()) == 1
    utils = [c["util"] for c in circuits.values() if c["util"] is not None]
    assert utils and all(0 <= u < 1.2 for u in utils)
    with closing(Store(db)) as store:
        n = store.con.execute("SELECT count(*) FROM samples").fetchone()[0]
        open_alerts = [a for a in read_alerts(store.con) if a["cleared"] is None]
    assert n == len(topo.circuits) * (6 * 60 + 1)
    assert any(a["kind"] == "down" for a in open_alerts)
    assert any(a["kind"] == "unreachable" for a in open_alerts)
    loads = measured_loads(db, days=1, now=1_800_000_000)
    assert set(loads) == set(topo.circuits)
    # same seed, same data
    again = tmp_path / "again.db"
    subprocess.run([*cmd[:6], str(again), *cmd[7:]], check=True, capture_output=True, env=env,
                   timeout=120, cwd=ROOT)  # fmt: skip
    with closing(Store(db)) as a, closing(Store(again)) as b:
        q = "SELECT circuit, ab_bps FROM samples ORDER BY circuit, ts"
        assert a.con.execute(q).fetchall() == b.con.execute(q).fetchall()


def test_working_day_shape_is_quiet_at_night_and_busy_mid_morning() -> None:
    midnight_cst = 1_700_006_400 - 8 * 3600  # a 00:00 in China
    night = working_day(midnight_cst + 3 * 3600)
    morning = working_day(midnight_cst + 10 * 3600)
    afternoon = working_day(midnight_cst + 15.5 * 3600)
    assert night < 0.15 < 0.85 < afternoon < morning <= 1.0


def test_simulate_refuses_unbounded_runs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGNET_")}
    cmd = [sys.executable, "-m", "egnet.cli", "simulate", str(LAB), "--db", str(tmp_path / "x.db"),
           "--hours", "100000"]  # fmt: skip
    got = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert got.returncode not in (0, 70) and "Traceback" not in got.stderr
