"""One SNMPv3 user from the model: the rendered configs create it, the poller authenticates as it and
the lab's snmpd serves it (issue 10 §4).

The user's name and its secret names come only from ``management.snmp_users``; a fixture inventory
with a non-default user and non-default secret names shows that no layer falls back to a name of its
own.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from configs.render import render_device
from lab.configs import LabCredentials, snmpd_config
from lab.plan import build_plan
from poller.targets import credentials
from topology import load_topology
from topology.diagnostics import OperationError
from topology.model import Topology
from topology.secrets import Secrets, env_name

HERE = Path(__file__).resolve().parent
MIXED = HERE / "render" / "inventory"  # one vendor per tier: huawei_vrp, hp_comware, cisco_ios
LAB = HERE.parent / "inventory" / "lab"

# what each platform's config says when it creates an SNMPv3 user
USER_LINE = {
    "huawei_vrp": re.compile(r"^snmp-agent usm-user v3 (\S+) group ", re.M),
    "hp_comware": re.compile(r"^snmp-agent usm-user v3 (\S+) ", re.M),
    "cisco_ios": re.compile(r"^snmp-server user (\S+) ", re.M),
}
CUSTOM = """
  snmp_users:
    - {name: noc-poll7, auth_secret: nms_sha_key, priv_secret: nms_aes_key}
    - {name: backup-nms, auth_secret: other_auth, priv_secret: other_priv}
"""
VALUES = {
    "ospf_key": "ospf-test-key",
    "bgp_password": "bgp-test-pass",
    "aaa_key": "aaa-test-key",
    "user_netadmin": "Netadmin-test-pass-1",
    "user_noc": "Noc-test-pass-12",
    "nms_sha_key": "sha-key-of-the-nms",
    "nms_aes_key": "aes-key-of-the-nms",
    "other_auth": "other-auth-key-1",
    "other_priv": "other-priv-key-1",
    "snmp_community": "ro-community-1",
    "ssh_username": "u",
    "ssh_password": "p",
}


def _secrets(tmp: Path, values: dict[str, str]) -> Secrets:
    return Secrets(env={env_name(k): v for k, v in values.items()}, vault=tmp / "none.yaml")


def _custom_inventory(tmp: Path, source: Path) -> Topology:
    inv = tmp / "inv"
    shutil.copytree(source, inv)
    network = inv / "network.yaml"
    text = network.read_text(encoding="utf-8")
    if "\nmanagement:\n" in text:
        text = text.replace("\nmanagement:\n", "\nmanagement:" + CUSTOM, 1)
    else:
        text += "\nmanagement:" + CUSTOM
    network.write_text(text, encoding="utf-8")
    return load_topology(inv)


def _rendered_users(topo: Topology, secrets: Secrets) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for host, dev in sorted(topo.devices.items()):
        if dev.platform in USER_LINE and dev.platform not in out:
            text = render_device(topo, host, secrets)
            out[dev.platform] = list(dict.fromkeys(USER_LINE[dev.platform].findall(text)))
    return out


def test_rendered_snmp_user_is_the_user_the_poller_authenticates_as(tmp_path: Path) -> None:
    topo = _custom_inventory(tmp_path, MIXED)
    secrets = _secrets(tmp_path, VALUES)
    polled = credentials(topo.management, secrets, "3")
    assert (polled.user, polled.auth_key, polled.priv_key) == (
        "noc-poll7",
        "sha-key-of-the-nms",
        "aes-key-of-the-nms",
    )
    users = _rendered_users(topo, secrets)
    assert set(users) == set(USER_LINE), users  # every vendor platform is covered
    for platform, names in users.items():
        assert names[0] == polled.user, platform
        assert set(names) == {"noc-poll7", "backup-nms"}, platform


def test_default_inventory_renders_and_polls_the_same_user(tmp_path: Path) -> None:
    topo = load_topology(MIXED)
    values = {k: v for k, v in VALUES.items() if not k.startswith(("nms_", "other_"))}
    values |= {"snmp_v3_auth_key": "default-auth-1", "snmp_v3_priv_key": "default-priv-1"}
    secrets = _secrets(tmp_path, values)
    polled = credentials(topo.management, secrets, "3")
    for platform, names in _rendered_users(topo, secrets).items():
        assert names == [polled.user], platform


def test_lab_snmpd_serves_the_model_user_with_the_model_secrets(tmp_path: Path) -> None:
    topo = _custom_inventory(tmp_path, LAB)
    secrets = _secrets(tmp_path, VALUES)
    creds = LabCredentials.from_secrets(secrets, topo.management)
    conf = snmpd_config(build_plan(topo).nodes[0], creds)
    polled = credentials(topo.management, secrets, "3")
    assert f'createUser {polled.user} SHA "{polled.auth_key}" AES "{polled.priv_key}"' in conf
    assert f"rouser {polled.user} priv" in conf


def test_a_model_without_snmp_users_cannot_poll_v3(tmp_path: Path) -> None:
    topo = load_topology(MIXED)
    bare = topo.model_copy(
        update={"management": topo.management.model_copy(update={"snmp_users": ()})}
    )
    with pytest.raises(OperationError, match=r"management\.snmp_users is empty"):
        credentials(bare.management, _secrets(tmp_path, VALUES), "3")
