"""Simulated Huawei VRP 8 and H3C Comware 7 devices behind a real SSH server (paramiko), for tests.

Each :class:`SimDevice` keeps a running config, a candidate (VRP two-stage commit), files on
``flash:/`` (written over SFTP), OSPF peers, a log buffer and the devices' own rollback timers:
VRP ``commit trial <s>`` and Comware ``configuration commit delay <min>`` restore the previous
config by themselves when nobody confirms in time. ``time_scale`` shrinks device seconds into
real seconds so a 60-second trial expires in a test within about a second.

Prompts, views and messages follow the vendors' documented examples: VRP ``<host>`` (user view),
``[~host]`` (system view, nothing uncommitted), ``[*host]`` (uncommitted changes); Comware
``<host>`` / ``[host]``; confirmation questions end in ``[Y/N]:``. :class:`SshSimulator` serves
any number of devices on 127.0.0.1 ephemeral ports (one port per device), with password and
public-key logins, an SFTP subsystem, and ``direct-tcpip`` forwarding when it plays a jump host.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import io
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import paramiko
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
)
from paramiko.sftp import SFTP_NO_SUCH_FILE, SFTP_OK

logger = logging.getLogger(__name__)

UNRECOGNISED = "Error: Unrecognized command found at '^' position."
COMWARE_UNRECOGNISED = "% Unrecognized command found at '^' position."


@dataclass
class SimDevice:
    """One simulated device and its state (thread-safe through ``lock``)."""

    hostname: str
    platform: str  # "huawei_vrp" or "hp_comware"
    running: str
    users: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # user -> public key base64
    peers: dict[str, str] = field(default_factory=dict)  # router id -> state
    version_text: str = ""
    time_scale: float = 1.0
    reject: str | None = None  # a regex: config lines matching it are refused by the device
    files: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    prompts: set[str] = field(default_factory=set)  # every prompt the device showed
    lock: threading.RLock = field(default_factory=threading.RLock)
    candidate: str | None = None
    previous: str | None = None
    timer: threading.Timer | None = None
    deadline: float = 0.0

    def arm(self, device_seconds: int, reason: str) -> None:
        """Start the rollback timer: the running config returns to ``previous`` at expiry."""
        if self.timer is not None:
            self.timer.cancel()
        real = device_seconds * self.time_scale
        self.deadline = time.monotonic() + real
        self.timer = threading.Timer(real, self._expire, args=(reason,))
        self.timer.daemon = True
        self.timer.start()

    def disarm(self) -> None:
        """Stop the rollback timer (confirm)."""
        if self.timer is not None:
            self.timer.cancel()
        self.timer = None
        self.previous = None

    @property
    def pending(self) -> bool:
        """True while a trial / delayed commit waits for confirmation."""
        return self.timer is not None

    def seconds_left(self) -> int:
        """Device seconds left on the rollback timer."""
        if self.timer is None:
            return 0
        return max(0, int((self.deadline - time.monotonic()) / self.time_scale))

    def _expire(self, reason: str) -> None:
        with self.lock:
            if self.previous is not None:
                self.running = self.previous
            self.previous = None
            self.timer = None
            self.candidate = None
            self.log.append(reason)

    def rejected(self, text: str) -> list[str]:
        """Config lines the device refuses."""
        if not self.reject:
            return []
        return [ln for ln in text.splitlines() if re.search(self.reject, ln)]

    def file(self, name: str) -> str | None:
        """Return a flash file by any spelling (``flash:/x``, ``/x``, ``x``)."""
        return self.files.get(flash_name(name))


def flash_name(name: str) -> str:
    """Normalise a flash path to its bare file name.

    Examples:
        >>> flash_name("flash:/a.cfg"), flash_name("/a.cfg"), flash_name("a.cfg")
        ('a.cfg', 'a.cfg', 'a.cfg')
    """
    return re.sub(r"^(flash:)?/*", "", name)


Reply = tuple[str, Callable[[str], str] | None]  # output, handler of the answer to a question


def merge_config(base: str, text: str, platform: str) -> str:
    """``base`` with configuration commands ``text`` applied (hier_config's ``future``: new lines
    added, ``undo`` lines remove what they negate), as the device would hold it."""
    from configs.diff import hconfig

    future = hconfig(base, platform).future(hconfig(text, platform))
    return "\n".join(future.dump_simple()) + "\n"


class _Cli:
    """One CLI session's view state and command handling (the personality)."""

    def __init__(self, dev: SimDevice) -> None:
        self.dev = dev
        self.system = False
        self.raw = ""  # the line as typed (leading spaces kept)
        self.section: str | None = None  # the view a typed section command opened

    def prompt(self) -> str:
        raise NotImplementedError

    def typed(self, base: str) -> tuple[str | None, str]:
        """A configuration command typed in system view, applied to ``base``: (new config, or
        None when the device refuses the line; output). The hierarchy is read from the
        indentation as typed (a top-level command opens a view for the indented lines after it;
        ``quit`` closes it); the real CLIs know which commands open views."""
        line = self.raw.rstrip()
        if self.dev.rejected(line):
            return None, UNRECOGNISED
        if line.strip() == "quit":
            self.section = None
            return base, ""
        if line.startswith(" "):
            if self.section is None:
                return None, UNRECOGNISED
            text = f"{self.section}\n{line}"
        else:
            text = line
            self.section = None if line.startswith("undo ") else line
        return merge_config(base, text, self.dev.platform), ""

    def handle(self, line: str) -> Reply:
        raise NotImplementedError


