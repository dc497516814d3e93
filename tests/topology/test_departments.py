"""Departments: model, allocation, located errors, the register CSV, and `egnet change`."""

from __future__ import annotations

import ipaddress
import json
import shutil
from pathlib import Path

import pytest

from egnet.cli import main
from topology import load_topology
from topology.departments import DEPARTMENTS_FILE, DEPARTMENTS_LOCK, departments_from_csv
from topology.diagnostics import InventoryError

LAB = Path(__file__).resolve().parents[2] / "inventory" / "lab"

ADD = [
    "change", "add-department", "--id", "xiqu-jyj", "--name", "西区教育局",
    "--code", "11360102MB3456789A", "--site", "beicheng-xiqu", "--contact-name", "赵敏",
    "--contact-phone", "0791-1234567", "--approval", "北政外网〔2024〕40号",
    "--approval-date", "2024-09-01", "--zones", "public,internet", "--ce-model", "frr-switch",
]  # fmt: skip


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    dst = tmp_path / "lab"
    shutil.copytree(LAB, dst)
    return dst


def test_lab_departments_are_allocated_inside_their_zone_blocks() -> None:
    topo = load_topology(LAB)
    assert set(topo.departments) == {"beicheng-czj", "dongxian-wjw"}
    vlans: dict[str, set[int]] = {}
    for d in topo.departments.values():
        cores = [h for h in topo.sites[d.site].devices if topo.devices[h].role.value == "core"]
        assert d.pe == tuple(cores)
        for a in d.attachments:
            block = next(b.prefix for b in topo.zones[a.zone].blocks if b.site == d.site)
            net = ipaddress.ip_network(a.prefix)
            top = list(ipaddress.ip_network(block).subnets(prefixlen_diff=1))[1]
            assert net.subnet_of(top)  # type: ignore[arg-type]
            assert a.gateway == str(next(net.hosts()))
            assert a.vlan not in vlans.setdefault(d.site, set())
            vlans[d.site].add(a.vlan)
    assert topo.departments["beicheng-czj"].internet == "level-egress"
    assert topo.departments["dongxian-wjw"].internet == "none"


def test_adding_a_department_renumbers_no_other(inv: Path) -> None:
    before = load_topology(inv)
    (inv / DEPARTMENTS_LOCK).write_text(
        json.dumps(
            {
                d.id: {a.zone: {"vlan": a.vlan, "prefix": a.prefix} for a in d.attachments}
                for d in before.departments.values()
            }
        ),
        encoding="utf-8",
    )
    text = (inv / DEPARTMENTS_FILE).read_text(encoding="utf-8")
    # a new department *first* in the file: without the lock it would take the others' blocks
    new = (
        "departments:\n  - id: bc-new\n    name: 新单位\n    code: 11360100MB9999999X\n"
        "    site: beicheng\n    contact: {name: 甲, phone: '0791-1'}\n"
        "    registration: {approval: 批1, date: 2025-01-01}\n    zones: [public]\n"
        "    ce: {model: frr-switch}\n"
    )
    (inv / DEPARTMENTS_FILE).write_text(new + text.split("departments:\n", 1)[1], encoding="utf-8")
    after = load_topology(inv)
    for did, d in before.departments.items():
        assert after.departments[did].attachments == d.attachments
    assert after.departments["bc-new"].attachments[0].prefix not in {
        a.prefix for d in before.departments.values() for a in d.attachments
    }


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("zones: [public]", "zones: [public, nosuch]", "unknown zone 'nosuch'"),
        ("code: 12360101MB2345678Y", "code: AB-123", "unified social credit code"),
        ("name: 东县卫生健康委员会", 'name: "东县\\u2028router bgp 1"', "U+2028"),
        ("date: 2024-06-18", "date: 2024-13-40", "date"),
        ("id: dongxian-wjw", "id: beicheng-czj", "duplicate department id"),
        ("model: frr-switch}\n    prefix_len", "model: frr-router}\n    prefix_len", "CE model"),
        (
            "site: beicheng\n",
            "site: lab-cloud\n",
            "zone 'internet' has no block at site 'lab-cloud'",
        ),
        ("dhcp_relay: 10.0.0.10", "dhcp_relay: 10.0.0.300", "IPv4"),
        ("site: beicheng-dongxian\n", "site: dongxian-qiaotou\n", "is a township"),
        ("prefix_len: 28", "prefix_len: 22", "greater than or equal to 24"),
    ],
)
def test_bad_departments_are_located_errors(inv: Path, old: str, new: str, message: str) -> None:
    path = inv / DEPARTMENTS_FILE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InventoryError) as err:
        load_topology(inv)
    rendered = err.value.render()
    assert message in rendered, rendered
    assert f"{DEPARTMENTS_FILE}:" in rendered


