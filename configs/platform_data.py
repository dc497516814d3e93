"""Per-platform render data: the ``render:`` part of ``templates/<platform>/platform.yaml``.

The file is read and validated by the one platform loader (:mod:`topology.platforms`); this module
adds the render-side helpers. The core renderer never branches on a platform name: what differs
between vendors and is not pure formatting (which config sections the platform's config carries,
the password hash scheme, the unit its shaper takes) lives in that file.
"""

from __future__ import annotations

from pathlib import Path

from topology.platforms import TEMPLATES, RenderSpec, platform_spec

__all__ = [
    "SECTION_FEATURE",
    "TEMPLATES",
    "PlatformRender",
    "active_sections",
    "clean_text",
    "platform_render",
]

PlatformRender = RenderSpec
# A section is rendered only when the platform's registry entry has the feature it needs.
SECTION_FEATURE: dict[str, str] = {
    "aaa": "aaa",
    "users": "ssh",
    "snmp": "snmpv3",
    "qos": "qos",
    "mpls": "l3vpn",
    "vrfs": "l3vpn",
    "bgp": "bgp",
    "ntp_auth": "ntp",
}


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


def platform_render(platform: str, root: Path = TEMPLATES) -> PlatformRender:
    """The render data of ``platform`` (``render:`` in its ``platform.yaml``).

    Examples:
        >>> "bgp" in platform_render("cisco_ios").sections
        True
    """
    return platform_spec(platform, root).render
