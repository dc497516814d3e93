"""Per-class planning: queued classes against their queue share under every scenario."""

from __future__ import annotations

import json

import numpy as np
import pytest

from configs.qos import QOS_CLASSES
from egnet.cli import main
from planner.model import build_model
from planner.perclass import QUEUE_CLASSES, per_class
from planner.scenarios import single_failures
from topology import load_topology


def test_queue_shares_agree_with_the_rendered_qos_policy() -> None:
    rendered = {c.name: c for c in QOS_CLASSES}
    for qc in QUEUE_CLASSES:
        assert qc.name in rendered, qc.name
        assert qc.dscp in rendered[qc.name].dscp
        assert qc.share == pytest.approx(rendered[qc.name].percent / 100)
    voice = rendered["VOICE"]
    assert voice.priority and "ef" in voice.dscp  # EF rides the strict-priority queue


def test_worst_class_load_is_the_maximum_over_every_scenario() -> None:
    pm = build_model(load_topology("inventory/lab"))
    scenarios = single_failures(pm)
    result = per_class(pm, scenarios, False, None)
    video = next(q for q in QUEUE_CLASSES if q.name == "VIDEO")
    mask = np.array([d.tier == "event" for d in pm.demands])
    eng = pm.engine.with_rates(np.where(mask, pm.engine.rate, 0.0))
    brute = np.max([eng.baseline.loads] + [eng.evaluate(s.failure).loads for s in scenarios], 0)
    util = brute / (pm.capacity * video.share)
    flagged = {(r.circuit, r.src): r for r in result.directions if r.traffic_class == "VIDEO"}
    want = np.flatnonzero(util > pm.topo.policy.warn_utilisation)
    assert len(flagged) == len(want) > 0
    for arc in want.tolist():
        cid, a, _ = pm.arc_name(arc)
        assert flagged[(cid, a)].worst_bps == pytest.approx(float(brute[arc]))


def test_a_bigger_conference_fails_the_video_queue(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["plan", "inventory/lab", "--failures", "n-1", "--per-class", "--no-events",
               "--event", "conference:8M", "--json"])  # fmt: skip
    plan = json.loads(capsys.readouterr().out)
    pc = plan["per_class"]
    assert pc["shares"] == {"VOICE": 0.1, "VIDEO": 0.3}
    assert pc["fail"] > 0 and rc == 1
    tail = next(r for r in pc["directions"] if r["circuit"] == "xiqu-hexi-up1")
    assert tail["traffic_class"] == "VIDEO" and tail["status"] == "fail"
    assert tail["worst_utilisation"] == pytest.approx(8e6 * 1.2 / (0.3 * 20e6), rel=0.1)
    # without the flag the plan is as before
    main(["plan", "inventory/lab", "--json"])
    assert "per_class" not in json.loads(capsys.readouterr().out)
