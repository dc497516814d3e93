"""``egnet render`` and ``egnet audit`` end to end (exit codes, files, JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from render_testlib import MIXED, SECRET_VALUES

from egnet.cli import main
from topology.secrets import env_name


@pytest.fixture
def env_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EGNET_VAULT", str(tmp_path / "absent-vault.yaml"))
    for k, v in SECRET_VALUES.items():
        monkeypatch.setenv(env_name(k), v)


def test_render_then_audit_folder(
    env_secrets: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "configs"
    assert main(["render", str(MIXED), "--out", str(out), "--jobs", "1"]) == 0
    assert (
        len(list(out.glob("*.cfg"))) == 23
    )  # 20 routers + 2 egress firewalls + the cloud border firewall
    # configs carry keys and local-user passwords: owner-only files
    assert {oct(p.stat().st_mode & 0o777) for p in out.glob("*.cfg")} == {"0o600"}
    capsys.readouterr()
    assert main(["audit", str(out), "--json", "--jobs", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 23 and not any(d["failed"] for d in data)
    # drift: a backed-up running config that lost its NTP server fails, exit 1
    cfg = out / "lab-core1.cfg"
    cfg.write_text(
        "\n".join(
            ln
            for ln in cfg.read_text(encoding="utf-8").splitlines()
            if not ln.startswith("ntp-service")
        ),
        encoding="utf-8",
    )
    assert main(["audit", str(out), "--json", "--jobs", "1"]) == 1
    data = json.loads(capsys.readouterr().out)
    bad = [d for d in data if d["failed"]]
    assert [d["device"] for d in bad] == ["lab-core1"]
    assert [r["rule"] for r in bad[0]["results"] if r["status"] == "fail"] == ["ntp", "ntp-auth"]


def test_audit_inventory_renders_first(env_secrets: None, tmp_path: Path) -> None:
    out = tmp_path / "built"
    assert main(["audit", str(MIXED), "--out", str(out), "--jobs", "1"]) == 0
    assert (out / "manifest.json").is_file()


def test_audit_backup_folder_needs_a_platform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "r1.cfg").write_text("hostname r1\n", encoding="utf-8")
    assert main(["audit", str(tmp_path)]) == 2  # usage: no platform for a file
    assert "platform unknown for r1.cfg" in " ".join(capsys.readouterr().err.split())
    assert main(["audit", str(tmp_path), "--platform", "cisco_ios"]) == 1  # fails the rules


def test_render_missing_secret_is_a_clean_error(
    env_secrets: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv(env_name("ospf_key"))
    assert main(["render", str(MIXED), "--out", str(tmp_path), "--device", "lab-core1"]) == 2
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "ospf_key: missing" in err and "Traceback" not in err
