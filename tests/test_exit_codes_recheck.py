"""Issue 9 §4/§8 re-checked: bad input to subcommands and options the first table does not use.

Every case is bad input (exit 2, a located message, no traceback) unless marked; none may exit 70,
hang (``--gap inf``, ``--timeout nan``, ``--concurrency 0`` did; ``serve --db /dev/zero`` served a
device) or print a traceback. None sends a packet: each is refused before any poll or deploy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_exit_codes import SECRETS

from egnet.cli import main
from topology.secrets import env_name

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "inventory" / "lab"
MIXED = ROOT / "tests" / "render" / "inventory"  # Huawei, H3C, Cisco: every secret is rendered
MIXED_SECRETS = {"ospf_key": "ospf-test-key", "bgp_password": "bgp-test-pass",
                 "ntp_key": "ntp-test-key", "ldp_key": "ldp-test-key", "aaa_key": "aaa-test-key",
                 "user_netadmin": "Netadmin-test-pass-1", "user_noc": "Noc-test-pass-12",
                 "snmp_v3_auth_key": "snmp-auth-test-key", "snmp_v3_priv_key": "snmp-priv-test-key"}  # fmt: skip
NS = "--netns none"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EGNET_VAULT", str(tmp_path / "no-vault.yaml"))
    for name, value in SECRETS.items():
        monkeypatch.setenv(env_name(name), value)
    shutil.copytree(LAB, tmp_path / "lab")
    (tmp_path / "garbage.db").write_bytes(b"not an sqlite file, just text\n" * 10)
    (tmp_path / "dir.db").mkdir()
    return tmp_path


CASES = [
    # poll: numbers out of range, NaN and infinity, bad ports, unknown devices
    (f"poll {{lab}} --once --timeout nan {NS}", 2, "NaN timeout (hung)"),
    (f"poll {{lab}} --once --timeout -1 {NS}", 2, "negative timeout (polled with -1 s)"),
    (f"poll {{lab}} --once --concurrency 0 {NS}", 2, "no device in flight (hung)"),
    (f"poll {{lab}} --once --gap inf {NS}", 2, "infinite gap (hung)"),
    (f"poll {{lab}} --once --gap -3 {NS}", 2, "negative gap"),
    (f"poll {{lab}} --interval 0 {NS}", 2, "busy loop"),
    (f"poll {{lab}} --once --retries -5 {NS}", 2, "'-4 tries'"),
    (f"poll {{lab}} --once --deadline 0 {NS}", 2, "no time per device"),
    (f"poll {{lab}} --once --port 70000 {NS}", 2, "port out of range (was an internal error)"),
    (f"poll {{lab}} --once --target lab-core1=127.0.0.1:99999 {NS}", 2, "target port out of range"),
    (f"poll {{lab}} --once --target lab-core1=:161 {NS}", 2, "target without a host"),
    (f"poll {{lab}} --once --target nope=127.0.0.1:161 {NS}", 2, "target for no device"),
    (f"poll {{lab}} --once --device nope {NS}", 2, "unknown device (polled 0/0, exit 0)"),
    (f"poll {{lab}} --once --raw-days -1 {NS}", 2, "negative retention"),
    (f"poll {{lab}} --once --webhook javascript:alert(1) {NS}", 2, "webhook not http(s)"),
    (f"poll {{lab}} --once --syslog host:99999 {NS}", 2, "syslog port out of range"),
    (f"poll {{lab}} --once --db /dev/zero --device lab-core1 {NS}", 2, "a device as database (70)"),
    (f"poll {{lab}} --once --db {{tmp}}/dir.db --device lab-core1 {NS}", 2, "a folder as database"),
    (f"poll {{lab}} --once --engine pysnmp {NS}", 2, "pysnmp is no poll engine"),
    # the poller database and its readers
    ("poll-loads {tmp}/garbage.db", 2, "not SQLite (was 70)"),
    ("poll-loads {tmp}/dir.db", 2, "a folder"),
    ("poll-loads {tmp}/garbage.db --days nan", 2, "NaN days"),
    ("estimate {lab} --db {tmp}/garbage.db", 2, "not SQLite (was 70)"),
    ("flows matrix {lab} --db {tmp}/garbage.db", 2, "not SQLite (was 70)"),
    ("flows ingest --dir {tmp} --db {tmp}/garbage.db", 2, "not SQLite (was 70)"),
    ("flows matrix {lab} --db /dev/zero", 2, "a device as database"),
    ("plan {lab} --measured {tmp}/garbage.db", 2, "not SQLite"),
    ("simulate {lab} --db /dev/zero --hours 1", 2, "a device as database (was 70)"),
    ("simulate {lab} --db {tmp}/s.db --alert-window inf", 2, "infinite window"),
    # serve: refused before binding
    ("serve {lab} --port 99999", 2, "port out of range (hung)"),
    ("serve {lab} --port -1", 2, "negative port (was 70)"),
    ("serve {lab} --refresh 0", 2, "page refreshing continuously"),
    ("serve {lab} --db /dev/zero", 2, "a device as database (served it)"),
    ("serve {lab} --db {tmp}/garbage.db", 2, "not SQLite"),
    ("serve {lab} --host 192.0.2.1 --auth none", 2, "non-loopback bind without auth"),
    ("serve {lab} --host 0.0.0.0 --auth basic", 2, "basic auth without its secrets"),
    # generated files
    ("prometheus-rules {lab} --interval 0", 2, "zero interval (wrote rules)"),
    ("prometheus-rules {lab} --interval nan", 2, "NaN interval (was 70)"),
    ("prometheus-rules {lab} --window -5", 2, "negative window (wrote rules)"),
    ("alertmanager-config {lab} --webhook javascript:x", 2, "webhook not http(s) (wrote it)"),
    ("alertmanager-config {lab} --webhook http://a\nb", 2, "a newline in the webhook URL"),
    ("export graph {lab} -o /dev/full", 2, "disk full (was 70)"),
    ("export netbox {lab} -o /dev/null/x.json", 2, "under a file (was 70 elsewhere)"),
    ("render {lab} --out /dev/null/x", 2, "out under a file (was 70)"),
    ("render {lab} --jobs 0 --out {tmp}/r", 2, "no worker"),
    ("maintenance {lab} --alertmanager http://127.0.0.1:9 --site beicheng --hours nan", 2, "NaN"),
    (
        "maintenance {lab} --alertmanager http://127.0.0.1:9 --site beicheng --hours -1",
        2,
        "negative",
    ),
    # deploy and backup options (refused before any device is touched)
    ("deploy {lab} --canary -1", 2, "negative canaries (was 70)"),
    ("deploy {lab} --batch 0", 2, "empty batches (was 70)"),
    ("deploy {lab} --max-failures -1", 2, "negative (was 70)"),
    ("deploy {lab} --revert-in 0", 2, "no rollback timer (was 70)"),
    ("deploy {lab} --workers 0", 2, "no worker (was 70)"),
    ("deploy {lab} --hold nan", 2, "NaN hold"),
    ("deploy {lab} --verify-timeout inf", 2, "infinite post-check"),
    ("backup {lab} --workers 0", 2, "no worker"),
    # control characters and line separators in command-line names
    ("plan {lab} --demand a\u2028b:lab>beicheng=5M", 2, "U+2028 in a demand name"),
    ("plan {lab} --demand a\u0085b:lab>beicheng=5M", 2, "U+0085 in a demand name"),
    ("inspect {lab} --device lab-core1\x1b[2J", 2, "ESC in a device name"),
    ("deploy {lab} --limit lab-core1\u2029", 2, "U+2029 in --limit"),
    # findings stay 1, valid input 0
    ("check {lab} --json", 1, "the lab's deliberate findings, as JSON"),
    ("prometheus-rules {lab} -o {tmp}/rules.yml", 0, "valid"),
]


@pytest.mark.parametrize(("line", "code", "why"), CASES, ids=[c[0][:60] for c in CASES])
def test_exit_code(
    line: str, code: int, why: str, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.format(lab=env / "lab", tmp=env) for a in line.split(" ")]
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse
        rc = int(exc.code or 0)
    err = capsys.readouterr().err
    assert rc == code, f"{why}: {err[-800:]}"
    assert "Traceback" not in err and "internal error" not in err
    if code == 2:
        assert err.strip(), "an input error says what is wrong"
        assert "\x1b" not in err and "\u2028" not in err and "\u0085" not in err


def test_a_process_refused_an_infinite_gap_quickly(env: Path) -> None:
    """As a real process (where the hang was): ``poll --once --gap inf`` ends at once with 2."""
    cmd = [sys.executable, "-m", "egnet.cli", "poll", str(env / "lab"), "--once", "--gap", "inf",
           "--netns", "none"]  # fmt: skip
    got = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert got.returncode == 2 and "--gap" in got.stderr and "Traceback" not in got.stderr


@pytest.mark.parametrize("which", ["plaintext vault", "vault password file"])
def test_secrets_check_reports_files_others_can_read(
    which: str, env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """§5 "files holding them 0600": a vault or password file others can read is a finding."""
    vault = env / "v.yaml"
    assert main(["secrets", "init", "--vault", str(vault), "--plaintext"]) == 0
    if which == "vault password file":
        pw = env / "pw.txt"
        pw.write_text("correct horse battery staple\n", encoding="utf-8")
        pw.chmod(0o600)
        monkeypatch.setenv("EGNET_VAULT_PASSWORD_FILE", str(pw))
        vault.unlink()
        assert main(["secrets", "init", "--vault", str(vault)]) == 0
    for name in SECRETS:
        monkeypatch.delenv(env_name(name))
    check = ["secrets", "check", str(env / "lab"), "--vault", str(vault), "--for", "render"]
    capsys.readouterr()
    assert main(check) == 0, capsys.readouterr().out
    loose = vault if which == "plaintext vault" else env / "pw.txt"
    loose.chmod(0o640)
    assert main(check) == 1
    out = capsys.readouterr().out
    assert f"{loose}: mode 0640" in out and "chmod 600" in out


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [("ospf_key", "Ospf-key\nrouter bgp 1", "control or line-separator"),
     ("bgp_password", "Bgp-pass\u2028x1", "control or line-separator"),
     ("aaa_key", "Aaa\x1b[2Jkey1", "control or line-separator"),
     ("user_noc", "Noc pass 0000001", "a device CLI may interpret"),
     ("ospf_key", "Ospf?key123", "a device CLI may interpret"),
     ("snmp_v3_priv_key", "short12", "snmp_v3_priv_key"),
     ("bgp_password", "b1", "bgp_password")],
)  # fmt: skip
def test_render_refuses_a_hostile_or_weak_secret_naming_it(
    name: str,
    value: str,
    says: str,
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """§5 and §1 through the secrets: a key that would add a config line, or is weaker than the
    policy, stops rendering before any file is written (exit 2, the secret named, not shown)."""
    for key, good in MIXED_SECRETS.items():
        monkeypatch.setenv(env_name(key), good)
    monkeypatch.setenv(env_name(name), value)
    out = env / "out"
    rc = main(["render", str(MIXED), "--out", str(out), "--device", "lab-core1"])  # huawei_vrp
    err = capsys.readouterr().err
    assert rc == 2 and name in err and says in err, err[-600:]
    assert value not in err and not out.exists()
