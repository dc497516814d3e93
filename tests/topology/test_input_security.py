"""Config injection and hostile input (issue 9 §1, §4): no text that reaches a device or a report can
carry a control character, a line separator or a CLI special, and the render step re-checks its output.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from configs.render import RenderOutputError, check_output, render_device
from egnet.cli import main
from planner import html as html_report
from planner.model import build_model
from planner.report import plan_result
from planner.result import RunInfo, WhatIf
from topology import load_topology
from topology.demands import DemandsFile
from topology.schema import CityFile, NetworkFile, ProvinceFile
from topology.secrets import Secrets, env_name
from topology.source import Limits, parse_yaml, read_yaml
from topology.text import bad_char, device_text

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventory" / "lab"
MIXED = ROOT / "tests" / "render" / "inventory"  # has a management section
SECRETS = {
    "ospf_key": "sec-ospf-key-001",  # keyed MD5 holds 16 characters (secret policy)
    "bgp_password": "sec-bgp-pass-0001",
    "aaa_key": "sec-aaa-key-00001",
    "user_netadmin": "Sec-netadmin-pass-1",
    "user_noc": "Sec-noc-pass-000001",
    "snmp_v3_auth_key": "sec-snmp-auth-key",
    "snmp_v3_priv_key": "sec-snmp-priv-key",
}
#: each must be refused in every string of the inventory, identifier or free text
HOSTILE = ("\r", "\n", "\x0b", "\x0c", "\x00", "\x1b", "\x07", "\u2028", "\u2029", "\u0085",
           "\u200b", "\ufeff", "|", "#", "!", "?")  # fmt: skip
FILES: list[tuple[Path, type[BaseModel]]] = [
    (LAB / "network.yaml", NetworkFile),
    (LAB / "province.yaml", ProvinceFile),
    (LAB / "cities" / "9901-beicheng.yaml", CityFile),
    (LAB / "cities" / "9902-nancheng.yaml", CityFile),
    (LAB / "demands.yaml", DemandsFile),
    (MIXED / "network.yaml", NetworkFile),
]


def _strings(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], bool]]:
    """Every string of the data: (path, is_key)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*path, key), True
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, (*path, i))
    elif isinstance(data, str):
        yield path, False


def _poison(data: Any, path: tuple[Any, ...], is_key: bool, bad: str) -> Any:
    out = copy.deepcopy(data)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if is_key:
        parent[f"{last}{bad}x"] = parent.pop(last)
    else:
        parent[last] = f"{parent[last]}{bad}x"
    return out


