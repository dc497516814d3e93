"""Real packets through the zone lab: the reachability matrix, internet egress, and a failover.

* matrix: from one site per level, from each zone, ICMP echo to the zone address of every other
  level's site in every zone: reachable exactly when the two zones are the same (zones are VRFs);
* internet: from every site and zone to the internet address: reachable only from the internet
  access zone; which egress the packets left by is read from the internet namespace's counters;
* failover: take an egress's carrier link down and see which egress the same site uses then.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from lab.probe import ping
from lab.system import LabError, in_ns, run
from lab.zones import INTERNET_ADDR, INTERNET_NS, ZoneNode, ZonePlan

_COUNTER = re.compile(r'packets (\d+) bytes \d+ comment "([^"]+)"')


@dataclass(frozen=True, slots=True)
class Cell:
    """One matrix cell: source (site, level, zone) to target (site, level, zone)."""

    src_site: str
    src_level: str
    src_zone: str
    dst_site: str
    dst_level: str
    dst_zone: str
    expected: bool
    observed: bool


@dataclass(frozen=True, slots=True)
class InternetProbe:
    """Internet reachability of one site's zone, and the egress its packets left by."""

    site: str
    level: str
    zone: str
    expected: bool
    observed: bool
    egress: str | None


def representatives(plan: ZonePlan) -> list[ZoneNode]:
    """One node per (site, zone): the site's first PE."""
    seen: dict[tuple[str, str], ZoneNode] = {}
    for n in plan.nodes:
        seen.setdefault((n.site, n.zone), n)
    return list(seen.values())


def level_sites(plan: ZonePlan) -> list[str]:
    """One site per level (the first in model order)."""
    first: dict[str, str] = {}
    for n in plan.nodes:
        first.setdefault(n.level, n.site)
    return list(first.values())


def _ping(n: ZoneNode, target: str) -> bool:
    return ping(n.ns, n.address, target, timeout=0.3, tries=2)


def wait_converged(plan: ZonePlan, seconds: float = 90) -> float:
    """Wait until every zone node reaches every other node of its zone and every internet-zone
    node reaches the internet; return the seconds it took."""
    t0 = time.monotonic()
    pairs = [(a, b.address) for a in plan.nodes for b in plan.nodes if a.zone == b.zone and a != b]
    pairs += [(n, INTERNET_ADDR) for n in plan.nodes if n.zone == plan.internet_zone]
    pending = pairs
    with ThreadPoolExecutor(16) as pool:
        while pending:
            ok = list(pool.map(lambda p: _ping(*p), pending))
            pending = [p for p, good in zip(pending, ok, strict=True) if not good]
            if pending and time.monotonic() - t0 > seconds:
                a, b = pending[0]
                raise LabError(f"lab zones: not converged after {seconds:.0f}s ({a.ns} -> {b})")
            if pending:
                time.sleep(0.5)
    return time.monotonic() - t0


def matrix(plan: ZonePlan) -> list[Cell]:
    """Zone × zone × level reachability with real packets (see the module doc)."""
    sites = level_sites(plan)
    reps = [n for n in representatives(plan) if n.site in sites]
    jobs = [(a, b) for a in reps for b in reps if (a.site, a.zone) != (b.site, b.zone)]
    with ThreadPoolExecutor(16) as pool:
        seen = list(pool.map(lambda j: _ping(j[0], j[1].address), jobs))
    return [
        Cell(a.site, a.level, a.zone, b.site, b.level, b.zone, a.zone == b.zone, ok)
        for (a, b), ok in zip(jobs, seen, strict=True)
    ]


def egress_counters() -> dict[str, int]:
    """Packets seen per egress (and ``LEAK``) by the internet namespace."""
    out = run(in_ns(INTERNET_NS, ["nft", "list", "chain", "ip", "acct", "in"])).stdout
    return {m[2]: int(m[1]) for m in _COUNTER.finditer(out)}


def egress_used(n: ZoneNode) -> tuple[bool, str | None]:
    """Ping the internet from ``n``; return (reached, the egress whose counter grew)."""
    before = egress_counters()
    ok = ping(n.ns, n.address, INTERNET_ADDR, timeout=0.5, tries=3)
    after = egress_counters()
    grown = [k for k, v in after.items() if v > before.get(k, 0)]
    return ok, (grown[0] if len(grown) == 1 else ",".join(sorted(grown)) or None)


def internet(plan: ZonePlan) -> list[InternetProbe]:
    """Internet reachability of every site's zones, with the egress used."""
    out = []
    for n in representatives(plan):
        ok, egress = egress_used(n)
        out.append(InternetProbe(n.site, n.level, n.zone, n.zone == plan.internet_zone, ok, egress))
    return out


def set_egress(plan: ZonePlan, name: str, up: bool) -> None:
    """Carrier loss (or restore) of one egress: its link in the internet namespace."""
    e = next((e for e in plan.egress if e.name == name), None)
    if e is None:
        raise LabError(f"lab zones: unknown egress '{name}'")
    run(in_ns(INTERNET_NS, ["ip", "link", "set", e.peer_if, "up" if up else "down"]))


def failover(plan: ZonePlan, name: str, site: str, seconds: float = 30) -> dict[str, object]:
    """Fail egress ``name``; return the egress ``site`` used before, during and after restore."""
    node = next(n for n in representatives(plan) if n.site == site and n.zone == plan.internet_zone)
    _, before = egress_used(node)
    set_egress(plan, name, up=False)
    t0 = time.monotonic()
    during: str | None = None
    try:
        while time.monotonic() - t0 < seconds:
            ok, during = egress_used(node)
            if ok and during and during != name:
                break
            time.sleep(0.2)
        took = time.monotonic() - t0
    finally:
        set_egress(plan, name, up=True)
    t1 = time.monotonic()
    after: str | None = None
    while time.monotonic() - t1 < seconds:
        ok, after = egress_used(node)
        if ok and after == before:
            break
        time.sleep(0.2)
    return {"egress": name, "site": site, "before": before, "during": during,
            "after": after, "seconds": round(took, 2)}  # fmt: skip


def as_dicts(cells: list[Cell] | list[InternetProbe]) -> list[dict[str, object]]:
    """Plain data for JSON."""
    return [asdict(c) for c in cells]
