"""等保 2.0 level-3 device audit (GB/T 22239-2019 §8.1.4) of rendered or backed-up configs.

Rules are data: ``templates/<platform>/rules.yaml`` lists, per rule, line patterns that must be
present (``require``), must be absent (``forbid``), numbers compared with settable policy
(``values``), per-block checks (``blocks``: every block whose header matches and that has
``when`` must also have ``require``, optionally once per key found by ``each``), regions
(``regions``) and OSPF interface authentication (``ospf``). A rule a platform cannot express is
``na`` with a reason.
The same rules run on configs we rendered and on running configs fetched from devices.
"""

from __future__ import annotations

import bisect
import contextlib
import ipaddress
import itertools
import multiprocessing
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from configs.masking import mask_commands
from topology.diagnostics import OperationError
from topology.platforms import TEMPLATES

AUDIT_CHUNK = 200  # configs per worker task
Status = Literal["pass", "fail", "na"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AuditPolicy(_Frozen):
    """Settable thresholds (common assessor practice, not the standard's text)."""

    lockout_tries: int = Field(default=5, ge=1, description="at most this many failed logins")
    lockout_minutes: int = Field(default=10, ge=1, description="lock for at least this long")
    idle_timeout_minutes: int = Field(default=10, ge=1, description="idle timeout at most")
    password_min_length: int = Field(default=12, ge=8, description="minimum password length")


class ValueCheck(_Frozen):
    """Numbers captured by ``pattern`` (group ``v``) compared with a policy threshold."""

    pattern: str
    cmp: Literal["le", "ge"]
    policy: Literal[
        "lockout_tries", "lockout_minutes", "idle_timeout_minutes", "password_min_length"
    ]
    divide: int = 1
    min: int = 1
    default: int | None = Field(
        default=None,
        description="the platform's built-in value, used when no line matches (running configs "
        "hide defaults, e.g. FRR's 10-minute vty exec-timeout)",
    )


class BlockCheck(_Frozen):
    """Every block whose header matches ``header`` (and contains ``when``) must contain ``require``.

    With ``each`` (a pattern with group ``k``), ``require`` must match once per distinct ``k``
    found in the block, with ``{k}`` in it standing for that value; ``via`` (``{k}`` and group
    ``k``) lets a key inherit from another, e.g. a BGP neighbour from its peer group.
    """

    header: str
    when: str | None = None
    unless: str | None = None
    unless_subinterfaces: bool = Field(
        default=False,
        description="skip an interface block when the config has sub-interfaces of it "
        "('interface <name>.<n>'): a trunk that carries zone sub-interfaces is in use",
    )
    require: str
    each: str | None = None
    via: str | None = None
    optional: bool = Field(
        default=False, description="a config with no such block passes (e.g. no BGP on it)"
    )


class RegionCheck(_Frozen):
    """Lines from one matching ``start`` up to the next ``end`` must exist and match no ``forbid``."""

    start: str
    end: str
    forbid: tuple[str, ...] = ()
    optional: bool = False


class OspfCheck(_Frozen):
    """Every OSPF interface must carry ``key`` and an authentication type.

    OSPF interfaces (FRR / IOS syntax): an ``interface`` block whose address lies in a
    ``network <prefix> area <a>`` of a ``router ospf`` block, or that has ``ip ospf area <a>``;
    passive ones (``ip ospf passive``, ``passive-interface``) form no adjacency and are skipped.
    The type is ``auth`` on the interface or, unless the interface sets another type
    (``override``), ``area_auth`` (group ``area``) for its area in ``router ospf``.
    """

    key: str
    auth: str
    area_auth: str
    override: str = r"^ ip ospf authentication"


class ReachCheck(_Frozen):
    """Every management server the config names is reachable in its VRF (issue 11 §6).

    A server (a ``servers`` match: group ``ip``, optional group ``vrf``) is reachable when its
    address lies in the subnet of an interface address (``address``: groups ``ip`` and ``mask``,
    dotted or a length, in an ``interface`` block whose VRF is ``bind``'s group ``vrf``, else
    the global table) or in a static route's prefix (``routes``: groups ``net``, ``mask`` and
    optional ``vrf``) of the same VRF. A default route does not count: on a core or a firewall
    the default of a table leads to the carrier, not to the management centre.
    """

    servers: tuple[str, ...] = Field(min_length=1)
    bind: str
    address: str
    routes: str


class Rule(_Frozen):
    """One audit rule as a platform expresses it."""

    id: str
    title: str
    na: str | None = None
    only_if: str | None = Field(
        default=None,
        description="the rule applies only to configs with a line matching this (else n/a), e.g. "
        "command accounting only where TACACS+/HWTACACS is the AAA protocol",
    )
    require: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    values: tuple[ValueCheck, ...] = ()
    blocks: tuple[BlockCheck, ...] = ()
    regions: tuple[RegionCheck, ...] = ()
    ospf: tuple[OspfCheck, ...] = ()
    reach: tuple[ReachCheck, ...] = ()


class RuleSet(_Frozen):
    """``templates/<platform>/rules.yaml``."""

    platform: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """Outcome of one rule on one config: status, a one-line reason and evidence lines."""

    rule: str
    title: str
    status: Status
    reason: str
    evidence: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return {
            "rule": self.rule,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "evidence": list(self.evidence),
        }


RULE_IDS = (
    "ssh-v2",
    "no-telnet",
    "no-http",
    "no-ftp",
    "snmpv3-authpriv",
    "no-snmp-community",
    "login-lockout",
    "idle-timeout",
    "aaa-local-fallback",
    "named-users",
    "no-default-accounts",
    "hashed-passwords",
    "password-length",
    "mgmt-acl",
    "syslog-remote",
    "ntp",
    "routing-auth",
    "banner",
    "unused-ports-shut",
    "ssh-crypto",
    "ntp-auth",
    "snmp-traps",
    "bfd",
    "ldp-auth",
    "ldp-sync",
    "urpf",
    "lldp",
    "command-accounting",
    "vrf-route-limit",
    # management plane and flow export (issue 11 §6, issue 14 §1)
    "mgmt-reach",
    "flow-export",
    # area boundary (§8.1.3): zones kept apart, and access control, audit and NAT at the egress
    "zone-binding",
    "boundary-policy",
    "boundary-logging",
    "egress-nat",
)


@lru_cache(maxsize=16)
def load_rules(platform: str, root: Path = TEMPLATES) -> RuleSet:
    """Load and validate the rule set of a platform; every rule id must be present once.

    Examples:
        >>> [r.id for r in load_rules("cisco_ios").rules][:2]
        ['ssh-v2', 'no-telnet']
    """
    path = root / platform / "rules.yaml"
    if not path.is_file():
        raise OperationError(f"{path}: no audit rules for platform '{platform}'")
    try:
        rs = RuleSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise OperationError(f"{path}: invalid rule set: {exc}") from exc
    ids = [r.id for r in rs.rules]
    if sorted(ids) != sorted(RULE_IDS):
        missing = sorted(set(RULE_IDS) - set(ids))
        extra = sorted(set(ids) - set(RULE_IDS))
        raise OperationError(
            f"{path}: rule ids must be exactly {RULE_IDS}; missing {missing}, "
            f"unknown or duplicate {extra or [i for i in ids if ids.count(i) > 1]}"
        )
    return rs


@lru_cache(maxsize=1024)
def _rx(pattern: str) -> re.Pattern[str]:
    r"""Compile a rule pattern for searching text that starts with a newline.

    A leading ``^`` becomes a literal newline, so the regex engine can skip ahead with its fast
    literal search (every searched text is prefixed with a newline); ``^\s`` never crosses lines.

    Examples:
        >>> _rx(r"^\s+idle-timeout").pattern == "\n" + r"[ \t]+idle-timeout"
        True
        >>> bool(_rx(r"^ip ssh version 2$").search("\nhostname x\nip ssh version 2\nend"))
        True
    """
    p = pattern.replace(r"^\s", r"^[ \t]")
    if p.startswith("^"):
        p = "\n" + p[1:]
    return re.compile(p, re.M)


@dataclass(frozen=True, slots=True)
class Block:
    """A top-level block: header line index, header text and the indented body."""

    index: int
    header: str
    body: str


class ParsedConfig:
    """A config text with line offsets and top-level blocks, parsed once per audit."""

    def __init__(self, text: str, platform: str | None = None) -> None:
        self.platform = platform
        self.text = "\n" + text  # see _rx: a leading "^" is matched as "\n"
        self.lines = text.splitlines()
        self.starts = [0]
        for ln in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(ln) + 1)
        self.blocks = [Block(i, b[0], "\n" + "\n".join(b[1:])) for i, b in split_blocks(self.lines)]

    def line_of(self, offset: int) -> int:
        """Index of the line at ``offset`` of :attr:`text` (the newline before a line counts)."""
        return bisect.bisect_right(self.starts, offset) - 1

    def ev(self, i: int) -> str:
        """Evidence text for line index ``i`` (1-based number and the line), with the secret of
        a secret-bearing command masked (evidence reaches the terminal and ``--json``)."""
        return f"{i + 1}: {mask_commands(self.lines[i], self.platform)}"


