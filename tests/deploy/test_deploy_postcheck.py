"""Post-check timing and intent (issue 9 §6), with an in-memory device: the real thing is the lab
test ``test_ospf_key_change_is_rolled_back_after_the_dead_interval``; these pin the logic fast.

The fake device drops its OSPF neighbours ``DEAD`` seconds after a commit whose config carries a
different key, as a router does when the neighbour's dead interval expires.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from deploy.engine import check_paths, resolve_options
from deploy.options import DeployOptions
from deploy.push import DeviceJob, RolloutContext, deploy_device
from deploy.result import DeployResult
from deploy.verify import post_check
from topology import load_topology
from topology.diagnostics import OperationError

DEAD = 0.6
PEERS = {"r2": "2.2.2.2", "r3": "3.3.3.3"}
GOOD = "hostname r1\nkey good\n"


class FakeRouter:
    """Running config, pending change and neighbours of one router, shared by its sessions."""

    def __init__(self, neighbours: dict[str, str]) -> None:
        self.running = GOOD
        self.saved: str | None = None
        self.neighbours = dict(neighbours)
        self.broken_at: float | None = None
        self.commits: list[str] = []

    def ospf(self) -> dict[str, str]:
        if self.broken_at is not None and time.monotonic() - self.broken_at >= DEAD:
            return {}
        return dict(self.neighbours)


class FakeSession:
    def __init__(self, hostname: str, router: FakeRouter) -> None:
        self.hostname = hostname
        self.router = router

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def get_running(self) -> str:
        return self.router.running

    def check(self, candidate: str) -> str | None:
        return None

    def commit_confirmed(self, candidate: str, revert_in: int) -> None:
        r = self.router
        r.saved, r.running = r.running, candidate
        r.commits.append(candidate)
        r.broken_at = None if "key good" in candidate else time.monotonic()

    def confirm(self) -> None:
        self.router.saved = None

    def rollback(self) -> None:
        r = self.router
        if r.saved is not None:
            r.running, r.saved, r.broken_at = r.saved, None, None

    def ospf_neighbors(self) -> dict[str, str]:
        return self.router.ospf()

    def rollback_happened(self) -> bool:
        return False


def _opts(tmp_path: Path, **kw: object) -> DeployOptions:
    base: dict[str, object] = {"commit": True, "backups": tmp_path, "revert_in": 60}
    return DeployOptions.model_validate(base | {"verify_timeout": 0.3} | kw)


def _deploy(router: FakeRouter, intended: str, opts: DeployOptions) -> DeployResult:
    job = DeviceJob("r1", "frr", intended, PEERS)
    return deploy_device(job, lambda h: FakeSession(h, router), opts, RolloutContext())


def test_a_key_change_passes_a_quick_check_but_not_one_that_outlasts_the_dead_interval(
    tmp_path: Path,
) -> None:
    quick = FakeRouter(dict.fromkeys(PEERS.values(), "Full"))
    bad = "hostname r1\nkey other\n"
    result = _deploy(quick, bad, _opts(tmp_path, hold_s=0.0))
    assert result.committed and quick.running == bad  # the old behaviour: committed, exit 0
    held = FakeRouter(dict.fromkeys(PEERS.values(), "Full"))
    result = _deploy(held, bad, _opts(tmp_path, hold_s=DEAD + 0.2))
    assert not result.committed and result.rolled_back and result.stage == "verify"
    assert "2.2.2.2" in (result.error or "") and held.running == GOOD
    assert result.timings["verify"] >= DEAD


def test_a_good_change_passes_after_the_hold(tmp_path: Path) -> None:
    router = FakeRouter(dict.fromkeys(PEERS.values(), "Full"))
    result = _deploy(
        router, "hostname r1\nkey good\nntp server 1.2.3.4\n", _opts(tmp_path, hold_s=0.4)
    )
    assert result.committed and result.error is None and result.timings["verify"] >= 0.4


def test_neighbours_the_model_does_not_intend_are_not_required(tmp_path: Path) -> None:
    # 9.9.9.9 was Full before but the model has no circuit to it: losing it is not a failure
    router = FakeRouter({"2.2.2.2": "Full", "3.3.3.3": "Full", "9.9.9.9": "Full"})
    change = "hostname r1\nkey good\nno-stray\n"

    def commit_drops_stray(candidate: str, revert_in: int) -> None:
        router.running = candidate
        router.neighbours.pop("9.9.9.9", None)

    job = DeviceJob("r1", "frr", change, PEERS)

    def make(h: str) -> FakeSession:
        s = FakeSession(h, router)
        s.commit_confirmed = commit_drops_stray  # type: ignore[method-assign]
        return s

    result = deploy_device(job, make, _opts(tmp_path, hold_s=0.0), RolloutContext())
    assert result.committed, result.error


def test_post_check_reports_what_it_waits_for() -> None:
    router = FakeRouter({"2.2.2.2": "Init"})
    reason = post_check(lambda h: FakeSession(h, router), "r1", frozenset({"2.2.2.2"}), 0.2)
    assert reason == "OSPF neighbours not Full: 2.2.2.2"


def test_the_hold_comes_from_the_model_and_must_fit_the_commit_window(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2] / "inventory"
    topo = load_topology(root / "jiangxi")  # the vendor defaults: hello 10 s, dead 40 s
    dead, hello = topo.policy.ospf_dead_s, topo.policy.ospf_hello_s
    opts = resolve_options(topo, _opts(tmp_path, revert_in=120, verify_timeout=30.0))
    assert opts.hold_s == dead + hello == 50
    with pytest.raises(OperationError, match=r"--revert-in 60 s is shorter than the post-check"):
        resolve_options(topo, _opts(tmp_path, revert_in=60, verify_timeout=30.0))
    assert resolve_options(topo, _opts(tmp_path, hold_s=0.0, revert_in=60)).hold_s == 0.0
    assert resolve_options(topo, DeployOptions(revert_in=5)).hold_s == 50  # dry run: no window
    lab = load_topology(root / "lab")  # igp: {hello: 1, dead: 4}
    assert resolve_options(lab, _opts(tmp_path, revert_in=60, verify_timeout=30.0)).hold_s == 5


def test_a_path_mismatch_is_reported_and_with_the_flag_rolled_back(tmp_path: Path) -> None:
    topo = load_topology(Path(__file__).resolve().parents[2] / "inventory" / "lab")
    host = "lab-core1"
    router = FakeRouter({})
    changed = "hostname r1\nkey good\ncost 5\n"
    backup = tmp_path / "before.cfg"
    backup.write_text(GOOD, encoding="utf-8")
    results = [
        DeployResult(device=host, platform="frr", changed=True, committed=True, backup=str(backup))
    ]
    router.running = changed
    calls: list[int] = []

    def check() -> list[str]:
        calls.append(1)
        return [] if router.running == GOOD else ["a->b: forwarded a > x > b; planned a > b"]

    def make(h: str) -> FakeSession:
        return FakeSession(h, router)

    opts = _opts(tmp_path, hold_s=0.0, verify_timeout=0.2)
    report = check_paths(topo, results, opts, make, check)
    assert report.mismatches and not report.rolled_back and router.running == changed
    assert len(calls) >= 2  # re-read while routing may still converge
    flagged = opts.model_copy(update={"rollback_on_path_mismatch": True})
    report = check_paths(topo, results, flagged, make, check)
    assert report.rolled_back == (host,) and router.running == GOOD and not report.rollback_failed
