"""Intended configs: render, then audit; a config that fails either is never pushed."""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass

from configs.audit import AuditPolicy, audit_config
from configs.render import render_device
from deploy.push import DeviceJob
from topology.diagnostics import OperationError
from topology.model import Topology
from topology.secrets import SecretSource

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """A device whose intended config cannot be pushed, and why."""

    hostname: str
    platform: str
    stage: str
    reason: str


def select(topo: Topology, limit: str | None) -> list[str]:
    """Return the hostnames matching a glob ``limit`` (comma-separated), sorted; all when None.

    Examples:
        >>> from topology import load_topology
        >>> select(load_topology("inventory/lab"), "lab-core*,lab-cloud-gw1")
        ['lab-cloud-gw1', 'lab-core1', 'lab-core2']
    """
    hosts = sorted(topo.devices)
    if not limit:
        return hosts
    pats = [p.strip() for p in limit.split(",") if p.strip()]
    chosen = [h for h in hosts if any(fnmatch.fnmatchcase(h, p) for p in pats)]
    if not chosen:
        raise OperationError(f"--limit '{limit}' matches no device of network '{topo.name}'")
    return chosen


def peers(topo: Topology, hostname: str) -> dict[str, str]:
    """Return the device's IGP peers across its circuits: hostname → router id (loopback)."""
    out: dict[str, str] = {}
    for c in topo.circuits_of(hostname):
        other = c.b.device if c.a.device == hostname else c.a.device
        out[other] = topo.devices[other].loopback.split("/")[0]
    return out


def audit_failures(text: str, platform: str, policy: AuditPolicy | None) -> list[str]:
    """Return the ids and reasons of the audit rules ``text`` fails."""
    return [
        f"{r.rule}: {r.reason}" for r in audit_config(text, platform, policy) if r.status == "fail"
    ]


def prepare(
    topo: Topology,
    hosts: list[str],
    secrets: SecretSource,
    policy: AuditPolicy | None = None,
    overrides: dict[str, str] | None = None,
) -> tuple[list[DeviceJob], list[Refusal]]:
    """Render (or take from ``overrides``) and audit each host's config."""
    jobs: list[DeviceJob] = []
    refused: list[Refusal] = []
    for host in hosts:
        platform = topo.devices[host].platform
        try:
            text = (overrides or {}).get(host) or render_device(topo, host, secrets)
        except OperationError as exc:
            refused.append(Refusal(host, platform, "render", str(exc)))
            continue
        try:
            failed = audit_failures(text, platform, policy)
        except OperationError as exc:
            refused.append(Refusal(host, platform, "audit", str(exc)))
            continue
        if failed:
            refused.append(Refusal(host, platform, "audit", "audit failed: " + "; ".join(failed)))
            continue
        jobs.append(DeviceJob(host, platform, text, peers(topo, host)))
    return jobs, refused
