"""VRP 8 and Comware 7 drivers through Netmiko over real SSH sessions against simulated devices.

The simulators (``testing/sshsim.py``) are paramiko SSH servers on 127.0.0.1 ephemeral ports with
the devices' prompts, views, questions, SFTP and their own rollback timers; device seconds run
50 times faster (``time_scale=0.02``) so a 60-second trial expires in about 1.2 s.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from deploy.drivers.base import DriverError, Unreachable
from deploy.drivers.napalm_ios import NapalmIosDriver
from deploy.drivers.netmiko_native import CANDIDATE, ROLLBACK, ComwareDriver, VrpDriver
from deploy.transport import Credentials, Endpoint, JumpHost, close_jumps
from testing.sshsim import SimDevice, SshSimulator, load_fixture
from topology.platforms import PLATFORMS

SCALE = 0.02
VRP_OLD = (
    "#\nsysname r1\n#\ninterface LoopBack0\n ip address 198.18.0.1 255.255.255.255\n#\nreturn\n"
)
VRP_NEW = VRP_OLD.replace("198.18.0.1", "198.18.0.9")
CMW_OLD = "#\n version 7.1.064\n sysname r2\n#\ninterface LoopBack0\n ip address 198.18.0.2 32\n#\nreturn\n"
CMW_NEW = CMW_OLD.replace("198.18.0.2", "198.18.0.8")
CREDS = Credentials(username="zhang.wei", password="pw-zhang-1")


@pytest.fixture
def sim() -> Iterator[SshSimulator]:
    with SshSimulator() as s:
        yield s
    close_jumps()


def _vrp(sim: SshSimulator, **kw: object) -> tuple[SimDevice, VrpDriver]:
    dev = SimDevice(
        "r1",
        "huawei_vrp",
        VRP_OLD,
        users={CREDS.username: CREDS.password},
        peers={"198.18.0.5": "Full", "198.18.0.6": "Init"},
        version_text=load_fixture("huawei_vrp_display_version.raw"),
        time_scale=SCALE,
        **kw,  # type: ignore[arg-type]
    )
    port = sim.serve(dev)
    ep = Endpoint(host="127.0.0.1", port=port, timeout=5)
    return dev, VrpDriver("r1", PLATFORMS["huawei_vrp"], ep, CREDS)


def _comware(sim: SshSimulator, **kw: object) -> tuple[SimDevice, ComwareDriver]:
    dev = SimDevice(
        "r2",
        "hp_comware",
        CMW_OLD,
        users={CREDS.username: CREDS.password},
        peers={"198.18.0.1": "Full"},
        time_scale=SCALE,
        **kw,  # type: ignore[arg-type]
    )
    port = sim.serve(dev)
    ep = Endpoint(host="127.0.0.1", port=port, timeout=5)
    return dev, ComwareDriver("r2", PLATFORMS["hp_comware"], ep, CREDS)


def _wait(cond: object, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if callable(cond) and cond():
            return True
        time.sleep(0.05)
    return False


def test_vrp_commit_trial_then_confirm_keeps_the_change(sim: SshSimulator) -> None:
    dev, drv = _vrp(sim)
    drv.open()
    assert drv.get_running() == VRP_OLD
    drv.commit_confirmed(VRP_NEW, revert_in=30)
    assert dev.files[CANDIDATE] == VRP_NEW
    assert dev.running == VRP_NEW
    status, left = drv.trial_status()
    assert status == "ACTIVE" and 0 < left <= 60  # at least the VRP minimum of 60 s
    drv.confirm()
    assert drv.trial_status()[0] == "INACTIVE"
    time.sleep(65 * SCALE)  # past the trial window: the confirmed change stays
    assert drv.get_running() == VRP_NEW
    drv.close()
    assert "commit trial 60" in dev.commands and dev.commands[-1].startswith("display")
    assert {"<r1>", "[~r1]", "[*r1]"} <= dev.prompts  # user view, clean and dirty system view
    assert dev.logins == [CREDS.username, CREDS.username]  # CLI session, SFTP upload


def test_vrp_abort_trial_answers_the_question_and_restores(sim: SshSimulator) -> None:
    dev, drv = _vrp(sim)
    drv.commit_confirmed(VRP_NEW, revert_in=600)
    assert dev.running == VRP_NEW
    drv.rollback()
    assert "[Y/N]" in dev.prompts  # the question was asked and answered
    assert dev.running == VRP_OLD and not dev.pending
    assert any("TRIAL_ABORT" in x for x in dev.log)
    drv.close()


def test_vrp_trial_expires_and_the_device_rolls_back_by_itself(sim: SshSimulator) -> None:
    dev, drv = _vrp(sim)
    drv.commit_confirmed(VRP_NEW, revert_in=60)
    assert drv.get_running() == VRP_NEW
    assert not drv.rollback_happened()
    assert _wait(lambda: not dev.pending, 60 * SCALE + 3)
    assert drv.rollback_happened()
    assert drv.get_running() == VRP_OLD
    drv.close()


def test_vrp_rejected_candidate_is_reported_and_never_committed(sim: SshSimulator) -> None:
    dev, drv = _vrp(sim, reject=r"^ bogus-command")
    bad = VRP_NEW + " bogus-command 1\n"
    assert "Unrecognized command" in (drv.check(bad) or "")
    with pytest.raises(DriverError, match="Unrecognized command"):
        drv.commit_confirmed(bad, revert_in=60)
    assert dev.running == VRP_OLD and not dev.pending
    assert drv.check(VRP_NEW) is None
    assert dev.running == VRP_OLD  # check never commits
    drv.close()


def test_vrp_display_outputs_are_parsed_with_textfsm(sim: SshSimulator) -> None:
    _, drv = _vrp(sim)
    assert drv.ospf_neighbors() == {"198.18.0.5": "Full", "198.18.0.6": "Init"}
    facts = drv.version()  # the real ntc-templates capture, parsed by ntc-templates
    assert facts["vrp_version"] == "5.170"
    assert facts["model"] == "AR6280"
    drv.close()


def test_comware_commit_delay_then_confirm(sim: SshSimulator) -> None:
    dev, drv = _comware(sim)
    assert drv.check(CMW_NEW) is None
    drv.commit_confirmed(CMW_NEW, revert_in=45)
    assert dev.files[ROLLBACK] == CMW_OLD
    assert dev.running == CMW_NEW and dev.pending
    assert "configuration commit delay 1" in dev.commands
    drv.confirm()
    assert not dev.pending
    assert {"<r2>", "[r2]", "[Y/N]"} <= dev.prompts
    time.sleep(65 * SCALE)
    assert drv.get_running() == CMW_NEW
    assert not drv.rollback_happened()
    drv.close()


def test_comware_rollback_replaces_back_and_stops_the_timer(sim: SshSimulator) -> None:
    dev, drv = _comware(sim)
    drv.commit_confirmed(CMW_NEW, revert_in=120)
    drv.rollback()
    assert dev.running == CMW_OLD and not dev.pending
    drv.close()


def test_comware_delay_expires_and_the_device_rolls_back_by_itself(sim: SshSimulator) -> None:
    dev, drv = _comware(sim)
    drv.commit_confirmed(CMW_NEW, revert_in=60)
    assert drv.get_running() == CMW_NEW
    assert _wait(lambda: not dev.pending, 60 * SCALE + 3)
    assert drv.rollback_happened()
    assert drv.get_running() == CMW_OLD
    drv.close()


def test_comware_replace_failure_raises(sim: SshSimulator) -> None:
    dev, drv = _comware(sim, reject=r"^ bogus")
    with pytest.raises(DriverError, match="Unrecognized command"):
        drv.commit_confirmed(CMW_NEW + " bogus 1\n", revert_in=60)
    assert dev.running == CMW_OLD
    drv.rollback()
    assert not dev.pending
    drv.close()


def test_comware_ospf_peers_are_parsed_with_textfsm(sim: SshSimulator) -> None:
    _, drv = _comware(sim)
    assert drv.ospf_neighbors() == {"198.18.0.1": "Full"}
    drv.close()


def test_wrong_password_is_unreachable_not_a_traceback(sim: SshSimulator) -> None:
    dev, _ = _vrp(sim)
    port = sim.sockets[-1].getsockname()[1]
    ep = Endpoint(host="127.0.0.1", port=port, timeout=3)
    drv = VrpDriver("r1", PLATFORMS["huawei_vrp"], ep, Credentials(username="x", password="y"))
    with pytest.raises(Unreachable):
        drv.open()
    assert dev.logins == []


def test_personal_key_login_through_a_jump_host(sim: SshSimulator, tmp_path: Path) -> None:
    key = paramiko.ECDSAKey.generate(bits=256)
    key_file = tmp_path / "id_ecdsa"
    key.write_private_key_file(str(key_file))
    os.chmod(key_file, 0o600)
    creds = Credentials(username="li.na", password="", key_file=str(key_file))
    jump = SimDevice("bastion", "huawei_vrp", "", keys={"li.na": key.get_base64()})
    jump_port = sim.serve(jump, forward=True)
    dev, _ = _vrp(sim, keys={"li.na": key.get_base64()})
    dev.users.clear()  # no password login on the device: only the operator's key
    port = sim.sockets[-1].getsockname()[1]
    ep = Endpoint(
        host="127.0.0.1",
        port=port,
        timeout=5,
        jump=JumpHost(host="127.0.0.1", port=jump_port, creds=creds),
    )
    drv = VrpDriver("r1", PLATFORMS["huawei_vrp"], ep, creds)
    drv.commit_confirmed(VRP_NEW, revert_in=60)  # netmiko session and SFTP, both tunnelled
    drv.confirm()
    assert dev.running == VRP_NEW
    drv.close()
    assert dev.logins == ["li.na", "li.na"]  # CLI session and SFTP upload
    assert jump.logins == ["li.na"]  # one bastion session shared by both
    ios = SimDevice("r3", "cisco_ios", IOS_OLD, keys={"li.na": key.get_base64()})
    ios_ep = ep.model_copy(update={"port": sim.serve(ios)})
    napalm = NapalmIosDriver("r3", PLATFORMS["cisco_ios"], ios_ep, creds)
    assert napalm.get_running().endswith(IOS_OLD.rstrip("\n"))  # NAPALM through the bastion
    napalm.close()
    assert ios.logins == ["li.na"] and jump.logins == ["li.na"]


IOS_OLD = "hostname r3\n!\ninterface Loopback0\n ip address 198.18.0.3 255.255.255.255\n!\nend\n"
IOS_NEW = IOS_OLD.replace("198.18.0.3 ", "198.18.0.33 ")


def test_ios_through_napalm_commit_rollback_timer_and_confirm(sim: SshSimulator) -> None:
    """NAPALM's ios driver (Netmiko, inline TCL transfer, config archive) over SSH: explicit
    rollback, the revert timer expiring on the device, then a confirmed commit."""
    dev = SimDevice(
        "r3",
        "cisco_ios",
        IOS_OLD,
        users={CREDS.username: CREDS.password},
        peers={"198.18.0.5": "Full"},
        time_scale=SCALE,
    )
    port = sim.serve(dev)
    ep = Endpoint(host="127.0.0.1", port=port, timeout=10)
    drv = NapalmIosDriver("r3", PLATFORMS["cisco_ios"], ep, CREDS)
    assert drv.get_running().endswith(IOS_OLD.rstrip("\n"))
    assert drv.ospf_neighbors() == {"198.18.0.5": "Full"}
    assert drv.check(IOS_NEW) is None and dev.running == IOS_OLD
    drv.commit_confirmed(IOS_NEW, revert_in=30)  # IOS: whole minutes, at least one
    assert dev.running == IOS_NEW and dev.pending
    assert (
        "configure replace bootflash:/candidate_config.txt force revert trigger error timer 1"
        in (dev.commands)
    )
    drv.rollback()
    assert dev.running == IOS_OLD and not dev.pending
    drv.commit_confirmed(IOS_NEW, revert_in=60)
    assert not drv.rollback_happened()
    assert _wait(lambda: not dev.pending, 60 * SCALE + 3)  # nobody confirmed: IOS reverts
    assert drv.rollback_happened() and dev.running == IOS_OLD
    drv.commit_confirmed(IOS_NEW, revert_in=60)
    drv.confirm()
    time.sleep(65 * SCALE)
    assert dev.running == IOS_NEW and not dev.pending
    drv.close()
    assert set(dev.logins) == {CREDS.username}
    assert {"r3#", "r3(config)#", "r3(tcl)#", "+>"} <= dev.prompts
