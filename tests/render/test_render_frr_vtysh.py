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


FRR_RELOAD = Path("/usr/lib/frr/frr-reload.py")


@pytest.mark.skipif(
    not FRR_RELOAD.is_file(), reason="frr-pythontools (frr-reload.py) not installed"
)
def test_frr_reload_parses_each_role(tmp_path: Path) -> None:
    """frr-reload.py (what the lab uses to load configs) computes a clean delta from an empty
    running config for one device of each role, without daemons (``--test --input``)."""
    running = tmp_path / "running.conf"
    running.write_text("frr version 8.4\nfrr defaults traditional\n!\nend\n", encoding="utf-8")
    configs = rendered(LAB)
    for host in ("lab-core1", "lab-cloud-gw1", "dongxian-qiaotou-ar1", "dongxian-qiaotou-sw1"):
        path = tmp_path / f"{host}.cfg"
        path.write_text(configs[host], encoding="utf-8")
        res = subprocess.run(
            [
                "python3",
                str(FRR_RELOAD),
                "--test",
                "--stdout",
                "--input",
                str(running),
                "--confdir",
                str(tmp_path),
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        out = res.stdout + res.stderr
        assert res.returncode == 0, out
        assert "Lines To Add" in out and f"hostname {host}" in out
        assert "Traceback" not in out


def test_frr_configs_have_no_vtysh_pipe_characters() -> None:
    """vtysh reads '|' in a line as an output pipe ("% Unknown action ..."), even though
    ``vtysh -C`` accepts it: descriptions must not carry one into FRR."""
    for host, text in rendered(LAB).items():
        assert "|" not in text, host
