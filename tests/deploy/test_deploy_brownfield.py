"""Issue 15 (deploy side): git backups with history, brownfield import (two-way drift), and a
change-controlled deploy through a jump host under the operator's personal account — all over
real SSH sessions against the simulated VRP and Comware cores of the mixed render inventory."""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from deploy_testlib import MIXED, SECRET_VALUES, secrets, topology

from configs.masking import Masker, RecordingSecrets
from configs.render import render_device
from deploy.backup_repo import BackupRepo, fetch_running, snapshot
from deploy.change import ChangeRefused, Outcome, load_change
from deploy.change_run import run_change
from deploy.drivers.base import DeviceDriver
from deploy.drivers.netmiko_native import ComwareDriver, VrpDriver
from deploy.engine import deploy
from deploy.importer import import_running
from deploy.options import DeployOptions
from deploy.result import DeployResult
from deploy.transport import Credentials, Endpoint, JumpHost, close_jumps
from testing.sshsim import SimDevice, SshSimulator
from topology.secrets import Secrets, env_name

HOSTS = {"lab-core1": "huawei_vrp", "beicheng-core1": "hp_comware"}
OPERATOR, PASSWORD, APPROVER = "zhang.wei", "Zw-personal-pass-7", "li.na"
CREDS = Credentials(username=OPERATOR, password=PASSWORD)
NEW = {**SECRET_VALUES, "ospf_key": "ospf-new-key-2", f"user_{OPERATOR}_password": PASSWORD}


class Fleet:
    """The two cores behind SSH, plus a bastion that forwards to them."""

    def __init__(self, sim: SshSimulator, running: dict[str, str]) -> None:
        self.sim = sim
        self.devices: dict[str, SimDevice] = {}
        self.ports: dict[str, int] = {}
        for host, platform in HOSTS.items():
            dev = SimDevice(host, platform, running[host], users={OPERATOR: PASSWORD})
            # OSPF neighbours: the other cores (the rollout expects confirmed peers to be Full)
            topo = topology(MIXED)
            dev.peers = {topo.devices[h].loopback.split("/")[0]: "Full" for h in HOSTS if h != host}
            self.devices[host] = dev
            self.ports[host] = sim.serve(dev)
        self.jump = SimDevice("bastion", "huawei_vrp", "", users={OPERATOR: PASSWORD})
        self.jump_port = sim.serve(self.jump, forward=True)

    def factory(
        self, creds: Credentials = CREDS, via_jump: bool = False
    ) -> Callable[[str], DeviceDriver]:
        jump = JumpHost(host="127.0.0.1", port=self.jump_port, creds=creds) if via_jump else None

        def make(host: str) -> DeviceDriver:
            ep = Endpoint(host="127.0.0.1", port=self.ports[host], timeout=5, jump=jump)
            cls = VrpDriver if HOSTS[host] == "huawei_vrp" else ComwareDriver
            return cls(host, topology(MIXED).platforms[HOSTS[host]], ep, creds)

        return make


def intended(host: str) -> str:
    return render_device(topology(MIXED), host, secrets())


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    with SshSimulator() as sim:
        yield Fleet(sim, {h: intended(h) for h in HOSTS})
    close_jumps()


def test_backups_commit_only_when_something_changed(fleet: Fleet, tmp_path: Path) -> None:
    repo = BackupRepo(tmp_path / "backups")
    make = fleet.factory()
    first = snapshot(repo, *fetch_running(sorted(HOSTS), make), "scheduled")
    assert first is not None
    assert snapshot(repo, *fetch_running(sorted(HOSTS), make), "scheduled") is None
    fleet.devices["lab-core1"].running += "ntp-service unicast-server 198.19.0.99\n"
    second = snapshot(repo, *fetch_running(sorted(HOSTS), make), "scheduled")
    assert second and second != first
    assert len(repo.log()) == 2
    assert len(repo.log("configs/lab-core1.cfg")) == 2
    assert len(repo.log("configs/beicheng-core1.cfg")) == 1
    diff = repo.git("show", second, "--", "configs/lab-core1.cfg").stdout
    assert "+ntp-service unicast-server 198.19.0.99" in diff
    cfg = repo.config_path("lab-core1")
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert stat.S_IMODE(repo.path.stat().st_mode) == 0o700


def test_an_unreachable_device_keeps_its_last_backup_and_is_named(
    fleet: Fleet, tmp_path: Path
) -> None:
    repo = BackupRepo(tmp_path / "backups")
    make = fleet.factory()
    snapshot(repo, *fetch_running(sorted(HOSTS), make), "manual")
    before = repo.read_config("beicheng-core1")
    fleet.ports["beicheng-core1"] = 1  # nothing listens there
    fleet.devices["lab-core1"].running += "undo info-center enable\n"
    configs, errors = fetch_running(sorted(HOSTS), make)
    assert set(errors) == {"beicheng-core1"}
    commit = snapshot(repo, configs, errors, "manual")
    assert commit is not None
    assert repo.read_config("beicheng-core1") == before
    message = repo.git("log", "-1", "--format=%B").stdout
    assert "not reached:" in message and "beicheng-core1" in message


