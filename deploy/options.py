"""Options of a deploy run (data)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from deploy.backup import DEFAULT_BACKUPS


class DeployOptions(BaseModel):
    """How a deploy runs. Dry run unless ``commit``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    commit: bool = False
    canary: int = Field(default=1, ge=0, description="devices committed alone first")
    batch: int = Field(default=10, ge=1, description="devices per batch after the canaries")
    max_failures: int = Field(default=0, ge=0, description="failures tolerated before stopping")
    revert_in: int = Field(default=120, ge=5, description="device-side rollback timer (s)")
    verify_timeout: float = Field(default=30.0, gt=0, description="post-check patience (s)")
    hold_s: float | None = Field(
        default=None,
        ge=0,
        le=3600,
        description="post-check watch after a commit (s); None: the model's OSPF dead + hello",
    )
    rollback_on_path_mismatch: bool = Field(
        default=False, description="roll the rollout back when forwarding paths differ from plan"
    )
    workers: int = Field(default=16, ge=1, description="devices handled in parallel")
    backups: Path = DEFAULT_BACKUPS
