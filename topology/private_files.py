"""Writing files that hold secrets: 0600 files in 0700 folders, whatever the umask.

Used for everything that can carry OSPF/BGP/AAA/SNMP keys or password hashes: rendered configs,
backups of running configs, the lab's candidate/check configs, change records. The file is written
to a temporary name created 0600 (``O_EXCL``), flushed, then renamed over the target, so a reader
never sees a partial file and the content is never readable by others, not even for an instant.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` as a 0700 folder (tighten it if it exists). Missing parents are created
    with ordinary modes: they are shared (``build/`` also holds the lab, which other users must
    traverse), only the folder holding the secrets is private."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(mode=DIR_MODE, exist_ok=True)
    os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def write_private(path: Path, text: str | bytes) -> Path:
    """Atomically write ``path`` as a 0600 file in a 0700 folder and return it.

    Examples:
        >>> import tempfile, stat
        >>> p = write_private(Path(tempfile.mkdtemp()) / "a" / "x.cfg", "key s3cret\\n")
        >>> oct(stat.S_IMODE(p.stat().st_mode)), oct(stat.S_IMODE(p.parent.stat().st_mode))
        ('0o600', '0o700')
    """
    private_dir(path.parent)
    data = text.encode("utf-8") if isinstance(text, str) else text
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
