"""The commands a change needs, per device: from the device's last backed-up running config (or,
when there is none, the config egnet intended before the change) to the config it intends after
the change (pure; the caller supplies configs and secrets).

Where hier_config has a driver for the platform (Huawei VRP, H3C Comware, Cisco IOS) the commands
are its remediation (``undo``/``no`` forms, sections closed with ``quit``/``exit``): only what
differs, never a full replace. FRR has no hier_config driver: its entry is the canonical unified
diff (``egnet deploy`` applies FRR configs with frr-reload.py, which computes the same delta).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from configs.diff import REMEDIATION_PLATFORMS, config_diff, remediation
from configs.render import render_device
from topology.model import Topology
from topology.secrets import SecretSource

Base = Literal["backup", "intended"]


@dataclass(frozen=True, slots=True)
class DevicePlan:
    """What a change does to one device."""

    host: str
    platform: str
    base: Base  # what the commands start from: the last backup, or the intended config before
    commands: str  # '' when the device's config does not change


def plan(
    before: Topology,
    after: Topology,
    hosts: list[str],
    running: Callable[[str], str | None],
    secrets: SecretSource,
) -> list[DevicePlan]:
    """The per-device commands that take each of ``hosts`` (devices of ``after``) to its intended
    config under ``after``; ``running(host)`` is its last backed-up config or ``None``."""
    out: list[DevicePlan] = []
    for host in hosts:
        platform = after.devices[host].platform
        base: Base = "backup"
        current = running(host)
        if current is None:
            base = "intended"
            current = render_device(before, host, secrets) if host in before.devices else ""
        intended = render_device(after, host, secrets)
        out.append(DevicePlan(host, platform, base, commands(current, intended, platform)))
    return out


def commands(running: str, intended: str, platform: str) -> str:
    """hier_config remediation where the platform has a driver, else the canonical diff.

    Examples:
        >>> print(commands("sysname a\\n", "sysname a\\ninterface GigabitEthernet0/0/5.1001\\n"
        ...                " vlan-type dot1q 1001\\n", "huawei_vrp"), end="")
        interface GigabitEthernet0/0/5.1001
         vlan-type dot1q 1001
         quit
    """
    if platform in REMEDIATION_PLATFORMS:
        return remediation(running, intended, platform)
    return config_diff(running, intended, platform)


def remediations(plans: list[DevicePlan]) -> Mapping[str, str]:
    """Host → commands of the devices that change."""
    return {p.host: p.commands for p in plans if p.commands}
