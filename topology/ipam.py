"""Deterministic address and port allocation with a committed lock file.

Allocations already in the lock are kept exactly; new objects get the lowest free block (buddy
allocation, larger blocks first, then model order); objects that are gone are dropped from the lock.
So adding or removing a township never renumbers any other device.
"""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from topology.units import format_rate

LOCK_VERSION = 1
LOCK_NAME = "ipam.lock.json"
SECTIONS = ("loopback", "mgmt", "p2p", "zones", "ports", "mgmt_sites", "nms")
OPTIONAL_SECTIONS = ("mgmt_sites", "nms")  # written only when used (per-site management plane)


def parse_prefix(text: str) -> tuple[int, int]:
    """Parse ``a.b.c.d/n`` into (network as int, prefix length); host bits must be zero.

    Examples:
        >>> parse_prefix("198.18.0.4/30")
        (3323068420, 30)
        >>> parse_prefix("198.18.0.5/30")
        Traceback (most recent call last):
        ...
        ValueError: '198.18.0.5/30' has host bits set
    """
    addr_text, sep, plen_text = text.partition("/")
    try:
        packed = socket.inet_aton(addr_text)
        plen = int(plen_text)
    except (OSError, ValueError):
        packed, plen = b"", -1
    # inet_aton accepts short forms such as "10.1": insist on the canonical dotted quad
    if (
        not sep
        or not plen_text.isdigit()
        or not 0 <= plen <= 32
        or socket.inet_ntoa(packed) != addr_text
    ):
        raise ValueError(f"{text!r} is not an IPv4 prefix such as 198.18.0.0/30")
    addr: int = struct.unpack("!I", packed)[0]
    if addr & ((1 << (32 - plen)) - 1):
        raise ValueError(f"{text!r} has host bits set")
    return addr, plen


def format_address(addr: int) -> str:
    """Format an int as a dotted quad.

    Examples:
        >>> format_address(3323068420)
        '198.18.0.4'
    """
    return socket.inet_ntoa(struct.pack("!I", addr))


def format_prefix(addr: int, plen: int) -> str:
    """Format (int, prefix length) as ``a.b.c.d/n``."""
    return f"{format_address(addr)}/{plen}"


class PoolExhausted(Exception):
    """Raised by :meth:`Pool.allocate` when no block of the wanted size is free."""


