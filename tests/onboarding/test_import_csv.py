"""Spreadsheet import (egnet import csv) and the divisions CSV of egnet generate."""

from __future__ import annotations

from pathlib import Path

import pytest

from egnet.cli import main
from egnet.scaffold import NETWORK_YAML
from topology import load_topology
from topology.generator import read_divisions
from topology.importer import ImportFailed, import_csv

SITES_ZH = """\
名称,代码,层级,上级,核心数,机房,设备型号,运营商,线路类型,运营商2,线路类型2,备注
示例省,99,省,,,,,,,,,
示例市,9901,市,99,,,,telecom,sdh_stm1,unicom,sdh_stm1,
东县,990121,县,9901,1,a,,telecom,mstp_100m,mobile,mstp_100m,only one core
西区,990102,县级,9901,,,,,,,,
桥头镇,990121101,乡镇,990121,,,,,,,,
河西街道,990102001,4,990102,,,,telecom,mstp_20m,unicom,mstp_20m,
"""
DEVICES = """\
site,role,index,hostname,model,building
990102,core,1,XQ-NE40-01,,a
990102,core,2,XQ-NE40-02,,b
990121101,access,,,AR6120,
"""
CIRCUITS = """\
线路编号,A端设备,B端设备,线路类型,运营商,管道
xiqu-x1,XQ-NE40-01,shilishi-dong-core1,mstp_100m,telecom,
"""


def _write(folder: Path, **files: str) -> dict[str, str]:
    out = {}
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
        out[name] = str(folder / f"{name}.csv")
    return out


def test_import_chinese_sheets_gives_a_valid_inventory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = _write(tmp_path, sites=SITES_ZH, devices=DEVICES, circuits=CIRCUITS)
    inv = tmp_path / "inv"
    args = ["import", "csv", str(inv), "--sites", f["sites"], "--devices", f["devices"]]
    assert main([*args, "--circuits", f["circuits"]]) == 0
    topo = load_topology(inv)
    assert {s.tier.value for s in topo.sites.values()} == {"province", "city", "county", "township"}
    dong = topo.sites["shilishi-dong"]
    assert (
        dong.label == "东县" and len(dong.devices) == 1 and dong.buildings == ("shilishi-dong/a",)
    )
    assert topo.sites["shilishi-xi"].devices == ("XQ-NE40-01", "XQ-NE40-02")
    assert topo.devices["dong-qiaotou-ar1"].model == "AR6120"
    hexi = [c for c in topo.circuits.values() if c.role.value == "uplink" and "xi-hexi" in c.id]
    assert sorted(c.carrier for c in hexi) == ["telecom", "unicom"]
    assert "xiqu-x1" in topo.circuits and (inv / "ipam.lock.json").is_file()
    assert main(["validate", str(inv)]) == 0
    # a second import refuses to overwrite without --force
    capsys.readouterr()
    assert main(args) == 2 and "--force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    assert "xiqu-x1" not in load_topology(inv).circuits


