"""`deploy --change` of a department change pushes exactly the record's remediation: on VRP and
Comware the commands are typed in under the device's commit-confirmed (a merge, never a replace),
only on the devices the record names, through the jump host under the operator's account; a
device whose running config changed since the change was filed refuses the whole change before
anything is configured. Over real SSH sessions against the simulated VRP and Comware cores."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from deploy_testlib import MIXED

from configs.masking import Masker, RecordingSecrets
from configs.render import render_device
from deploy.backup_repo import BackupRepo
from deploy.change import ChangeRefused, Outcome, load_change
from deploy.change_run import run_change
from deploy.drivers.base import DeviceDriver
from deploy.drivers.netmiko_native import ComwareDriver, VrpDriver
from deploy.engine import deploy
from deploy.options import DeployOptions
from deploy.result import DeployResult
from deploy.transport import Credentials, Endpoint, JumpHost, close_jumps
from egnet.cli import main
from testing.sshsim import SimDevice, SshSimulator
from topology import load_topology
from topology.model import Topology
from topology.secrets import Secrets, env_name

OPERATOR, PASSWORD = "zhang.wei", "Zw-personal-pass-7"
SECRETS = {
    "ospf_key": "ospf-test-key",
    "bgp_password": "bgp-test-pass",
    "ntp_key": "ntp-test-key",
    "ldp_key": "ldp-test-key",
    "aaa_key": "aaa-test-key",
    "user_netadmin": "Netadmin-test-pass-1",
    "user_noc": "Noc-test-pass-12",
    "snmp_v3_auth_key": "snmp-auth-test-key",
    "snmp_v3_priv_key": "snmp-priv-test-key",
    f"user_{OPERATOR}_password": PASSWORD,
}
WINDOW = "2026-01-01T00:00:00+08:00/2036-01-01T00:00:00+08:00"
REPLACES = ("load configuration file", "configuration replace file")


class Net:
    """Every core of the mixed inventory's VRP and Comware sites behind SSH, and a bastion."""

    def __init__(self, sim: SshSimulator, topo: Topology) -> None:
        self.devices: dict[str, SimDevice] = {}
        self.ports: dict[str, int] = {}
        self.topo = topo
        for host, dev in sorted(topo.devices.items()):
            if dev.platform not in ("huawei_vrp", "hp_comware") or dev.role != "core":
                continue
            sd = SimDevice(
                host, dev.platform, render_device(topo, host, Secrets()), {OPERATOR: PASSWORD}
            )
            sd.peers = {
                topo.devices[c.b.device if c.a.device == host else c.a.device].loopback.split("/")[
                    0
                ]: "Full"
                for c in topo.circuits_of(host)
            }
            self.devices[host] = sd
            self.ports[host] = sim.serve(sd)
        self.jump = SimDevice("bastion", "huawei_vrp", "", users={OPERATOR: PASSWORD})
        self.jump_port = sim.serve(self.jump, forward=True)

    def factory(self, creds: Credentials) -> Callable[[str], DeviceDriver]:
        jump = JumpHost(host="127.0.0.1", port=self.jump_port, creds=creds)

        def make(host: str) -> DeviceDriver:
            ep = Endpoint(host="127.0.0.1", port=self.ports[host], timeout=5, jump=jump)
            platform = self.topo.devices[host].platform
            cls = VrpDriver if platform == "huawei_vrp" else ComwareDriver
            return cls(host, self.topo.platforms[platform], ep, creds)

        return make


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, BackupRepo, Net]]:
    for k, v in SECRETS.items():
        monkeypatch.setenv(env_name(k), v)
    monkeypatch.setenv("EGNET_VAULT", str(tmp_path / "no-vault.yaml"))
    inv = tmp_path / "inv"
    shutil.copytree(MIXED, inv)
    repo = BackupRepo(tmp_path / "repo").init()
    with SshSimulator() as sim:
        net = Net(sim, load_topology(inv))
        for host, dev in net.devices.items():
            repo.write_config(host, dev.running)
        repo.commit("backup", ("configs",))
        yield inv, repo, net
    close_jumps()


def _file(inv: Path, repo: BackupRepo, did: str, site: str) -> None:
    argv = [
        "change", "add-department", str(inv), "--id", did, "--name", "测试单位",
        "--code", "11360000MB00000025", "--site", site, "--contact-name", "孙二",
        "--contact-phone", "0791-88000002", "--approval", "省政外网〔2025〕9号",
        "--approval-date", "2025-03-01", "--zones", "public,internet", "--ce-model", "S5130S-EI",
        "--changes", str(repo.path), "--operator", OPERATOR, "--requester", "wang.min",
        "--window", WINDOW, "--change-id", f"CHG-{did}",
    ]  # fmt: skip
    assert main(argv) == 0
    approve = [
        "change",
        "approve",
        f"CHG-{did}",
        "--changes",
        str(repo.path),
        "--approver",
        "li.na",
    ]
    assert main(approve) == 0


