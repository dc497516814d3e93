"""``egnet plan --demand / --event / --no-events`` end to end on the lab inventory."""

from __future__ import annotations

import json
from typing import Any

import pytest

from egnet.cli import main

LAB = "inventory/lab"


def _plan(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    main(["plan", LAB, *argv, "--json"])
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def _loads(plan: dict[str, Any], key: str) -> dict[tuple[str, str], float]:
    return {(c["id"], d["from"]): d[key] for c in plan["circuits"] for d in c["directions"]}


def test_extra_demand_adds_exactly_its_rate_on_its_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _loads(_plan(capsys), "baseline_bps")
    spec = "probe:dongxian-qiaotou-sw1>beicheng-dongxian-core2=7M"
    plan = _plan(capsys, "--demand", spec)
    after = _loads(plan, "baseline_bps")
    # sw1 → ar1 over the service link, ar1 → county core2 over the single uplink: one path.
    on_path = {
        ("dongxian-qiaotou-sc", "dongxian-qiaotou-sw1"),
        ("dongxian-qiaotou-up1", "dongxian-qiaotou-ar1"),
    }
    for key, load in after.items():
        expected = before[key] + (7e6 if key in on_path else 0.0)
        assert load == pytest.approx(expected, rel=1e-9, abs=1e-3), key
    assert plan["run"]["whatif"]["demands"] == [
        {
            "name": "probe",
            "src": "dongxian-qiaotou-sw1",
            "dst": "beicheng-dongxian-core2",
            "rate_bps": 7_000_000,
        }
    ]
    assert plan["demands"]["by_class_bps"]["explicit"] == pytest.approx(10e6 + 7e6)


def test_no_events_lowers_the_worst_case(capsys: pytest.CaptureFixture[str]) -> None:
    base = _plan(capsys, "--failures", "n-1")
    quiet = _plan(capsys, "--failures", "n-1", "--no-events")
    assert "event" not in quiet["demands"]["by_class_bps"]
    assert quiet["run"]["whatif"]["events_dropped"] == ["province-video-conference"]
    worst_base, worst_quiet = _loads(base, "worst_bps"), _loads(quiet, "worst_bps")
    assert all(worst_quiet[k] <= worst_base[k] + 1e-3 for k in worst_base)
    assert sum(worst_quiet.values()) < sum(worst_base.values())
    assert (
        quiet["summary"]["top"][0]["worst_utilisation"]
        < base["summary"]["top"][0]["worst_utilisation"]
    )


def test_event_flag_matches_the_inventory_event(capsys: pytest.CaptureFixture[str]) -> None:
    base = _plan(capsys)
    # The lab's demands.yaml declares the same 4M x 1.2 conference: replacing it changes nothing.
    same = _plan(capsys, "--no-events", "--event", "conference")
    assert _loads(same, "baseline_bps") == pytest.approx(_loads(base, "baseline_bps"))
    assert same["run"]["whatif"]["events"][0]["rate_bps"] == 4_000_000
    double = _plan(capsys, "--no-events", "--event", "conference:8M")
    assert double["demands"]["by_class_bps"]["event"] == pytest.approx(
        2 * base["demands"]["by_class_bps"]["event"]
    )


def test_whatif_combines_with_compare_and_growth(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tmp_path / "before.json"
    main(["plan", LAB, "--json", str(before)])
    capsys.readouterr()
    plan = _plan(
        capsys,
        "--demand",
        "flood:xiqu-hexi-sw1>xiqu-hexi-ar1=90M",
        "--growth",
        "tier=explicit:10%",
        "--compare",
        str(before),
        "--html",
        str(tmp_path / "r.html"),
    )
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "What-if: demand flood xiqu-hexi-sw1→xiqu-hexi-ar1 90 Mb/s." in page
    changed = {c["circuit"] for c in plan["comparison"]["changes"]}
    assert "xiqu-hexi-sc" in changed
    sc = next(c for c in plan["circuits"] if c["id"] == "xiqu-hexi-sc")
    assert sc["directions"][1]["exhaustion_year"] is not None


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--demand", "x:lab-cloud>beichen=5M"], "did you mean: beicheng"),
        (["--demand", "x:lab-cloud=5M"], "bad --demand 'x:lab-cloud=5M'"),
        (["--demand", "x:lab>beicheng=fast"], "expected a rate"),
        (["--event", "webinar"], "bad --event 'webinar'"),
        (["--event", "conference:0"], "bad --event"),
    ],
)
def test_bad_whatif_flags_are_clean_errors(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", LAB, *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
