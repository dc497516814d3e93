"""The CLI of the brownfield commands: ``egnet import running`` and ``egnet deploy --change``
refusals (neither needs a reachable device)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from deploy_testlib import MIXED, SECRET_VALUES, secrets, topology

from configs.render import render_device
from deploy.backup_repo import BackupRepo
from deploy.change import load_change
from egnet.cli import main
from topology.secrets import env_name

HOSTS = ["beicheng-core1", "lab-core1"]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for k, v in SECRET_VALUES.items():
        monkeypatch.setenv(env_name(k), v)
    monkeypatch.setenv("EGNET_VAULT", str(tmp_path / "no-vault.yaml"))


def _repo(tmp_path: Path) -> BackupRepo:
    repo = BackupRepo(tmp_path / "repo").init()
    for h in HOSTS:
        repo.write_config(h, render_device(topology(MIXED), h, secrets()))
    repo.commit("seed")
    return repo


def test_import_running_in_sync_then_drift_masked(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path)
    argv = ["import", "running", str(MIXED), "--from", str(repo.path), "--limit", ",".join(HOSTS)]
    assert main(argv) == 0
    capsys.readouterr()
    text = repo.read_config("lab-core1") or ""
    repo.write_config("lab-core1", text + "snmp-agent community read cipher Hand-typed-c0mmunity\n")
    assert main([*argv, "--json"]) == 1
    out = capsys.readouterr().out
    rows = {r["device"]: r for r in json.loads(out)}
    assert rows["beicheng-core1"]["status"] == "in_sync"
    assert rows["lab-core1"]["status"] == "drift"
    assert rows["lab-core1"]["unknown"] == ["snmp-agent community read cipher <masked>"]
    assert "Hand-typed-c0mmunity" not in out
    assert not any(v in out for v in SECRET_VALUES.values())


def test_deploy_change_outside_window_is_refused_and_recorded(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path)
    rec = {
        "id": "CHG-1",
        "title": "test",
        "operator": "zhang.wei",
        "approver": "li.na",
        "approved_at": "2020-01-01T00:00:00+08:00",
        "window": {"start": "2020-01-02T00:00:00+08:00", "end": "2020-01-02T04:00:00+08:00"},
        "devices": HOSTS,
    }
    (repo.path / "changes").mkdir()
    (repo.path / "changes" / "CHG-1.yaml").write_text(yaml.safe_dump(rec), encoding="utf-8")
    rc = main(["deploy", str(MIXED), "--change", "CHG-1", "--changes", str(repo.path), "--commit"])
    assert rc == 1
    assert "outside its window" in capsys.readouterr().err
    outcome = load_change(repo, "CHG-1").outcomes[-1]
    assert outcome.status == "refused" and outcome.operator == "zhang.wei"
    assert repo.log()[0][1] == "change CHG-1: refused (zhang.wei)"


def test_deploy_change_unknown_or_malformed_record_is_a_located_error(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path)
    rc = main(["deploy", str(MIXED), "--change", "CHG-404", "--changes", str(repo.path)])
    assert rc not in (0, 70) and "no such change record" in capsys.readouterr().err
    (repo.path / "changes").mkdir()
    (repo.path / "changes" / "CHG-2.yaml").write_text("id: CHG-2\nwindow: 3\n", encoding="utf-8")
    rc = main(["deploy", str(MIXED), "--change", "CHG-2", "--changes", str(repo.path)])
    err = capsys.readouterr().err
    assert rc not in (0, 70) and "CHG-2.yaml" in err
    rc = main(["deploy", str(MIXED), "--change", "../etc/passwd", "--changes", str(repo.path)])
    assert rc not in (0, 70) and "not a change id" in capsys.readouterr().err