def _run(inv: Path, repo: BackupRepo, net: Net, cid: str) -> tuple[list[DeployResult], Outcome]:
    masker = Masker()
    src = RecordingSecrets(Secrets(), masker)
    creds = Credentials.for_operator(src, OPERATOR)
    opts = DeployOptions(
        commit=True, canary=0, batch=5, revert_in=60, verify_timeout=5, hold_s=0.0,
        backups=repo.path.parent / "device-backups",
    )  # fmt: skip
    rec = load_change(repo, cid)
    return run_change(
        load_topology(inv),
        repo,
        rec,
        list(rec.devices),
        src,
        opts,
        net.factory(creds),
        deploy,
        masker.mask,
        mask_commands=masker.mask,
    )


@pytest.mark.parametrize(("site", "platform"), [("lab", "huawei_vrp"), ("beicheng", "hp_comware")])
def test_the_record_remediation_is_typed_in_on_the_named_devices_only(
    env: tuple[Path, BackupRepo, Net], site: str, platform: str
) -> None:
    inv, repo, net = env
    did = f"{site}-merge"
    _file(inv, repo, did, site)
    rec = load_change(repo, f"CHG-{did}")
    untouched = {h: d.running for h, d in net.devices.items() if h not in rec.devices}
    results, outcome = _run(inv, repo, net, rec.id)
    assert [(r.device, r.error) for r in results] == [(h, None) for h in rec.devices]
    assert outcome.status == "done"
    assert outcome.devices == dict.fromkeys(rec.devices, "verified")
    topo = load_topology(inv)
    for host in rec.devices:
        dev = net.devices[host]
        assert dev.platform == platform
        sent = dev.commands
        assert not [c for c in sent if c.startswith(REPLACES)]  # a merge, never a replace
        typed = [ln.strip() for ln in rec.remediation[host].splitlines() if ln.strip()]
        start = sent.index(typed[0])
        assert sent[start : start + len(typed)] == typed  # exactly the record's lines, in order
        assert sent[start - 1] == (
            "system-view" if platform == "huawei_vrp" else "configuration commit delay 1"
        )
        after = sent[start + len(typed)]
        assert after == ("commit trial 60" if platform == "huawei_vrp" else "return")
        confirm = "commit" if platform == "huawei_vrp" else "configuration commit"
        assert confirm in sent[start + len(typed) + 1 :]  # confirmed after the post-check
        # the device now runs the intended config, and was logged into as the operator only
        want = render_device(topo, host, Secrets())
        from configs.diff import config_diff

        assert config_diff(dev.running, want, platform) == ""
        assert set(dev.logins) == {OPERATOR}
        assert not dev.pending
    assert {h: net.devices[h].running for h in untouched} == untouched
    assert all(not d.logins for h, d in net.devices.items() if h in untouched)
    assert set(net.jump.logins) == {OPERATOR}


def test_a_device_changed_since_filing_refuses_the_change_before_any_config(
    env: tuple[Path, BackupRepo, Net],
) -> None:
    inv, repo, net = env
    _file(inv, repo, "lab-stale", "lab")
    rec = load_change(repo, "CHG-lab-stale")
    host = rec.devices[0]
    net.devices[host].running += "interface LoopBack77\n description hand-made\n"
    with pytest.raises(ChangeRefused, match="no longer the record's"):
        _run(inv, repo, net, rec.id)
    rec = load_change(repo, rec.id)
    assert [o.status for o in rec.outcomes] == ["refused"]
    assert rec.outcomes[0].backup_before  # the backup before was taken and committed
    for h in rec.devices:  # only backups were read: nothing was configured
        assert "system-view" not in net.devices[h].commands, h


def test_commands_with_control_characters_or_too_many_lines_are_never_typed() -> None:
    from deploy.drivers.base import DriverError
    from deploy.drivers.netmiko_native import MAX_COMMAND_LINES, command_lines

    for bad in ("interface x\n description a\x1bb\n", "sysname a\u2028sysname b\n"):
        with pytest.raises(DriverError, match="control characters"):
            command_lines(bad)
    with pytest.raises(DriverError, match="more than"):
        command_lines("sysname a\n" * (MAX_COMMAND_LINES + 1))
