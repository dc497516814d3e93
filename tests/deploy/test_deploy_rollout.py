"""Staged rollout and diff behaviour (pure; no devices)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from configs.diff import canonical, config_diff
from configs.render import render_device
from deploy.drivers.base import DeviceDriver
from deploy.engine import deploy
from deploy.options import DeployOptions
from deploy.result import DeployResult, exit_code, summarise
from deploy.rollout import plan_batches, run_staged
from egnet.deploy_cmds import report_deploy
from topology import load_topology

HOSTS = [f"r{i}" for i in range(7)]
PLATFORMS = dict.fromkeys(HOSTS, "frr")


def _runner(failing: set[str], calls: list[list[str]]):  # type: ignore[no-untyped-def]
    def run(members: list[str], index: int) -> list[DeployResult]:
        calls.append(list(members))
        return [
            DeployResult(
                device=h, platform="frr", batch=index, error="boom" if h in failing else None
            )
            for h in members
        ]

    return run


def test_batches_cover_every_host_once_in_order() -> None:
    batches = plan_batches(HOSTS, 2, 3)
    assert batches == [["r0", "r1"], ["r2", "r3", "r4"], ["r5", "r6"]]
    assert [h for b in batches for h in b] == HOSTS


def test_canary_failure_stops_everything_after_it() -> None:
    calls: list[list[str]] = []
    opts = DeployOptions(commit=True, canary=1, batch=3, max_failures=5)
    results = run_staged(HOSTS, PLATFORMS, _runner({"r0"}, calls), opts)
    assert calls == [["r0"]]
    assert [r.stage for r in results[1:]] == ["skipped"] * 6
    assert exit_code(results) == 1


def test_failure_budget_stops_after_the_batch_that_exceeds_it() -> None:
    calls: list[list[str]] = []
    opts = DeployOptions(commit=True, canary=1, batch=3, max_failures=1)
    results = run_staged(HOSTS, PLATFORMS, _runner({"r1", "r2"}, calls), opts)
    assert calls == [["r0"], ["r1", "r2", "r3"]]
    assert {r.device for r in results if r.stage == "skipped"} == {"r4", "r5", "r6"}


def test_within_budget_the_rollout_completes() -> None:
    calls: list[list[str]] = []
    opts = DeployOptions(commit=True, canary=1, batch=3, max_failures=1)
    results = run_staged(HOSTS, PLATFORMS, _runner({"r3"}, calls), opts)
    assert len(calls) == 3 and len(results) == 7 and exit_code(results) == 1


def test_dry_run_is_one_parallel_batch() -> None:
    calls: list[list[str]] = []
    run_staged(HOSTS, PLATFORMS, _runner({"r0"}, calls), DeployOptions(canary=1, batch=2))
    assert calls == [HOSTS]


@pytest.mark.parametrize(
    ("running", "intended"),
    [
        (
            "interface lo\n ip ospf passive\nrouter ospf\n ospf router-id 1.1.1.1\n",
            "router ospf\n ospf router-id 1.1.1.1\n passive-interface lo\n",
        ),
        (
            "access-list A seq 5 permit 10.0.0.0/8\naccess-list A seq 10 deny any\n",
            "access-list A permit 10.0.0.0/8\naccess-list A deny any\n",
        ),
        (
            "interface eth2\n ip address 10.0.0.1/30\ninterface eth1\n ip address 10.0.0.5/30\n",
            "interface eth1\n ip address 10.0.0.5/30\ninterface eth2\n ip address 10.0.0.1/30\n",
        ),
        (
            "frr version 8.4.4\nhostname r\n!\nline vty\nexit\n",
            "frr version 8.4\nhostname r\nline vty\n exec-timeout 10 0\nexit\n",
        ),
    ],
)
def test_frr_equivalent_configs_do_not_differ(running: str, intended: str) -> None:
    assert config_diff(running, intended, "frr") == ""


def test_real_differences_are_reported() -> None:
    diff = config_diff(
        "router ospf\n network 10.0.0.0/30 area 0\n",
        "router ospf\n network 10.0.0.0/30 area 1\n",
        "frr",
        "r1",
    )
    assert "- network 10.0.0.0/30 area 0" in diff and "+ network 10.0.0.0/30 area 1" in diff


def test_access_list_order_matters() -> None:
    a = canonical("access-list A permit 10.0.0.0/8\naccess-list A deny any\n", "frr")
    b = canonical("access-list A deny any\naccess-list A permit 10.0.0.0/8\n", "frr")
    assert a != b


class _Secrets:
    def get(self, name: str, device: str | None = None) -> str:
        return f"Test-{name}-secret-42"


def _no_device(hostname: str) -> DeviceDriver:
    raise AssertionError(f"{hostname}: a refused rollout must not touch any device")


def test_audit_failure_refuses_the_whole_rollout_before_any_device() -> None:
    topo = load_topology(Path(__file__).resolve().parents[2] / "inventory" / "lab")
    hosts = ["lab-core1", "lab-core2"]
    good = render_device(topo, "lab-core1", _Secrets())
    bad = "\n".join(ln for ln in good.splitlines() if "access-class" not in ln)
    results = deploy(
        topo,
        hosts,
        _Secrets(),
        DeployOptions(commit=True),
        _no_device,
        overrides={"lab-core1": bad},
    )
    by = {r.device: r for r in results}
    assert by["lab-core1"].stage == "audit" and "mgmt-acl" in (by["lab-core1"].error or "")
    assert by["lab-core2"].stage == "skipped" and exit_code(results) == 1


def test_summary_counts_never_attempted_devices_as_skipped_not_failed() -> None:
    calls: list[list[str]] = []
    opts = DeployOptions(commit=True, canary=1, batch=3, max_failures=5)
    results = run_staged(HOSTS, PLATFORMS, _runner({"r0"}, calls), opts)
    s = summarise(results)
    assert (s.devices, s.failed, s.skipped) == (7, 1, 6)
    assert [r.device for r in results if r.failed] == ["r0"]
    assert exit_code(results) == 1  # an incomplete rollout is still not a success


def test_deploy_json_has_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[list[str]] = []
    opts = DeployOptions(commit=True, canary=1, batch=3, max_failures=5)
    results = run_staged(HOSTS, PLATFORMS, _runner({"r0"}, calls), opts)
    report_deploy(results, True, True, 1.0)
    data = json.loads(capsys.readouterr().out)
    assert data["summary"] == {
        "devices": 7, "changed": 0, "committed": 0, "rolled_back": 0, "failed": 1, "skipped": 6,
    }  # fmt: skip
