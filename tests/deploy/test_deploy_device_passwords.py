"""Local-user passwords on VRP and Comware (issue 11 §2), through a deploy over SSH against the
simulated devices (``testing/sshsim.py``).

egnet types the vendor's documented plaintext input form (VRP ``password irreversible-cipher
<plain>``, Comware ``password simple <plain>``); the device stores and shows its own hash. A deploy
must then see no change where only the stored form differs, and still see every other change.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.drivers.netmiko_native import ComwareDriver, VrpDriver
from deploy.options import DeployOptions
from deploy.push import DeviceJob, RolloutContext, deploy_device
from deploy.transport import Credentials, Endpoint, close_jumps
from testing.sshsim import SimDevice, SshSimulator
from topology.platforms import PLATFORMS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
from render_testlib import MIXED, rendered, topology

CREDS = Credentials(username="zhang.wei", password="pw-zhang-1")
# What the devices show after hashing the plaintext (shapes of VRP's and Comware 7's own formats).
STORED = {
    "huawei_vrp": (
        re.compile(r"^( local-user \S+ password irreversible-cipher) \S+$", re.M),
        r"\1 $1c$Vw;r]\\V'&T$Zb1S5!0F:Ie!bL0o<qM'|1$",
    ),
    "hp_comware": (
        re.compile(r"^( password) simple \S+$", re.M),
        r"\1 hash $h$6$Zk0xq3PSu9hY5Hzn$Vb4n2pH1bV2s8ZxfB6rWQ3yC2QF5n3k7Nw==",
    ),
}
DRIVERS: dict[str, type[VrpDriver] | type[ComwareDriver]] = {
    "huawei_vrp": VrpDriver,
    "hp_comware": ComwareDriver,
}


def _host(platform: str) -> str:
    topo = topology(MIXED)
    return next(h for h, d in sorted(topo.devices.items()) if d.platform == platform)


@pytest.fixture
def sim() -> Iterator[SshSimulator]:
    with SshSimulator() as s:
        yield s
    close_jumps()


def _deploy(
    sim: SshSimulator, platform: str, running: str, tmp_path: Path
) -> tuple[bool, str, str]:
    host = _host(platform)
    dev = SimDevice(host, platform, running, users={CREDS.username: CREDS.password})
    ep = Endpoint(host="127.0.0.1", port=sim.serve(dev), timeout=5)
    cls = DRIVERS[platform]

    def make(h: str) -> VrpDriver | ComwareDriver:
        return cls(h, PLATFORMS[platform], ep, CREDS)

    job = DeviceJob(hostname=host, platform=platform, intended=rendered(MIXED)[host])
    res = deploy_device(job, make, DeployOptions(commit=False, backups=tmp_path), RolloutContext())
    assert res.error is None, res.error
    return res.changed, res.diff, dev.running


@pytest.mark.parametrize("platform", sorted(STORED))
def test_the_devices_stored_hash_equals_the_typed_plaintext(
    sim: SshSimulator, platform: str, tmp_path: Path
) -> None:
    intended = rendered(MIXED)[_host(platform)]
    rx, stored = STORED[platform]
    running, n = rx.subn(stored, intended)
    assert n >= 2 and running != intended  # every local user shown in the device's own form
    assert not re.search(r"\$[156]\$", intended.replace("$h$6$", ""))
    changed, diff, after = _deploy(sim, platform, running, tmp_path)
    assert (changed, diff) == (False, "")
    assert after == running  # a dry run: nothing was pushed


@pytest.mark.parametrize("platform", sorted(STORED))
def test_other_changes_still_show_beside_a_stored_hash(
    sim: SshSimulator, platform: str, tmp_path: Path
) -> None:
    intended = rendered(MIXED)[_host(platform)]
    rx, stored = STORED[platform]
    running = rx.sub(stored, intended).replace("sysname ", "sysname old-", 1)
    changed, diff, _ = _deploy(sim, platform, running, tmp_path)
    assert changed and f"sysname {_host(platform)}" in diff
    assert "password" not in diff and "local-user" not in diff
