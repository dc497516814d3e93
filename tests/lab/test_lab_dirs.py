"""The lab's folders stay reachable for the FRR and login users under a restrictive umask."""

from __future__ import annotations

import stat
from pathlib import Path

from lab.daemons import ensure_traversable


def test_ensure_traversable_adds_only_the_search_bit(tmp_path: Path) -> None:
    leaf = tmp_path / "build" / "lab" / "eg-r1"
    leaf.mkdir(parents=True)
    for d in (tmp_path / "build", tmp_path / "build" / "lab", leaf):
        d.chmod(0o700)
    ensure_traversable(leaf)
    for d in (tmp_path / "build", tmp_path / "build" / "lab", leaf):
        mode = stat.S_IMODE(d.stat().st_mode)
        assert mode == 0o711, oct(mode)  # x for group and others; nothing readable or writable
