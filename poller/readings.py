"""What one poll of one device returns: raw counters, before any rate maths."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class Credentials:
    """SNMP credentials: v3 authPriv (SHA/AES-128) by default, or a v2c community."""

    version: Literal["2c", "3"] = "3"
    user: str = ""
    auth_key: str = ""
    priv_key: str = ""
    community: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    """A device to poll and where to reach its agent."""

    device: str
    host: str
    port: int
    credentials: Credentials
    context: str = ""


@dataclass(frozen=True, slots=True)
class IfReading:
    """One interface row: counters as read (octets Counter64, errors/discards Counter32)."""

    index: int
    name: str
    in_octets: int
    out_octets: int
    high_speed: int
    oper_status: int
    in_errors: int
    out_errors: int
    in_discards: int
    out_discards: int
    discontinuity: int | None = None


@dataclass(frozen=True, slots=True)
class DeviceReading:
    """One poll of one device: ``error`` is set when the agent could not be read."""

    device: str
    at: float
    uptime: int | None
    interfaces: tuple[IfReading, ...] = ()
    error: str | None = None
    duration: float = 0.0
    #: replies dropped while reading (reason → count): spoofed, mismatched, malformed (issue 9 §2)
    dropped: dict[str, int] = field(default_factory=dict, compare=False)
    #: the poller's monotonic clock when the read started (set by the cycle; bounds rate intervals)
    mono: float | None = field(default=None, compare=False)
    by_name: dict[str, IfReading] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name.update({i.name: i for i in self.interfaces})

    @property
    def ok(self) -> bool:
        """True when the agent answered."""
        return self.error is None
