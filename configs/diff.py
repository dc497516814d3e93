"""Intended vs running (pure).

Volatile lines that devices add or rewrite by themselves (version stamps, banners of ``show``
commands, block terminators) are ignored, per platform, as data (``diff:`` in
``templates/<platform>/platform.yaml``: ``ignore``, ``secrets`` the device stores in its own form,
``hidden`` defaults, a named ``canonical`` rewrite). Where hier_config has a driver
for the platform (Huawei VRP, H3C Comware, Cisco IOS) the difference is a *remediation*: the
commands that take the running config to the intended one (``undo``/``no`` forms, sections closed
with ``quit``/``exit``), computed by hier_config v3; for FRR it is a canonical unified diff.
"""

from __future__ import annotations

import difflib
import re

from hier_config import HConfig, HConfigChild, Platform, WorkflowRemediation, get_hconfig
from hier_config.platforms.driver_base import HConfigDriverBase, HConfigDriverRules
from hier_config.platforms.hp_comware5.driver import HConfigDriverHPComware5
from hier_config.platforms.huawei_vrp.driver import HConfigDriverHuaweiVrp

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


def unified_diff(running: str, intended: str, platform: str, name: str = "") -> str:
    """Return the canonical unified diff from running to intended ('' when equivalent).

    Examples:
        >>> print(unified_diff("hostname a\\n", "hostname b\\n", "frr", "r1"), end="")
        --- r1 running
        +++ r1 intended
        @@ -1 +1 @@
        -hostname a
        +hostname b
        >>> unified_diff("hostname a\\n!\\n", "frr version 8.4\\nhostname a\\n", "frr")
        ''
    """
    a, b = canonical(running, platform), canonical(intended, platform)
    if a == b:
        return ""
    label = f"{name} " if name else ""
    lines = difflib.unified_diff(a, b, f"{label}running", f"{label}intended", lineterm="")
    return "\n".join(lines) + "\n"


class VrpDriver(HConfigDriverHuaweiVrp):
    """hier_config's VRP driver, indented by one space as VRP prints its configs."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        return HConfigDriverHuaweiVrp._instantiate_rules().model_copy(update={"indentation": 1})


class ComwareDriver(HConfigDriverHPComware5):
    """hier_config's Comware driver, with Comware 7's ``quit`` closing every section and one-space
    indentation."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        return HConfigDriverHPComware5._instantiate_rules().model_copy(update={"indentation": 1})

    def sectional_exit(self, config: HConfigChild) -> str | None:
        result = super().sectional_exit(config)
        return "quit" if result == "exit" else result


def _drivers() -> dict[str, Platform | HConfigDriverBase]:
    return {
        "huawei_vrp": VrpDriver(),
        "hp_comware": ComwareDriver(),
        "cisco_ios": Platform.CISCO_IOS,
    }


#: platforms whose differences are hier_config remediations
REMEDIATION_PLATFORMS = frozenset(_drivers())


def hconfig(text: str, platform: str) -> HConfig:
    """Parse a config into hier_config's tree, volatile lines (``#``, ``return``, …) removed.

    Examples:
        >>> tree = hconfig("#\\nsysname r1\\n#\\ninterface LoopBack0\\n ip address 1.1.1.1 32\\n#\\n"
        ...                "return\\n", "hp_comware")
        >>> [c.text for c in tree.children]
        ['sysname r1', 'interface LoopBack0']
    """
    drivers = _drivers()
    if platform not in drivers:
        raise ValueError(f"hier_config has no driver for platform '{platform}'")
    # separators at any depth are not config (Comware prints " #" inside bgp/vpn blocks)
    lines = [ln for ln in normalise(text, platform) if not ln.lstrip().startswith("#")]
    return get_hconfig(drivers[platform], "\n".join(lines))


def remediation(running: str, intended: str, platform: str) -> str:
    """Return the commands that turn ``running`` into ``intended`` ('' when equivalent).

    Examples:
        >>> print(remediation("sysname a\\ninterface LoopBack0\\n ip address 1.1.1.1 32\\n",
        ...                   "sysname a\\ninterface LoopBack0\\n ip address 1.1.1.2 32\\n",
        ...                   "hp_comware"), end="")
        interface LoopBack0
         undo ip address 1.1.1.1 32
         ip address 1.1.1.2 32
         quit
    """
    work = WorkflowRemediation(hconfig(running, platform), hconfig(intended, platform))
    lines = work.remediation_config.dump_simple(sectional_exiting=True)
    return "\n".join(lines) + "\n" if lines else ""


def rollback_commands(running: str, intended: str, platform: str) -> str:
    """Return the commands that undo :func:`remediation` (intended back to running)."""
    return remediation(intended, running, platform)


def config_diff(running: str, intended: str, platform: str, name: str = "") -> str:
    """Return what differs from running to intended ('' when equivalent): a hier_config
    remediation headed ``# <name> remediation`` where hier_config supports the platform, else a
    canonical unified diff.

    Examples:
        >>> print(config_diff("hostname a\\n", "hostname b\\n", "frr", "r1"), end="")
        --- r1 running
        +++ r1 intended
        @@ -1 +1 @@
        -hostname a
        +hostname b
        >>> config_diff("hostname a\\n!\\n", "frr version 8.4\\nhostname a\\n", "frr")
        ''
        >>> print(config_diff("#\\nsysname a\\n#\\nreturn\\n", "sysname b\\n", "huawei_vrp", "r1"),
        ...       end="")
        # r1 remediation (running -> intended)
        undo sysname a
        sysname b
    """
    if platform in REMEDIATION_PLATFORMS:
        text = remediation(running, intended, platform)
        if not text:
            return ""
        label = f"{name} " if name else ""
        return f"# {label}remediation (running -> intended)\n{text}"
    return unified_diff(running, intended, platform, name)


def _leaves(text: str, platform: str) -> set[str]:
    """Every config line as its path from the top (``interface X > ip address …``)."""
    if platform in REMEDIATION_PLATFORMS:
        tree = hconfig(text, platform)
        return {" > ".join(c.path()) for c in tree.all_children() if not c.children}
    out: set[str] = set()
    header = ""
    for line in canonical(text, platform):
        if line.startswith(" "):
            out.discard(header)
            out.add(f"{header} > {line.strip()}")
        else:
            header = line
            out.add(line)
    return out


def two_way(running: str, intended: str, platform: str) -> tuple[list[str], list[str]]:
    """Drift in both directions: (lines only on the device — the model does not know them,
    lines only in the model — the device lacks them), each as sorted ``parent > child`` paths.

    Examples:
        >>> two_way("sysname r1\\nntp-service unicast-server 1.1.1.1\\n",
        ...         "sysname r1\\ninterface LoopBack0\\n ip address 1.1.1.1 32\\n", "hp_comware")
        (['ntp-service unicast-server 1.1.1.1'], ['interface LoopBack0 > ip address 1.1.1.1 32'])
    """
    a, b = _leaves(running, platform), _leaves(intended, platform)
    return sorted(a - b), sorted(b - a)
