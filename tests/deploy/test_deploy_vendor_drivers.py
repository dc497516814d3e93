"""VRP 8 and Comware 7 drivers: their native command sequences, against a fake Netmiko connection.

Real Huawei/H3C boxes cannot run here; the fake records what the driver sends and answers like
the device would, including error lines.
"""

from __future__ import annotations

from typing import Any

import pytest

from deploy.drivers.base import DriverError
from deploy.drivers.netmiko_native import CANDIDATE, ComwareDriver, VrpDriver
from deploy.transport import Credentials, Endpoint
from topology.platforms import PLATFORMS


class FakeNetmiko:
    """Records commands; answers from a table of prefixes (first match wins)."""

    def __init__(self, answers: dict[str, str] | None = None) -> None:
        self.sent: list[str] = []
        self.answers = answers or {}
        self.kwargs: dict[str, Any] = {}
        self.closed = False

    def __call__(self, **kwargs: Any) -> FakeNetmiko:
        self.kwargs = kwargs
        return self

    def send_command_timing(self, command_string: str, **kwargs: Any) -> str:
        self.sent.append(command_string)
        return next((v for k, v in self.answers.items() if command_string.startswith(k)), "")

    def disconnect(self) -> None:
        self.closed = True


class Uploads:
    """Records SFTP uploads."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def __call__(self, ep: Endpoint, creds: Credentials, remote: str, text: str) -> None:
        self.files[remote] = text


CREDS = Credentials(username="netops", password="pw")
EP = Endpoint(host="198.18.200.1")


def _vrp(fake: FakeNetmiko, up: Uploads) -> VrpDriver:
    return VrpDriver("r1", PLATFORMS["huawei_vrp"], EP, CREDS, connector=fake, uploader=up)


def _comware(fake: FakeNetmiko, up: Uploads) -> ComwareDriver:
    return ComwareDriver("r1", PLATFORMS["hp_comware"], EP, CREDS, connector=fake, uploader=up)


def test_vrp_commit_trial_sequence() -> None:
    fake, up = FakeNetmiko(), Uploads()
    drv = _vrp(fake, up)
    drv.open()
    drv.commit_confirmed("sysname r1\n", revert_in=90)
    drv.confirm()
    drv.close()
    assert fake.kwargs["device_type"] == "huawei_vrpv8"
    assert up.files == {CANDIDATE: "sysname r1\n"}
    assert fake.sent == [
        "system-view",
        f"load configuration file flash:/{CANDIDATE} replace",
        "commit trial 90",
        "return",
        "system-view",
        "commit",
        "return",
    ]
    assert fake.closed


def test_vrp_commit_trial_is_at_least_a_minute_and_rollback_aborts_the_trial() -> None:
    fake, up = FakeNetmiko(), Uploads()
    drv = _vrp(fake, up)
    drv.commit_confirmed("sysname r1\n", revert_in=20)
    drv.rollback()
    assert "commit trial 60" in fake.sent and fake.sent[-1] == "abort trial"


def test_vrp_load_error_aborts_and_raises() -> None:
    fake = FakeNetmiko({"load configuration": "Error: Unrecognized command found at '^'."})
    drv = _vrp(fake, Uploads())
    with pytest.raises(DriverError, match="Unrecognized command"):
        drv.commit_confirmed("bogus\n", revert_in=120)
    assert "commit trial 120" not in fake.sent and fake.sent[-1] == "abort"


def test_vrp_check_reports_errors_without_committing() -> None:
    fake = FakeNetmiko({"load configuration": "Error: Wrong parameter found at '^'."})
    assert "Wrong parameter" in (_vrp(fake, Uploads()).check("bogus\n") or "")
    assert fake.sent[-1] == "abort" and not any(c.startswith("commit") for c in fake.sent)
    clean = FakeNetmiko()
    assert _vrp(clean, Uploads()).check("sysname r1\n") is None


def test_vrp_ospf_peers_are_parsed() -> None:
    out = (
        "OSPF Process 1 with Router ID 198.18.0.1\n Area Id  Interface  Neighbor id  State\n"
        " 0.0.0.0  GE0/0/1    198.18.0.5   Full\n 0.0.0.0  GE0/0/2    198.18.0.6   ExStart\n"
    )
    drv = _vrp(FakeNetmiko({"display ospf peer brief": out}), Uploads())
    assert drv.ospf_neighbors() == {"198.18.0.5": "Full", "198.18.0.6": "Exstart"}


def test_comware_commit_delay_sequence() -> None:
    fake, up = FakeNetmiko(), Uploads()
    drv = _comware(fake, up)
    drv.commit_confirmed("sysname r1\n", revert_in=150)
    drv.confirm()
    assert fake.kwargs["device_type"] == "hp_comware"
    assert fake.sent == [
        "save flash:/egnet-rollback.cfg",
        "Y",
        "system-view",
        "configuration commit delay 3",
        f"configuration replace file flash:/{CANDIDATE}",
        "Y",
        "return",
        "system-view",
        "configuration commit",
        "return",
    ]


def test_comware_rollback_replaces_back_and_stops_the_timer() -> None:
    fake = FakeNetmiko()
    _comware(fake, Uploads()).rollback()
    assert fake.sent == [
        "system-view",
        "configuration replace file flash:/egnet-rollback.cfg",
        "Y",
        "configuration commit",
        "return",
    ]


def test_comware_replace_failure_raises() -> None:
    fake = FakeNetmiko({"configuration replace": "% Invalid input detected"})
    with pytest.raises(DriverError, match="Invalid input"):
        _comware(fake, Uploads()).commit_confirmed("bogus\n", revert_in=60)
    assert "configuration commit" not in fake.sent


def test_comware_check_verifies_the_uploaded_file() -> None:
    text = "sysname r1\n"
    good = FakeNetmiko({"dir flash:/": f"  1 -rw- {len(text)} Nov 21 2026 {CANDIDATE}"})
    assert _comware(good, Uploads()).check(text) is None
    short = FakeNetmiko({"dir flash:/": f"  1 -rw- 3 Nov 21 2026 {CANDIDATE}"})
    assert _comware(short, Uploads()).check(text) is not None