def test_register_csv_errors_name_row_and_column() -> None:
    head = "id,name,code,site,contact_name,contact_phone,approval,approval_date,zones,ce_model\n"
    rows, errs = departments_from_csv(
        head + "ok-one,甲,11360100MB1234567X,beicheng,张,0791-1,批,2024-01-01,public,frr-switch\n"
        "Bad Id,乙,123,beicheng,张,0791-1,批,2024-02-30,public,frr-switch\n",
        "reg.csv",
    )
    assert [r["id"] for r in rows] == ["ok-one"]
    text = "\n".join(e.render() for e in errs)
    assert "reg.csv:3:1: error: row 3.id" in text
    assert "row 3.code" in text and "row 3.approval_date" in text
    _, errs = departments_from_csv("id,name\n", "r.csv")
    assert "missing columns" in errs[0].message


def test_change_add_then_remove_restores_the_inventory(
    inv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*ADD[:2], str(inv), *ADD[2:], "--dry-run"]) == 0
    assert "xiqu-jyj" not in (inv / DEPARTMENTS_FILE).read_text(encoding="utf-8")
    capsys.readouterr()
    assert main([*ADD[:2], str(inv), *ADD[2:], "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["departments"]["xiqu-jyj"]["devices"] == [
        "beicheng-xiqu-core1", "beicheng-xiqu-core2", "xiqu-jyj-ce1"
    ]  # fmt: skip
    assert set(out["departments"]["xiqu-jyj"]["after"]) == {"public", "internet", "internet-exit"}
    topo = load_topology(inv)
    assert "xiqu-jyj" in topo.departments
    lock = json.loads((inv / DEPARTMENTS_LOCK).read_text(encoding="utf-8"))
    assert set(lock) == set(topo.departments)
    # comments of the hand-written file survive the round trip
    assert "# Departments (接入单位)" in (inv / DEPARTMENTS_FILE).read_text(encoding="utf-8")
    assert main(["change", "remove-department", str(inv), "xiqu-jyj"]) == 0
    assert set(load_topology(inv).departments) == {"beicheng-czj", "dongxian-wjw"}


def test_an_invalid_change_writes_nothing(inv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (inv / DEPARTMENTS_FILE).read_text(encoding="utf-8")
    bad = [a if a != "public,internet" else "public,nosuch" for a in ADD]
    rc = main([*bad[:2], str(inv), *bad[2:]])
    assert rc != 0
    err = capsys.readouterr().err
    assert f"{inv}/{DEPARTMENTS_FILE}:" in err and "unknown zone 'nosuch'" in err
    assert (inv / DEPARTMENTS_FILE).read_text(encoding="utf-8") == text
    assert not (inv / DEPARTMENTS_LOCK).exists()


def test_move_department_changes_its_site_and_blocks(inv: Path) -> None:
    before = load_topology(inv).departments["dongxian-wjw"]
    assert (
        main(["change", "move-department", str(inv), "dongxian-wjw", "--site", "beicheng-xiqu"])
        == 0
    )
    after = load_topology(inv).departments["dongxian-wjw"]
    assert after.site == "beicheng-xiqu" and after.pe != before.pe
    assert after.attachments[0].prefix != before.attachments[0].prefix
