"""Shared helpers of the render tests: inventories, dummy secrets, rendered configs (cached)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from configs.render import render_device
from topology import load_topology
from topology.model import Topology
from topology.secrets import Secrets, env_name

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MIXED = HERE / "inventory"  # one vendor per tier: huawei_vrp, hp_comware, cisco_ios
LAB = ROOT / "inventory" / "lab"  # all frr
JIANGXI = ROOT / "inventory" / "jiangxi"  # 3,959 devices: render it once per session (rendered())
GOLDEN = HERE / "golden"

SECRET_VALUES = {
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


def secrets(drop: str | None = None) -> Secrets:
    """Dummy secrets from a private environment mapping (no vault, no real values)."""
    env = {env_name(k): v for k, v in SECRET_VALUES.items() if k != drop}
    return Secrets(env=env, vault=HERE / "no-such-vault.yaml")


@lru_cache(maxsize=4)
def topology(path: Path) -> Topology:
    """The topology of a test inventory (loaded once per session)."""
    return load_topology(path)


@lru_cache(maxsize=4)
def rendered(path: Path) -> dict[str, str]:
    """Every device's rendered config of an inventory, by hostname."""
    topo = topology(path)
    s = secrets()
    return {h: render_device(topo, h, s) for h in sorted(topo.devices)}


def cases() -> dict[tuple[str, str], tuple[Path, str]]:
    """(platform, role) → (inventory, first hostname with that pair), over both inventories."""
    out: dict[tuple[str, str], tuple[Path, str]] = {}
    for inv in (MIXED, LAB):
        topo = topology(inv)
        for h in sorted(topo.devices):
            d = topo.devices[h]
            out.setdefault((d.platform, d.role.value), (inv, h))
    return out
