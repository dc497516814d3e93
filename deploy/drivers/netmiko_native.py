"""Huawei VRP 8 and H3C Comware 7 through Netmiko, with the devices' own commands.

The community NAPALM drivers for these platforms are incomplete, so egnet speaks native CLI:

- VRP 8 (two-stage commit): the candidate file is loaded with ``load configuration file ...
  replace`` into the candidate datastore and activated with ``commit trial <seconds>``; ``commit``
  confirms, ``abort trial`` rolls back; without a confirm the device reverts by itself.
- Comware 7 (one-stage): ``configuration commit delay <minutes>`` arms the device's rollback timer,
  ``configuration replace file`` applies the candidate; ``configuration commit`` confirms.

Candidate files are copied to ``flash:/`` over SFTP. These drivers cannot run against real boxes in
the lab; their command sequences are tested against a fake Netmiko connection.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from typing import Any, Protocol, cast

import paramiko

from deploy.drivers.base import DriverError, Unreachable
from deploy.transport import Credentials, Endpoint, connect
from topology.model import Platform

logger = logging.getLogger(__name__)

CANDIDATE = "egnet-candidate.cfg"
ROLLBACK = "egnet-rollback.cfg"
ERROR_MARKERS = re.compile(r"^\s*(Error:|% ?(Unrecognized|Incomplete|Invalid|Wrong))", re.M)


class NetmikoConnection(Protocol):
    """The part of a Netmiko connection the drivers use."""

    def send_command_timing(self, command_string: str, **kwargs: Any) -> str:
        """Send one command, wait for output to settle."""

    def disconnect(self) -> None:
        """Close the session."""


Connector = Callable[..., NetmikoConnection]
Uploader = Callable[[Endpoint, Credentials, str, str], None]


def sftp_upload(ep: Endpoint, creds: Credentials, remote: str, text: str) -> None:
    """Copy ``text`` to ``remote`` on the device over SFTP."""
    try:
        transport = paramiko.Transport(connect(ep))
        transport.connect(username=creds.username, password=creds.password)
        sftp = paramiko.SFTPClient.from_transport(transport)
        assert sftp is not None
        sftp.putfo(io.BytesIO(text.encode("utf-8")), remote)
        transport.close()
    except (OSError, paramiko.SSHException) as exc:
        raise Unreachable(f"{ep.host}: SFTP upload of {remote} failed: {exc}") from exc


def _netmiko_connect(**kwargs: Any) -> NetmikoConnection:
    from netmiko import ConnectHandler

    return cast(NetmikoConnection, ConnectHandler(**kwargs))


def device_errors(output: str) -> list[str]:
    """Return the error lines a VRP/Comware/IOS CLI printed.

    Examples:
        >>> device_errors("ok\\nError: Unrecognized command found at '^' position.\\n")
        ["Error: Unrecognized command found at '^' position."]
    """
    return [ln.strip() for ln in output.splitlines() if ERROR_MARKERS.match(ln)]


def parse_peers(output: str) -> dict[str, str]:
    """Parse ``display ospf peer brief``-style output: router id → state.

    Examples:
        >>> parse_peers(" 0.0.0.0  GE0/0/1   198.18.0.5   Full\\n 0.0.0.0  GE0/0/2  198.18.0.6  Init")
        {'198.18.0.5': 'Full', '198.18.0.6': 'Init'}
    """
    peers: dict[str, str] = {}
    for line in output.splitlines():
        m = re.match(r"^\s*\S+\s+\S+\s+(\d+\.\d+\.\d+\.\d+)\s+(\w+)", line)
        if m:
            peers[m.group(1)] = m.group(2).capitalize()
    return peers


class _NetmikoDriver:
    """Shared plumbing: one Netmiko session, error detection, file upload."""

    running_command = ""
    peers_command = ""

    def __init__(
        self,
        hostname: str,
        platform: Platform,
        endpoint: Endpoint,
        creds: Credentials,
        connector: Connector = _netmiko_connect,
        uploader: Uploader = sftp_upload,
    ) -> None:
        self.hostname = hostname
        self.platform = platform
        self.endpoint = endpoint
        self.creds = creds
        self.connector = connector
        self.uploader = uploader
        self.conn: NetmikoConnection | None = None

    def open(self) -> None:
        """Connect with Netmiko (through the management namespace when there is one)."""
        extra: dict[str, Any] = {}
        try:
            if self.endpoint.opener:
                extra["sock"] = connect(self.endpoint)
            self.conn = self.connector(
                device_type=self.platform.netmiko_device_type,
                host=self.endpoint.host,
                port=self.endpoint.port,
                username=self.creds.username,
                password=self.creds.password,
                key_file=self.creds.key_file,
                timeout=self.endpoint.timeout,
                **extra,
            )
        except Exception as exc:
            raise Unreachable(f"{self.hostname}: cannot connect: {exc}") from exc

    def close(self) -> None:
        """Disconnect."""
        if self.conn is not None:
            try:
                self.conn.disconnect()
            finally:
                self.conn = None

    def send(self, *commands: str, fail_on_error: bool = True) -> str:
        """Send commands one by one; raise on a device error line when asked."""
        if self.conn is None:
            self.open()
        assert self.conn is not None
        outputs = []
        for cmd in commands:
            try:
                out = self.conn.send_command_timing(cmd, read_timeout=120)
            except Exception as exc:
                raise Unreachable(f"{self.hostname}: session lost during '{cmd}': {exc}") from exc
            outputs.append(out)
            errors = device_errors(out)
            if errors and fail_on_error:
                raise DriverError(f"{self.hostname}: '{cmd}' failed: {errors[0]}")
        return "\n".join(outputs)

    def get_running(self) -> str:
        """Return the running configuration."""
        return self.send(self.running_command)

    def ospf_neighbors(self) -> dict[str, str]:
        """Return OSPF peers by router id."""
        return parse_peers(self.send(self.peers_command))

    def upload(self, name: str, text: str) -> None:
        """Copy a config file to ``flash:/``."""
        self.uploader(self.endpoint, self.creds, name, text)


class VrpDriver(_NetmikoDriver):
    """Huawei VRP 8: two-stage commit with ``commit trial``."""

    running_command = "display current-configuration"
    peers_command = "display ospf peer brief"

    def check(self, candidate: str) -> str | None:
        """Load the candidate into the candidate datastore, report errors, then abort it."""
        self.upload(CANDIDATE, candidate)
        out = self.send(
            "system-view",
            f"load configuration file flash:/{CANDIDATE} replace",
            fail_on_error=False,
        )
        self.send("abort", fail_on_error=False)
        errors = device_errors(out)
        return "; ".join(errors) if errors else None

    def commit_confirmed(self, candidate: str, revert_in: int) -> None:
        """Replace the candidate and ``commit trial``: the device reverts unless confirmed."""
        self.upload(CANDIDATE, candidate)
        try:
            self.send(
                "system-view",
                f"load configuration file flash:/{CANDIDATE} replace",
                f"commit trial {max(60, revert_in)}",
                "return",
            )
        except DriverError:
            self.send("abort", fail_on_error=False)
            raise

    def confirm(self) -> None:
        """``commit`` ends the trial and keeps the change."""
        self.send("system-view", "commit", "return")

    def rollback(self) -> None:
        """``abort trial`` restores the previous configuration now."""
        self.send("abort trial")

    def rollback_happened(self) -> bool:
        """True when no trial is running any more (the device reverted it)."""
        out = self.send("display configuration trial status", fail_on_error=False)
        return "no trial" in out.lower() or "inactive" in out.lower()


class ComwareDriver(_NetmikoDriver):
    """H3C Comware 7: ``configuration commit delay`` then ``configuration replace file``."""

    running_command = "display current-configuration"
    peers_command = "display ospf peer"

    def check(self, candidate: str) -> str | None:
        """Comware has no candidate datastore: verify the uploaded file is complete on flash.

        The syntax itself is checked by ``configuration replace file`` at commit time, which
        refuses a file with errors (and the delay timer restores the old config).
        """
        self.upload(CANDIDATE, candidate)
        out = self.send(f"dir flash:/{CANDIDATE}", fail_on_error=False)
        size = len(candidate.encode("utf-8"))
        return None if re.search(rf"\b{size}\b", out) else f"flash:/{CANDIDATE} missing or short"

    def commit_confirmed(self, candidate: str, revert_in: int) -> None:
        """Save a rollback file, arm the delay timer, replace the configuration."""
        self.upload(CANDIDATE, candidate)
        minutes = max(1, (revert_in + 59) // 60)
        self.send(f"save flash:/{ROLLBACK}", "Y")
        self.send(
            "system-view",
            f"configuration commit delay {minutes}",
            f"configuration replace file flash:/{CANDIDATE}",
            "Y",
            "return",
        )

    def confirm(self) -> None:
        """``configuration commit`` stops the timer and keeps the change."""
        self.send("system-view", "configuration commit", "return")

    def rollback(self) -> None:
        """Replace back to the saved file and stop the timer."""
        self.send(
            "system-view",
            f"configuration replace file flash:/{ROLLBACK}",
            "Y",
            "configuration commit",
            "return",
        )

    def rollback_happened(self) -> bool:
        """True when the device logged an automatic rollback of the delayed commit."""
        out = self.send("display logbuffer | include CFGMAN", fail_on_error=False)
        return "rollback" in out.lower()