def test_import_running_reports_drift_in_both_directions(fleet: Fleet, tmp_path: Path) -> None:
    repo = BackupRepo(tmp_path / "backups")
    make = fleet.factory()
    snapshot(repo, *fetch_running(sorted(HOSTS), make), "manual")
    results = import_running(topology(MIXED), repo, sorted(HOSTS), secrets())
    assert {r.device: r.status for r in results} == dict.fromkeys(HOSTS, "in_sync")
    # a hand-made change on the Comware core: one line added, one interface description removed
    dev = fleet.devices["beicheng-core1"]
    removed = next(ln for ln in dev.running.splitlines() if ln.startswith(" description "))
    dev.running = (
        dev.running.replace(removed + "\n", "", 1) + "ip route-static 0.0.0.0 0 192.0.2.1\n"
    )
    snapshot(repo, *fetch_running(sorted(HOSTS), make), "manual")
    repo.write_config("legacy-sw9", "sysname legacy-sw9\n")
    by = {r.device: r for r in import_running(topology(MIXED), repo, sorted(HOSTS), secrets())}
    assert by["lab-core1"].status == "in_sync"
    cmw = by["beicheng-core1"]
    assert cmw.status == "drift"
    assert cmw.unknown == ("ip route-static 0.0.0.0 0 192.0.2.1",)
    assert len(cmw.missing) == 1 and cmw.missing[0].endswith(removed.strip())
    assert by["legacy-sw9"].status == "not_in_inventory"


CHANGE = {
    "id": "CHG-2026-0042",
    "title": "rotate the OSPF key on the VRP and Comware cores",
    "operator": OPERATOR,
    "approver": APPROVER,
    "approved_at": "2026-11-28T16:00:00+08:00",
    "window": {"start": "2026-11-29T00:00:00+08:00", "end": "2026-11-29T04:00:00+08:00"},
    "devices": sorted(HOSTS),
}
IN_WINDOW = dt.datetime(2026, 11, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _file_change(repo: BackupRepo, **changes: object) -> None:
    repo.init()
    path = repo.path / "changes" / f"{CHANGE['id']}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump({**CHANGE, **changes}), encoding="utf-8")
    repo.commit("file change", ("changes",))


def _run(
    fleet: Fleet, repo: BackupRepo, now: dt.datetime, hosts: list[str] | None = None
) -> tuple[list[DeployResult], Outcome]:
    masker = Masker()
    env = {env_name(k): v for k, v in NEW.items()}
    src = RecordingSecrets(Secrets(env=env, vault=repo.path / "none.yaml"), masker)
    creds = Credentials.for_operator(src, OPERATOR)
    # hold 0: the post-check's OSPF-dead-interval watch is tested in test_deploy_postcheck.py;
    # here it only added 50 s per batch (about 100 s of the suite)
    opts = DeployOptions(
        commit=True,
        canary=1,
        batch=5,
        revert_in=60,
        verify_timeout=5,
        hold_s=0.0,
        backups=repo.path.parent,
    )
    rec = load_change(repo, str(CHANGE["id"]))
    return run_change(
        topology(MIXED),
        repo,
        rec,
        hosts or sorted(HOSTS),
        src,
        opts,
        fleet.factory(creds, via_jump=True),
        deploy,
        masker.mask,
        clock=lambda: now,
    )


@pytest.mark.parametrize(
    ("changes", "now", "hosts", "why"),
    [
        ({"approver": None}, IN_WINDOW, None, "not approved"),
        ({"approver": OPERATOR}, IN_WINDOW, None, "may not be the operator"),
        ({}, IN_WINDOW + dt.timedelta(hours=3), None, "outside its window"),
        ({"devices": ["lab-core1"]}, IN_WINDOW, None, "does not name device"),
    ],
)
def test_the_change_gate_refuses_and_records_the_refusal(
    fleet: Fleet,
    tmp_path: Path,
    changes: dict[str, object],
    now: dt.datetime,
    hosts: list[str] | None,
    why: str,
) -> None:
    repo = BackupRepo(tmp_path / "backups")
    _file_change(repo, **changes)
    with pytest.raises(ChangeRefused, match=why):
        _run(fleet, repo, now, hosts)
    rec = load_change(repo, str(CHANGE["id"]))
    assert [o.status for o in rec.outcomes] == ["refused"] and why in rec.outcomes[0].reason
    assert repo.git("status", "--porcelain").stdout == ""  # the refusal is committed
    assert all(d.logins == [] for d in fleet.devices.values())  # no device was touched


def test_approved_change_in_window_through_the_jump_host_as_the_operator(
    fleet: Fleet, tmp_path: Path
) -> None:
    repo = BackupRepo(tmp_path / "backups")
    _file_change(repo)
    results, outcome = _run(fleet, repo, IN_WINDOW)
    assert [r.error for r in results] == [None, None]
    assert all(r.committed for r in results)
    assert outcome.status == "done"
    assert outcome.devices == dict.fromkeys(HOSTS, "verified")
    for host, dev in fleet.devices.items():
        assert "ospf-new-key-2" in dev.running, host
        assert set(dev.logins) == {OPERATOR}  # personal account, never a shared login
    assert set(fleet.jump.logins) == {OPERATOR}
    # evidence in the repository: before/after snapshots and the recorded outcome
    subjects = [s for _, s in repo.log()]
    assert subjects[0] == f"change {CHANGE['id']}: done ({OPERATOR})"
    assert any(s.startswith(f"egnet backup (before change {CHANGE['id']})") for s in subjects)
    assert any(s.startswith(f"egnet backup (after change {CHANGE['id']})") for s in subjects)
    before = repo.git("show", f"{outcome.backup_before}:configs/lab-core1.cfg").stdout
    after = repo.git("show", f"{outcome.backup_after}:configs/lab-core1.cfg").stdout
    assert "ospf-test-key" in before and "ospf-new-key-2" in after
    text = (repo.path / "changes" / f"{CHANGE['id']}.yaml").read_text()
    assert PASSWORD not in text and "ospf-new-key-2" not in text
    assert stat.S_IMODE((repo.path / "changes" / f"{CHANGE['id']}.yaml").stat().st_mode) == 0o600
