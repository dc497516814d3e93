"""The routers' login shell runs with the system Python, away from the project: the one FRR parsing
module it uses (configs/frr_output.py) is installed beside it and imported from there."""

from __future__ import annotations

import subprocess
from pathlib import Path

from configs.frr_output import strip_running_header
from lab.access import SHELL_HELPER, install_shell

SYSTEM_PYTHON = "/usr/bin/python3"


def test_the_installed_shell_imports_its_helper_without_the_project(tmp_path: Path) -> None:
    shell = install_shell(tmp_path / "root")
    assert (shell.parent / SHELL_HELPER).is_file()
    env = {"PATH": "/usr/bin:/bin", "EGNET_LAB_DIR": str(tmp_path)}
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import configs"], capture_output=True, cwd=tmp_path, env=env
    )
    assert probe.returncode != 0  # the project is not importable here: the copy must be used
    got = subprocess.run(
        [str(shell), "-c", "egnet no-such-verb"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=30,
        check=False,
    )
    assert got.returncode == 64 and "usage: egnet check" in got.stdout, got.stderr
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import egnet_frr_output as m; "
        "sys.stdout.write(m.strip_running_header(sys.stdin.read()))"
    )
    text = "Building configuration...\n\nCurrent configuration:\n!\nhostname r\n"
    same = subprocess.run(
        [SYSTEM_PYTHON, "-c", code, str(shell.parent)],
        input=text,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    )
    assert same.stdout == strip_running_header(text)
