"""Brownfield import: read the backed-up running configs and report, per device, what the model
does not know (lines only on the device) and what the device lacks (lines only in the model),
parsed with hier_config where it supports the platform (``configs.diff.two_way``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from configs.diff import two_way
from configs.render import render_device
from deploy.backup_repo import BackupRepo
from topology.diagnostics import OperationError
from topology.model import Topology
from topology.secrets import SecretSource

Status = Literal["in_sync", "drift", "no_backup", "not_in_inventory", "error"]


class ImportResult(BaseModel):
    """One device's two-way comparison of its running config with the model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device: str
    platform: str
    status: Status
    unknown: tuple[str, ...] = ()  # on the device, not in the model
    missing: tuple[str, ...] = ()  # in the model, not on the device
    error: str | None = None


def import_one(topo: Topology, repo: BackupRepo, host: str, secrets: SecretSource) -> ImportResult:
    """Compare one device's backed-up running config with its rendered intended config."""
    platform = topo.devices[host].platform
    try:
        running = repo.read_config(host)
        if running is None:
            return ImportResult(device=host, platform=platform, status="no_backup")
        intended = render_device(topo, host, secrets)
        unknown, missing = two_way(running, intended, platform)
    except (OperationError, ValueError) as exc:
        return ImportResult(device=host, platform=platform, status="error", error=str(exc))
    status: Status = "drift" if unknown or missing else "in_sync"
    return ImportResult(
        device=host,
        platform=platform,
        status=status,
        unknown=tuple(unknown),
        missing=tuple(missing),
    )


def import_running(
    topo: Topology, repo: BackupRepo, hosts: list[str], secrets: SecretSource
) -> list[ImportResult]:
    """Compare every host, and list backed-up devices the inventory does not have."""
    results = [import_one(topo, repo, h, secrets) for h in hosts]
    for extra in sorted(set(repo.hostnames()) - set(topo.devices)):
        results.append(ImportResult(device=extra, platform="", status="not_in_inventory"))
    return results
