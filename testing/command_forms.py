"""Command forms: a rendered config line with its values replaced by placeholders (test harness).

``tests/render/test_render_commands.py`` checks that every line egnet renders has a row in its
platform's command reference (``templates/<platform>/COMMANDS.yaml``), matched on the form:
``peer 198.18.0.1 password cipher s3cr3t`` → ``peer <ip> password cipher <secret>``.
Values known from the topology (host, VRF, user names, secrets, the banner) are replaced by name;
the rest by shape (addresses, masks, numbers, interface names, RD/RT, hashes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_IF = re.compile(
    r"^(?:GigabitEthernet|XGigabitEthernet|Ten-GigabitEthernet|TenGigabitEthernet|10GE|MEth|"
    r"M-GigabitEthernet|LoopBack|Loopback|Vlanif|Vlan-interface|eth|mgmt|lo)[0-9/.:]*$"
)
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\$9\$\S+$"), "<hash>"),
    (re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}/\d{1,2}$"), "<prefix>"),
    (re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$"), "<ip>"),
    (re.compile(r"^\d+:\d+$"), "<asn:n>"),
    (re.compile(r"^\d+$"), "<n>"),
    (re.compile(r"^SHAPE-\d+K$"), "<shaper>"),
)
_TEXT_AFTER = ("description", "banner motd line", "header login information", "header login")


@dataclass
class Names:
    """Values the topology knows by name, replaced by their placeholder."""

    words: dict[str, str] = field(default_factory=dict)
    lines: set[str] = field(default_factory=set)  # whole lines of free text (banner body)

    def add(self, placeholder: str, values: Iterable[str]) -> None:
        for v in values:
            if v:
                self.words[v] = placeholder


def form_of(line: str, names: Names) -> str:
    """The command form of one config line.

    Examples:
        >>> n = Names()
        >>> n.add("<secret>", ["k3y"])
        >>> form_of(" peer 198.18.0.1 password cipher k3y", n)
        ' peer <ip> password cipher <secret>'
        >>> form_of("interface GigabitEthernet1/0/3", n)
        'interface <if>'
        >>> form_of(" description to r2 | ckt c1", n)
        ' description <text>'
    """
    if line.strip() in names.lines:
        return "<banner text>"
    indent = line[: len(line) - len(line.lstrip())]
    body = line.strip()
    for kw in _TEXT_AFTER:
        if body.startswith(kw + " "):
            return f"{indent}{kw} <text>"
    out = []
    for tok in body.split(" "):
        if tok in names.words:
            out.append(names.words[tok])
        elif (_IF.match(tok) and tok not in ("lo",)) or (tok == "lo" and out == ["interface"]):
            out.append("<if>")
        else:
            out.append(next((p for rx, p in _SHAPES if rx.match(tok)), tok))
    return indent + " ".join(out)


SEPARATORS = {"", "#", "!"}


def topology_names(topo: object, secret_values: Iterable[str]) -> Names:
    """The names of a topology (hosts, VRFs, users, SNMP users) and the secrets used to render."""
    from topology.model import Topology

    assert isinstance(topo, Topology)
    n = Names()
    n.add("<host>", topo.devices)
    n.add("<vrf>", [z.vrf for z in topo.zones.values()])
    n.add("<vrf>", [m.mgmt_vrf or "" for m in topo.device_models.values()])
    n.add("<user>", [u.name for u in topo.management.users])
    n.add("<user>", [u.name for u in topo.management.snmp_users])
    n.add("<app>", [a.name for s in topo.sites.values() for a in s.applications])
    n.add("<secret>", secret_values)
    n.lines.add(topo.management.banner)
    return n


def forms(text: str, names: Names) -> dict[str, str]:
    """Every command form of a config → its first line."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() in SEPARATORS:
            continue
        out.setdefault(form_of(line.rstrip(), names), line.rstrip())
    return out


UNVERIFIED = (
    "unverified: no public document or real configuration found for this form in this "
    "session's search corpus"
)


def sync_rows(
    rows: list[dict[str, object]], seen: dict[str, tuple[str, set[str]]]
) -> list[dict[str, object]]:
    """The reference rows brought in line with what is rendered (``--update-golden``).

    Existing rows keep their source; rows for new forms are added as ``unverified``; rows never
    rendered are dropped; model lists are what is rendered. Review the diff like a golden file.
    """
    by_form = {str(r["form"]): r for r in rows}
    out = []
    for form, (line, models) in seen.items():
        row = dict(by_form.get(form, {"form": form, "source": UNVERIFIED}))
        secret = "<secret>" in form or "<hash>" in form
        out.append(
            {
                "form": form,
                "models": sorted(models),
                "example": form if secret else line,
                "source": row["source"],
            }
        )
    return out
