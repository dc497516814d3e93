"""Issue 9 §5 re-checked: masking where the other tests do not look.

- ``egnet change add-department`` after the keys were rotated (the backups hold the old keys, the
  model renders the new ones), so the remediation would carry OSPF/BGP/AAA/SNMP keys: neither old
  nor new values may reach the change record, the command's text or ``--json`` output, or the
  backup repository's git history (``git log -p --all``);
- secret-bearing command forms an operator may have typed by hand, which egnet never renders
  (IOS key chains, ``ip ospf authentication-key``, HSRP/VRRP text keys, v2c trap hosts, IKE
  pre-shared keys, IS-IS area/domain passwords, VRP keys without cipher/plain, trap target
  community names), in drift text and JSON.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from test_change_departments import SECRETS, add

from configs.masking import MASK, Masker, mask_commands
from configs.render import render_device
from deploy.backup_repo import BackupRepo
from deploy.result import DriftResult
from egnet.cli import main
from egnet.deploy_cmds import mask_drift, report_drift
from topology import load_topology
from topology.secrets import Secrets, env_name

ROOT = Path(__file__).resolve().parents[2]
MIXED = ROOT / "tests" / "render" / "inventory"
OLD = {k: v.replace("test", "old0") for k, v in SECRETS.items()}


def test_change_after_key_rotation_leaks_no_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(MIXED, inv)
    repo = BackupRepo(tmp_path / "repo").init()
    topo = load_topology(inv)
    old = Secrets(env={env_name(k): v for k, v in OLD.items()}, vault=tmp_path / "none.yaml")
    for h in topo.devices:
        repo.write_config(h, render_device(topo, h, old))
    repo.commit("backup with the old keys", ("configs",))
    for k, v in SECRETS.items():
        monkeypatch.setenv(env_name(k), v)
    monkeypatch.setenv("EGNET_VAULT", str(tmp_path / "none.yaml"))
    capsys.readouterr()
    assert main([*add(inv, repo.path, "lab-rot", "lab"), "--json"]) == 0
    out = capsys.readouterr()
    record = (repo.path / "changes" / "CHG-lab-rot.yaml").read_text(encoding="utf-8")
    history = subprocess.run(["git", "-C", str(repo.path), "log", "-p", "--all"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    # the test can fail: the remediation really changes keys (masked), and git holds the record
    assert MASK in record and "CHG-lab-rot" in history
    json.loads(out.out[out.out.index("{") :])
    new_keys = [v for k, v in SECRETS.items() if not k.startswith("user_")]
    for value in new_keys:
        assert value not in record and value not in out.out and value not in out.err, value
    # git history holds the backups (the old keys, as the devices store them) but the change
    # record added to it holds no key, old or new
    added = history[: history.index("backup with the old keys")]
    for value in [*new_keys, *OLD.values()]:
        assert value not in added, value


HAND_TYPED = [
    ("cisco_ios", " ip ospf authentication-key 7 Hk1-hand-typed"),
    ("cisco_ios", "  key-string 7 Hk1-hand-typed"),
    ("cisco_ios", "snmp-server host 192.0.2.9 version 2c Hk1-hand-typed"),
    ("cisco_ios", " standby 1 authentication md5 key-string Hk1-hand-typed"),
    ("cisco_ios", " standby 1 authentication Hk1-hand-typed"),
    ("cisco_ios", " vrrp 1 authentication text Hk1-hand-typed"),
    ("cisco_ios", " pre-shared-key Hk1-hand-typed"),
    ("cisco_ios", " area-password Hk1-hand-typed"),
    ("hp_comware", "snmp-agent target-host trap address udp-domain 192.0.2.9 params securityname Hk1-hand-typed v2c"),
    ("huawei_vrp", " ospf authentication-mode md5 1 Hk1-hand-typed"),
    ("huawei_vrp", "snmp-agent target-host trap address udp-domain 192.0.2.9 params securityname Hk1-hand-typed v2c"),
    ("frr", " isis password md5 Hk1-hand-typed"),
    ("frr", " domain-password clear Hk1-hand-typed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("platform", "line"), HAND_TYPED, ids=[x[1].strip()[:40] for x in HAND_TYPED]
)
def test_hand_typed_secret_forms_are_masked_in_drift(
    platform: str, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "Hk1-hand-typed" not in mask_commands(line, platform)
    r = DriftResult(device="r1", platform=platform, drifted=True,
                    diff=f"--- running\n+++ intended\n-{line}\n")  # fmt: skip
    masked = mask_drift(r, Masker())
    for as_json in (False, True):
        report_drift([masked], as_json=as_json)
    out = capsys.readouterr().out
    assert "Hk1-hand-typed" not in out and MASK in out


@pytest.mark.parametrize(
    ("platform", "line"),
    [("cisco_ios", "snmp-server host 192.0.2.9 version 3 priv nms-user"),
     ("cisco_ios", " standby 1 authentication md5 key-chain HSRP-KEYS"),
     ("cisco_ios", "ntp authentication-key 1 md5 KEYVAL 7"),
     ("huawei_vrp", " ospf authentication-mode md5 1 cipher KEYVAL")],
)  # fmt: skip
def test_new_rules_mask_only_the_key(platform: str, line: str) -> None:
    got = mask_commands(line, platform)
    assert "KEYVAL" not in got
    assert got.replace(MASK, "KEYVAL") == line or "KEYVAL" not in line


def test_audit_evidence_masks_keys_in_text_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`egnet audit` quotes config lines as evidence (SNMPv3 user, AAA key, local users): with
    their keys in clear, until masked like every diff."""
    for k, v in SECRETS.items():
        monkeypatch.setenv(env_name(k), v)
    monkeypatch.setenv("EGNET_VAULT", str(tmp_path / "none.yaml"))
    out = tmp_path / "configs"
    assert main(["render", str(MIXED), "--out", str(out), "--jobs", "1"]) == 0
    assert SECRETS["snmp_v3_auth_key"] in (out / "beicheng-core1.cfg").read_text(encoding="utf-8")
    capsys.readouterr()
    main(["audit", str(out), "--json", "--jobs", "1"])
    as_json = capsys.readouterr().out
    main(["audit", str(out), "--all", "--jobs", "1"])
    text = capsys.readouterr().out
    assert "snmp-agent usm-user" in as_json and MASK in as_json  # evidence is still quoted
    for value in SECRETS.values():
        assert value not in as_json and value not in text, value
