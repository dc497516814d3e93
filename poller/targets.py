"""What to poll, from the model: devices with their management address, credentials by secret name,
and the map from (device, ifName) to circuit end.

Credentials come from the model, never from a second list of names (values resolved by
:mod:`topology.secrets`, env ``EGNET_SECRET_<NAME>`` or the vault):

- SNMPv3 (default): the user :func:`topology.management.nms_snmp_user` (the first entry of
  ``management.snmp_users``: the user the rendered configs create) with the SHA and AES-128 keys in
  the secrets that entry names (default ``snmp_v3_auth_key``, ``snmp_v3_priv_key``);
- SNMPv2c (``--snmp-version 2c``): the secret ``snmp_community``
  (:data:`topology.management.SNMP_COMMUNITY_SECRET`).

The lab's snmpd (``lab.configs.LabCredentials``) reads the same entry, so one vault serves both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from poller.readings import Credentials, Target
from topology.diagnostics import OperationError
from topology.management import SNMP_COMMUNITY_SECRET, Management, nms_snmp_user
from topology.model import Topology
from topology.secrets import SecretSource


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
    mg: Management, secrets: SecretSource, version: Literal["2c", "3"], device: str | None = None
) -> Credentials:
    """Return SNMP credentials for the model's NMS user (raises ``MissingSecret`` naming what is
    missing, ``OperationError`` when the model lists no SNMPv3 user)."""
    if version == "2c":
        return Credentials("2c", community=secrets.get(SNMP_COMMUNITY_SECRET, device=device))
    user = nms_snmp_user(mg)
    if user is None:
        raise OperationError(
            "SNMPv3 polling needs a user: management.snmp_users is empty in the inventory"
        )
    return Credentials(
        "3",
        user=user.name,
        auth_key=secrets.get(user.auth_secret, device=device),
        priv_key=secrets.get(user.priv_secret, device=device),
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
