"""Exit codes of every command (README "Exit codes"): 0 ok, 1 findings, 2 bad input or usage, 70 bug.

A table of commands × cases, run in-process through ``egnet.cli.main``; a few also as real processes
(argparse's own exit, and that a bug really ends the process with 70).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import topology.loader
from egnet.cli import main
from topology.secrets import env_name

ROOT = Path(__file__).resolve().parents[1]
LAB = str(ROOT / "inventory" / "lab")
SECRETS = {
    "ospf_key": "exit-ospf-key-01",
    "bgp_password": "exit-bgp-pass-01",
    "aaa_key": "exit-aaa-key-0001",
    "user_netadmin": "Exit-netadmin-pass-1",
    "user_noc": "Exit-noc-pass-00001",
    "snmp_v3_auth_key": "exit-snmp-auth-key",
    "snmp_v3_priv_key": "exit-snmp-priv-key",
}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Dummy secrets in the environment, a missing vault, and inventories in ``tmp_path``."""
    monkeypatch.setenv("EGNET_VAULT", str(tmp_path / "no-vault.yaml"))
    for name, value in SECRETS.items():
        monkeypatch.setenv(env_name(name), value)
    bad = tmp_path / "bad"
    shutil.copytree(LAB, bad)
    text = (bad / "network.yaml").read_text(encoding="utf-8")
    (bad / "network.yaml").write_text(
        text.replace("kind: router}", "kind: router, ports: true}", 1), encoding="utf-8"
    )
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    hollow = '{"schema": "egnet.plan/1", "circuits": [{"id": "c1", "directions": 5}]}'
    (tmp_path / "hollow.json").write_text(hollow, encoding="utf-8")
    stale = tmp_path / "stale"
    shutil.copytree(LAB, stale)
    (stale / "ipam.lock.json").unlink()
    return tmp_path


CASES = [
    # (command line with {lab} {bad} {stale} {tmp}, exit code, what the case shows)
    ("validate {lab}", 0, "valid inventory"),
    ("validate {bad}", 2, "bad inventory is an input error (was 1)"),
    ("validate {tmp}/nowhere", 2, "missing folder"),
    ("validate", 2, "argparse usage"),
    ("inspect {lab} --device nope", 2, "unknown device"),
    ("inspect {bad}", 2, "bad inventory"),
    ("export graph {bad} -o {tmp}/g.graphml", 2, "bad inventory"),
    ("ipam sync {lab} --check", 0, "lock current"),
    ("ipam sync {stale} --check", 1, "lock out of date: a finding"),
    ("ipam sync {bad}", 2, "bad inventory"),
    ("check {lab}", 1, "the lab has deliberate redundancy findings"),
    ("check {bad}", 2, "bad inventory"),
    ("check {lab} --fail carrier:unicon", 2, "check takes no --fail: usage"),
    ("plan {lab}", 0, "no overload"),
    ("plan {lab} --fail carrier:unicon", 2, "unknown carrier in a scenario (was 1)"),
    ("plan {lab} --fail bogus", 2, "malformed scenario"),
    ("plan {lab} --upgrade circuit:lab-ic1=fast", 2, "bad rate"),
    ("plan {lab} --growth tier=county", 2, "bad growth"),
    ("plan {lab} --demand x:lab>nowhere=5M", 2, "unknown site"),
    ("plan {lab} --demand x\x1b[31m:lab>beicheng=5M", 2, "control character in a demand name"),
    ("plan {lab} --compare {tmp}/none.json", 2, "unreadable plan"),
    ("plan {lab} --compare /dev/zero", 2, "a device, not a plan (never read forever)"),
    ("plan {lab} --compare {tmp}/list.json", 2, "JSON that is not an object (was exit 70)"),
    ("plan {lab} --compare {tmp}/hollow.json", 2, "a plan without circuits (was exit 70)"),
    ("plan {lab} --measured {tmp}/none.sqlite", 2, "no poller database"),
    ("plan {bad}", 2, "bad inventory"),
    ("render {lab} --out {tmp}/out --device lab-core1", 0, "renders"),
    ("render {lab} --out {tmp}/out --device nope", 2, "unknown device"),
    ("render {bad} --out {tmp}/out", 2, "bad inventory"),
    ("audit {lab} --out {tmp}/aud", 0, "rendered lab passes the audit"),
    ("poll {bad} --once", 2, "bad inventory"),
    ("deploy {bad}", 2, "bad inventory"),
    ("drift {bad}", 2, "bad inventory"),
    ("nosuchcommand", 2, "argparse usage"),
]


@pytest.mark.parametrize(("line", "code", "why"), CASES, ids=[c[0] for c in CASES])
def test_exit_code(
    line: str, code: int, why: str, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = line.format(lab=LAB, bad=env / "bad", stale=env / "stale", tmp=env).split()
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse
        rc = int(exc.code or 0)
    err = capsys.readouterr().err
    assert rc == code, f"{why}: {err[-800:]}"
    assert "Traceback" not in err


def test_a_bug_exits_70(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(root: Path) -> object:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(topology.loader, "_load", broken)
    assert main(["validate", LAB]) == 70
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError" in err and "Traceback" not in err


def test_exit_codes_of_real_processes(env: Path) -> None:
    egnet = [sys.executable, "-m", "egnet.cli"]
    usage = subprocess.run([*egnet, "plan"], capture_output=True, text=True, cwd=ROOT)
    bad = subprocess.run(
        [*egnet, "validate", str(env / "bad")], capture_output=True, text=True, cwd=ROOT
    )
    assert usage.returncode == 2 and "usage:" in usage.stderr
    assert bad.returncode == 2 and "ports" in bad.stderr and "Traceback" not in bad.stderr