class Pool:
    """A buddy allocator over one IPv4 prefix.

    Examples:
        >>> pool = Pool("p2p", "198.18.64.0/29")
        >>> pool.allocate(30), pool.allocate(30)
        ('198.18.64.0/30', '198.18.64.4/30')
        >>> pool.reserve("198.18.64.0/30")
        False
    """

    def __init__(self, name: str, prefix: str) -> None:
        self.name = name
        self.prefix = prefix
        self.base, self.plen = parse_prefix(prefix)
        self.free: dict[int, set[int]] = {self.plen: {self.base}}

    def _split_to(self, addr: int, have: int, want: int, target: int) -> None:
        """Split free block (addr, have) down to ``want``, keeping the half holding ``target``."""
        self.free[have].discard(addr)
        while have < want:
            have += 1
            half = 1 << (32 - have)
            lo, hi = addr, addr + half
            if target >= hi:
                self.free.setdefault(have, set()).add(lo)
                addr = hi
            else:
                self.free.setdefault(have, set()).add(hi)
                addr = lo

    def reserve(self, prefix: str | tuple[int, int]) -> bool:
        """Mark ``prefix`` used; return False when it is outside the pool or overlaps a used block."""
        addr, want = parse_prefix(prefix) if isinstance(prefix, str) else prefix
        if want < self.plen or (addr >> (32 - self.plen)) != (self.base >> (32 - self.plen)):
            return False
        for plen in range(want, self.plen - 1, -1):
            block = addr & (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
            if block in self.free.get(plen, ()):
                self._split_to(block, plen, want, addr)
                self.free[want].discard(addr)
                return True
        return False

    def allocate(self, prefixlen: int) -> str:
        """Take the lowest free block of ``prefixlen``; raise :class:`PoolExhausted` if none."""
        for plen in range(prefixlen, self.plen - 1, -1):
            blocks = self.free.get(plen)
            if blocks:
                addr = min(blocks)
                self._split_to(addr, plen, prefixlen, addr)
                self.free[prefixlen].discard(addr)
                return format_prefix(addr, prefixlen)
        raise PoolExhausted(f"pool {self.name} {self.prefix} has no free /{prefixlen}")


@dataclass
class Lock:
    """The lock file's content: section → key → value (prefix string, or port map)."""

    loopback: dict[str, str] = field(default_factory=dict)
    mgmt: dict[str, str] = field(default_factory=dict)
    p2p: dict[str, str] = field(default_factory=dict)
    zones: dict[str, dict[str, str]] = field(default_factory=dict)
    ports: dict[str, dict[str, int]] = field(default_factory=dict)
    mgmt_sites: dict[str, str] = field(default_factory=dict)  # site → management subnet
    nms: dict[str, str] = field(default_factory=dict)  # city management centre → NMS segment

    def dumps(self) -> str:
        """Serialise deterministically, one entry per line, for reviewable diffs."""
        body: dict[str, Any] = {"version": LOCK_VERSION}
        for name in SECTIONS:
            if name not in OPTIONAL_SECTIONS or getattr(self, name):
                body[name] = getattr(self, name)
        return json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def loads(cls, text: str) -> Lock:
        """Parse lock text; raise :class:`LockError` (naming the entry) when it is malformed.

        Examples:
            >>> Lock.loads('{"version": 1, "loopback": {"r1": "10.0.0.1/32"}}').loopback
            {'r1': '10.0.0.1/32'}
            >>> Lock.loads('{"version": 1, "ports": {"r1": {"c1": true}}}')
            Traceback (most recent call last):
            ...
            topology.ipam.LockError: ports.r1.c1: expected a port number (integer), found true
        """
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != LOCK_VERSION:
            raise LockError((), f"expected a lock of version {LOCK_VERSION}")
        unknown = sorted(set(data) - {"version", *SECTIONS})
        if unknown:
            raise LockError((unknown[0],), f"unknown section '{unknown[0]}'")
        lock = cls()
        for name in SECTIONS:
            section = data.get(name, {})
            _expect_dict(section, (name,))
            if name in ("zones", "ports"):
                for sub, entries in section.items():
                    _expect_dict(entries, (name, sub))
                    for key, value in entries.items():
                        _expect_entry(value, (name, sub, key), port=name == "ports")
            else:
                for key, value in section.items():
                    _expect_entry(value, (name, key), port=False)
            setattr(lock, name, section)
        return lock


class LockError(ValueError):
    """A lock entry of the wrong shape or type; ``parts`` is its path in the JSON."""

    def __init__(self, parts: tuple[str, ...], message: str) -> None:
        self.parts = parts
        self.reason = message
        super().__init__(f"{'.'.join(parts)}: {message}" if parts else message)


def _expect_dict(value: object, parts: tuple[str, ...]) -> None:
    if not isinstance(value, dict):
        raise LockError(parts, f"must be an object, found {_json_type(value)}")


def _expect_entry(value: object, parts: tuple[str, ...], *, port: bool) -> None:
    if port:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            raise LockError(parts, f"expected a port number (integer), found {_json_type(value)}")
    elif not isinstance(value, str) or len(value) > 18:
        raise LockError(
            parts, f'expected a prefix such as "198.18.0.4/30", found {_json_type(value)}'
        )


def _json_type(value: object) -> str:
    if (
        value is None
        or isinstance(value, bool)
        or (isinstance(value, int | float) and abs(value) < 1e9)
    ):
        return json.dumps(value)
    if isinstance(value, int | float):
        return "a huge number"
    if isinstance(value, str):
        return "a long string" if len(value) > 40 else json.dumps(value, ensure_ascii=False)
    return "an array" if isinstance(value, list) else "an object"


@dataclass(frozen=True)
class Request:
    """One allocation wanted: ``key`` in ``section`` (and ``sub`` for zones) of a /``prefixlen``."""

    section: str
    sub: str
    key: str
    prefixlen: int


@dataclass
class Allocation:
    """What :func:`allocate` produced: the new lock and problems found on the way."""

    lock: Lock
    problems: list[tuple[str, str]] = field(default_factory=list)  # (section path, message)
    new: int = 0
    dropped: int = 0


def _section(lock: Lock, req: Request) -> dict[str, str]:
    if req.section == "zones":
        return lock.zones.setdefault(req.sub, {})
    table: dict[str, str] = getattr(lock, req.section)
    return table


def allocate(
    pools: Mapping[str, Pool], requests: Iterable[Request], old: Lock, pool_of: Mapping[str, str]
) -> Allocation:
    """Allocate every request, keeping what ``old`` already holds.

    Args:
        pools: allocators by pool name.
        requests: wanted allocations in model order.
        old: the current lock.
        pool_of: ``section`` (or ``zones/<zone>``) → pool name.

    Returns:
        The new lock (only current keys) and the problems met (duplicates, out-of-pool, exhaustion).
    """
    result = Allocation(Lock())
    pending: list[tuple[int, int, Request]] = []
    short: dict[tuple[str, str, int], int] = {}
    seen: dict[str, str] = {}
    reqs = list(requests)
    for order, req in enumerate(reqs):
        where = f"{req.section}.{req.sub + '.' if req.sub else ''}{req.key}"
        pool = pools[pool_of[req.section if req.section != "zones" else f"zones/{req.sub}"]]
        held = (
            old.zones.get(req.sub, {}) if req.section == "zones" else getattr(old, req.section)
        ).get(req.key)
        if held is not None:
            try:
                addr, plen = parse_prefix(held)
            except ValueError as exc:
                result.problems.append((where, str(exc)))
                continue
            if plen != req.prefixlen:
                result.problems.append((where, f"{held} is not a /{req.prefixlen}"))
                continue
            if pool.reserve((addr, plen)):
                _section(result.lock, req)[req.key] = held
                seen[held] = where
                continue
            if held in seen:
                result.problems.append(
                    (where, f"duplicate address {held}, also used by {seen[held]}")
                )
            else:
                result.problems.append(
                    (where, f"{held} is outside pool {pool.prefix} or overlaps another allocation")
                )
            continue
        pending.append((req.prefixlen, order, req))
    for _, _, req in sorted(pending, key=lambda t: (t[0], t[1])):
        pool = pools[pool_of[req.section if req.section != "zones" else f"zones/{req.sub}"]]
        try:
            net = pool.allocate(req.prefixlen)
        except PoolExhausted:
            key = (pool.name, pool.prefix, req.prefixlen)
            short[key] = short.get(key, 0) + 1
            continue
        _section(result.lock, req)[req.key] = net
        result.new += 1
    for (name, prefix, plen), n in short.items():
        result.problems.append(
            (f"pool.{name}", f"pool {prefix} is exhausted: {n} more /{plen} needed")
        )
    result.dropped = _count(old) - (_count(result.lock) - result.new)
    return result


def _count(lock: Lock) -> int:
    return (
        len(lock.loopback)
        + len(lock.mgmt)
        + len(lock.p2p)
        + sum(len(v) for v in lock.zones.values())
        + len(lock.mgmt_sites)
        + len(lock.nms)
    )


def assign_ports(
    old: Mapping[str, Mapping[str, int]],
    wanted: Mapping[str, list[str]],
    speeds: Mapping[str, tuple[int, ...]],
    need: Mapping[str, int],
) -> tuple[dict[str, dict[str, int]], list[tuple[str, str]]]:
    """Assign a port index (1-based, into the device model's port list) to every (device, circuit).

    ``speeds[device]`` is the line rate of each port of the device's model; ``need[circuit]`` the
    circuit's nominal rate. A circuit goes on a free port of the slowest speed that carries it
    (a 155M circuit on a GE port, not a 10GE one). Locked indexes are kept while their port still
    carries the circuit; a circuit no free port can carry is a problem naming the speeds.

    Examples:
        >>> ports, errs = assign_ports({"r1": {"c2": 1}}, {"r1": ["c1", "c2", "c3"]},
        ...                            {"r1": (10**9, 10**9, 10**10)}, {"c1": 10**10, "c2": 10**8,
        ...                            "c3": 10**8})
        >>> ports, errs
        ({'r1': {'c1': 3, 'c2': 1, 'c3': 2}}, [])
        >>> assign_ports({}, {"r1": ["c1"]}, {"r1": (10**9,)}, {"c1": 10**10})[1]
        [('ports.r1', 'no free port for circuit c1 at 10G or faster (ports: 1× 1G, 0 free that fast)')]
    """
    out: dict[str, dict[str, int]] = {}
    problems: list[tuple[str, str]] = []
    for device, circuits in wanted.items():
        held = old.get(device, {})
        table = speeds[device]
        mine: dict[str, int] = {}
        used: set[int] = set()
        for cid in circuits:
            idx = held.get(cid)
            if (
                isinstance(idx, int)
                and 1 <= idx <= len(table)
                and idx not in used
                and table[idx - 1] >= need.get(cid, 1)
            ):
                mine[cid] = idx
                used.add(idx)
        for cid in circuits:
            if cid in mine:
                continue
            free = [
                i
                for i in range(1, len(table) + 1)
                if i not in used and table[i - 1] >= need.get(cid, 1)
            ]
            if not free:
                have = ", ".join(f"{table.count(s)}× {format_rate(s)}" for s in sorted(set(table)))
                problems.append(
                    (
                        f"ports.{device}",
                        f"no free port for circuit {cid} at {format_rate(need.get(cid, 1))} or faster "
                        f"(ports: {have or 'none'}, 0 free that fast)",
                    )
                )
                continue
            best = min(free, key=lambda i: (table[i - 1], i))
            mine[cid] = best
            used.add(best)
        out[device] = dict(sorted(mine.items()))
    return out, problems
