"""Versioned backups of running configs: ``build/backups/<device>/<UTC timestamp>.cfg``."""

from __future__ import annotations

import time
from pathlib import Path

from topology.private_files import private_dir, write_private

DEFAULT_BACKUPS = Path("build/backups")


def backup_name(epoch: float) -> str:
    """Return the file name of a backup taken at ``epoch`` (UTC, sortable, ms resolution).

    Examples:
        >>> backup_name(0.0)
        '19700101T000000.000Z.cfg'
    """
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(epoch))
    return f"{stamp}.{int(epoch * 1000) % 1000:03d}Z.cfg"


def save_backup(root: Path, device: str, text: str, epoch: float | None = None) -> Path:
    """Write one backup of ``device`` and return its path."""
    path = root / device / backup_name(time.time() if epoch is None else epoch)
    private_dir(root)
    return write_private(path, text)


def latest_backup(root: Path, device: str) -> Path | None:
    """Return the newest backup of ``device``, or None."""
    files = sorted((root / device).glob("*.cfg"))
    return files[-1] if files else None
