"""The management path into the lab: the login user (shell = vtysh) and the controller's SSH key."""

from __future__ import annotations

import logging
import pwd
import shutil
from importlib import resources
from pathlib import Path

from lab.state import StateRecorder
from lab.system import LabError, run

logger = logging.getLogger(__name__)

SHELL_NAME = "egnet-frr-shell"
SHELL_HELPER = "egnet_frr_output.py"  # configs/frr_output.py, imported by the shell


def install_shell(root: Path) -> Path:
    """Install the routers' login shell (:mod:`lab.router_shell`, with its one helper module
    :mod:`configs.frr_output`) under ``root/bin``; return the shell's path."""
    dest = root / "bin" / SHELL_NAME
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.parent.chmod(0o755)
    src = resources.files("lab").joinpath("router_shell.py").read_text(encoding="utf-8")
    helper = resources.files("configs").joinpath("frr_output.py").read_text(encoding="utf-8")
    (dest.parent / SHELL_HELPER).write_text(helper, encoding="utf-8")
    (dest.parent / SHELL_HELPER).chmod(0o644)
    dest.write_text(src, encoding="utf-8")
    dest.chmod(0o755)
    return dest


def ensure_user(rec: StateRecorder, user: str, password: str, shell: Path, home: Path) -> None:
    """Create the management user (login shell = the lab vtysh shell) or reuse the lab's own."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        entry = None
    ours = entry is not None and entry.pw_shell == str(shell)
    if entry is not None and not ours and not (rec.state.user == user and rec.state.user_created):
        raise LabError(
            f"lab up: user '{user}' exists and was not created by this lab\n"
            "  hint: choose another EGNET_SECRET_SSH_USERNAME"
        )
    if entry is None:
        run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--home-dir",
                str(home),
                "--shell",
                str(shell),
                "--groups",
                "frrvty,frr",
                user,
            ]
        )
        rec.set(user=user, user_created=True)
    elif rec.state.user is None:
        rec.set(user=user, user_created=ours)
    current = pwd.getpwnam(user)
    if (current.pw_shell, current.pw_dir) != (str(shell), str(home)):
        run(["usermod", "--shell", str(shell), "--home", str(home), user])
    home.mkdir(parents=True, exist_ok=True)
    shutil.chown(home, user, "frr")
    home.chmod(0o750)
    run(["chpasswd"], input_text=f"{user}:{password}\n")


def ensure_keys(root: Path) -> tuple[Path, Path]:
    """Create the controller's key pair and the routers' ``authorized_keys``; return both paths."""
    ssh = root / "ssh"
    ssh.mkdir(parents=True, exist_ok=True)
    key = ssh / "id_ed25519"
    if not key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "egnet-lab", "-f", str(key)])
    auth = ssh / "authorized_keys"
    shutil.copyfile(key.with_suffix(".pub"), auth)
    auth.chmod(0o644)
    return key, auth


def remove_user(user: str) -> None:
    """Delete the management user the lab created."""
    try:
        pwd.getpwnam(user)
    except KeyError:
        return
    run(["userdel", user])
