"""Intended vs running: normalise both texts, then a unified diff (pure).

Volatile lines that devices add or rewrite by themselves (version stamps, banners of ``show``
commands, block terminators) are ignored, per platform, as data: ``diff:`` in
``templates/<platform>/platform.yaml`` (``ignore``, ``hidden`` defaults, a named ``canonical``
rewrite).
"""

from __future__ import annotations

import difflib
import re

from topology.platforms import platform_spec


def normalise(text: str, platform: str) -> list[str]:
    """Return the config lines that matter, right-stripped, ignoring volatile ones.

    Secrets the device stores in its own form (a plaintext typed in, the device's hash shown) are
    rewritten to one placeholder on both sides, so they compare equal.

    Examples:
        >>> normalise("frr version 8.4.4\\nhostname r1\\n!\\ninterface lo \\nexit\\nend\\n", "frr")
        ['hostname r1', 'interface lo']
        >>> normalise(" password hash $h$6$Zk0x==\\n", "hp_comware")
        [' password <stored by the device>']
    """
    spec = platform_spec(platform).diff
    patterns = [re.compile(p) for p in spec.ignore]
    secrets = [(re.compile(f.pattern), f.replace) for f in spec.secrets]
    lines = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or any(
            p.match(line.strip() if p.pattern.startswith("^!") else line) for p in patterns
        ):
            continue
        for rx, replace in secrets:
            line = rx.sub(replace, line)
        lines.append(line)
    return lines


Block = tuple[str, tuple[str, ...]]


def blocks(lines: list[str]) -> list[Block]:
    """Group lines into (header, children) blocks; children are the indented lines.

    Examples:
        >>> blocks(["hostname r", "interface lo", " ip address 1.1.1.1/32"])
        [('hostname r', ()), ('interface lo', (' ip address 1.1.1.1/32',))]
    """
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith(" ") and out:
            out[-1][1].append(line)
        else:
            out.append((line, []))
    return [(h, tuple(c)) for h, c in out]


def _frr_canonical(items: list[Block], hidden_patterns: tuple[str, ...]) -> list[Block]:
    """FRR's own rewrites: hidden defaults, ``passive-interface`` shown under the interface,
    access-list entries numbered 5, 10, …"""
    hidden = [re.compile(p) for p in hidden_patterns]
    passive: list[str] = []
    seq: dict[str, int] = {}
    out: list[Block] = []
    for header, children in items:
        kept = []
        for child in children:
            m = re.match(r"^ passive-interface (\S+)$", child)
            if header.startswith("router ospf") and m:
                passive.append(m.group(1))
            elif not any(p.match(child.strip()) for p in hidden):
                kept.append(child)
        acl = re.match(r"^access-list (\S+) (permit|deny) (.*)$", header)
        if acl:
            seq[acl.group(1)] = seq.get(acl.group(1), 0) + 5
            header = (
                f"access-list {acl.group(1)} seq {seq[acl.group(1)]} {acl.group(2)} {acl.group(3)}"
            )
        if not any(p.match(header) for p in hidden):
            out.append((header, tuple(kept)))
    for name in passive:
        out.append((f"interface {name}", (" ip ospf passive",)))
    return out


CANONICAL = {"frr": _frr_canonical}


def canonical(text: str, platform: str) -> list[str]:
    """Return the config as order-insensitive canonical lines (blocks merged and sorted).

    Examples:
        >>> canonical("router ospf\\n passive-interface lo\\ninterface lo\\n ip address 1.1.1.1/32\\n",
        ...           "frr")
        ['interface lo', ' ip address 1.1.1.1/32', ' ip ospf passive', 'router ospf']
    """
    items = blocks(normalise(text, platform))
    spec = platform_spec(platform).diff
    if spec.canonical is not None:
        items = CANONICAL[spec.canonical](items, spec.hidden)
    merged: dict[str, list[str]] = {}
    for header, children in items:
        merged.setdefault(header, []).extend(children)
    lines: list[str] = []
    for header in sorted(merged):
        lines.append(header)
        lines.extend(sorted(set(merged[header])))
    return lines


def config_diff(running: str, intended: str, platform: str, name: str = "") -> str:
    """Return the unified diff from running to intended ('' when equivalent).

    Examples:
        >>> print(config_diff("hostname a\\n", "hostname b\\n", "frr", "r1"), end="")
        --- r1 running
        +++ r1 intended
        @@ -1 +1 @@
        -hostname a
        +hostname b
        >>> config_diff("hostname a\\n!\\n", "frr version 8.4\\nhostname a\\n", "frr")
        ''
    """
    a, b = canonical(running, platform), canonical(intended, platform)
    if a == b:
        return ""
    label = f"{name} " if name else ""
    lines = difflib.unified_diff(a, b, f"{label}running", f"{label}intended", lineterm="")
    return "\n".join(lines) + "\n"