@pytest.mark.parametrize(
    ("path", "model"), FILES, ids=[f"{p.parent.name}/{p.name}" for p, _ in FILES]
)
def test_no_string_of_the_inventory_takes_hostile_characters(
    path: Path, model: type[BaseModel]
) -> None:
    """Each string (value or mapping key) of real inventories, with a hostile character added, is refused."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    model.model_validate(data)  # the file itself is valid
    strings = list(_strings(data))
    assert len(strings) > 10
    accepted = []
    for where, is_key in strings:
        for bad in HOSTILE:
            try:
                model.model_validate(_poison(data, where, is_key, bad))
            except ValidationError:
                continue
            accepted.append((where, is_key, bad))
    assert not accepted, accepted[:10]


@pytest.mark.parametrize(
    "text",
    ["a\rb", "a\vb", "a\fb", "a\u2028b", "a\u2029b", "\x1b[31m", "nul\x00", "bell\x07", "a|b", "a#b",
     "a!b", "a?b", "a%b", 'a"b', "a^b", "a\\b", "a`b", "\u3000x", "x\u00a0y", " lead", "trail "],
)  # fmt: skip
def test_device_text_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not allowed"):
        device_text(text)


def test_device_text_accepts_names_and_labels() -> None:
    for text in (
        "北城市",
        "实验省电子政务外网 (lab)",
        "SDH STM-1 155M",
        "Authorised use only.",
        "a/b, c",
    ):
        assert device_text(text) == text and bad_char(text) is None


def test_render_rechecks_its_output() -> None:
    """A description that slipped past the model (here forced in) is caught by the render step."""
    topo = load_topology(LAB)
    dev = topo.devices["lab-core1"]
    itf = next(i for i in dev.interfaces if i.circuit)
    evil = itf.model_copy(
        update={"description": "to x\rrouter bgp 666\r neighbor 6.6.6.6 remote-as 666"}
    )
    dev2 = dev.model_copy(
        update={"interfaces": tuple(evil if i is itf else i for i in dev.interfaces)}
    )
    bad = topo.model_copy(update={"devices": {**topo.devices, "lab-core1": dev2}})
    secrets = Secrets(env={env_name(k): v for k, v in SECRETS.items()}, vault=Path("/nonexistent"))
    assert "router bgp" in render_device(topo, "lab-core1", secrets)  # the honest config renders
    with pytest.raises(
        RenderOutputError, match=r"device lab-core1: rendered config line \d+: character U\+000D"
    ):
        render_device(bad, "lab-core1", secrets)
    assert RenderOutputError.exit_code == 70


@pytest.mark.parametrize(
    "bad", ["\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\x00", "\t", "\u200e"]
)
def test_check_output_refuses_every_other_line_break(bad: str) -> None:
    with pytest.raises(RenderOutputError):
        check_output("r1", f"interface eth0\n description a{bad}b\n")
    with pytest.raises(RenderOutputError, match="characters long"):
        check_output("r1", "x" * 5000)
    check_output("r1", "hostname r1\n description 北城市 core\n!\n")


def test_render_self_check_failure_exits_70(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import jinja2

    for name, value in SECRETS.items():
        monkeypatch.setenv(env_name(name), value)
    monkeypatch.setenv("EGNET_VAULT", str(tmp_path / "none.yaml"))
    real = jinja2.Template.render
    monkeypatch.setattr(
        jinja2.Template, "render", lambda self, *a, **k: real(self, *a, **k) + "x\u2028y\n"
    )
    rc = main(
        ["render", str(LAB), "--out", str(tmp_path / "out"), "--device", "lab-core1", "--jobs", "1"]
    )
    err = " ".join(capsys.readouterr().err.split())
    assert rc == 70 and "device lab-core1: rendered config line" in err and "U+2028" in err


def test_html_report_escapes_markup() -> None:
    """Labels may hold < > & (not control characters): the HTML report escapes them."""
    topo = load_topology(LAB)
    evil = topo.model_copy(update={"label": "<script>alert(1)</script> & co"})
    pm = build_model(evil, evil.demands, {})
    run = RunInfo(failures="none", user_failures=(), upgrades={}, growth=None, whatif=WhatIf(),
                  seconds=0.0)  # fmt: skip
    page = html_report.render(plan_result(pm, None, run))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page


def test_yaml_bounds_are_configurable_and_located() -> None:
    tight = Limits(max_depth=3, max_alias_nodes=5, max_scalar_chars=8, max_int_digits=3)
    _, errs = parse_yaml("a: [[[[1]]]]\n", "t.yaml", tight)
    assert errs and "deeper than 3" in errs[0].message and (errs[0].line, errs[0].col) == (1, 6)
    _, errs = parse_yaml("a: &x [1, 2, 3]\nb: [*x, *x]\n", "t.yaml", tight)
    assert "aliases expand to more than 5" in errs[0].message and errs[0].line == 2
    _, errs = parse_yaml("a: 123456789\n", "t.yaml", tight)
    assert "longer" in errs[0].message or "limit of 8" in errs[0].message
    _, errs = parse_yaml("a: 1234\n", "t.yaml", tight)
    assert "4 digits" in errs[0].message
    src, errs = parse_yaml("d: 2024-01-01\nx: !!str 5\ny: 0x10\n", "t.yaml")
    assert not errs and src.data == {"d": "2024-01-01", "x": "5", "y": 16}
    for text in (
        "a: !!set {x}\n",
        "a: !local x\n",
        "? [1]\n: 2\n",
        "a: 1\n---\nb: 2\n",
        "<<: {a: 1}\n",
    ):
        _, errs = parse_yaml(text, "t.yaml")
        assert errs, text


def test_special_files_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "dir.yaml").mkdir()
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    for name, needle in (("fifo.yaml", "FIFO"), ("zero.yaml", "character device"), ("dir.yaml", "folder"),
                         ("loop.yaml", "cannot read")):  # fmt: skip
        _, errs = read_yaml(tmp_path / name, name)
        assert len(errs) == 1 and needle in errs[0].message, (name, errs)
