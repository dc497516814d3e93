"""Stable, short names for the lab's namespaces and host-side interfaces (pure)."""

from __future__ import annotations

import hashlib

PREFIX = "eg-"
NMS_NAMESPACE = "eg-nms"
MGMT_BRIDGE = "egbr0"
IFNAMSIZ = 15


def short_id(name: str, length: int = 8) -> str:
    """Return a short stable hexadecimal id for ``name``.

    Examples:
        >>> short_id("lab-core1")
        '8f2d04c9'
        >>> len(short_id("lab-core1", 6))
        6
    """
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:length]


def namespace_name(hostname: str) -> str:
    """Return the network namespace of a router (readable: ``eg-`` + hostname).

    Examples:
        >>> namespace_name("lab-core1")
        'eg-lab-core1'
    """
    return PREFIX + hostname


def mgmt_peer_name(hostname: str) -> str:
    """Return the NMS-side name of a router's management veth (≤ 15 characters).

    Examples:
        >>> mgmt_peer_name("lab-core1")
        'mg-8f2d04c9'
    """
    name = "mg-" + short_id(hostname)
    assert len(name) <= IFNAMSIZ
    return name
