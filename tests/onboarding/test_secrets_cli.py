"""Secrets: one-pass check, policy (RFC 3414, the configs' password policy, vendor limits), vaults."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import onboarding_env
import pytest
import yaml

from egnet.cli import main
from egnet.secrets_cmds import lab_secrets
from topology import load_topology
from topology.diagnostics import OperationError
from topology.secrets import (
    Purpose,
    Secrets,
    check_secrets,
    env_name,
    rules_for,
    secret_rules,
    write_vault_file,
)

clean_env = onboarding_env.clean_env  # the shared fixture

ROOT = Path(__file__).resolve().parents[2]
JX = ROOT / "inventory" / "jiangxi"
LAB = ROOT / "inventory" / "lab"
JX_RENDER = {"ospf_key", "bgp_password", "aaa_key", "user_netadmin", "user_noc",
             "snmp_v3_auth_key", "snmp_v3_priv_key", "ntp_key", "ldp_key"}  # fmt: skip
GOOD = {
    "ntp_key": "Ntp0key1secret",
    "ldp_key": "Ldp0key1x",
    "ospf_key": "Ospf0key1x",
    "bgp_password": "Bgp0pass1word",
    "aaa_key": "Aaa0shared1key",
    "user_netadmin": "Netadmin0pass1",
    "user_noc": "Nocuser0pass12",
    "snmp_v3_auth_key": "Auth0key1snmp",
    "snmp_v3_priv_key": "Priv0key1snmp",
    "ssh_username": "egnetops",
    "ssh_password": "Ssh0password12",
    "snmp_v3_user": "egnms",
    "snmp_community": "Ro0community",
}


def test_check_jiangxi_lists_every_missing_secret_in_one_run(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["secrets", "check", str(JX), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    missing = {p["name"] for p in data["problems"] if p["problem"] == "missing"}
    assert missing == JX_RENDER | {"ssh_username", "ssh_password", "snmp_v3_user"}
    assert main(["secrets", "check", str(JX), "--for", "render"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "9 secret(s) missing or weak" in out
    assert all(f"{n}: missing" in out for n in JX_RENDER)


def test_check_names_weak_secrets_and_never_their_values(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    values = dict(GOOD)
    values["snmp_v3_auth_key"] = "Ab3de"  # RFC 3414: at least 8
    values["user_noc"] = "Short1pass"  # 10 < management.password.min_length 12
    values["ospf_key"] = "Ospf0key1x-17char"  # keyed MD5 holds 16
    values["bgp_password"] = "Bgp0 pass1word"  # a space splits the CLI command
    values["aaa_key"] = "Aaa0shared\nkey"  # a newline would inject a config line
    for k, v in values.items():
        monkeypatch.setenv(env_name(k), v)
    assert main(["secrets", "check", str(JX), "--json"]) == 1
    text = capsys.readouterr().out
    problems = {p["name"]: p["problem"] for p in json.loads(text)["problems"]}
    assert set(problems) == {"snmp_v3_auth_key", "user_noc", "ospf_key", "bgp_password", "aaa_key"}
    assert (
        "at least 8" in problems["snmp_v3_auth_key"] and "RFC 3414" in problems["snmp_v3_auth_key"]
    )
    assert "at least 12" in problems["user_noc"]
    assert "at most 16" in problems["ospf_key"]
    assert "control" in problems["aaa_key"]
    for v in ("Ab3de", "Short1pass", "Ospf0key1x-17char", "Bgp0 pass1word"):
        assert v not in text


def test_policy_follows_the_inventory_password_policy(tmp_path: Path) -> None:
    lab = load_topology(LAB)
    strict = lab.management.model_copy(
        update={"password": lab.management.password.model_copy(update={"min_length": 16})}
    )
    rules = rules_for(secret_rules(strict), [Purpose.RENDER], ["user_noc"])
    values = {"user_noc": "Nocuser0pass12"}  # 14 characters
    problems = check_secrets(values.get, rules)
    assert [p.name for p in problems] == ["user_noc"] and "at least 16" in problems[0].problem


def test_render_preflight_names_every_failing_secret(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(env_name("ospf_key"), "Ab1cd")  # the lab renders FRR: ospf + bgp only
    assert main(["render", str(LAB), "--out", str(clean_env / "out")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "ospf_key: too short" in err and "bgp_password: missing" in err
    assert "Ab1cd" not in err and not (clean_env / "out").exists()


def test_secrets_init_is_strong_private_and_never_overwrites(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = os.umask(0)
    try:
        assert main(["secrets", "init", str(JX), "--vault", "v.yaml"]) == 0
    finally:
        os.umask(old)
    vault = clean_env / "v.yaml"
    assert vault.stat().st_mode & 0o777 == 0o600
    first = vault.read_text(encoding="utf-8")
    values = yaml.safe_load(first)
    assert set(values) >= JX_RENDER and len(set(values.values())) == len(values)
    assert main(["secrets", "check", str(JX), "--vault", "v.yaml", "--for", "render,deploy,poll,lab"]) == 0  # fmt: skip
    assert main(["secrets", "init", str(JX), "--vault", "v.yaml"]) == 2
    assert "--force" in capsys.readouterr().err and vault.read_text(encoding="utf-8") == first
    assert main(["secrets", "init", str(JX), "--vault", "v.yaml", "--force"]) == 0
    assert vault.read_text(encoding="utf-8") != first


def test_encrypted_vault_is_ansible_vault(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pw = clean_env / "pw.txt"
    pw.write_text("correct horse battery staple\n", encoding="utf-8")
    pw.chmod(0o600)  # `secrets check` reports a password file others can read
    monkeypatch.setenv("EGNET_VAULT_PASSWORD_FILE", str(pw))
    assert main(["secrets", "init"]) == 0
    vault = clean_env / ".vault.yaml"
    assert vault.read_text(encoding="utf-8").startswith("$ANSIBLE_VAULT;1.1;AES256")
    # Ansible's own tool opens it with the same password file
    exe = str(Path(sys.executable).parent / "ansible-vault")
    out = subprocess.run(
        [exe, "view", "--vault-password-file", str(pw), str(vault)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    plain = yaml.safe_load(out.stdout)
    assert Secrets().get("ospf_key") == plain["ospf_key"]
    assert main(["secrets", "check", str(LAB), "--for", "lab"]) == 0
    monkeypatch.setenv("EGNET_VAULT_PASSWORD", "wrong")
    capsys.readouterr()
    assert main(["secrets", "check", str(LAB)]) == 2
    assert "cannot decrypt the vault" in capsys.readouterr().err
    monkeypatch.delenv("EGNET_VAULT_PASSWORD")
    monkeypatch.delenv("EGNET_VAULT_PASSWORD_FILE")
    with pytest.raises(OperationError, match="vault is encrypted"):
        Secrets()


def test_plaintext_vault_still_works_with_a_warning(
    clean_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (clean_env / ".vault.yaml").write_text("ospf_key: Ospf0key1x\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="topology.secrets"):
        assert Secrets().get("ospf_key") == "Ospf0key1x"
    assert "plaintext vault" in caplog.text and "readable by other users" in caplog.text


def test_lab_secrets_generated_once_into_a_private_vault(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env_name("ssh_username"), "egnetlab")
    topo = load_topology(LAB)
    path = clean_env / "build" / "lab-secrets.yaml"
    secrets, made = lab_secrets(topo, path)
    assert "ssh_username" not in made and {"ospf_key", "snmp_v3_auth_key", "ssh_password"} <= set(
        made
    )
    assert path.stat().st_mode & 0o777 == 0o600
    assert secrets.get("ssh_username") == "egnetlab"
    again, made2 = lab_secrets(topo, path)
    assert made2 == [] and again.get("ospf_key") == secrets.get("ospf_key")
    assert "egnetlab" not in path.read_text(encoding="utf-8")


def test_write_private_refuses_symlinks_and_existing_files(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("x", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(OperationError):
        write_vault_file(link, "secret", force=True)
    assert target.read_text(encoding="utf-8") == "x"
    old = os.umask(0o022)
    try:
        write_vault_file(tmp_path / "build" / "vault.yaml", "a")  # a lab vault under build/
    finally:
        os.umask(old)
    assert (tmp_path / "build" / "vault.yaml").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "build").stat().st_mode & 0o001  # build/ stays searchable for the lab
    write_vault_file(tmp_path / "new", "a")
    with pytest.raises(OperationError, match="--force"):
        write_vault_file(tmp_path / "new", "b")
