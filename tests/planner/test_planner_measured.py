"""``egnet plan --measured``: a real poller store (SQLite, filled through its API) against the model."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from egnet.cli import main
from poller.samples import CircuitSample, State
from poller.store import Store

DAY = 86400
# circuit → ((busy a→b, busy b→a), (quiet a→b, quiet b→a)) in bit/s
LOADS = {
    "beicheng-up1": ((50e6, 5e6), (5e6, 2e6)),
    "beicheng-xiqu-up1": ((90e6, 1e6), (5e6, 1e6)),
    "ghost-circuit": ((1e6, 1e6), (1e6, 1e6)),
}


@pytest.fixture()
def store_db(tmp_path: Path) -> Path:
    """A day of one-minute samples two days ago: busy 10:00-11:00, quiet otherwise."""
    db = tmp_path / "poller.sqlite"
    day0 = (time.time() // DAY - 2) * DAY
    store = Store(db)
    try:
        rows = []
        for minute in range(24 * 60):
            busy = 10 * 60 <= minute < 11 * 60
            for cid, (hot, cold) in LOADS.items():
                ab, ba = hot if busy else cold
                rows.append(
                    CircuitSample(
                        circuit=cid,
                        at=day0 + minute * 60,
                        state=State.UP,
                        capacity_bps=100_000_000,
                        ab_bps=ab,
                        ba_bps=ba,
                    )
                )
        store.write_samples(rows)
    finally:
        store.close()
    return db


def _plan(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    rc = main(["plan", "inventory/lab", "--json", *extra])
    return rc, json.loads(capsys.readouterr().out)


def _direction(plan: dict[str, Any], cid: str, k: int) -> dict[str, Any]:
    circuit = next(c for c in plan["circuits"] if c["id"] == cid)
    found: dict[str, Any] = circuit["directions"][k]
    return found


def test_busy_hour_side_by_side_with_the_model(
    store_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, plan = _plan(capsys, "--failures", "n-1", "--measured", str(store_db))
    m = plan["measured"]
    assert (m["database"], m["method"], m["days"]) == (str(store_db), "busy_hour", 30.0)
    assert m["circuits"] == 2 and m["unknown_circuits"] == ["ghost-circuit"]
    assert m["unmeasured_circuits"] == len(plan["circuits"]) - 2
    rows = {(d["circuit"], d["from"]): d for d in m["directions"]}
    for cid, k in [("beicheng-up1", 0), ("beicheng-up1", 1), ("beicheng-xiqu-up1", 0)]:
        model = _direction(plan, cid, k)
        row = rows[(cid, model["from"])]
        cap = next(c for c in plan["circuits"] if c["id"] == cid)["capacity_bps"]
        assert row["measured_bps"] == pytest.approx(LOADS[cid][0][k])
        assert row["modelled_bps"] == model["baseline_bps"] > 0
        assert row["ratio"] == pytest.approx(LOADS[cid][0][k] / model["baseline_bps"])
        assert row["measured_utilisation"] == pytest.approx(LOADS[cid][0][k] / cap)
        moved = model["worst_bps"] - model["baseline_bps"]
        assert row["worst_estimate_bps"] == pytest.approx(LOADS[cid][0][k] + moved)
    # 90 Mb/s on a 100 Mb/s circuit is measured overload: the plan fails on it
    assert rows[("beicheng-xiqu-up1", "beicheng-xiqu-core1")]["status"] == "fail"
    assert m["fail"] >= 1 and rc == 1
    above = [(d["circuit"], d["from"]) for d in m["above_model"]]
    assert ("beicheng-up1", "beicheng-core1") in above  # 50M measured, ~10M modelled
    assert ("beicheng-up1", "lab-core1") not in above  # 5M measured, ~12M modelled
    excess = [d["measured_bps"] - d["modelled_bps"] for d in m["above_model"]]
    assert excess == sorted(excess, reverse=True) and min(excess) > 0


def test_p95_ignores_the_busy_hour_and_the_plan_passes(
    store_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, plan = _plan(capsys, "--measured", str(store_db), "--measured-method", "p95")
    rows = {(d["circuit"], d["from"]): d for d in plan["measured"]["directions"]}
    assert rows[("beicheng-xiqu-up1", "beicheng-xiqu-core1")]["measured_bps"] == pytest.approx(5e6)
    assert plan["measured"]["fail"] == 0 and rc == 0
    # no sweep: the worst-case estimate is the measured load itself
    assert all(d["worst_estimate_bps"] == d["measured_bps"] for d in rows.values())


def test_window_without_data_and_text_output(
    store_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, plan = _plan(capsys, "--measured", str(store_db), "--measured-days", "1")
    assert rc == 0 and plan["measured"]["circuits"] == 0 and plan["measured"]["directions"] == []
    assert main(["plan", "inventory/lab", "--measured", str(store_db)]) == 1
    out = capsys.readouterr()
    assert "Measured above the modelled baseline" in out.out
    assert "beicheng-up1" in out.out and "2 circuits" in out.out + out.err


def test_missing_database_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "inventory/lab", "--measured", str(tmp_path / "none.sqlite")]) == 2
    assert "no poller database" in capsys.readouterr().err


def test_html_report_has_the_measured_section(
    store_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page_file = tmp_path / "r.html"
    _, plan = _plan(capsys, "--measured", str(store_db), "--html", str(page_file))
    page = page_file.read_text(encoding="utf-8")
    assert '<h2 id="measured">Measured loads</h2>' in page
    above, per_circuit = page.split("<h3>Measured utilisation per circuit direction</h3>")
    above = above.split("<h3>Measured above the modelled baseline")[1]
    m = plan["measured"]
    assert above.count("<tr><td>") == len(m["above_model"]) > 0
    assert "<td>beicheng-up1</td><td>beicheng-core1→lab-core1</td><td>50.0</td>" in above
    assert "beicheng-core1</td><td>5.0</td>" not in above  # below the model: not listed
    assert per_circuit.count("<tr><td>") == len(m["directions"]) == 4
    assert (
        "<td>beicheng-xiqu-up1</td><td>beicheng-xiqu-core1→beicheng-core1</td><td>90.0</td>"
        "<td>90.0%</td><td>fail</td>" in per_circuit
    )
    _plan(capsys, "--html", str(page_file))
    assert "Measured loads" not in page_file.read_text(encoding="utf-8")
