"""Running-config backups in a git repository (what operators use Oxidized for).

``REPO/configs/<hostname>.cfg`` holds each device's last running config; one commit per run that
changed something, nothing when nothing changed, so ``git log -p configs/r1.cfg`` is the device's
history. Change records live beside them in ``REPO/changes/`` (:mod:`deploy.change`). The
repository holds keys: it is created 0700 with 0600 files (``topology.private_files``), and is
never pushed anywhere by egnet.

git is driven through its command line (the reference implementation, Debian package ``git``),
with a private identity and no global or system configuration, so a user's hooks, signing or
templates cannot interfere.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from deploy.drivers.base import DeviceDriver, DriverError
from topology.diagnostics import OperationError
from topology.private_files import private_dir, write_private

logger = logging.getLogger(__name__)

CONFIGS = "configs"
HOSTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
MAX_CONFIG = 16 * 1024 * 1024


class BackupRepo:
    """A git repository of running configs and change records."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one git command in the repository (no user/system config, fixed identity)."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.path),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "egnet",
            "GIT_AUTHOR_EMAIL": "egnet@localhost",
            "GIT_COMMITTER_NAME": "egnet",
            "GIT_COMMITTER_EMAIL": "egnet@localhost",
            "LC_ALL": "C",
        }
        try:
            proc = subprocess.run(
                ["git", "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false", *args],
                cwd=self.path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OperationError(f"{self.path}: git {args[0]} failed: {exc}") from exc
        if check and proc.returncode:
            raise OperationError(f"{self.path}: git {args[0]} failed: {proc.stderr.strip()}")
        return proc

    def init(self) -> BackupRepo:
        """Create the repository (0700) if it does not exist yet."""
        private_dir(self.path)
        if not (self.path / ".git").is_dir():
            self.git("init", "-q", "-b", "main")
            logger.info("created backup repository %s", self.path)
        private_dir(self.path / CONFIGS)
        return self

    def config_path(self, hostname: str) -> Path:
        """Where ``hostname``'s running config lives (the name is checked: no path tricks)."""
        if not HOSTNAME.match(hostname):
            raise OperationError(f"unsafe hostname for a backup file: {hostname!r}")
        return self.path / CONFIGS / f"{hostname}.cfg"

    def write_config(self, hostname: str, text: str) -> None:
        """Store one device's running config (0600)."""
        if len(text) > MAX_CONFIG:
            raise OperationError(f"{hostname}: running config larger than {MAX_CONFIG} bytes")
        write_private(self.config_path(hostname), text.replace("\r\n", "\n"))

    def read_config(self, hostname: str) -> str | None:
        """Return the stored config of ``hostname``, or None."""
        path = self.config_path(hostname)
        if not path.is_file():
            return None
        if path.stat().st_size > MAX_CONFIG:
            raise OperationError(f"{path}: larger than {MAX_CONFIG} bytes")
        return path.read_text(encoding="utf-8", errors="replace")

    def hostnames(self) -> list[str]:
        """Devices with a stored config."""
        folder = self.path / CONFIGS
        return sorted(p.stem for p in folder.glob("*.cfg") if p.is_file())

    def commit(self, message: str, paths: tuple[str, ...] = (".",)) -> str | None:
        """Commit every change under ``paths``; return the commit id, or None when unchanged."""
        self.git("add", "-A", "--", *paths)
        if self.git("diff", "--cached", "--quiet", check=False).returncode == 0:
            return None
        self.git("commit", "-q", "-m", message)
        return self.head()

    def head(self) -> str | None:
        """The current commit id (None in an empty repository)."""
        proc = self.git("rev-parse", "--verify", "-q", "HEAD", check=False)
        return proc.stdout.strip() or None

    def log(self, path: str | None = None) -> list[tuple[str, str]]:
        """Commits (id, subject), newest first, optionally of one path."""
        if self.head() is None:
            return []
        args = ["log", "--format=%H %s"]
        if path:
            args += ["--", path]
        out = self.git(*args).stdout
        return [(ln[:40], ln[41:]) for ln in out.splitlines() if ln]


def snapshot(
    repo: BackupRepo, configs: Mapping[str, str], errors: Mapping[str, str], label: str
) -> str | None:
    """Store fetched running configs and commit when anything changed; return the commit or None.

    Devices that could not be fetched (``errors``) keep their previous file and are named in the
    commit message; a run where nothing changed makes no commit.
    """
    repo.init()
    for host, text in configs.items():
        repo.write_config(host, text)
    lines = [f"egnet backup ({label}): {len(configs)} device(s)"]
    if errors:
        lines += ["", "not reached:"] + [f"- {h}: {e}"[:300] for h, e in sorted(errors.items())]
    return repo.commit("\n".join(lines), (CONFIGS,))


def fetch_running(
    hosts: list[str], make: Callable[[str], DeviceDriver], workers: int = 16
) -> tuple[dict[str, str], dict[str, str]]:
    """Fetch every host's running config in parallel: (configs, errors) by hostname."""

    def one(host: str) -> tuple[str, str | None, str | None]:
        drv = make(host)
        try:
            drv.open()
            return host, drv.get_running(), None
        except (DriverError, OperationError) as exc:
            return host, None, str(exc)
        finally:
            drv.close()

    configs: dict[str, str] = {}
    errors: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for host, text, err in pool.map(one, hosts):
            if text is not None:
                configs[host] = text
            else:
                errors[host] = err or "no output"
    return configs, errors
