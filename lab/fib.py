"""FRR's RIB against the kernel's FIB in a lab router: find stale ECMP groups and repair them.

FRR 8.4 on this kernel installs routes through kernel nexthop objects (``ip nexthop``). When a
link goes down the kernel drops that link's nexthop from every group; when it comes back zebra
believes the group is whole again and does not re-install it, so ``show ip route`` lists two next
hops while the kernel forwards on one (seen: 28 stale routes on 2 routers after one link flap).
Measurements after a failure test or a rollback are then skewed.

:func:`stale_routes` compares what zebra says it installed (``show ip route json``: selected,
installed, next hops with ``fib``) with the kernel (``ip -j -d route show`` + ``ip -j nexthop
show``). :func:`repair_commands` restores each stale group in place (``ip nexthop replace id G
group A/B`` with the kernel's own nexthop objects, so zebra's view stays true); a route whose
next hops have no kernel object gets ``ip route replace`` with explicit next hops instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lab.router_shell import vtysh_argv
from lab.system import LabError, run

Hop = tuple[str, str]  # (gateway, device)
SKIP_PROTOCOLS = frozenset({"connected", "local", "kernel"})


@dataclass(frozen=True)
class RibRoute:
    """A route zebra reports installed: its next hops and its kernel nexthop group id."""

    prefix: str
    hops: tuple[Hop, ...]
    group: int | None


@dataclass(frozen=True)
class StaleRoute:
    """A route whose kernel next hops differ from zebra's."""

    prefix: str
    rib: tuple[Hop, ...]
    fib: tuple[Hop, ...]
    group: int | None


def rib_routes(data: object) -> dict[str, RibRoute]:
    """Installed, selected routes with gateway next hops from ``show ip route json``.

    Examples:
        >>> nh = [{"fib": True, "ip": "10.0.0.2", "interfaceName": "eth1"},
        ...       {"fib": True, "ip": "10.0.0.6", "interfaceName": "eth2"}]
        >>> r = rib_routes({"1.1.1.1/32": [{"protocol": "ospf", "selected": True,
        ...     "installed": True, "installedNexthopGroupId": 85, "nexthops": nh}]})
        >>> r["1.1.1.1/32"].hops, r["1.1.1.1/32"].group
        ((('10.0.0.2', 'eth1'), ('10.0.0.6', 'eth2')), 85)
    """
    out: dict[str, RibRoute] = {}
    for prefix, entries in data.items() if isinstance(data, dict) else ():
        for r in entries if isinstance(entries, list) else ():
            if not isinstance(r, dict) or r.get("protocol") in SKIP_PROTOCOLS:
                continue
            if not (r.get("selected") and r.get("installed")):
                continue
            hops = [n for n in r.get("nexthops", []) if isinstance(n, dict) and n.get("fib")]
            if not hops or not all("ip" in n and "interfaceName" in n for n in hops):
                continue  # blackhole or interface-only routes: not ECMP groups
            group = r.get("installedNexthopGroupId")
            out[str(prefix)] = RibRoute(
                str(prefix),
                tuple(sorted((str(n["ip"]), str(n["interfaceName"])) for n in hops)),
                group if isinstance(group, int) else None,
            )
    return out


def _prefix(dst: str) -> str:
    """Kernel ``dst`` as FRR writes it.

    Examples:
        >>> _prefix("198.18.0.4"), _prefix("default"), _prefix("10.0.0.0/8")
        ('198.18.0.4/32', '0.0.0.0/0', '10.0.0.0/8')
    """
    if dst == "default":
        return "0.0.0.0/0"
    return dst if "/" in dst else f"{dst}/32"


def fib_routes(routes: object) -> dict[str, tuple[Hop, ...]]:
    """Kernel next hops per prefix from ``ip -j -d route show`` (groups already expanded).

    Examples:
        >>> fib_routes([{"dst": "1.1.1.1", "nhid": 85, "gateway": "10.0.0.6", "dev": "eth2"},
        ...   {"dst": "2.2.2.0/24", "nexthops": [{"gateway": "10.0.0.2", "dev": "eth1"},
        ...                                        {"gateway": "10.0.0.6", "dev": "eth2"}]}])
        {'1.1.1.1/32': (('10.0.0.6', 'eth2'),), '2.2.2.0/24': (('10.0.0.2', 'eth1'), ('10.0.0.6', 'eth2'))}
    """
    out: dict[str, tuple[Hop, ...]] = {}
    for r in routes if isinstance(routes, list) else ():
        if not isinstance(r, dict) or "dst" not in r:
            continue
        hops = r.get("nexthops") or [r]
        out[_prefix(str(r["dst"]))] = tuple(
            sorted((str(h.get("gateway", "")), str(h.get("dev", ""))) for h in hops)
        )
    return out