def split_blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Top-level blocks: (header line index, header and the indented lines under it).

    Examples:
        >>> [(i, len(b)) for i, b in split_blocks(["a", " x", "!", "b"])]
        [(0, 2), (2, 1), (3, 1)]
    """
    blocks: list[tuple[int, list[str]]] = []
    for i, ln in enumerate(lines):
        if ln[:1] in (" ", "\t") and blocks:
            blocks[-1][1].append(ln)
        else:
            blocks.append((i, [ln]))
    return blocks


Found = tuple[list[str], list[str]]


def _require(cfg: ParsedConfig, pats: tuple[str, ...]) -> Found:
    evidence: list[str] = []
    problems: list[str] = []
    for p in pats:
        m = _rx(p).search(cfg.text)
        if m:
            evidence.append(cfg.ev(cfg.line_of(m.start())))
        else:
            problems.append(f"missing line matching /{p}/")
    return evidence, problems


def _forbid(cfg: ParsedConfig, pats: tuple[str, ...]) -> Found:
    evidence: list[str] = []
    problems: list[str] = []
    for p in pats:
        hits = list(itertools.islice(_rx(p).finditer(cfg.text), 5))
        if hits:
            evidence.extend(cfg.ev(cfg.line_of(m.start())) for m in hits)
            problems.append(f"forbidden line matching /{p}/")
    return evidence, problems


def _values(cfg: ParsedConfig, checks: tuple[ValueCheck, ...], policy: AuditPolicy) -> Found:
    evidence: list[str] = []
    problems: list[str] = []
    for c in checks:
        limit = getattr(policy, c.policy)
        found = [
            (f"line {(i := cfg.line_of(m.start())) + 1}", cfg.ev(i), int(m.group("v")) // c.divide)
            for m in _rx(c.pattern).finditer(cfg.text)
        ]
        if not found and c.default is not None:
            found = [("platform default", f"(no line: platform default {c.default})", c.default)]
        if not found:
            problems.append(f"missing line matching /{c.pattern}/")
        sign = "<=" if c.cmp == "le" else ">="
        for where, ev, v in found:
            evidence.append(ev)
            if v < c.min or (v > limit if c.cmp == "le" else v < limit):
                problems.append(f"{where}: {v} not {sign} {c.policy} {limit}")
    return evidence, problems


def _if_name(header: str) -> str:
    """The interface name of an ``interface`` block header ('' for other blocks).

    Examples:
        >>> _if_name(" interface GigabitEthernet0/0/5.100 vrf x"), _if_name("router bgp 1")
        ('GigabitEthernet0/0/5.100', '')
    """
    words = header.split()
    return words[1] if len(words) > 1 and words[0] == "interface" else ""


def _subif_parents(cfg: ParsedConfig) -> frozenset[str]:
    """Interfaces that have sub-interfaces (``<parent>.<n>``) in the config."""
    names = (_if_name(b.header) for b in cfg.blocks)
    return frozenset(
        n.rpartition(".")[0] for n in names if "." in n and "/" not in n.rpartition(".")[2]
    )


def _blocks(cfg: ParsedConfig, checks: tuple[BlockCheck, ...]) -> Found:
    evidence: list[str] = []
    problems: list[str] = []
    for c in checks:
        head, need = _rx(c.header), _rx(c.require)
        when = _rx(c.when) if c.when else None
        unless = _rx(c.unless) if c.unless else None
        seen = 0
        parents = _subif_parents(cfg) if c.unless_subinterfaces else frozenset()
        for b in cfg.blocks:
            if not head.search("\n" + b.header) or (when and not when.search(b.body)):
                continue
            if unless and unless.search(b.body):
                continue
            if parents and _if_name(b.header) in parents:
                continue
            seen += 1
            if c.each is not None:
                missing = _each_missing(c, b.body)
                if missing:
                    problems.append(
                        f"line {b.index + 1}: '{b.header.strip()}' lacks /{c.require}/ "
                        f"for {', '.join(missing)}"
                    )
                    evidence.append(cfg.ev(b.index))
            elif not need.search(b.body):
                problems.append(f"line {b.index + 1}: '{b.header.strip()}' lacks /{c.require}/")
                evidence.append(cfg.ev(b.index))
        if seen == 0 and not c.optional and c.when is None and c.unless is None:
            problems.append(f"no block matching /{c.header}/")
    return evidence, problems


def _each_missing(c: BlockCheck, body: str) -> list[str]:
    r"""Keys (group ``k`` of ``c.each``) for which ``c.require`` does not hold in ``body``.

    Examples:
        >>> c = BlockCheck(header="^r", require="^ n {k} pw ", each=r"^ n (?P<k>\S+) as ",
        ...     via=r"^ n {k} group (?P<k>\S+)")
        >>> _each_missing(c, "\n n a as 1\n n a pw x\n n b as 1\n n c as 1\n n c group g"
        ...     "\n n g pw y")
        ['b']
    """
    keys = dict.fromkeys(m.group("k") for m in _rx(str(c.each)).finditer(body))
    return [k for k in keys if not _key_has(c, body, k, hops=3)]


def _key_has(c: BlockCheck, body: str, key: str, hops: int) -> bool:
    if _rx(c.require.replace("{k}", re.escape(key))).search(body):
        return True
    if c.via is None or hops == 0:
        return False
    m = _rx(c.via.replace("{k}", re.escape(key))).search(body)
    return m is not None and _key_has(c, body, m.group("k"), hops - 1)


def _until(lines: list[str], start: int, end: re.Pattern[str]) -> list[int]:
    out = []
    for j in range(start, len(lines)):
        if end.search("\n" + lines[j]):
            break
        out.append(j)
    return out


def _regions(cfg: ParsedConfig, checks: tuple[RegionCheck, ...]) -> Found:
    evidence: list[str] = []
    problems: list[str] = []
    for c in checks:
        end = _rx(c.end)
        starts = [cfg.line_of(m.start()) for m in _rx(c.start).finditer(cfg.text)]
        if not starts and not c.optional:
            problems.append(f"missing region starting /{c.start}/")
        for i in starts:
            idx = [i, *_until(cfg.lines, i + 1, end)]
            evidence.extend(cfg.ev(j) for j in idx[:3])
            for p in c.forbid:
                rx = _rx(p)
                problems.extend(
                    f"line {j + 1}: matches forbidden /{p}/"
                    for j in idx
                    if rx.search("\n" + cfg.lines[j])
                )
    return evidence, problems


def area_id(area: str) -> str:
    """An OSPF area id in dotted form (``area 0`` and ``area 0.0.0.0`` are the same area).

    Examples:
        >>> area_id("0"), area_id("0.0.0.1"), area_id("258")
        ('0.0.0.0', '0.0.0.1', '0.0.1.2')
    """
    if area.isdigit() and int(area) < 2**32:
        return str(ipaddress.IPv4Address(int(area)))
    return area


_OSPF_ROUTER = re.compile(r"^router ospf( vrf \S+)?\s*$")
_OSPF_NETWORK = re.compile(r"^ network (\d+\.\d+\.\d+\.\d+/\d+) area (\S+)", re.M)
_OSPF_PASSIVE = re.compile(r"^ passive-interface (\S+)\s*$", re.M)
_IF_HEADER = re.compile(r"^interface (\S+)")
_IF_ADDRESS = re.compile(r"^ ip address (\d+\.\d+\.\d+\.\d+/\d+)", re.M)
_IF_AREA = re.compile(r"^ ip ospf area (\S+)", re.M)
_IF_PASSIVE = re.compile(r"^ ip ospf passive\s*$", re.M)
_IF_NOT_PASSIVE = re.compile(r"^ no ip ospf passive\s*$", re.M)


@dataclass(frozen=True, slots=True)
class OspfProcess:
    """What the ``router ospf`` blocks say: networks and their areas, passive interfaces."""

    networks: tuple[tuple[ipaddress.IPv4Network, str], ...]
    passive: frozenset[str]

    @classmethod
    def parse(cls, cfg: ParsedConfig) -> OspfProcess:
        """Collect every ``router ospf`` block (all VRFs) of a config."""
        nets: list[tuple[ipaddress.IPv4Network, str]] = []
        passive: set[str] = set()
        for b in cfg.blocks:
            if _OSPF_ROUTER.match(b.header):
                for n, a in _OSPF_NETWORK.findall(b.body):
                    with contextlib.suppress(ValueError):  # not an IPv4 prefix: no OSPF network
                        nets.append((ipaddress.IPv4Network(n, strict=False), area_id(a)))
                passive.update(_OSPF_PASSIVE.findall(b.body))
        return cls(tuple(nets), frozenset(passive))

    def area_of(self, block: Block) -> str | None:
        """The OSPF area of an interface block, or None when it is not an active OSPF interface.

        Examples:
            >>> cfg = ParsedConfig("router ospf\\n network 10.0.0.0/24 area 0\\n"
            ...     "interface a\\n ip address 10.0.0.1/30\\ninterface b\\n ip address 10.1.0.1/30")
            >>> ospf = OspfProcess.parse(cfg)
            >>> [ospf.area_of(b) for b in cfg.blocks if b.header.startswith("interface")]
            ['0.0.0.0', None]
        """
        m = _IF_HEADER.match(block.header)
        if not m or self._passive(m.group(1), block.body):
            return None
        explicit = _IF_AREA.search(block.body)
        if explicit:
            return area_id(explicit.group(1))
        for addr in _IF_ADDRESS.findall(block.body):
            with contextlib.suppress(ValueError):
                ip = ipaddress.IPv4Interface(addr).ip
                for net, area in self.networks:
                    if ip in net:
                        return area
        return None

    def _passive(self, name: str, body: str) -> bool:
        if _IF_PASSIVE.search(body):
            return True
        default = "default" in self.passive
        return name in self.passive or (default and not _IF_NOT_PASSIVE.search(body))


def _ospf(cfg: ParsedConfig, checks: tuple[OspfCheck, ...]) -> Found:
    evidence: list[str] = []
    problems: list[str] = []
    if not checks:
        return evidence, problems
    ospf = OspfProcess.parse(cfg)
    router = "\n".join(b.body for b in cfg.blocks if _OSPF_ROUTER.match(b.header))
    for c in checks:
        authed = {area_id(m.group("area")) for m in _rx(c.area_auth).finditer(router)}
        key, auth, override = _rx(c.key), _rx(c.auth), _rx(c.override)
        for b in cfg.blocks:
            area = ospf.area_of(b)
            if area is None:
                continue
            evidence.append(cfg.ev(b.index))
            where = f"line {b.index + 1}: '{b.header.strip()}' (OSPF area {area})"
            if not key.search(b.body):
                problems.append(f"{where} lacks /{c.key}/")
            if auth.search(b.body):
                continue
            if override.search(b.body):
                problems.append(f"{where} overrides the area's authentication: /{c.override}/")
            elif area not in authed:
                problems.append(f"{where} lacks /{c.auth}/ and its area lacks /{c.area_auth}/")
    return evidence, problems


def _net(ip: str, mask: str) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(f"{ip}/{mask}", strict=False)
    except ValueError:
        return None


def _reach(cfg: ParsedConfig, checks: tuple[ReachCheck, ...]) -> Found:
    """Management servers without an on-link subnet or a static route in their VRF."""
    evidence: list[str] = []
    problems: list[str] = []
    for c in checks:
        nets: dict[str | None, list[ipaddress.IPv4Network]] = {}
        bind, addr = _rx(c.bind), _rx(c.address)
        for b in cfg.blocks:
            if not _if_name(b.header):
                continue
            m = bind.search(b.body)
            vrf = m.group("vrf") if m else None
            for a in addr.finditer(b.body):
                n = _net(a.group("ip"), a.group("mask"))
                if n is not None:
                    nets.setdefault(vrf, []).append(n)
        for r in _rx(c.routes).finditer(cfg.text):
            n = _net(r.group("net"), r.group("mask"))
            if n is not None and n.prefixlen > 0:  # a default route leads to the carrier
                nets.setdefault(r.groupdict().get("vrf"), []).append(n)
        for pat in c.servers:
            for m in _rx(pat).finditer(cfg.text):
                i = cfg.line_of(m.start())
                vrf = m.groupdict().get("vrf")
                try:
                    ip = ipaddress.IPv4Address(m.group("ip"))
                except ValueError:
                    problems.append(f"line {i + 1}: not an IPv4 address")
                    continue
                if any(ip in n for n in nets.get(vrf, ())):
                    continue
                evidence.append(cfg.ev(i))
                where = f"VRF {vrf}" if vrf else "the global table"
                problems.append(f"line {i + 1}: no route to {ip} in {where}")
    return evidence, problems


def check_rule(rule: Rule, cfg: ParsedConfig, policy: AuditPolicy) -> RuleResult:
    """Evaluate one rule on a parsed config."""
    if rule.na is not None:
        return RuleResult(rule.id, rule.title, "na", rule.na, ())
    if rule.only_if is not None and not _rx(rule.only_if).search(cfg.text):
        return RuleResult(rule.id, rule.title, "na", f"applies only with /{rule.only_if}/", ())
    evidence: list[str] = []
    problems: list[str] = []
    for ev, pr in (
        _require(cfg, rule.require),
        _forbid(cfg, rule.forbid),
        _values(cfg, rule.values, policy),
        _blocks(cfg, rule.blocks),
        _regions(cfg, rule.regions),
        _ospf(cfg, rule.ospf),
        _reach(cfg, rule.reach),
    ):
        evidence.extend(ev)
        problems.extend(pr)
    status: Status = "fail" if problems else "pass"
    return RuleResult(rule.id, rule.title, status, "; ".join(problems) or "ok", tuple(evidence))


def audit_config(text: str, platform: str, policy: AuditPolicy | None = None) -> list[RuleResult]:
    """Audit one config text with the rules of ``platform``.

    Examples:
        >>> rs = audit_config("hostname x", "cisco_ios")
        >>> {r.rule: r.status for r in rs}["ssh-v2"]
        'fail'
    """
    pol = policy or AuditPolicy()
    cfg = ParsedConfig(text, platform)
    return [check_rule(r, cfg, pol) for r in load_rules(platform).rules]


@dataclass(frozen=True, slots=True)
class DeviceAudit:
    """The audit of one config file."""

    device: str
    platform: str
    path: str
    results: tuple[RuleResult, ...]

    @property
    def failed(self) -> bool:
        """True when any rule failed."""
        return any(r.status == "fail" for r in self.results)

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return {
            "device": self.device,
            "platform": self.platform,
            "path": self.path,
            "failed": self.failed,
            "results": [r.as_dict() for r in self.results],
        }


def audit_file(path: Path, platform: str, policy: AuditPolicy) -> DeviceAudit:
    """Audit one config file (``<hostname>.cfg``)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return DeviceAudit(path.stem, platform, str(path), tuple(audit_config(text, platform, policy)))


def _audit_chunk(job: tuple[list[tuple[str, str]], AuditPolicy]) -> list[DeviceAudit]:
    files, policy = job
    return [audit_file(Path(path), plat, policy) for path, plat in files]


def audit_files(
    files: dict[Path, str],
    policy: AuditPolicy | None = None,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[DeviceAudit]:
    """Audit config files (path → platform), in path order; ``jobs`` > 1 uses worker processes."""
    pol = policy or AuditPolicy()
    work = [(str(p), plat) for p, plat in sorted(files.items())]
    for plat in sorted(set(files.values())):
        load_rules(plat)  # fail early (and before forking) on a platform without rules
    chunks = [(work[i : i + AUDIT_CHUNK], pol) for i in range(0, len(work), AUDIT_CHUNK)]
    if jobs <= 1 or len(chunks) <= 1:
        return _collect(map(_audit_chunk, chunks), progress)
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        return _collect(pool.map(_audit_chunk, chunks), progress)


def _collect(
    results: Iterable[list[DeviceAudit]], progress: Callable[[int], None] | None
) -> list[DeviceAudit]:
    out: list[DeviceAudit] = []
    for chunk in results:
        out.extend(chunk)
        if progress:
            progress(len(chunk))
    return out
