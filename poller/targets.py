"""What to poll, from the model: devices with their management address, credentials by secret name,
and the map from (device, ifName) to circuit end.

Secret names (resolved by :mod:`topology.secrets`, env ``EGNET_SECRET_<NAME>`` or the vault):

- SNMPv3 (default): ``snmp_v3_user``, ``snmp_v3_auth_key`` (SHA), ``snmp_v3_priv_key`` (AES-128);
- SNMPv2c (``--snmp-version 2c``): ``snmp_community``.

These are the names the lab (``lab.configs.LabCredentials``) builds its snmpd users from, so one
vault serves both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from poller.readings import Credentials, Target
from topology.model import Topology
from topology.secrets import Secrets

SECRET_USER = "snmp_v3_user"
SECRET_AUTH = "snmp_v3_auth_key"
SECRET_PRIV = "snmp_v3_priv_key"
SECRET_COMMUNITY = "snmp_community"


@dataclass(frozen=True, slots=True)
class CircuitSpec:
    """A circuit as the poller sees it: its two ends (device, ifName) and contracted rate."""

    id: str
    a_device: str
    a_if: str
    b_device: str
    b_if: str
    capacity_bps: int
    site: str


def host_of(mgmt_address: str) -> str:
    """Return the bare address of a management address that may carry a prefix length.

    Examples:
        >>> host_of("198.19.0.16/24")
        '198.19.0.16'
        >>> host_of("10.0.0.1")
        '10.0.0.1'
    """
    return mgmt_address.split("/", 1)[0]


def credentials(
    secrets: Secrets, version: Literal["2c", "3"], device: str | None = None
) -> Credentials:
    """Return SNMP credentials from the secret store (raises ``MissingSecret`` naming what is missing)."""
    if version == "2c":
        return Credentials("2c", community=secrets.get(SECRET_COMMUNITY, device=device))
    return Credentials(
        "3",
        user=secrets.get(SECRET_USER, device=device),
        auth_key=secrets.get(SECRET_AUTH, device=device),
        priv_key=secrets.get(SECRET_PRIV, device=device),
    )


def build_targets(
    topo: Topology,
    cred: Credentials,
    port: int = 161,
    overrides: Mapping[str, tuple[str, int, str]] | None = None,
    only: Iterable[str] | None = None,
) -> list[Target]:
    """Return one target per device (model order), at its management address.

    Args:
        topo: the model.
        cred: credentials for every device.
        port: agent UDP port.
        overrides: device -> (host, port, SNMPv3 context) to reach an agent elsewhere.
        only: restrict to these devices.
    """
    over = dict(overrides or {})
    keep = set(only) if only is not None else None
    out = []
    for dev in topo.devices.values():
        if keep is not None and dev.hostname not in keep:
            continue
        host, p, context = over.get(dev.hostname, (host_of(dev.mgmt_address), port, ""))
        out.append(Target(dev.hostname, host, p, cred, context))
    return out


def circuit_specs(topo: Topology) -> list[CircuitSpec]:
    """Return every circuit with its ends' interface names, mapped through ``Interface.circuit``.

    The a-end's device site names the circuit's place on the map.
    """
    ends: dict[str, dict[str, tuple[str, str]]] = {}
    for dev in topo.devices.values():
        for itf in dev.interfaces:
            if itf.circuit is not None:
                ends.setdefault(itf.circuit, {})[dev.hostname] = (dev.hostname, itf.name)
    out = []
    for c in topo.circuits.values():
        by_dev = ends.get(c.id, {})
        a = by_dev.get(c.a.device, (c.a.device, c.a.interface))
        b = by_dev.get(c.b.device, (c.b.device, c.b.interface))
        site = topo.devices[c.a.device].site
        out.append(CircuitSpec(c.id, a[0], a[1], b[0], b[1], c.capacity_bps, site))
    return out


def site_city(topo: Topology, site: str) -> str:
    """Return the city a site belongs to (itself for a city; "" above or outside the cities)."""
    seen: set[str] = set()
    cur: str | None = site
    while cur is not None and cur in topo.sites and cur not in seen:
        seen.add(cur)
        s = topo.sites[cur]
        if s.tier.value == "city":
            return s.name
        cur = s.parent
    return ""


def circuit_labels(topo: Topology) -> list[dict[str, str]]:
    """Return the labels of ``egnet_circuit_info`` per circuit: circuit, site (the a-end's, as on
    the map), city, tier (of that site), carrier, type."""
    out = []
    for spec in circuit_specs(topo):
        c = topo.circuits[spec.id]
        site = topo.sites.get(spec.site)
        out.append({
            "circuit": c.id, "site": spec.site, "city": site_city(topo, spec.site),
            "tier": site.tier.value if site is not None else "", "carrier": c.carrier, "type": c.type,
        })  # fmt: skip
    return out