def stale_routes(rib: dict[str, RibRoute], fib: dict[str, tuple[Hop, ...]]) -> list[StaleRoute]:
    """Routes zebra installed whose kernel next hops differ (missing routes included).

    Examples:
        >>> rib = {"1.1.1.1/32": RibRoute("1.1.1.1/32", (("a", "e1"), ("b", "e2")), 85)}
        >>> stale_routes(rib, {"1.1.1.1/32": (("b", "e2"),)})[0].fib
        (('b', 'e2'),)
        >>> stale_routes(rib, {"1.1.1.1/32": (("a", "e1"), ("b", "e2"))})
        []
    """
    return [
        StaleRoute(p, r.hops, fib.get(p, ()), r.group)
        for p, r in sorted(rib.items())
        if fib.get(p) != r.hops
    ]


def repair_commands(namespace: str, stale: list[StaleRoute], nexthops: object) -> list[list[str]]:
    """``ip`` commands that make the kernel match zebra: one group fix per stale group whose
    members all exist as kernel nexthop objects, else one explicit route per stale route.

    Examples:
        >>> objs = [{"id": 52, "gateway": "a", "dev": "e1"}, {"id": 76, "gateway": "b", "dev": "e2"}]
        >>> s = [StaleRoute("1.1.1.1/32", (("a", "e1"), ("b", "e2")), (("b", "e2"),), 85),
        ...      StaleRoute("1.1.1.2/32", (("a", "e1"), ("b", "e2")), (("b", "e2"),), 85),
        ...      StaleRoute("9.9.9.9/32", (("c", "e3"),), (), None)]
        >>> for argv in repair_commands("ns", s, objs): print(" ".join(argv))
        ip -n ns nexthop replace id 85 group 52/76
        ip -n ns route replace 9.9.9.9/32 proto ospf metric 20 nexthop via c dev e3
    """
    ids = {
        (str(n.get("gateway")), str(n.get("dev"))): int(n["id"])
        for n in (nexthops if isinstance(nexthops, list) else ())
        if isinstance(n, dict) and "gateway" in n and "id" in n
    }
    out: list[list[str]] = []
    fixed: set[int] = set()
    for s in stale:
        members = [ids.get(h) for h in s.rib]
        if s.group is not None and all(m is not None for m in members):
            if s.group not in fixed:
                fixed.add(s.group)
                group = "/".join(str(m) for m in members)
                cmd = ["ip", "-n", namespace, "nexthop", "replace", "id", str(s.group)]
                out.append([*cmd, "group", group])
            continue
        argv = [
            "ip",
            "-n",
            namespace,
            "route",
            "replace",
            s.prefix,
            "proto",
            "ospf",
            "metric",
            "20",
        ]
        for gw, dev in s.rib:
            argv += ["nexthop", "via", gw, "dev", dev]
        out.append(argv)
    return out


def _json(argv: list[str]) -> object:
    proc = run(argv, check=False)
    if proc.returncode:
        raise LabError(
            f"command failed ({proc.returncode}): {' '.join(argv)}: {proc.stderr.strip()}"
        )
    try:
        return json.loads(proc.stdout or "null")
    except json.JSONDecodeError as exc:
        raise LabError(f"{' '.join(argv)}: not JSON ({exc})") from None


def check_router(namespace: str, base: Path) -> tuple[list[StaleRoute], object]:
    """The stale routes of one lab router, and its kernel nexthop objects (for a repair)."""
    rib = rib_routes(_json(["ip", "netns", "exec", namespace, *vtysh_argv(base), "-c",
                            "show ip route json"]))  # fmt: skip
    fib = fib_routes(_json(["ip", "-n", namespace, "-j", "-d", "route", "show"]))
    return stale_routes(rib, fib), _json(["ip", "-n", namespace, "-j", "nexthop", "show"])


def repair_router(namespace: str, base: Path) -> tuple[int, int]:
    """Repair one router's stale routes; return (stale before, stale after)."""
    stale, nexthops = check_router(namespace, base)
    for argv in repair_commands(namespace, stale, nexthops):
        run(argv)
    return len(stale), len(check_router(namespace, base)[0]) if stale else 0
