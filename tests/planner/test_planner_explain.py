"""``egnet plan --explain`` and the per-direction loads of a ``--fail`` scenario."""

from __future__ import annotations

import json
from typing import Any

import pytest

from egnet.cli import main
from planner.explain import explain
from planner.model import build_model
from planner.scenarios import combine, single_failures
from topology import load_topology


def _plan(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    main(["plan", "inventory/lab", "--json", *extra])
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_fail_lists_every_direction_and_explain_adds_up(capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan(capsys, "--fail", "circuit:beicheng-up2", "--explain", "beicheng-up1",
                 "--top", "1000")  # fmt: skip
    user = plan["user_scenario"]
    assert user["name"] == "circuit:beicheng-up2"
    assert len(user["directions"]) == 2 * len(plan["circuits"])
    loads = {(d["circuit"], d["from"]): d for d in user["directions"]}
    dead = [d for (cid, _), d in loads.items() if cid == "beicheng-up2"]
    assert all(d["load_bps"] == 0 for d in dead)
    up1 = loads[("beicheng-up1", "beicheng-core1")]
    assert up1["delta_bps"] > 0  # the surviving uplink takes the failed one's traffic
    assert {e["from"] for e in plan["explain"]} == {"beicheng-core1", "lab-core1"}
    for e in plan["explain"]:
        want = loads[(e["circuit"], e["from"])]["load_bps"]
        assert e["load_bps"] == pytest.approx(want, rel=1e-9)
        assert sum(d["load_bps"] for d in e["demands"]) == pytest.approx(want, rel=1e-9)
        assert sum(e["by_class_bps"].values()) == pytest.approx(want, rel=1e-9)
        assert e["more"] == 0 and e["scenario"] == "circuit:beicheng-up2"


def test_explain_matches_the_engine_under_every_single_failure() -> None:
    pm = build_model(load_topology("inventory/lab"))
    for sc in single_failures(pm)[:40]:
        loads = pm.engine.evaluate(sc.failure).loads
        parts = explain(pm, list(range(len(loads))), sc.failure, sc.name, top=10_000)
        got = [sum(d.load_bps for d in e.demands) for e in parts]
        assert got == pytest.approx(loads.tolist(), rel=1e-9, abs=1e-6), sc.name


def test_explain_one_direction_and_top(capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan(capsys, "--explain", "beicheng-up1:lab-core1", "--top", "2")
    (e,) = plan["explain"]
    assert (e["from"], e["to"], e["scenario"]) == ("lab-core1", "beicheng-core1", "baseline")
    assert len(e["demands"]) == 2 and e["more"] > 0
    assert e["demands"][0]["load_bps"] >= e["demands"][1]["load_bps"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [("nope", "unknown circuit 'nope'"), ("beicheng-up1:xiqu-hexi-ar1", "neither end")],
)
def test_bad_explain_is_an_error(
    capsys: pytest.CaptureFixture[str], spec: str, message: str
) -> None:
    assert main(["plan", "inventory/lab", "--explain", spec]) in (1, 2)
    err = capsys.readouterr().err
    assert "bad --explain" in err and message in err


def test_combine_keeps_the_user_scenario_name() -> None:
    pm = build_model(load_topology("inventory/lab"))
    sc = combine(pm, ["circuit:beicheng-up1", "device:lab-core2"])
    assert sc.name == "circuit:beicheng-up1 + device:lab-core2"
