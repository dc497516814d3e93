"""Management-plane settings of the network (NTP, syslog, AAA, SNMP, users, banner, secrets by name).

Owned by the config-rendering work (issue 4). Secrets are referenced by *name* only; values are
resolved at render time by :mod:`topology.secrets`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ManagementIn(BaseModel):
    """``management:`` section of ``network.yaml`` (all optional, with sane defaults)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ntp_servers: tuple[str, ...] = ()
    syslog_servers: tuple[str, ...] = ()


class Management(BaseModel):
    """Resolved management settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ntp_servers: tuple[str, ...] = ()
    syslog_servers: tuple[str, ...] = ()


def resolve_management(spec: ManagementIn) -> Management:
    """Resolve the input section into the model's management settings."""
    return Management(ntp_servers=spec.ntp_servers, syslog_servers=spec.syslog_servers)
