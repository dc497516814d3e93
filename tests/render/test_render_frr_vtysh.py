"""Every rendered FRR config passes FRR's own parser (``vtysh -C -f``, no daemons needed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from render_testlib import LAB, rendered

VTYSH = shutil.which("vtysh")
pytestmark = pytest.mark.skipif(
    VTYSH is None, reason="FRR's vtysh is not installed (apt install frr)"
)


def vtysh_check(path: Path) -> subprocess.CompletedProcess[str]:
    """Run FRR's dry-run parser on a file (``--config_dir`` keeps it off /etc/frr's vtysh.conf)."""
    assert VTYSH is not None
    return subprocess.run(
        [VTYSH, "--config_dir", str(path.parent), "-C", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_frr_config_passes_vtysh(tmp_path: Path) -> None:
    configs = rendered(LAB)
    assert len(configs) == 20
    failures = []
    for host, text in configs.items():
        path = tmp_path / f"{host}.cfg"
        path.write_text(text, encoding="utf-8")
        res = vtysh_check(path)
        if res.returncode != 0:
            failures.append(f"{host}: rc={res.returncode}\n{res.stdout}{res.stderr}")
    assert not failures, "\n".join(failures)


def test_vtysh_check_rejects_a_broken_config(tmp_path: Path) -> None:
    """The check can fail: a config with an unknown command is rejected with its line number."""
    text = rendered(LAB)["lab-core1"].replace(" ip ospf cost ", " ip ospf frobnicate ", 1)
    path = tmp_path / "broken.cfg"
    path.write_text(text, encoding="utf-8")
    res = vtysh_check(path)
    assert res.returncode != 0
    assert "frobnicate" in res.stdout + res.stderr
