"""A plain-data summary of a topology (for ``egnet validate``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from topology.model import Tier, Topology


def summarize(topo: Topology) -> dict[str, Any]:
    """Return counts of sites per tier, devices, circuits per type and carrier, cores per site."""
    sites = Counter(s.tier.value for s in topo.sites.values())
    county_kinds = Counter(s.kind for s in topo.sites.values() if s.tier is Tier.COUNTY)
    by_type: dict[str, Counter[str]] = {}
    for c in topo.circuits.values():
        by_type.setdefault(c.type, Counter())[c.carrier] += 1
    cores: Counter[int] = Counter()
    single: list[str] = []
    for s in topo.sites.values():
        if s.tier in (Tier.PROVINCE, Tier.CITY, Tier.COUNTY):
            n = sum(1 for d in s.devices if topo.devices[d].role.value == "core")
            cores[n] += 1
            if n < 2:
                single.append(s.name)
    return {
        "schema_version": topo.schema_version,
        "network": {"name": topo.name, "label": topo.label},
        "sites": {t.value: sites.get(t.value, 0) for t in Tier},
        "county_kinds": dict(sorted(county_kinds.items())),
        "devices": {
            "total": len(topo.devices),
            "by_role": dict(sorted(Counter(d.role.value for d in topo.devices.values()).items())),
            "by_platform": dict(sorted(Counter(d.platform for d in topo.devices.values()).items())),
        },
        "circuits": {
            "total": len(topo.circuits),
            "by_type_carrier": {t: dict(sorted(c.items())) for t, c in sorted(by_type.items())},
        },
        "redundancy": {
            "cores_per_site": {str(k): v for k, v in sorted(cores.items())},
            "sites_with_fewer_than_two_cores": sorted(single),
        },
    }
