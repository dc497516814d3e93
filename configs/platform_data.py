"""Per-platform render data, read from ``templates/<platform>/platform.yaml`` (vendors as data).

The core renderer never branches on a platform name: what differs between vendors and is not
pure formatting (which config sections the platform's config carries, the password hash scheme,
the unit its shaper takes) lives in that file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from topology.diagnostics import OperationError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
Section = Literal["aaa", "users", "snmp", "qos", "mpls", "vrfs", "bgp"]
# A section is rendered only when the platform's registry entry has the feature it needs.
SECTION_FEATURE: dict[str, str] = {
    "aaa": "aaa",
    "users": "ssh",
    "snmp": "snmpv3",
    "qos": "qos",
    "mpls": "l3vpn",
    "vrfs": "l3vpn",
    "bgp": "bgp",
}


class PlatformRender(BaseModel):
    """What the renderer needs to know about a platform beyond the registry entry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sections: tuple[Section, ...] = Field(
        description="optional config sections this platform's config carries (system, interfaces "
        "and the IGP are always rendered)"
    )
    password_hash: Literal["sha512_crypt", "cisco_type9"] | None = None
    shape_unit_bps: int = Field(default=1000, ge=1, description="1 = bit/s, 1000 = kbit/s")
    description_replace: dict[str, str] = Field(
        default_factory=dict,
        description="characters the platform's CLI cannot take in a description, and their "
        "replacement (FRR's vtysh reads '|' as an output pipe)",
    )
    notes: str = ""


def active_sections(pr: PlatformRender, features: tuple[str, ...]) -> frozenset[str]:
    """The sections of a platform's config that its registry features allow.

    Examples:
        >>> pr = PlatformRender(sections=("qos", "bgp"))
        >>> sorted(active_sections(pr, ("bgp", "ospf")))
        ['bgp']
    """
    return frozenset(s for s in pr.sections if SECTION_FEATURE[s] in features)


def clean_text(text: str, replace: dict[str, str]) -> str:
    """Replace characters a platform's CLI cannot take.

    Examples:
        >>> clean_text("to r2 eth1 | ckt c1 | telecom", {"|": "/"})
        'to r2 eth1 / ckt c1 / telecom'
    """
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


@lru_cache(maxsize=32)
def platform_render(platform: str, root: Path = TEMPLATES) -> PlatformRender:
    """Load and validate ``templates/<platform>/platform.yaml``.

    Examples:
        >>> "bgp" in platform_render("cisco_ios").sections
        True
    """
    path = root / platform / "platform.yaml"
    if not path.is_file():
        raise OperationError(
            f"{path}: no render data for platform '{platform}'"
            f"\n  hint: add templates/{platform}/platform.yaml and device.j2"
        )
    try:
        return PlatformRender.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise OperationError(f"{path}: invalid platform render data: {exc}") from exc
