"""等保 2.0 level-3 device audit (GB/T 22239-2019 §8.1.4) of rendered or backed-up configs.

Rules are data: ``deploy/rules/<platform>.yaml`` lists, per rule, line patterns that must be
present (``require``), must be absent (``forbid``), numbers compared with settable policy
(``values``) and per-block checks (``blocks``: every block whose header matches and that has
``when`` must also have ``require``). A rule a platform cannot express is ``na`` with a reason.
The same rules run on configs we rendered and on running configs fetched from devices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from topology.diagnostics import OperationError

RULES = Path(__file__).resolve().parent / "rules"
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
    policy: Literal["lockout_tries", "lockout_minutes", "idle_timeout_minutes",
                    "password_min_length"]
    divide: int = 1
    min: int = 1


class BlockCheck(_Frozen):
    """Every block whose header matches ``header`` (and contains ``when``) must contain ``require``."""

    header: str
    when: str | None = None
    unless: str | None = None
    require: str


class Rule(_Frozen):
    """One audit rule as a platform expresses it."""

    id: str
    title: str
    na: str | None = None
    require: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    values: tuple[ValueCheck, ...] = ()
    blocks: tuple[BlockCheck, ...] = ()


class RuleSet(_Frozen):
    """``deploy/rules/<platform>.yaml``."""

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
        return {"rule": self.rule, "title": self.title, "status": self.status,
                "reason": self.reason, "evidence": list(self.evidence)}


RULE_IDS = (
    "ssh-v2", "no-telnet", "no-http", "no-ftp", "snmpv3-authpriv", "no-snmp-community",
    "login-lockout", "idle-timeout", "aaa-local-fallback", "named-users", "no-default-accounts",
    "hashed-passwords", "password-length", "mgmt-acl", "syslog-remote", "ntp", "routing-auth",
    "banner", "unused-ports-shut",
)


@lru_cache(maxsize=16)
def load_rules(platform: str, root: Path = RULES) -> RuleSet:
    """Load and validate the rule set of a platform; every rule id must be present once.

    Examples:
        >>> [r.id for r in load_rules("cisco_ios").rules][:2]
        ['ssh-v2', 'no-telnet']
    """
    path = root / f"{platform}.yaml"
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
        raise OperationError(f"{path}: rule ids must be exactly {RULE_IDS}; missing {missing}, "
                             f"unknown or duplicate {extra or [i for i in ids if ids.count(i) > 1]}")
    return rs


def _ev(lines: list[str], i: int) -> str:
    return f"{i + 1}: {lines[i]}"


def _require(lines: list[str], pats: tuple[str, ...]) -> tuple[list[str], list[str]]:
    evidence, problems = [], []
    for p in pats:
        rx = re.compile(p)
        hits = [_ev(lines, i) for i, ln in enumerate(lines) if rx.search(ln)]
        if hits:
            evidence.extend(hits[:3])
        else:
            problems.append(f"missing line matching /{p}/")
    return evidence, problems


def _forbid(lines: list[str], pats: tuple[str, ...]) -> tuple[list[str], list[str]]:
    evidence, problems = [], []
    for p in pats:
        rx = re.compile(p)
        hits = [_ev(lines, i) for i, ln in enumerate(lines) if rx.search(ln)]
        if hits:
            evidence.extend(hits[:5])
            problems.append(f"forbidden line matching /{p}/")
    return evidence, problems


def _values(lines: list[str], checks: tuple[ValueCheck, ...],
            policy: AuditPolicy) -> tuple[list[str], list[str]]:
    evidence, problems = [], []
    for c in checks:
        rx = re.compile(c.pattern)
        limit = getattr(policy, c.policy)
        hits = [(i, m) for i, ln in enumerate(lines) if (m := rx.search(ln))]
        if not hits:
            problems.append(f"missing line matching /{c.pattern}/")
        for i, m in hits:
            v = int(m.group("v")) // c.divide
            ok = v >= c.min and (v <= limit if c.cmp == "le" else v >= limit)
            evidence.append(_ev(lines, i))
            if not ok:
                sign = "<=" if c.cmp == "le" else ">="
                problems.append(f"line {i + 1}: {v} not {sign} {c.policy} {limit}")
    return evidence, problems


def split_blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Top-level blocks: (index of header, header + indented lines).

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


def _blocks(lines: list[str], checks: tuple[BlockCheck, ...]) -> tuple[list[str], list[str]]:
    evidence, problems = [], []
    blocks = split_blocks(lines)
    for c in checks:
        head, when, unless, need = (re.compile(p) if p else None
                                    for p in (c.header, c.when, c.unless, c.require))
        assert head is not None and need is not None
        seen = 0
        for i, body in blocks:
            if not head.search(body[0]):
                continue
            if when and not any(when.search(b) for b in body[1:]):
                continue
            if unless and any(unless.search(b) for b in body[1:]):
                continue
            seen += 1
            if not any(need.search(b) for b in body[1:]):
                problems.append(f"line {i + 1}: '{body[0].strip()}' lacks /{c.require}/")
                evidence.append(_ev(lines, i))
        if seen == 0 and c.when is None and c.unless is None:
            problems.append(f"no block matching /{c.header}/")
    return evidence, problems


def check_rule(rule: Rule, lines: list[str], policy: AuditPolicy) -> RuleResult:
    """Evaluate one rule on a config's lines."""
    if rule.na is not None:
        return RuleResult(rule.id, rule.title, "na", rule.na, ())
    evidence: list[str] = []
    problems: list[str] = []
    for ev, pr in (_require(lines, rule.require), _forbid(lines, rule.forbid),
                   _values(lines, rule.values, policy), _blocks(lines, rule.blocks)):
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
    lines = text.splitlines()
    return [check_rule(r, lines, pol) for r in load_rules(platform).rules]
