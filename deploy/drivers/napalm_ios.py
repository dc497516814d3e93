"""Cisco IOS through NAPALM's core ``ios`` driver: ``load_replace_candidate`` + ``commit_config
(revert_in=…)`` (``configure replace ... revert trigger`` on the device), confirmed with
``confirm_commit``."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from deploy.drivers.base import DriverError, Unreachable
from deploy.transport import Credentials, Endpoint, connect
from topology.model import Platform

logger = logging.getLogger(__name__)


def parse_ios_neighbors(output: str) -> dict[str, str]:
    """Parse ``show ip ospf neighbor``: router id → state.

    Examples:
        >>> parse_ios_neighbors("198.18.0.5  0  FULL/  -  00:00:33  198.18.16.2  Gi0/1")
        {'198.18.0.5': 'Full'}
    """
    out: dict[str, str] = {}
    for line in output.splitlines():
        m = re.match(r"^(\d+\.\d+\.\d+\.\d+)\s+\d+\s+(\w+)/", line)
        if m:
            out[m.group(1)] = m.group(2).capitalize()
    return out


def ios_revert_seconds(revert_in: int) -> int:
    """IOS reverts in whole minutes between 1 and 120: round ``revert_in`` up into that range.

    Examples:
        >>> ios_revert_seconds(15), ios_revert_seconds(90), ios_revert_seconds(10_000)
        (60, 120, 7200)
    """
    return min(7200, max(60, -(-revert_in // 60) * 60))


def _napalm_driver(**kwargs: Any) -> Any:
    from napalm import get_network_driver  # type: ignore[import-untyped]

    return get_network_driver("ios")(**kwargs)


class NapalmIosDriver:
    """IOS device via NAPALM (which drives Netmiko underneath)."""

    def __init__(
        self,
        hostname: str,
        platform: Platform,
        endpoint: Endpoint,
        creds: Credentials,
        factory: Callable[..., Any] = _napalm_driver,
    ) -> None:
        self.hostname = hostname
        self.platform = platform
        self.endpoint = endpoint
        self.creds = creds
        self.factory = factory
        self.device: Any = None

    def open(self) -> None:
        """Open the NAPALM session."""
        try:
            optional: dict[str, Any] = {"port": self.endpoint.port, "inline_transfer": True}
            if self.creds.key_file:  # the operator's personal key
                optional |= {"key_file": self.creds.key_file, "use_keys": True}
            if self.endpoint.opener or self.endpoint.jump is not None:
                optional["sock"] = connect(self.endpoint)  # namespace socket or jump channel
            self.device = self.factory(
                hostname=self.endpoint.host,
                username=self.creds.username,
                password=self.creds.password,
                timeout=int(self.endpoint.timeout),
                optional_args=optional,
            )
            self.device.open()
        except Exception as exc:
            raise Unreachable(f"{self.hostname}: cannot connect: {exc}") from exc

    def close(self) -> None:
        """Close the session."""
        if self.device is not None:
            try:
                self.device.close()
            except Exception:
                logger.debug("%s: close failed", self.hostname)
            self.device = None

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        if self.device is None:
            self.open()
        try:
            return fn()
        except Exception as exc:
            raise DriverError(f"{self.hostname}: {what} failed: {exc}") from exc

    def get_running(self) -> str:
        """``get_config(retrieve="running")``."""
        cfg = self._call("get_config", lambda: self.device.get_config(retrieve="running"))
        return str(cfg["running"])

    def check(self, candidate: str) -> str | None:
        """Load the candidate (the device parses it), compare, discard."""
        try:
            self._call(
                "load_replace_candidate",
                lambda: self.device.load_replace_candidate(config=candidate),
            )
            self._call("compare_config", self.device.compare_config)
        except DriverError as exc:
            return str(exc)
        finally:
            if self.device is not None:
                self._call("discard_config", self.device.discard_config)
        return None

    def commit_confirmed(self, candidate: str, revert_in: int) -> None:
        """``load_replace_candidate`` then ``commit_config(revert_in=...)``."""
        self._call(
            "load_replace_candidate", lambda: self.device.load_replace_candidate(config=candidate)
        )
        seconds = ios_revert_seconds(revert_in)
        self._call("commit_config", lambda: self.device.commit_config(revert_in=seconds))

    def confirm(self) -> None:
        """``confirm_commit``."""
        self._call("confirm_commit", self.device.confirm_commit)

    def rollback(self) -> None:
        """``rollback`` (reverts the pending commit)."""
        self._call("rollback", self.device.rollback)

    def ospf_neighbors(self) -> dict[str, str]:
        """``show ip ospf neighbor`` through NAPALM's ``cli``."""
        out = self._call("cli", lambda: self.device.cli(["show ip ospf neighbor"]))
        return parse_ios_neighbors(str(out.get("show ip ospf neighbor", "")))

    def rollback_happened(self) -> bool:
        """True when no commit is pending any more (the revert timer fired or was cancelled)."""
        return not bool(self._call("has_pending_commit", self.device.has_pending_commit))
