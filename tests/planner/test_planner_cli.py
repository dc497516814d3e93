"""``egnet check`` and ``egnet plan`` end to end on the lab inventory."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from egnet.cli import main


def test_check_finds_the_deliberate_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "inventory/lab", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "egnet.check/1"
    rules = {(f["site"], f["rule"]) for f in data["findings"] if f["severity"] == "violation"}
    assert ("nancheng-shanxian", "cores") in rules
    assert ("nancheng-shanxian", "buildings") in rules
    assert ("beicheng-xiqu", "uplink-srlg") in rules
    xiqu = [f for f in data["findings"] if f["site"] == "beicheng-xiqu"]
    assert any("duct:lab-duct-1" in f["elements"] for f in xiqu)
    assert all("8.1.2.1" in f["clause"] for f in data["findings"])
    assert data["townships"]["single_homed"] == 3
    cut = {(c["site"], c["target"]): c for c in data["cuts"]}
    assert cut[("nancheng-shanxian", "province-core")]["min_node_cut"] == 1
    assert cut[("beicheng", "province-core")]["min_edge_cut"] == 2


def test_plan_n1_json_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_html = tmp_path / "r.html"
    rc = main(
        [
            "plan",
            "inventory/lab",
            "--failures",
            "n-1",
            "--growth",
            "tier=all:25%",
            "--years",
            "8",
            "--html",
            str(out_html),
            "--json",
        ]
    )
    plan = json.loads(capsys.readouterr().out)
    assert plan["schema"] == "egnet.plan/1"
    assert rc == (1 if plan["summary"]["fail"] else 0)
    up = next(c for c in plan["circuits"] if c["id"] == "beicheng-up1")
    down = up["directions"][1]
    assert down["worst_utilisation"] > down["baseline_utilisation"]
    assert down["worst_scenarios"][0]["name"] in {
        "circuit:beicheng-up2",
        "device:lab-core2",
        "device:beicheng-core2",
        # the city's egress lost: its internet traffic goes up to the province's egress
        "egress:beicheng-egress1",
        "device:beicheng-core1",
    }
    assert down["exhaustion_year"] is not None
    assert plan["scenarios"]["count"] == len(plan["scenarios"]["items"])
    duct = next(s for s in plan["scenarios"]["items"] if s["name"] == "duct:lab-duct-1")
    assert "beicheng-xiqu" in duct["sites_lost"]
    page = out_html.read_text(encoding="utf-8")
    assert page.count("<svg") >= 4
    assert not re.search(r"(src|href)=\"https?:", page)


def test_plan_upgrade_and_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tmp_path / "before.json"
    main(["plan", "inventory/lab", "--json", str(before)])
    capsys.readouterr()
    main(
        [
            "plan",
            "inventory/lab",
            "--upgrade",
            "tier=township:50M",
            "--compare",
            str(before),
            "--json",
        ]
    )
    plan = json.loads(capsys.readouterr().out)
    town = next(c for c in plan["circuits"] if c["id"] == "xiqu-hexi-up1")
    assert town["capacity_bps"] == 50e6
    changed = {c["circuit"] for c in plan["comparison"]["changes"]}
    assert "xiqu-hexi-up1" in changed


@pytest.mark.parametrize(
    "argv",
    [
        ["--fail", "circuit:nope"],
        ["--fail", "bogus"],
        ["--upgrade", "tier=village:1G"],
        ["--upgrade", "circuit:lab-ic1=fast"],
        ["--growth", "tier=county"],
    ],
)
def test_bad_options_are_operation_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "inventory/lab", *argv]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_user_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    main(
        [
            "plan",
            "inventory/lab",
            "--fail",
            "carrier:telecom",
            "--fail",
            "device:lab-core2",
            "--json",
        ]
    )
    plan = json.loads(capsys.readouterr().out)
    [user] = plan["scenarios"]["items"]
    assert user["kind"] == "user" and user["unrouted_bps"] > 0


def test_accepted_risks_do_not_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    root = tmp_path / "lab"
    shutil.copytree("inventory/lab", root)
    city = root / "cities" / "9902-nancheng.yaml"
    text = city.read_text(encoding="utf-8").replace(
        "      cores: 1\n",
        "      cores: 1\n      accepted_risks: [cores, buildings, uplink-srlg, single-point]\n",
    )
    city.write_text(text, encoding="utf-8")
    main(["check", str(root), "--json"])
    data = json.loads(capsys.readouterr().out)
    shanxian = [f for f in data["findings"] if f["site"] == "nancheng-shanxian"]
    assert shanxian and all(f["severity"] == "accepted" for f in shanxian)
    assert {f["site"] for f in data["findings"] if f["severity"] == "violation"} == {
        "beicheng-xiqu"
    }