class VrpCli(_Cli):
    """Huawei VRP 8 with two-stage commit."""

    def prompt(self) -> str:
        h = self.dev.hostname
        if not self.system:
            return f"<{h}>"
        dirty = self.dev.candidate is not None and self.dev.candidate != self.dev.running
        return f"[{'*' if dirty else '~'}{h}]"

    def handle(self, line: str) -> Reply:
        d = self.dev
        words = line.split()
        if line.startswith("display "):
            return self.display(line), None
        if line == "screen-length 0 temporary":
            return (
                "Info: The configuration takes effect on the current user terminal interface only.",
                None,
            )
        if not self.system:
            if line == "system-view":
                self.system = True
                d.candidate = d.running
                return "Enter system view, return user view with return command.", None
            return f"{' ' * 2}^\n{UNRECOGNISED}", None
        m = re.fullmatch(r"load configuration file (\S+) replace", line)
        if m:
            text = d.file(m.group(1))
            if text is None:
                return "Error: The file does not exist.", None
            bad = d.rejected(text)
            if bad:
                return "\n".join(f"{b}\n  ^\n{UNRECOGNISED}" for b in bad), None
            d.candidate = text
            return "", None
        m = re.fullmatch(r"commit trial (\d+)", line)
        if m:
            seconds = int(m.group(1))
            if not 60 <= seconds <= 65535:
                return "Error: Wrong parameter found at '^' position.", None
            if d.candidate is None or d.candidate == d.running:
                return "Info: No configuration changes to commit.", None
            d.previous, d.running = d.running, d.candidate
            d.arm(
                seconds,
                "CFG/4/TRIAL_ROLLBACK: The trial configuration timed out and was rolled back.",
            )
            return (
                "Committing..done.\nInfo: The system enters the trial configuration mode. The system "
                "will revert to previous configuration if the trial configuration is not confirmed "
                f"in {seconds} seconds."
            ), None
        if line == "commit":
            if d.candidate is not None and d.candidate != d.running:
                d.running = d.candidate
            d.disarm()
            return "", None
        if line == "abort trial":
            if not d.pending:
                return "Error: The system is not in trial configuration mode.", None

            def answer(a: str) -> str:
                if a.strip().upper() != "Y":
                    return ""
                with d.lock:
                    if d.previous is not None:
                        d.running = d.previous
                    d.disarm()
                    d.candidate = d.running
                    d.log.append("CFG/4/TRIAL_ABORT: The trial configuration was aborted.")
                return "Info: The trial configuration was aborted."

            return (
                "Warning: The trial configuration will be aborted and the system will roll back. "
                "Continue? [Y/N]:"
            ), answer
        if line == "abort":
            d.candidate = d.running
            return "", None
        if line == "return":
            self.system = False
            self.section = None
            d.candidate = None
            return "", None
        if words and words[0] == "sysname" and len(words) == 2:
            base = d.candidate if d.candidate is not None else d.running
            d.candidate = re.sub(r"(?m)^sysname \S+$", line, base)
            return "", None
        # any other line is a configuration command into the candidate (two-stage)
        new, out = self.typed(d.candidate if d.candidate is not None else d.running)
        if new is None:
            return f"  ^\n{out}", None
        d.candidate = new
        return out, None

    def display(self, line: str) -> str:
        d = self.dev
        if line == "display current-configuration":
            return d.running.rstrip("\n")
        if line == "display version":
            return d.version_text.rstrip("\n")
        if line == "display configuration trial status":
            status = "ACTIVE" if d.pending else "INACTIVE"
            return f"Trial status: {status}\nTrial time left (sec): {d.seconds_left()}"
        if line == "display ospf peer brief":
            rows = [
                f" 0.0.0.0          GigabitEthernet1/0/{i:<18d}{rid:<17s}{state}"
                for i, (rid, state) in enumerate(sorted(d.peers.items()))
            ]
            return "\n".join(
                [
                    "",
                    "\t OSPF Process 1 with Router ID 198.18.0.1",
                    "\t\t  Peer Statistic Information",
                    " " + "-" * 76,
                    " Area Id          Interface                        Neighbor id      State",
                    *rows,
                    " " + "-" * 76,
                    f" Total Peer(s):      {len(rows)}",
                ]
            )
        return f"  ^\n{UNRECOGNISED}"


