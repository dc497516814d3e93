"""Issue 9 §1 and §4 re-checked with cases the other tests do not use.

Other fields and other characters (U+0085, U+2028, ESC, DEL, C1 CSI, bidi overrides) in a zone name,
a duct id, a department's fields and the banner; every string of ``departments.yaml`` (not in the
first test's files); and inventory mutations in other files: deep nesting and huge integers in
``departments.yaml``, a folder where a file is expected, a file where the ``cities`` folder is
expected, symlink loops, a FIFO lock file, a department lock of the wrong type. Each must be a
located error (exit 2) that shows no raw control character, never exit 70, a hang or a traceback.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from egnet.cli import main
from topology import load_topology
from topology.diagnostics import InventoryError

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventory" / "lab"
OTHER = ("\u0085", "\u2028", "\x1b[2J", "\x7f", "\x9b", "\u202e", "\t", "\r")


def _copy(tmp_path: Path) -> Path:
    inv = tmp_path / "inv"
    shutil.copytree(LAB, inv)
    return inv


def _edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    # escaped (not allow_unicode): a raw U+0085 or U+2028 in a YAML file is a line break to the
    # YAML parser, so only an escape puts the character itself into the value
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def _validate(inv: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = main(["validate", str(inv)])
    out = capsys.readouterr()
    return rc, out.err + out.out


def _assert_located(rc: int, err: str, file: str) -> None:
    assert rc == 2, err[-600:]
    assert "Traceback" not in err and "internal error" not in err
    assert file in err, err[-600:]
    for ch in ("\x1b", "\x7f", "\x9b", "\u0085", "\u2028", "\u202e", "\r", "\x00"):
        assert ch not in err, repr(ch)
    assert max(len(line) for line in err.splitlines()) < 1000


def _zone_name(data: Any, bad: str) -> None:
    data["zones"][f"office{bad}"] = data["zones"].pop("office")


def _duct_id(data: Any, bad: str) -> None:
    data["ducts"][f"lab-duct-1{bad}"] = data["ducts"].pop("lab-duct-1")


def _zone_label(data: Any, bad: str) -> None:
    data["zones"]["public"]["label"] = f"公用{bad}网络区"


def _banner(data: Any, bad: str) -> None:
    data.setdefault("policy", {})["banner"] = f"Authorised use only.{bad}router bgp 1"


NETWORK_EDITS = {"zone name": _zone_name, "duct id": _duct_id, "zone label": _zone_label,
                 "banner": _banner}  # fmt: skip


@pytest.mark.parametrize("bad", OTHER, ids=[f"U+{ord(b[0]):04X}" for b in OTHER])
@pytest.mark.parametrize("field", sorted(NETWORK_EDITS))
def test_other_characters_in_network_fields(
    field: str, bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inv = _copy(tmp_path)
    _edit_yaml(inv / "network.yaml", lambda d: NETWORK_EDITS[field](d, bad))
    _assert_located(*_validate(inv, capsys), "network.yaml")


def _strings(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _strings(v, (*path, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _strings(v, (*path, i))]
    return [path] if isinstance(data, str) else []


def test_every_department_string_refuses_hostile_characters(tmp_path: Path) -> None:
    """Each string of the first department (name, site, zones, CE model, contact, approval…), with
    a control or separator character added, stops the load with an error in departments.yaml."""
    inv = _copy(tmp_path)
    path = inv / "departments.yaml"
    original = yaml.safe_load(path.read_text(encoding="utf-8"))
    paths = [p for p in _strings(original) if p[1] in (0, 1)]
    assert len(paths) >= 16
    accepted = []
    for where in paths:
        for bad in ("\u0085", "\u2028", "\x1b", "\x00"):
            data = copy.deepcopy(original)
            parent = data
            for part in where[:-1]:
                parent = parent[part]
            parent[where[-1]] = f"{parent[where[-1]]}{bad}x"
            path.write_text(yaml.safe_dump(data), encoding="utf-8")
            try:
                load_topology(inv)
            except InventoryError as exc:
                text = exc.render()
                assert "departments.yaml" in text and bad not in text, (where, text)
                continue
            accepted.append((where, bad))
    assert not accepted, accepted[:8]


def _deep(inv: Path) -> None:
    (inv / "departments.yaml").write_text("departments: " + "[" * 5000 + "]" * 5000 + "\n")


def _huge_prefix(inv: Path) -> None:
    text = (inv / "departments.yaml").read_text(encoding="utf-8")
    (inv / "departments.yaml").write_text(
        text.replace("prefix_len: 28", "prefix_len: " + "9" * 400, 1), encoding="utf-8"
    )


def _bool_prefix(inv: Path) -> None:
    text = (inv / "departments.yaml").read_text(encoding="utf-8")
    (inv / "departments.yaml").write_text(
        text.replace("prefix_len: 28", "prefix_len: true", 1), encoding="utf-8"
    )


def _binary_name(inv: Path) -> None:
    text = (inv / "departments.yaml").read_text(encoding="utf-8")
    (inv / "departments.yaml").write_text(
        text.replace("name: 北城市财政局", "name: !!binary 5YyX5Z+O5biC", 1), encoding="utf-8"
    )


def _alias_bomb(inv: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    (inv / "departments.yaml").write_text("\n".join(lines) + "\ndepartments: *a8\n")


def _dir_network(inv: Path) -> None:
    (inv / "network.yaml").unlink()
    (inv / "network.yaml").mkdir()


def _dir_departments(inv: Path) -> None:
    (inv / "departments.yaml").unlink()
    (inv / "departments.yaml").mkdir()


def _dir_lock(inv: Path) -> None:
    (inv / "ipam.lock.json").unlink()
    (inv / "ipam.lock.json").mkdir()


def _cities_file(inv: Path) -> None:
    shutil.rmtree(inv / "cities")
    (inv / "cities").write_text("not a folder\n")


def _symlink_loop(inv: Path) -> None:
    (inv / "cities" / "a.yaml").symlink_to(inv / "cities" / "b.yaml")
    (inv / "cities" / "b.yaml").symlink_to(inv / "cities" / "a.yaml")


def _cities_loop(inv: Path) -> None:
    shutil.rmtree(inv / "cities")
    (inv / "cities").symlink_to(inv / "cities")


def _fifo_lock(inv: Path) -> None:
    (inv / "ipam.lock.json").unlink()
    os.mkfifo(inv / "ipam.lock.json")


def _dept_lock_wrong_type(inv: Path) -> None:
    (inv / "departments.lock.json").write_text('{"beicheng-czj": [1, 2, 3], "vlans": "x"}')


def _dept_lock_not_utf8(inv: Path) -> None:
    (inv / "departments.lock.json").write_bytes(b'{"a": "\xff\xfe"}')


def _province_utf16(inv: Path) -> None:
    text = (inv / "province.yaml").read_text(encoding="utf-8")
    (inv / "province.yaml").write_bytes(text.encode("utf-16"))


MUTATIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "deep nesting in departments": (_deep, "departments.yaml"),
    "400-digit prefix_len": (_huge_prefix, "departments.yaml"),
    "prefix_len true": (_bool_prefix, "departments.yaml"),
    "!!binary department name": (_binary_name, "departments.yaml"),
    "alias bomb in departments": (_alias_bomb, "departments.yaml"),
    "network.yaml is a folder": (_dir_network, "network.yaml"),
    "departments.yaml is a folder": (_dir_departments, "departments.yaml"),
    "ipam.lock.json is a folder": (_dir_lock, "ipam.lock.json"),
    "cities is a file": (_cities_file, "cities"),
    "symlink loop among cities": (_symlink_loop, ".yaml"),
    "cities links to itself": (_cities_loop, "cities"),
    "ipam.lock.json is a FIFO": (_fifo_lock, "ipam.lock.json"),
    "department lock of the wrong type": (_dept_lock_wrong_type, "departments.lock.json"),
    "department lock not UTF-8": (_dept_lock_not_utf8, "departments.lock.json"),
    "province.yaml in UTF-16": (_province_utf16, "province.yaml"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_inventory_mutation_is_a_located_error(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mutate, file = MUTATIONS[name]
    inv = _copy(tmp_path)
    mutate(inv)
    _assert_located(*_validate(inv, capsys), file)


@pytest.mark.parametrize("bad", ["\x1b", "\x7f", "\x9b", "\u202e", "\u2066"])
def test_render_self_check_refuses_other_characters(bad: str) -> None:
    """§1's last line with characters the first test does not use: ESC, DEL, C1 CSI, bidi."""
    from configs.render import RenderOutputError, check_output

    with pytest.raises(RenderOutputError):
        check_output("r1", f"interface eth0\n description a{bad}b\n")
