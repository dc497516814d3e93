#!/usr/bin/python3
"""The lab routers' login shell: vtysh bound to one router, plus a commit-confirmed mechanism.

Installed by ``egnet lab up`` as the management user's login shell; sshd's ``SetEnv EGNET_LAB_DIR``
names the router's folder. Plain commands go to vtysh (``ssh r1 'show ip ospf neighbor'``). Verbs
starting with ``egnet`` read a candidate config on stdin and give FRR the safety net real routers
have (like Junos ``commit confirmed``):

- ``egnet check``: ``vtysh -C`` syntax check of the candidate;
- ``egnet commit-confirmed SECONDS``: save the running config, apply the candidate with
  ``frr-reload.py`` (replace semantics) and arm a timer on the router that restores the saved config
  unless ``egnet confirm`` arrives in time — so a change that cuts management undoes itself;
- ``egnet confirm`` / ``egnet rollback`` / ``egnet status``.

Standard library only: it runs with the system Python as the unprivileged management user
(:mod:`configs.frr_output`, also standard library only, is installed beside it).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

try:
    from configs.frr_output import strip_running_header
except ImportError:  # the installed shell: `egnet lab up` puts a copy of the module beside it
    from egnet_frr_output import strip_running_header  # type: ignore[import-not-found,no-redef]

VTYSH = "/usr/bin/vtysh"
RELOAD = "/usr/lib/frr/frr-reload.py"


def _dir() -> Path:
    return Path(os.environ.get("EGNET_LAB_DIR", "."))


def vtysh_argv(base: Path) -> list[str]:
    """Return vtysh's command line for the router whose folder is ``base``.

    Examples:
        >>> vtysh_argv(Path("/b/eg-r1"))[1:]
        ['--vty_socket', '/b/eg-r1/run', '--config_dir', '/b/eg-r1/etc']
    """
    return [VTYSH, "--vty_socket", str(base / "run"), "--config_dir", str(base / "etc")]


def _vtysh(base: Path, *commands: str) -> subprocess.CompletedProcess[str]:
    argv = vtysh_argv(base)
    for cmd in commands:
        argv += ["-c", cmd]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def _frr_reload(base: Path, conf: Path) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable,
        RELOAD,
        "--reload",
        "--stdout",
        "--bindir",
        "/usr/bin",
        "--confdir",
        str(base / "etc"),
        "--rundir",
        str(base / "var"),
        "--vty_socket",
        str(base / "run"),
        str(conf),
    ]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def _reload(base: Path, conf: Path) -> tuple[int, str]:
    """Replace the running config with ``conf`` using frr-reload.py.

    FRR 8.4's frr-reload writes nested contexts without ``exit`` lines, so a line that follows an
    ``mpls ldp`` interface block can land in the wrong node. When the reload reports errors, the
    candidate (whose blocks carry their own ``exit`` lines) is loaded with ``vtysh -f`` and
    frr-reload runs again, which then only has deletions left to make.
    """
    proc = _frr_reload(base, conf)
    out = proc.stdout + proc.stderr
    rc = proc.returncode
    if rc:
        merge = subprocess.run(
            [*vtysh_argv(base), "-f", str(conf)], capture_output=True, text=True, check=False
        )
        again = _frr_reload(base, conf)
        rc = again.returncode
        out += f"% first pass failed; merged candidate (rc={merge.returncode}) and reloaded again\n"
        out += again.stdout + again.stderr
    for name in stale_interfaces(_vtysh(base, "show running-config").stdout, conf.read_text()):
        gone = _vtysh(base, "configure terminal", f"no interface {name}")
        out += f"% removed the empty context of interface {name} (rc={gone.returncode})\n"
    save = _vtysh(base, "write memory")
    return rc or save.returncode, out


def stale_interfaces(running: str, candidate: str) -> list[str]:
    """Interfaces the running config still lists with an empty block although the candidate does
    not name them: FRR 8.4's frr-reload removes an interface's lines but never its context
    (FRRouting issue #13644), so a removed department sub-interface would stay as
    ``interface X`` / ``exit`` and the config would never equal the candidate. ``no interface X``
    removes it (FRR refuses it for an interface the kernel has, which then stays).

    Examples:
        >>> stale_interfaces("interface eth1.1001\\nexit\\n!\\ninterface lo\\n ip address 1.1.1.1/32\\n"
        ...                  "exit\\ninterface eth2\\nexit\\n", "interface eth2\\nexit\\n")
        ['eth1.1001']
    """
    wanted = {ln.split()[1] for ln in candidate.splitlines() if ln.startswith("interface ")}
    out: list[str] = []
    lines = running.splitlines()
    for i, line in enumerate(lines):
        words = line.split()
        empty = i + 1 < len(lines) and lines[i + 1].strip() in ("exit", "!")
        if len(words) == 2 and words[0] == "interface" and words[1] not in wanted and empty:
            out.append(words[1])
    return out


def write_private(path: Path, text: str) -> None:
    """Write a candidate/rollback config (it holds keys) 0600, whatever the umask.

    The standalone copy of ``topology.private_files.write_private`` (this script runs with the
    system Python, without egnet installed); the folder, ``var/``, is created 0700 by ``lab up``.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _check(base: Path, conf: Path) -> tuple[int, str]:
    proc = subprocess.run(
        [*vtysh_argv(base), "-C", "-f", str(conf)], capture_output=True, text=True, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr


def _pending(base: Path) -> int | None:
    path = base / "var" / "pending"
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _disarm(base: Path) -> bool:
    pid = _pending(base)
    (base / "var" / "pending").unlink(missing_ok=True)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    return True


def _arm(base: Path, seconds: int) -> None:
    if os.fork():
        return
    os.setsid()
    if os.fork():
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    (base / "var" / "pending").write_text(str(os.getpid()))
    time.sleep(seconds)
    if _pending(base) == os.getpid():
        rc, out = _reload(base, base / "var" / "rollback.conf")
        (base / "var" / "pending").unlink(missing_ok=True)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        (base / "var" / "last-rollback").write_text(f"{stamp} timer rc={rc}\n{out}")
    os._exit(0)


def commit_confirmed(base: Path, seconds: int, candidate: str) -> int:
    """Apply ``candidate`` with a rollback timer of ``seconds``; return an exit status."""
    var = base / "var"
    _disarm(base)
    write_private(var / "candidate.conf", candidate)
    rc, out = _check(base, var / "candidate.conf")
    if rc:
        sys.stdout.write(f"% candidate rejected by vtysh -C\n{out}")
        return 2
    running = _vtysh(base, "show running-config")
    if running.returncode:
        sys.stdout.write(f"% cannot read running config\n{running.stdout}{running.stderr}")
        return 3
    write_private(var / "rollback.conf", strip_running_header(running.stdout))
    (var / "last-rollback").unlink(missing_ok=True)
    _arm(base, seconds)
    deadline = time.monotonic() + 5
    while _pending(base) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    rc, out = _reload(base, var / "candidate.conf")
    sys.stdout.write(out)
    sys.stdout.write(f"% commit-confirmed: applied, rollback in {seconds}s unless confirmed\n")
    return 0 if rc == 0 else 4


def rollback(base: Path) -> int:
    """Restore the config saved by the last ``commit-confirmed`` now."""
    if not _disarm(base):
        sys.stdout.write("% nothing to roll back\n")
        return 1
    rc, out = _reload(base, base / "var" / "rollback.conf")
    sys.stdout.write(out + "% rolled back\n")
    return rc


def status(base: Path) -> int:
    """Print the commit state as JSON."""
    last = base / "var" / "last-rollback"
    data = {
        "pending": _pending(base) is not None,
        "last_rollback": last.read_text().splitlines()[0] if last.exists() else None,
    }
    sys.stdout.write(json.dumps(data) + "\n")
    return 0


def candidate_text(words: list[str], index: int) -> str:
    """Return the candidate: base64 in ``words[index]`` when present (for tools that cannot write
    to stdin, such as Ansible's ``raw``), else standard input.

    Examples:
        >>> candidate_text(["egnet", "check", "aG9zdG5hbWUgcjEK"], 2)
        'hostname r1\\n'
    """
    if len(words) > index:
        return base64.b64decode(words[index]).decode("utf-8")
    return sys.stdin.read()


def egnet_verb(base: Path, words: list[str]) -> int:
    """Run one ``egnet ...`` management verb."""
    verb = words[1] if len(words) > 1 else ""
    if verb == "check":
        path = base / "var" / "check.conf"
        write_private(path, candidate_text(words, 2))
        rc, out = _check(base, path)
        sys.stdout.write(out)
        return rc
    if verb == "commit-confirmed" and len(words) >= 3 and words[2].isdigit():
        return commit_confirmed(base, int(words[2]), candidate_text(words, 3))
    if verb == "confirm":
        ok = _disarm(base)
        sys.stdout.write("% confirmed\n" if ok else "% nothing pending\n")
        return 0 if ok else 1
    if verb == "rollback":
        return rollback(base)
    if verb == "status":
        return status(base)
    sys.stdout.write(
        "% usage: egnet check [B64]|commit-confirmed SECONDS [B64]|confirm|rollback|status\n"
    )
    return 64


def main(argv: list[str]) -> int:
    """Entry point: interactive vtysh, a vtysh command, or an ``egnet`` verb."""
    base = _dir()
    if len(argv) >= 3 and argv[1] == "-c":
        words = argv[2].split()
        if words and words[0] == "egnet":
            return egnet_verb(base, words)
        os.execv(VTYSH, [*vtysh_argv(base), "-c", argv[2]])
    os.execv(VTYSH, vtysh_argv(base))
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
