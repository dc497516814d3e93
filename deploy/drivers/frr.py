"""FRR over SSH: the management user's shell is vtysh (the lab's ``egnet-frr-shell``).

Commands are vtysh commands; ``egnet check`` runs ``vtysh -C`` on the router and
``egnet commit-confirmed N`` applies the candidate with ``frr-reload.py`` (replace semantics) and
arms a rollback timer on the router itself.
"""

from __future__ import annotations

import json
import logging

import paramiko

from configs.frr_output import full_neighbors, strip_running_header
from deploy.drivers.base import DriverError, Unreachable
from deploy.transport import Credentials, Endpoint, connect

logger = logging.getLogger(__name__)


class FrrDriver:
    """An FRR router reached with paramiko through its management address."""

    def __init__(
        self, hostname: str, endpoint: Endpoint, creds: Credentials, command_timeout: float = 60.0
    ) -> None:
        self.hostname = hostname
        self.endpoint = endpoint
        self.creds = creds
        self.command_timeout = command_timeout
        self._client: paramiko.SSHClient | None = None

    def open(self) -> None:
        """Connect (raise :class:`Unreachable` when the management path is down)."""
        try:
            sock = connect(self.endpoint)
            client = paramiko.SSHClient()
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            client.connect(
                self.endpoint.host,
                port=self.endpoint.port,
                username=self.creds.username,
                password=self.creds.password,
                key_filename=self.creds.key_file,
                sock=sock,
                timeout=self.endpoint.timeout,
                banner_timeout=self.endpoint.timeout,
                auth_timeout=self.endpoint.timeout,
                allow_agent=False,
                look_for_keys=False,
            )
        except (OSError, paramiko.SSHException) as exc:
            raise Unreachable(f"{self.hostname}: cannot reach {self.endpoint.host}: {exc}") from exc
        self._client = client

    def close(self) -> None:
        """Disconnect."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def run(
        self, command: str, stdin: str | None = None, timeout: float | None = None
    ) -> tuple[int, str]:
        """Run one command through the login shell; return (exit status, output)."""
        if self._client is None:
            self.open()
        assert self._client is not None
        try:
            chan_in, chan_out, _ = self._client.exec_command(
                command, timeout=timeout or self.command_timeout
            )
            if stdin is not None:
                chan_in.write(stdin)
                chan_in.channel.shutdown_write()
            out = chan_out.read().decode("utf-8", "replace")
            rc = chan_out.channel.recv_exit_status()
        except (TimeoutError, OSError, paramiko.SSHException) as exc:
            self.close()
            raise Unreachable(f"{self.hostname}: session lost during '{command}': {exc}") from exc
        return rc, out

    def _ok(self, command: str, stdin: str | None = None, timeout: float | None = None) -> str:
        rc, out = self.run(command, stdin, timeout)
        if rc != 0:
            raise DriverError(f"{self.hostname}: '{command}' failed ({rc}): {out.strip()[-500:]}")
        return out

    def get_running(self) -> str:
        """Return ``show running-config`` without the banner."""
        return strip_running_header(self._ok("show running-config"))

    def check(self, candidate: str) -> str | None:
        """``vtysh -C`` on the router."""
        rc, out = self.run("egnet check", candidate)
        return None if rc == 0 else out.strip() or f"vtysh -C exit {rc}"

    def commit_confirmed(self, candidate: str, revert_in: int) -> None:
        """Apply with ``frr-reload.py`` and arm the router's rollback timer.

        The reply is awaited for at most half the timer: a change that cuts management never
        answers, and the caller must then still have time to observe the device's own rollback.
        """
        self._ok(
            f"egnet commit-confirmed {int(revert_in)}",
            candidate,
            timeout=min(self.command_timeout, max(5.0, revert_in / 2)),
        )

    def confirm(self) -> None:
        """Disarm the rollback timer."""
        self._ok("egnet confirm")

    def rollback(self) -> None:
        """Restore the previous config now."""
        self._ok("egnet rollback")

    def ospf_neighbors(self) -> dict[str, str]:
        """``show ip ospf neighbor json``."""
        out = self._ok("show ip ospf neighbor json")
        try:
            data = json.loads(out or "{}")
        except json.JSONDecodeError as exc:
            raise DriverError(f"{self.hostname}: bad OSPF JSON: {exc}") from exc
        return full_neighbors(data) if isinstance(data, dict) else {}

    def rollback_happened(self) -> bool:
        """True when the router's timer restored the previous config."""
        out = self._ok("egnet status")
        try:
            return json.loads(out).get("last_rollback") is not None
        except (json.JSONDecodeError, AttributeError):
            return False
