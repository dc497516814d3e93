"""A lab as a context manager: up on entry, down on exit even when the body fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lab.manager import down, up
from topology import Topology, load_topology
from topology.secrets import Secrets


@dataclass(frozen=True)
class LabHandle:
    """A running lab: where it lives, its model and the secrets it was built with."""

    root: Path
    inventory: Path
    topo: Topology
    secrets: Secrets


@contextmanager
def running_lab(inventory: Path, root: Path, secrets: Secrets) -> Iterator[LabHandle]:
    """Bring the lab up, yield it, and remove exactly what was created afterwards."""
    try:
        up(inventory, root, secrets)
        yield LabHandle(
            root=root, inventory=inventory, topo=load_topology(inventory), secrets=secrets
        )
    finally:
        down(root)
