"""`egnet change … --changes REPO`: department changes as change records holding hier_config
remediations for only the affected devices (golden files for VRP and Comware), the approval step,
and the record passing `deploy --change`'s gate."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from configs.render import render_device
from deploy.backup_repo import BackupRepo
from deploy.change import ChangeRefused, authorize, load_change
from egnet.cli import main
from topology import load_topology
from topology.secrets import env_name

ROOT = Path(__file__).resolve().parents[2]
MIXED = ROOT / "tests" / "render" / "inventory"  # province: huawei_vrp; cities: hp_comware
GOLDEN = Path(__file__).resolve().parent / "golden" / "departments"
SECRETS = {
    "ospf_key": "ospf-test-key",
    "bgp_password": "bgp-test-pass",
    "ntp_key": "ntp-test-key",
    "ldp_key": "ldp-test-key",
    "aaa_key": "aaa-test-key",
    "user_netadmin": "Netadmin-test-pass-1",
    "user_noc": "Noc-test-pass-12",
    "snmp_v3_auth_key": "snmp-auth-test-key",
    "snmp_v3_priv_key": "snmp-priv-test-key",
}
WINDOW = "2026-01-01T00:00:00+08:00/2036-01-01T00:00:00+08:00"


def add(inv: Path, repo: Path, did: str, site: str, *extra: str) -> list[str]:
    return [
        "change", "add-department", str(inv), "--id", did, "--name", "测试单位",
        "--code", "11360000MB00000025", "--site", site, "--contact-name", "孙二",
        "--contact-phone", "0791-88000002", "--approval", "省政外网〔2025〕9号",
        "--approval-date", "2025-03-01", "--zones", "public,internet", "--ce-model", "S5130S-EI",
        "--changes", str(repo), "--operator", "zhang.wei", "--requester", "wang.min",
        "--window", WINDOW, "--change-id", f"CHG-{did}", *extra,
    ]  # fmt: skip


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, BackupRepo]:
    """A copy of the mixed inventory and a backup repository holding every device's config as
    its running config (the network as it is before the change)."""
    for k, v in SECRETS.items():
        monkeypatch.setenv(env_name(k), v)
    inv = tmp_path / "inv"
    shutil.copytree(MIXED, inv)
    repo = BackupRepo(tmp_path / "repo").init()
    topo = load_topology(inv)
    from topology.secrets import Secrets

    s = Secrets()
    for h in topo.devices:
        repo.write_config(h, render_device(topo, h, s))
    repo.commit("backup", ("configs",))
    return inv, repo


def record(repo: BackupRepo, cid: str) -> dict[str, object]:
    data = yaml.safe_load((repo.path / "changes" / f"{cid}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def check_golden(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path}: missing golden: run with --update-golden"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs: review, --update-golden"


@pytest.mark.parametrize(("site", "platform"), [("lab", "huawei_vrp"), ("beicheng", "hp_comware")])
def test_add_and_remove_produce_golden_remediations_for_only_the_site_pes(
    env: tuple[Path, BackupRepo], site: str, platform: str, update_golden: bool
) -> None:
    inv, repo = env
    did = f"{site}-test"
    assert main(add(inv, repo.path, did, site)) == 0
    rec = record(repo, f"CHG-{did}")
    topo = load_topology(inv)
    pes = sorted(topo.departments[did].pe)
    assert rec["devices"] == pes  # the egress firewall's config does not change
    rem: dict[str, str] = rec["remediation"]  # type: ignore[assignment]
    assert sorted(rem) == pes
    assert rec["unmanaged"] == [f"{did}-ce1"]
    assert rec["requester"] == "wang.min" and rec["approver"] is None
    for host in pes:
        assert topo.devices[host].platform == platform
        text = rem[host]
        assert "sysname" not in text and "router bgp" not in text and "bgp " not in text
        assert text.count("interface ") == 2  # one sub-interface per zone, nothing else
    check_golden(f"add_{platform}.txt", rem[pes[0]], update_golden)
    # the deployed state: backups now hold the intended configs; removal undoes exactly that
    from topology.secrets import Secrets

    for h in pes:
        repo.write_config(h, render_device(topo, h, Secrets()))
    repo.commit("deployed", ("configs",))
    rm = [
        "change", "remove-department", str(inv), did, "--changes", str(repo.path),
        "--operator", "zhang.wei", "--window", WINDOW, "--change-id", f"CHG-{did}-rm",
    ]  # fmt: skip
    assert main(rm) == 0
    rem_rm: dict[str, str] = record(repo, f"CHG-{did}-rm")["remediation"]  # type: ignore[assignment]
    assert sorted(rem_rm) == pes
    check_golden(f"remove_{platform}.txt", rem_rm[pes[0]], update_golden)
    assert all(line.startswith("undo interface ") for line in rem_rm[pes[0]].splitlines())


def test_approval_then_the_deploy_gate_accepts_it(env: tuple[Path, BackupRepo]) -> None:
    inv, repo = env
    assert main(add(inv, repo.path, "lab-test", "lab")) == 0
    rec = load_change(repo, "CHG-lab-test")
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(ChangeRefused, match="not approved"):
        authorize(rec, list(rec.devices), now)
    for who in ("zhang.wei", "wang.min"):  # neither the operator nor the requester
        assert main(["change", "approve", "CHG-lab-test", "--changes", str(repo.path),
                     "--approver", who]) != 0  # fmt: skip
    assert main(["change", "approve", "CHG-lab-test", "--changes", str(repo.path),
                 "--approver", "li.na"]) == 0  # fmt: skip
    rec = load_change(repo, "CHG-lab-test")
    assert rec.approver == "li.na" and rec.approved_at is not None
    now = dt.datetime.now(dt.UTC)
    authorize(rec, list(rec.devices), now)  # passes
    with pytest.raises(ChangeRefused, match="does not name"):
        authorize(rec, [*rec.devices, "beicheng-core1"], now)
    assert main(["change", "approve", "CHG-lab-test", "--changes", str(repo.path),
                 "--approver", "li.na"]) != 0  # fmt: skip
    log = [m for _, m in repo.log()]
    assert any("approved by li.na" in m for m in log) and any("filed by" in m for m in log)


def test_bad_window_and_missing_operator_are_located_errors(
    env: tuple[Path, BackupRepo], capsys: pytest.CaptureFixture[str]
) -> None:
    inv, repo = env
    args = add(inv, repo.path, "lab-test", "lab")
    bad = [a if a != WINDOW else "2026-01-01T00:00:00" for a in args]
    assert main(bad) != 0
    assert "START/END" in capsys.readouterr().err
    naive = [a if a != WINDOW else "2026-01-01T00:00:00/2026-01-02T00:00:00" for a in args]
    assert main(naive) != 0
    assert "time zone" in capsys.readouterr().err
    no_op = args[: args.index("--operator")] + args[args.index("--requester") :]
    assert main(no_op) != 0
    assert not (repo.path / "changes").exists()
    assert "lab-test" not in (inv / "departments.yaml").read_text(encoding="utf-8")


def test_existing_change_id_is_refused(env: tuple[Path, BackupRepo]) -> None:
    inv, repo = env
    assert main(add(inv, repo.path, "lab-test", "lab")) == 0
    again = add(inv, repo.path, "lab-test2", "lab")
    again[again.index("--change-id") + 1] = "CHG-lab-test"
    assert main(again) != 0


def test_frr_change_without_backups_starts_from_the_intended_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """FRR has no hier_config driver: the record holds the canonical diff; with no backup the
    commands start from the intended config before the change (and the output says so)."""
    for k, v in SECRETS.items():
        monkeypatch.setenv(env_name(k), v)
    inv = tmp_path / "lab"
    shutil.copytree(ROOT / "inventory" / "lab", inv)
    repo = tmp_path / "repo"
    args = add(inv, repo, "xiqu-jyj", "beicheng-xiqu")
    args[args.index("--ce-model") + 1] = "frr-switch"
    assert main(args) == 0
    assert "no backup" in capsys.readouterr().err
    rec = record(BackupRepo(repo), "CHG-xiqu-jyj")
    assert rec["devices"] == ["beicheng-xiqu-core1", "beicheng-xiqu-core2"]
    rem: dict[str, str] = rec["remediation"]  # type: ignore[assignment]
    added = [ln for ln in rem["beicheng-xiqu-core1"].splitlines() if ln.startswith("+")]
    removed = [
        ln for ln in rem["beicheng-xiqu-core1"].splitlines()
        if ln.startswith("-") and not ln.startswith("---")
    ]  # fmt: skip
    assert removed == []
    assert len([ln for ln in added if ln.startswith("+interface ")]) == 2  # public, internet
    assert not any(ln.startswith(("+router ", "+hostname")) for ln in added)  # not a full config
    # FRR takes the VRF from the kernel: the interface line names the VLAN interface only
    assert all(" vrf " not in ln for ln in added if ln.startswith("+interface "))
    assert "+ vrrp 1 priority 120" in added
    core2 = rem["beicheng-xiqu-core2"].splitlines()
    assert "+ vrrp 1" in core2 and not any("priority" in ln for ln in core2)  # default 100