class ComwareCli(_Cli):
    """H3C Comware 7: one-stage config with ``configuration commit delay``."""

    def prompt(self) -> str:
        h = self.dev.hostname
        return f"[{h}]" if self.system else f"<{h}>"

    def handle(self, line: str) -> Reply:
        d = self.dev
        if line.startswith("display "):
            return self.display(line), None
        if line == "screen-length disable":
            return "", None
        if line.startswith("dir "):
            name = flash_name(line.split(None, 1)[1])
            text = d.files.get(name)
            if text is None:
                return "The file or directory doesn't exist.", None
            size = len(text.encode("utf-8"))
            return (
                f"Directory of flash:\n   0 -rw-  {size:>9d} Nov 29 2026 06:00:00   {name}\n\n"
                "1046512 KB total (1020000 KB free)"
            ), None
        m = re.fullmatch(r"save (\S+)", line)
        if m and not self.system:
            name = flash_name(m.group(1))

            def save(a: str) -> str:
                if a.strip().upper() != "Y":
                    return ""
                with d.lock:
                    d.files[name] = d.running
                return (
                    "Saving the running configuration to flash:/"
                    f"{name}. Please wait...\nConfiguration is saved to device successfully."
                )

            return (
                f"The current configuration will be saved to flash:/{name}. Continue? [Y/N]:",
                save,
            )
        if not self.system:
            if line == "system-view":
                self.system = True
                return "System View: return to User View with Ctrl+Z.", None
            return f"  ^\n{COMWARE_UNRECOGNISED}", None
        if line == "return":
            self.system = False
            self.section = None
            return "", None
        m = re.fullmatch(r"configuration commit delay (\d+)", line)
        if m:
            minutes = int(m.group(1))
            if not 1 <= minutes <= 65535:
                return "% Wrong parameter found at '^' position.", None
            d.previous = d.running
            d.arm(
                minutes * 60,
                "%CFGMAN/4/CFGMAN_ROLLBACK: Configuration rollback to the settings before the commit delay, because no commit was performed.",
            )
            return "", None
        if line == "configuration commit":
            d.disarm()
            return "", None
        m = re.fullmatch(r"configuration replace file (\S+)", line)
        if m:
            text = d.file(m.group(1))
            if text is None:
                return "The file or directory doesn't exist.", None

            def replace(a: str) -> str:
                if a.strip().upper() not in ("Y", "N"):
                    return ""
                bad = d.rejected(text)
                if bad:
                    return "\n".join(f"{b}\n  ^\n{COMWARE_UNRECOGNISED}" for b in bad) + (
                        "\nFailed to replace the running configuration."
                    )
                with d.lock:
                    d.running = text
                return (
                    "Now replacing the current configuration. Please wait...\n"
                    f"Succeeded in replacing current configuration with the file {m.group(1)}."
                )

            return "Current configuration will be lost, save current configuration? [Y/N]:", replace
        words = line.split()
        if words and words[0] == "sysname" and len(words) == 2:
            d.running = re.sub(r"(?m)^ sysname \S+$", f" {line}", d.running)
            d.hostname = words[1]
            return "", None
        # any other line is a configuration command, in effect at once (one-stage)
        new, out = self.typed(d.running)
        if new is None:
            return f"  ^\n{COMWARE_UNRECOGNISED}", None
        d.running = new
        return out, None

    def display(self, line: str) -> str:
        d = self.dev
        if line == "display current-configuration":
            return d.running.rstrip("\n")
        if line == "display version":
            return d.version_text.rstrip("\n")
        m = re.fullmatch(r"display logbuffer(?: \| include (.+))?", line)
        if m:
            pat = m.group(1)
            return "\n".join(x for x in d.log if pat is None or pat in x)
        if line == "display ospf peer":
            rows = [
                f" {rid:<15s} 198.18.16.{i + 2:<6d} 1   37         {state + '/ -':<17s} GE0/{i}"
                for i, (rid, state) in enumerate(sorted(d.peers.items()))
            ]
            return "\n".join(
                [
                    "",
                    "         OSPF Process 1 with Router ID 198.18.0.1",
                    "               Neighbor Brief Information",
                    "",
                    " Area: 0.0.0.0",
                    " Router ID       Address         Pri Dead-Time  State             Interface",
                    *rows,
                ]
            )
        return f"  ^\n{COMWARE_UNRECOGNISED}"