def test_import_english_headers_and_generated_ids(tmp_path: Path) -> None:
    sites = "name,code,tier,parent,id\n测试省,98,province,,\n测试市,9801,city,98,tcity\n"
    files = import_csv(sites)
    assert set(files) == {"province.yaml", "cities/9801-tcity.yaml"}
    (tmp_path / "network.yaml").write_text(NETWORK_YAML, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    topo = load_topology(tmp_path)
    assert topo.sites["ceshi"].label == "测试省" and topo.sites["tcity"].parent == "ceshi"


@pytest.mark.parametrize(
    ("sites", "expected"),
    [
        ("name,code,tier,parent,colour\nA省,1,1,,\n", "sites.csv:1: column 'colour' unknown column"),
        ("name,code,parent\nA省,1,\n", "sites.csv:1: missing column 'tier'"),
        ("name,code,tier,parent\nA省,1,1,\nB市,11,city,12\n",
         "sites.csv:3: column 'parent' must hold the code or id of a province in this file; '12' is not"),
        ("name,code,tier,parent\nA省,1,1,\nB,11,village,1\n",
         "sites.csv:3: column 'tier' must hold province, city, county or township"),
        ("name,code,tier,parent,cores\nA省,1,1,,\nB市,11,2,1,9\n",
         "sites.csv:3: column 'cores' must hold a whole number from 1 to 4; got '9'"),
        ("name,code,tier,parent\nA省,1,1,\nB市,1-1,2,1\n",
         "sites.csv:3: column 'code' must hold the division code"),
        ("name,code,tier,parent\nA省,1,1,\nB\u2028市,11,2,1\n",
         "sites.csv:3: column 'name' must not hold control or line-separator characters"),
        ("name,code,tier,parent\nA市,11,2,\n", "sites.csv:1: column 'tier' must name exactly one province"),
        ("name,code,tier,parent,carrier\nA省,1,1,,\nB市,11,2,1,telecom\n",
         "sites.csv:3: column 'type' must be given with column 'carrier'"),
    ],
)  # fmt: skip
def test_import_errors_name_line_column_and_what_it_must_hold(sites: str, expected: str) -> None:
    with pytest.raises(ImportFailed) as exc:
        import_csv(sites)
    assert any(p.startswith(expected) for p in exc.value.problems), exc.value.problems


def test_import_reports_every_problem_of_a_sheet_in_one_pass() -> None:
    sites = "name,code,tier,parent,cores\nA省,1,1,,\nB市,11,2,9,\nC县,111,3,11,7\n,112,3,11,\n"
    with pytest.raises(ImportFailed) as exc:
        import_csv(sites)
    lines = sorted(p.split(":")[1] for p in exc.value.problems)
    assert lines == ["3", "4", "5"]


def test_import_device_and_circuit_errors() -> None:
    sites = "name,code,tier,parent\nA省,1,1,\nB市,11,2,1\nC县,111,3,11\nD镇,111001,4,111\n"
    devices = "site,role,index,hostname\n111,core,1,c1\n111,core,1,c2\n111001,core,,\nzz,core,,\n"
    with pytest.raises(ImportFailed) as exc:
        import_csv(sites, devices)
    text = "\n".join(exc.value.problems)
    assert "devices.csv:3: column 'index' core 1 of b-c is already on line 2" in text
    assert "devices.csv:4: column 'role' must be access for a township" in text
    assert "devices.csv:5: column 'site' must hold the code or id of a site" in text
    circuits = "id,a,b,type,carrier,cost\nx1,nope,b-core1,mstp_100m,telecom,\nx1,a-core1,b-core1,t,c,99999999\n"
    with pytest.raises(ImportFailed) as exc:
        import_csv(sites, None, circuits)
    text = "\n".join(exc.value.problems)
    assert "circuits.csv:2: column 'a' must name a device of the imported sites" in text
    assert "circuits.csv:3: column 'id' duplicate circuit id x1" in text


def test_import_cli_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "s.csv"
    bad.write_bytes(b"name,code\n\xff\xfe\n")
    assert main(["import", "csv", str(tmp_path / "inv"), "--sites", str(bad)]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert not (tmp_path / "inv").exists()


def test_divisions_numeric_level_and_located_errors() -> None:
    root = read_divisions("level,code,name,parent_code\n1,36,江西省,\n2,3601,南昌市,36\n")
    assert root.level == "province" and root.children[0].level == "city"
    bom = "\ufefflevel,code,name,parent_code\n省,36,江西省,\n市,3601,南昌市,36\n"
    assert read_divisions(bom).children[0].name == "南昌市"
    cases = {
        "level,code,name\n": "divisions.csv:1: missing column(s) parent_code",
        "level,code,name,parent_code\n1,36,江西省,\n3,360102,东湖区,36\n":
            "divisions.csv:3: column 'parent_code': the parent of a county must be a city",
        "level,code,name,parent_code\n1,36,江西省,\n2,3601,南昌市,35\n":
            "divisions.csv:3: column 'parent_code' must hold the code of a province defined on an earlier line",
        "level,code,name,parent_code\n7,36,江西省,\n": "divisions.csv:2: column 'level' must hold province",
        "level,code,name,parent_code\n1,36,,\n": "divisions.csv:2: column 'name' must hold",
        "level,code,name,parent_code\n2,3601,南昌市,\n": "divisions.csv:2: column 'parent_code' must hold",
    }  # fmt: skip
    for text, expected in cases.items():
        with pytest.raises(ValueError) as exc:
            read_divisions(text)
        assert str(exc.value).startswith(expected), str(exc.value)


def test_generate_cli_numeric_levels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "source"
    src.mkdir()
    (src / "overrides.yaml").write_text("{}\n", encoding="utf-8")
    (src / "divisions.csv").write_text(
        "level,code,name,parent_code\n1,36,江西省,\n2,3601,南昌市,36\n3,360102,东湖区,3601\n"
        "4,360102002,滕王阁街道,360102\n",
        encoding="utf-8",
    )
    assert main(["generate", str(tmp_path)]) == 0
    assert "滕王阁街道" in (tmp_path / "cities" / "3601-nanchang.yaml").read_text(encoding="utf-8")
    (src / "divisions.csv").write_text(
        "level,code,name,parent_code\n9,36,江西省,\n", encoding="utf-8"
    )
    assert main(["generate", str(tmp_path)]) == 2
    assert "divisions.csv:2: column 'level' must hold" in capsys.readouterr().err
    (src / "overrides.yaml").write_text("sites: [1]\n", encoding="utf-8")
    assert main(["generate", str(tmp_path)]) == 2
