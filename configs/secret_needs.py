"""Which secrets rendering a topology's configs reads (by name), found by building the contexts.

A recording :class:`~topology.secrets.SecretSource` answers every request with a placeholder and
notes the name. Secrets depend on a device's platform (its config sections) and role (PEs carry
BGP), so one device per (platform, role) pair is enough.
"""

from __future__ import annotations

from collections.abc import Iterable

from configs.context import build_context
from configs.render import topology_index
from topology.model import Topology

PLACEHOLDER = "Placeholder-0123456789"


class NameRecorder:
    """A secret source that records the names asked for and returns a placeholder."""

    def __init__(self) -> None:
        self.names: dict[str, None] = {}

    def get(self, name: str, device: str | None = None) -> str:
        self.names.setdefault(name)
        return PLACEHOLDER


def render_secret_names(topo: Topology, devices: Iterable[str] | None = None) -> list[str]:
    """Return the secret names rendering ``devices`` (default: every device) reads, first-use order."""
    ix = topology_index(topo)
    seen: set[tuple[str, str]] = set()
    rec = NameRecorder()
    for host in topo.devices if devices is None else devices:
        dev = topo.devices[host]
        key = (dev.platform, dev.role.value)
        if key in seen:
            continue
        seen.add(key)
        build_context(ix, host, rec)
    return list(rec.names)
