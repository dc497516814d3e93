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
    def skipped(self) -> bool:
        """True when the device was never attempted (the rollout stopped or was refused first)."""
        return self.stage == "skipped"

    @property
    def failed(self) -> bool:
        """True when the device was attempted and did not end in the intended state."""
        return self.error is not None and not self.skipped


class DriftResult(BaseModel):
    """Difference between a device's running config and its intended config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device: str
    platform: str
    drifted: bool
    diff: str
    error: str | None = None


class DeploySummary(BaseModel):
    """Counts over one rollout; never-attempted devices are ``skipped``, not ``failed``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    devices: int
    changed: int
    committed: int
    rolled_back: int
    failed: int
    skipped: int


def summarise(results: list[DeployResult]) -> DeploySummary:
    """Count the results of a rollout.

    Examples:
        >>> rs = [DeployResult(device="a", platform="frr", error="boom", stage="verify"),
        ...       DeployResult(device="b", platform="frr", error="not attempted", stage="skipped")]
        >>> s = summarise(rs)
        >>> (s.devices, s.failed, s.skipped)
        (2, 1, 1)
    """
    return DeploySummary(
        devices=len(results),
        changed=sum(r.changed for r in results),
        committed=sum(r.committed for r in results),
        rolled_back=sum(r.rolled_back for r in results),
        failed=sum(r.failed for r in results),
        skipped=sum(r.skipped for r in results),
    )


def exit_code(results: list[DeployResult]) -> int:
    """Return 0 when every device succeeded, 1 otherwise (a skipped device is not a success).

    Examples:
        >>> exit_code([DeployResult(device="a", platform="frr")])
        0
        >>> exit_code([DeployResult(device="a", platform="frr", error="boom")])
        1
        >>> exit_code([DeployResult(device="a", platform="frr", error="x", stage="skipped")])
        1
    """
    return 1 if any(r.error is not None for r in results) else 0
