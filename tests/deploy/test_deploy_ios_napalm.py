"""Cisco IOS through the real NAPALM ``ios`` driver, against a fake Netmiko connection.

The fake plays a small IOS box: a flash file system, the running config, the config archive and
its rollback timer. NAPALM runs unmodified on top of it; only Netmiko's ``ConnectHandler`` is
replaced (the allowed mock: no real Cisco device here).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from deploy.drivers.napalm_ios import NapalmIosDriver
from deploy.transport import Credentials, Endpoint
from topology.platforms import PLATFORMS

CANDIDATE = "hostname r1\ninterface Loopback0\n ip address 198.18.0.1 255.255.255.255\n"


class FakeIos:
    """Enough of an IOS device (behind a Netmiko connection) for NAPALM's replace workflow."""

    def __init__(self, **_: Any) -> None:
        self.running = "hostname old\n"
        self.flash: dict[str, str] = {}
        self.pending: str | None = None
        self.before = ""
        self.sent: list[str] = []
        self.channel = ""

    def __call__(self, **kwargs: Any) -> FakeIos:
        return self

    # --- the Netmiko surface NAPALM uses ---------------------------------------------------
    def enable(self) -> str:
        return ""

    def find_prompt(self) -> str:
        return "r1#"

    def set_base_prompt(self, *a: Any, **k: Any) -> str:
        return "r1"

    def disconnect(self) -> None:
        return None

    def is_alive(self) -> bool:
        return True

    def save_config(self, *a: Any, **k: Any) -> str:
        self.sent.append("write memory")
        return "[OK]"

    def _autodetect_fs(self) -> str:
        return "flash:"

    def write_channel(self, data: str) -> None:
        self.channel = data

    def read_channel(self) -> str:
        return "r1#"

    def send_config_set(self, commands: list[str], **k: Any) -> str:
        self.sent.extend(commands)
        return ""

    def send_command_timing(self, command_string: str, **k: Any) -> str:
        return self.send_command(command_string)

    def _send_command_str(self, command_string: str, **k: Any) -> str:
        return self.send_command(command_string)

    def send_command(self, command_string: str, **k: Any) -> str:
        cmd = command_string.strip()
        self.sent.append(cmd)
        for pattern, handler in self._handlers():
            m = re.fullmatch(pattern, cmd)
            if m:
                return str(handler(*m.groups()))
        return ""

    # --- device behaviour --------------------------------------------------------------------
    def _handlers(self) -> list[tuple[str, Any]]:
        return [
            (r"tclsh", lambda: "r1(tcl)#"),
            (r"show archive", lambda: "The maximum archive configurations allowed is 10."),
            (r"show archive config rollback timer", self._timer),
            (r"dir (\S+)/(\S+)", self._dir),
            (r"dir (\S+)", lambda fs: "123456789 bytes total (99999999 bytes free)"),
            (r"verify /md5 (\S+)", self._md5),
            (r"copy running-config (\S+)", self._copy_running),
            (r"configure replace (\S+) force revert trigger error timer (\d+)", self._replace),
            (r"configure replace (\S+) force", lambda f: self._replace(f, None)),
            (r"configure confirm", self._confirm),
            (r"configure revert now", self._revert),
            (r"show running-config", lambda: f"Building configuration...\n\n{self.running}end\n"),
            (
                r"show ip ospf neighbor",
                lambda: "198.18.0.5  0  FULL/  -  00:00:33  10.0.0.2  Gi0/1",
            ),
        ]

    def _timer(self) -> str:
        if self.pending is None:
            return "No Rollback Confirmed Change pending"
        return f"Timer type: Confirmed Commit\nTimer value: {self.pending} min\nUser: netops\n"

    def _dir(self, fs: str, name: str) -> str:
        path = f"{fs}/{name}"
        if path not in self.flash:
            return f"%Error opening {path} (No such file or directory)"
        return f"Directory of {path}\n\n  1  -rw-  {len(self.flash[path])}  <no date>  {name}\n"

    def _md5(self, path: str) -> str:
        digest = hashlib.md5(self.flash.get(path, "").encode()).hexdigest()
        return f"verify /md5 ({path}) = {digest}"

    def _copy_running(self, dest: str) -> str:
        self.flash[dest] = self.running
        return "bytes copied"

    def _replace(self, path: str, minutes: str | None) -> str:
        if path not in self.flash:
            return f"%Error opening {path}"
        self.before, self.running = self.running, self.flash[path]
        self.pending = minutes
        return "Total number of passes: 1\nRollback Done\n\nr1#"

    def _revert(self) -> str:
        self.running, self.pending = self.before, None
        return ""

    def _confirm(self) -> str:
        self.pending = None
        return ""


@pytest.fixture
def ios(monkeypatch: pytest.MonkeyPatch) -> FakeIos:
    fake = FakeIos()
    monkeypatch.setattr("napalm.base.base.ConnectHandler", fake)
    # The candidate is already on flash with the right MD5, so NAPALM skips its TCL transfer.
    fake.flash["flash:/candidate_config.txt"] = CANDIDATE + "\n"
    return fake


def _driver() -> NapalmIosDriver:
    return NapalmIosDriver(
        "r1",
        PLATFORMS["cisco_ios"],
        Endpoint(host="198.18.200.9"),
        Credentials(username="netops", password="pw"),
    )


def test_replace_with_revert_timer_then_confirm(ios: FakeIos) -> None:
    drv = _driver()
    drv.open()
    assert "hostname old" in drv.get_running()
    drv.commit_confirmed(CANDIDATE, revert_in=30)
    assert any(
        c.startswith(
            "configure replace flash:/candidate_config.txt force revert trigger error timer 1"
        )
        for c in ios.sent
    )
    assert ios.pending == "1" and ios.running.startswith("hostname r1")
    assert not drv.rollback_happened()
    drv.confirm()
    assert ios.pending is None and "configure confirm" in ios.sent
    assert drv.ospf_neighbors() == {"198.18.0.5": "Full"}
    drv.close()


def test_rollback_restores_the_saved_config(ios: FakeIos) -> None:
    drv = _driver()
    drv.open()
    drv.commit_confirmed(CANDIDATE, revert_in=120)
    assert ios.flash["flash:/rollback_config.txt"] == "hostname old\n"
    drv.rollback()
    assert ios.running == "hostname old\n" and ios.pending is None
    assert "configure revert now" in ios.sent
    drv.close()


def test_check_loads_compares_and_discards_without_applying(ios: FakeIos) -> None:
    drv = _driver()
    drv.open()
    assert drv.check(CANDIDATE) is None
    assert ios.running == "hostname old\n" and ios.pending is None
    assert not any(c.startswith("configure replace") for c in ios.sent)
    drv.close()
