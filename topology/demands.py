"""Demand model: busy-hour profiles per tier, explicit demands and events (``demands.yaml``).

Owned by the planner work (issue 3). Parsed here because only ``topology`` opens inventory files.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DemandsFile(BaseModel):
    """``demands.yaml`` (optional)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class DemandModel(BaseModel):
    """Resolved demand model."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def resolve_demands(spec: DemandsFile | None) -> DemandModel:
    """Resolve the demand file (or its absence) into the model's demands."""
    return DemandModel()
