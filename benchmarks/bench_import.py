"""Benchmark: the hier_config side of ``egnet import running`` and of remediation diffs.

Usage: ``python benchmarks/bench_import.py [INVENTORY] [--devices N]`` (default inventory/jiangxi,
every device). Renders each device twice (dummy secrets; the second render with a rotated OSPF
key, so every device has a real remediation), then times ``configs.diff.two_way`` (both
directions, as ``import running`` does) and ``configs.diff.remediation`` per device. Goal: the
comparison of the whole province (3,825 devices) in <= 60 s on one core, so a nightly
``backup`` + ``import running`` fits easily. Prints one figure per line.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from configs.diff import REMEDIATION_PLATFORMS, remediation, two_way
from configs.render import render_device
from topology import load_topology
from topology.management import Management
from topology.secrets import Secrets

ROOT = Path(__file__).resolve().parent.parent


def dummy_secrets(mg: Management, folder: Path, rotate: str = "") -> Secrets:
    """A vault with a placeholder value for every secret name the management settings use."""
    names = {mg.ospf_key_secret, mg.bgp_password_secret, mg.aaa.key_secret}
    names |= {u.secret for u in mg.users}
    names |= {n for u in mg.snmp_users for n in (u.auth_secret, u.priv_secret)}
    vault = folder / f"vault{rotate}.yaml"
    lines = [
        f"{n}: bench-{n}-value{rotate if n == mg.ospf_key_secret else ''}\n" for n in sorted(names)
    ]
    vault.write_text("".join(lines), encoding="utf-8")
    return Secrets(env={}, vault=vault)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inventory", nargs="?", default=str(ROOT / "inventory" / "jiangxi"))
    ap.add_argument("--devices", type=int, default=0, help="only the first N devices (0: all)")
    args = ap.parse_args()
    topo = load_topology(Path(args.inventory))
    hosts = sorted(topo.devices)[: args.devices or None]
    with tempfile.TemporaryDirectory() as tmp:
        old = dummy_secrets(topo.management, Path(tmp))
        new = dummy_secrets(topo.management, Path(tmp), rotate="-2")
        start = time.perf_counter()
        pairs = [
            (render_device(topo, h, old), render_device(topo, h, new), topo.devices[h].platform)
            for h in hosts
        ]
        rendered = time.perf_counter() - start
    start = time.perf_counter()
    drift = sum(1 for a, b, p in pairs if any(two_way(a, b, p)))
    compared = time.perf_counter() - start
    start = time.perf_counter()
    lines = sum(
        len(remediation(a, b, p).splitlines()) for a, b, p in pairs if p in REMEDIATION_PLATFORMS
    )
    remediated = time.perf_counter() - start
    print(f"devices: {len(pairs)} (render x2: {rendered:.1f} s)")
    print(
        f"two_way: {compared:.1f} s ({compared / len(pairs) * 1000:.1f} ms/device), {drift} drift"
    )
    print(f"remediation: {remediated:.1f} s, {lines} command lines")


if __name__ == "__main__":
    main()
