"""Structured results of deploy and drift: one record per device (stable JSON schema)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DeployResult(BaseModel):
    """What happened to one device.

    ``stage`` names where the pipeline ended: ``audit``, ``connect``, ``backup``, ``diff`` (dry run
    or nothing to do), ``check``, ``commit``, ``verify``, ``confirm``, ``skipped``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    device: str
    platform: str
    batch: int = 0
    changed: bool = False
    diff: str = ""
    committed: bool = False
    rolled_back: bool = False
    error: str | None = None
    stage: str = "diff"
    backup: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True when the device did not end in the intended state."""
        return self.error is not None


class DriftResult(BaseModel):
    """Difference between a device's running config and its intended config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device: str
    platform: str
    drifted: bool
    diff: str
    error: str | None = None


def exit_code(results: list[DeployResult]) -> int:
    """Return 0 when every device succeeded, 1 otherwise.

    Examples:
        >>> exit_code([DeployResult(device="a", platform="frr")])
        0
        >>> exit_code([DeployResult(device="a", platform="frr", error="boom")])
        1
    """
    return 1 if any(r.failed for r in results) else 0
