"""The device-driver Protocol every platform implements, and its error type."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from topology.diagnostics import OperationError


class DriverError(OperationError):
    """A device operation failed (connection, command or device-side refusal)."""

    exit_code = 1  # the operation failed on the host or network, not the input


class Unreachable(DriverError):
    """The device did not answer over management."""


class DeviceDriver(Protocol):
    """One device session. Methods raise :class:`DriverError` on failure.

    ``commit_confirmed`` applies a complete config with the device's own safety net: the device
    restores the previous config by itself after ``revert_in`` seconds unless :meth:`confirm` is
    called, so a change that cuts management undoes itself.
    """

    hostname: str

    def open(self) -> None:
        """Connect."""

    def close(self) -> None:
        """Disconnect (never raises)."""

    def get_running(self) -> str:
        """Return the running configuration text."""

    def check(self, candidate: str) -> str | None:
        """Return None when ``candidate`` passes the platform's syntax check, else the errors."""

    def commit_confirmed(self, candidate: str, revert_in: int) -> None:
        """Replace the running config with ``candidate``, to be confirmed within ``revert_in``."""

    def confirm(self) -> None:
        """Make the pending change permanent."""

    def rollback(self) -> None:
        """Restore the config that was running before the pending change, now."""

    def ospf_neighbors(self) -> dict[str, str]:
        """Return OSPF neighbours: router id → state (e.g. ``Full``)."""

    def rollback_happened(self) -> bool:
        """True when the device reports it restored the previous config by itself."""


@runtime_checkable
class CommandDriver(Protocol):
    """A driver that can apply a list of configuration commands (a merge, not a replace) under
    the device's own commit-confirmed safety net (VRP ``commit trial``, Comware ``configuration
    commit delay``)."""

    def commit_commands(self, commands: str, revert_in: int) -> None:
        """Apply ``commands``, to be confirmed within ``revert_in`` seconds (then :meth:`confirm`
        of the :class:`DeviceDriver`)."""