class IosCli(_Cli):
    """Cisco IOS(-XE) as NAPALM's ``ios`` driver uses it: exec/config/tclsh modes, ``bootflash:``,
    the config archive with ``configure replace … revert trigger error timer <min>``,
    ``configure confirm`` / ``configure revert now``, inline TCL file transfer and ``verify /md5``."""

    FS = "bootflash:"

    def __init__(self, dev: SimDevice) -> None:
        super().__init__(dev)
        self.mode = "exec"
        self.tcl_file: str | None = None
        self.tcl_lines: list[str] = []
        self.user = ""

    def prompt(self) -> str:
        h = self.dev.hostname
        if self.tcl_file is not None:
            return "+>"
        return {"exec": f"{h}#", "config": f"{h}(config)#", "tcl": f"{h}(tcl)#"}[self.mode]

    def _path(self, name: str) -> str:
        return flash_name(name.removeprefix(self.FS))

    def _dir(self, name: str | None) -> str:
        d = self.dev
        tail = "\n\n7194652672 bytes total (6265311232 bytes free)"
        if not name:
            rows = [
                f"  {11 + i:>3d}  -rw-  {len(t.encode()):>10d}  Nov 29 2026 06:00:00 +00:00  {n}"
                for i, (n, t) in enumerate(sorted(d.files.items()))
            ]
            return f"Directory of {self.FS}/\n\n" + "\n".join(rows) + tail
        text = d.files.get(name)
        if text is None:
            return f"%Error opening {self.FS}/{name} (No such file or directory)"
        size = len(text.encode())
        return (
            f"Directory of {self.FS}/{name}\n\n   33  -rw-  {size:>10d}  Nov 29 2026 06:00:00 "
            f"+00:00  {name}" + tail
        )

    def handle(self, line: str) -> Reply:
        d = self.dev
        if self.tcl_file is not None:  # inside puts [open …] { … }: lines as typed
            if self.raw.endswith("}"):
                self.tcl_lines.append(self.raw[:-1])
                d.files[self.tcl_file] = "\n".join(self.tcl_lines) + "\n"
                self.tcl_file = None
                return "", None
            self.tcl_lines.append(self.raw)
            return "", None
        if self.mode == "tcl":
            m = re.match(r'^puts \[open "([^"]+)" w\+\] \{(.*)$', self.raw.lstrip())
            if m:
                self.tcl_file, self.tcl_lines = self._path(m.group(1)), [m.group(2)]
                if m.group(2).endswith("}"):
                    self.raw = m.group(2)
                    self.tcl_lines = []
                    return self.handle("")
                return "", None
            if line == "tclquit":
                self.mode = "exec"
                return "", None
            return self._exec(line) if line else ("", None)  # tclsh runs IOS exec commands too
        if self.mode == "config":
            if line == "end":
                self.mode = "exec"
            return "", None
        return self._exec(line)

    def _exec(self, line: str) -> Reply:
        d = self.dev
        if line in ("terminal width 511", "terminal length 0"):
            return "", None
        if line == "configure terminal":
            self.mode = "config"
            return "Enter configuration commands, one per line.  End with CNTL/Z.", None
        if line == "tclsh":
            self.mode = "tcl"
            return "", None
        if line == "show running-config":
            body = d.running.rstrip("\n")
            return (
                f"Building configuration...\n\nCurrent configuration : {len(body)} bytes\n{body}",
                None,
            )
        if line == "show archive":
            return (
                "The maximum archive configurations allowed is 10.\n"
                f"The next archive file will be named {self.FS}/archive-Nov-29-06-00-00.000-1\n"
                " Archive #  Name\n   1 <- Most Recent"
            ), None
        if line == "show archive config rollback timer":
            if not d.pending:
                return "%No Rollback Confirmed Change pending", None
            return (
                "Time configured(or Reset): 06:00:00 UTC Sun Nov 29 2026\n"
                "Timer type: rollback timer\n"
                f"Timer value: {max(1, d.seconds_left() // 60)} min\nUser: {self.user}"
            ), None
        if line == "dir":
            return self._dir(None), None
        m = re.fullmatch(r"dir (\S+)", line)
        if m:
            return self._dir(self._path(m.group(1)) or None), None
        m = re.fullmatch(r"verify /md5 (\S+)", line)
        if m:
            name = self._path(m.group(1))
            if name not in d.files:
                return f"%Error opening {self.FS}/{name} (No such file or directory)", None
            digest = hashlib.md5(d.files[name].encode()).hexdigest()
            return f".....Done!\nverify /md5 ({self.FS}/{name}) = {digest}", None
        m = re.fullmatch(r"copy (running-config|null:) (\S+)", line)
        if m:
            d.files[self._path(m.group(2))] = d.running if m.group(1) == "running-config" else ""
            return "1234 bytes copied in 0.120 secs (10283 bytes/sec)", None
        m = re.fullmatch(r"configure replace (\S+) force revert trigger error timer (\d+)", line)
        if m:
            name, minutes = self._path(m.group(1)), int(m.group(2))
            text = d.files.get(name)
            if text is None:
                return f"%Error opening {self.FS}/{name} (No such file or directory)", None
            bad = d.rejected(text)
            if bad:
                return (
                    f"{bad[0]}\n ^\n% Invalid input detected at '^' marker.\n"
                    "The original configuration has been successfully restored."
                ), None
            d.previous, d.running = d.running, text.rstrip("\n") + "\n"
            d.arm(minutes * 60, "%ARCHIVE_DIFF-5-ROLLBK_CNFMD_CHG_ROLLBACK: Rollback timer expired")
            return "Total number of passes: 1\nRollback Done", None
        if line == "configure confirm":
            d.disarm()
            return "", None
        if line == "configure revert now":
            if d.previous is not None:
                d.running = d.previous
            d.disarm()
            d.log.append("%ARCHIVE_DIFF-5-ROLLBK_CNFMD_CHG_ROLLBACK_START: revert now")
            return "Rollback Done", None
        if line == "write mem":
            return "Building configuration...\n[OK]", None
        m = re.fullmatch(r"show archive config differences (\S+) (\S+)", line)
        if m:
            new = d.files.get(self._path(m.group(2)), "")
            diff = [
                x
                for x in difflib.unified_diff(d.running.splitlines(), new.splitlines(), lineterm="")
                if x[:1] in "+-" and x[:3] not in ("+++", "---")
            ]
            return "!Contextual Config Diffs:\n" + "\n".join(diff), None
        if line == "show ip ospf neighbor":
            rows = [
                f"{rid:<15s}   0   {state.upper() + '/  -':<15s} 00:00:33    198.18.16.{i + 2:<5d} "
                f"GigabitEthernet0/0/{i}"
                for i, (rid, state) in enumerate(sorted(d.peers.items()))
            ]
            head = "Neighbor ID     Pri   State           Dead Time   Address         Interface"
            return "\n".join(["", head, *rows]), None
        return "% Invalid input detected at '^' marker.", None


