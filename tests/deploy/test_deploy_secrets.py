"""Issue 9 §5: files holding keys are 0600 in 0700 folders whatever the umask; no secret value
appears in any drift/deploy diff (text or JSON), error or log line."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_testlib import MIXED, SECRET_VALUES, secrets, topology

from configs.masking import MASK, Masker, MaskingFilter, RecordingSecrets, mask_commands
from configs.render import render_all, render_device
from deploy.backup import save_backup
from deploy.drift import drift
from deploy.drivers.base import DeviceDriver
from deploy.drivers.netmiko_native import ComwareDriver, VrpDriver
from deploy.result import DeployResult
from deploy.transport import Credentials, Endpoint
from egnet.deploy_cmds import mask_deploy, mask_drift, report_deploy, report_drift
from lab.router_shell import write_private as lab_write_private
from testing.sshsim import SimDevice, SshSimulator
from topology.private_files import write_private
from topology.secrets import Secrets, env_name

NEW_VALUES = {k: v.replace("test", "new") for k, v in SECRET_VALUES.items()}
HOSTS = {"lab-core1": "huawei_vrp", "beicheng-core1": "hp_comware"}
CREDS = Credentials(username="wang.fang", password="Ssh-pw-never-shown-1")


@pytest.fixture
def umask022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_rendered_configs_and_backups_are_private_under_umask_022(
    tmp_path: Path, umask022: None
) -> None:
    out = tmp_path / "build" / "configs"
    paths = render_all(topology(MIXED), out, secrets(), devices=list(HOSTS))
    assert paths and all(_mode(p) == 0o600 for p in paths)
    assert _mode(out) == 0o700
    assert _mode(out.parent) == 0o755  # the shared build/ folder is not tightened (lab lives there)
    b = save_backup(tmp_path / "backups", "lab-core1", "ospf authentication-mode md5 1 cipher x\n")
    assert _mode(b) == 0o600 and _mode(b.parent) == 0o700 and _mode(tmp_path / "backups") == 0o700


def test_write_private_tightens_an_existing_open_folder_and_replaces_atomically(
    tmp_path: Path, umask022: None
) -> None:
    folder = tmp_path / "open"
    folder.mkdir(mode=0o755)
    old = folder / "x.cfg"
    old.write_text("old\n")
    os.chmod(old, 0o644)
    write_private(old, "key s3cret\n")
    assert _mode(folder) == 0o700 and _mode(old) == 0o600
    assert old.read_text() == "key s3cret\n"
    assert [p.name for p in folder.iterdir()] == ["x.cfg"]  # no temporary file left


def test_lab_candidate_files_are_private(tmp_path: Path, umask022: None) -> None:
    p = tmp_path / "candidate.conf"
    lab_write_private(p, "ip ospf message-digest-key 1 md5 k\n")
    assert _mode(p) == 0o600


@pytest.fixture
def fleet() -> Iterator[tuple[SshSimulator, dict[str, int]]]:
    """The VRP and Comware cores running configs rendered with the *old* keys."""
    with SshSimulator() as sim:
        ports = {}
        for host, platform in HOSTS.items():
            running = render_device(topology(MIXED), host, secrets())
            dev = SimDevice(host, platform, running, users={CREDS.username: CREDS.password})
            ports[host] = sim.serve(dev)
        yield sim, ports


def _factory(ports: dict[str, int]) -> object:
    def make(host: str) -> DeviceDriver:
        ep = Endpoint(host="127.0.0.1", port=ports[host], timeout=5)
        cls = VrpDriver if HOSTS[host] == "huawei_vrp" else ComwareDriver
        return cls(host, topology(MIXED).platforms[HOSTS[host]], ep, CREDS)

    return make


def _all_secret_values() -> list[str]:
    return [*SECRET_VALUES.values(), *NEW_VALUES.values(), CREDS.password]


def test_drift_text_and_json_mask_old_and_new_keys(
    fleet: tuple[SshSimulator, dict[str, int]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, ports = fleet
    masker = Masker([CREDS.password])
    env = {env_name(k): v for k, v in NEW_VALUES.items()}
    rec = RecordingSecrets(Secrets(env=env, vault=tmp_path / "none.yaml"), masker)
    results = drift(topology(MIXED), sorted(HOSTS), rec, _factory(ports))  # type: ignore[arg-type]
    raw = "".join(r.diff for r in results)
    assert all(r.drifted and not r.error for r in results)
    # the unmasked remediation really carries old and new keys: the test can fail
    assert SECRET_VALUES["ospf_key"] in raw and NEW_VALUES["ospf_key"] in raw
    masked = [mask_drift(r, masker) for r in results]
    report_drift(masked, as_json=False)
    report_drift(masked, as_json=True)
    out = capsys.readouterr().out
    json.loads(out[out.index("[\n") :])
    for value in _all_secret_values():
        assert value not in out, value
    assert MASK in out and "authentication-mode md5 1" in out


def test_deploy_report_masks_errors_and_diffs(capsys: pytest.CaptureFixture[str]) -> None:
    masker = Masker(SECRET_VALUES.values())
    r = DeployResult(
        device="lab-core1",
        platform="huawei_vrp",
        changed=True,
        diff="# lab-core1 remediation\n peer 1.1.1.1 password cipher typed-by-hand-9\n",
        error=f"'hwtacacs-server shared-key cipher {SECRET_VALUES['aaa_key']}' failed",
    )
    for as_json in (False, True):
        report_deploy([mask_deploy(r, masker)], as_json, commit=False, took=0.1)
    out = capsys.readouterr().out
    assert "typed-by-hand-9" not in out and SECRET_VALUES["aaa_key"] not in out
    assert out.count(MASK) >= 4


def test_logs_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    masker = Masker(["Zx9-log-secret"])
    log = logging.getLogger("egnet.test.masking")
    handler_filter = MaskingFilter(masker)
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="egnet.test.masking"):
            log.info("sent %s and snmp-agent community read %s", "Zx9-log-secret", "pub1ic-c0m")
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert "Zx9-log-secret" not in caplog.text and "pub1ic-c0m" not in caplog.text
    assert caplog.text.count(MASK) == 2


@pytest.mark.parametrize(
    ("platform", "line", "kept"),
    [
        ("huawei_vrp", "snmp-agent usm-user v3 u authentication-mode sha cipher X1", "sha cipher"),
        ("huawei_vrp", "local-user a password irreversible-cipher $1a$X1$", "irreversible-cipher"),
        (
            "hp_comware",
            "snmp-agent usm-user v3 u g simple authentication-mode sha X1 privacy-mode aes128 X1",
            "privacy-mode aes128",
        ),
        ("hp_comware", "password hash $6$X1", "password hash"),
        ("cisco_ios", "username a privilege 15 secret 9 $9$X1", "secret 9"),
        ("cisco_ios", " ip ospf message-digest-key 1 md5 X1", "md5"),
        ("frr", " neighbor 1.1.1.1 password X1", "password"),
        ("frr", " ip ospf message-digest-key 1 md5 X1", "md5"),
    ],
)
def test_secret_bearing_commands_are_masked(platform: str, line: str, kept: str) -> None:
    got = mask_commands(line, platform)
    assert "X1" not in got and kept in got and MASK in got


@pytest.mark.parametrize(
    "line",
    ["password min-length 12", "password-control aging 90", "key chain k1", "undo ip address"],
)
def test_policy_lines_are_not_masked(line: str) -> None:
    assert mask_commands(line, "hp_comware" if "password" in line else "cisco_ios") == line
