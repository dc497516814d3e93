"""Config differences as hier_config remediations (VRP, Comware), with golden files.

Two renders of the mixed-vendor render inventory differ by a rotated OSPF key, a new syslog
server and a 10G OSPF reference bandwidth (every interface cost changes). The remediation of the
VRP and Comware cores is compared with golden files; ``pytest --update-golden`` rewrites them after
a deliberate template change (review the diff).
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest
from deploy_testlib import MIXED, SECRET_VALUES, secrets, topology

from configs.diff import config_diff, hconfig, remediation
from configs.render import render_device
from topology import load_topology
from topology.model import Topology
from topology.secrets import Secrets, env_name

GOLDEN = Path(__file__).resolve().parent / "golden"
HOSTS = {"huawei_vrp": "lab-core1", "hp_comware": "beicheng-core1"}
ROTATED = {**SECRET_VALUES, "ospf_key": "ospf-rotated-key"}


@cache
def changed_topology(tmp: Path) -> Topology:
    inv = tmp / "inv"
    shutil.copytree(MIXED, inv)
    net = inv / "network.yaml"
    text = net.read_text(encoding="utf-8")
    text = text.replace("reference_bandwidth: 100G", "reference_bandwidth: 10G")
    text = text.replace("syslog_servers: [198.19.0.4]", "syslog_servers: [198.19.0.4, 198.19.0.7]")
    net.write_text(text, encoding="utf-8")
    return load_topology(inv)


def renders(platform: str, tmp: Path) -> tuple[str, str]:
    host = HOSTS[platform]
    before = render_device(topology(MIXED), host, secrets())
    env = {env_name(k): v for k, v in ROTATED.items()}
    after = render_device(changed_topology(tmp), host, Secrets(env=env, vault=tmp / "none.yaml"))
    return before, after


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("remediation")


@pytest.mark.parametrize("platform", sorted(HOSTS))
def test_remediation_matches_golden(
    platform: str, tmp: Path, request: pytest.FixtureRequest
) -> None:
    before, after = renders(platform, tmp)
    got = remediation(before, after, platform)
    path = GOLDEN / f"remediation_{platform}.txt"
    if request.config.getoption("--update-golden"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")
    # a remediation, not a line diff: undo forms, sections closed with quit, no +/- markers
    assert "undo " in got and "\n quit\n" in got
    assert not any(ln.startswith(("+", "-")) for ln in got.splitlines())
    assert "ospf-rotated-key" in got and "198.19.0.7" in got


@pytest.mark.parametrize("platform", sorted(HOSTS))
def test_remediation_applied_to_running_gives_intended(platform: str, tmp: Path) -> None:
    before, after = renders(platform, tmp)
    fixed = hconfig(before, platform).future(
        hconfig(remediation(before, after, platform), platform)
    )
    assert remediation("\n".join(fixed.dump_simple()), after, platform) == ""


@pytest.mark.parametrize("platform", sorted(HOSTS))
def test_a_render_against_itself_and_device_decorations_is_empty(platform: str, tmp: Path) -> None:
    before, _ = renders(platform, tmp)
    assert remediation(before, before, platform) == ""
    head = {"huawei_vrp": "!Software Version V800R021C10\n", "hp_comware": " version 7.1.064\n"}
    decorated = head[platform] + "#\n" + before.replace("\n#\n", "\n  #\n") + "return\n"
    assert config_diff(decorated, before, platform, HOSTS[platform]) == ""


def test_comware_sections_end_with_quit_and_hash_lines_are_not_config() -> None:
    got = remediation(
        "#\n version 7.1\n sysname a\n#\nbgp 1\n #\n address-family vpnv4\n  peer 1.1.1.1 enable\n#\nreturn\n",
        "sysname a\nbgp 1\n address-family vpnv4\n  peer 1.1.1.2 enable\n",
        "hp_comware",
    )
    assert got == (
        "bgp 1\n address-family vpnv4\n  undo peer 1.1.1.1 enable\n  peer 1.1.1.2 enable\n"
        "  quit\n quit\n"
    )