PERSONALITIES: dict[str, Callable[[SimDevice], _Cli]] = {
    "huawei_vrp": VrpCli,
    "hp_comware": ComwareCli,
    "cisco_ios": IosCli,
}


class _SftpHandle(paramiko.SFTPHandle):
    def __init__(self, dev: SimDevice, name: str) -> None:
        super().__init__()
        self.dev, self.name, self.buf = dev, name, io.BytesIO()

    def write(self, offset: int, data: bytes) -> int:  # type: ignore[override]
        self.buf.seek(offset)
        self.buf.write(data)
        return SFTP_OK

    def close(self) -> None:
        with self.dev.lock:
            self.dev.files[self.name] = self.buf.getvalue().decode("utf-8")


class _Sftp(paramiko.SFTPServerInterface):
    def __init__(self, server: _Server, *args: Any, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        self.dev = server.dev

    def open(self, path: str, flags: int, attr: Any) -> Any:
        return _SftpHandle(self.dev, flash_name(path))

    def stat(self, path: str) -> Any:
        text = self.dev.files.get(flash_name(path))
        if text is None:
            return SFTP_NO_SUCH_FILE
        attrs = paramiko.SFTPAttributes()
        attrs.st_size = len(text.encode("utf-8"))
        attrs.st_mode = 0o100644
        return attrs

    lstat = stat


class _Server(paramiko.ServerInterface):
    def __init__(self, dev: SimDevice, forward: bool) -> None:
        self.dev = dev
        self.forward = forward
        self.user = ""
        self.shell = threading.Event()
        self.tunnels: dict[int, int] = {}  # channel id -> destination port

    def get_allowed_auths(self, username: str) -> str:
        return "password,publickey"

    def check_auth_password(self, username: str, password: str) -> int:
        if self.dev.users.get(username) == password:
            self.user = username
            self.dev.logins.append(username)
            return AUTH_SUCCESSFUL
        return AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if self.dev.keys.get(username) == key.get_base64():
            self.user = username
            self.dev.logins.append(username)
            return AUTH_SUCCESSFUL
        return AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_direct_tcpip_request(
        self, chanid: int, origin: tuple[str, int], destination: tuple[str, int]
    ) -> int:
        if self.forward and destination[0] == "127.0.0.1":
            self.tunnels[chanid] = destination[1]
            return OPEN_SUCCEEDED
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        self.shell.set()
        return True


def _pump(a: Any, b: Any) -> None:
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.close()


def _forward(chan: paramiko.Channel, port: int) -> None:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        chan.close()
        return
    threading.Thread(target=_pump, args=(chan, sock), daemon=True).start()
    threading.Thread(target=_pump, args=(sock, chan), daemon=True).start()


def _run_shell(chan: paramiko.Channel, dev: SimDevice, user: str = "") -> None:
    """Line-oriented CLI: echo, run each line, print output and the prompt."""
    cli = PERSONALITIES[dev.platform](dev)
    if isinstance(cli, IosCli):
        cli.user = user
    question: Callable[[str], str] | None = None
    buf = ""
    chan.sendall(f"\r\nInfo: The max number of VTY users is 10.\r\n{cli.prompt()}".encode())
    last_cr = False
    while True:
        try:
            data = chan.recv(4096)
        except OSError:
            return
        if not data:
            return
        last_cr = False  # CR LF is one line end only within one write
        for ch in data.decode("utf-8", "replace"):
            if ch == "\n" and last_cr:
                last_cr = False
                continue
            last_cr = ch == "\r"
            if ch not in "\r\n":
                buf += ch
                try:
                    chan.sendall(ch.encode())
                except OSError:
                    return
                continue
            line, cli.raw, buf = buf.strip(), buf, ""
            with dev.lock:
                if question is not None:
                    out, question = question(line), None
                elif not line:
                    out = ""
                else:
                    dev.commands.append(line)
                    out, question = cli.handle(line)
                tail = "" if question is not None else cli.prompt()
                dev.prompts.add(tail or "[Y/N]")
            text = "\r\n" + (out.replace("\n", "\r\n") + "\r\n" if out else "") + tail
            if question is not None:
                text = text.rstrip("\r\n")
            try:
                chan.sendall(text.encode())
            except OSError:
                return


class SshSimulator:
    """Serve simulated devices over SSH on 127.0.0.1; a context manager (closes everything)."""

    def __init__(self) -> None:
        self.host_key = paramiko.ECDSAKey.generate(bits=256)
        self.sockets: list[socket.socket] = []
        self.transports: list[paramiko.Transport] = []
        self.stopping = threading.Event()

    def serve(self, dev: SimDevice, forward: bool = False) -> int:
        """Listen for ``dev`` on an ephemeral port and return it (``forward``: act as jump host)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.settimeout(0.2)
        self.sockets.append(sock)
        threading.Thread(target=self._accept, args=(sock, dev, forward), daemon=True).start()
        return int(sock.getsockname()[1])

    def _accept(self, sock: socket.socket, dev: SimDevice, forward: bool) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            threading.Thread(target=self._session, args=(conn, dev, forward), daemon=True).start()

    def _session(self, conn: socket.socket, dev: SimDevice, forward: bool) -> None:
        transport = paramiko.Transport(conn)
        self.transports.append(transport)
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _Sftp)
        server = _Server(dev, forward)
        try:
            transport.start_server(server=server)
        except (paramiko.SSHException, OSError, EOFError):
            return
        while transport.is_active() and not self.stopping.is_set():
            chan = transport.accept(timeout=0.5)
            if chan is None:
                continue
            if chan.get_id() in server.tunnels:
                _forward(chan, server.tunnels[chan.get_id()])
                continue
            threading.Thread(target=self._channel, args=(chan, server, dev), daemon=True).start()

    def _channel(self, chan: paramiko.Channel, server: _Server, dev: SimDevice) -> None:
        if server.shell.wait(timeout=5):  # else an SFTP channel, served by its subsystem handler
            server.shell.clear()
            _run_shell(chan, dev, server.user)
            with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
                chan.close()

    def close(self) -> None:
        """Stop listening and close every session."""
        self.stopping.set()
        for s in self.sockets:
            s.close()
        for t in self.transports:
            t.close()

    def __enter__(self) -> SshSimulator:
        return self

    def __exit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def load_fixture(name: str) -> str:
    """Return a captured device output from ``tests/deploy/fixtures``."""
    root = Path(__file__).resolve().parent.parent / "tests" / "deploy" / "fixtures"
    return (root / name).read_text(encoding="utf-8")
