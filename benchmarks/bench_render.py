"""Benchmark: render and audit every device of an inventory (goal: each <= 10 s on 2 cores).

Usage: ``python benchmarks/bench_render.py [INVENTORY] [--jobs N]`` (default inventory/jiangxi,
falling back to inventory/lab). Secrets come from a temporary vault with dummy values, so the run
needs no real secrets. Prints one figure per line.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from configs.audit import audit_files
from configs.render import read_manifest, render_all
from topology import load_topology
from topology.management import Management
from topology.secrets import Secrets

ROOT = Path(__file__).resolve().parent.parent


def dummy_secrets(mg: Management, folder: Path) -> Secrets:
    """A vault with a placeholder value for every secret name the management settings use."""
    names = {mg.ospf_key_secret, mg.bgp_password_secret, mg.aaa.key_secret, mg.ntp_key_secret}
    names.add(mg.ldp_key_secret)
    names |= {u.secret for u in mg.users}
    names |= {n for u in mg.snmp_users for n in (u.auth_secret, u.priv_secret)}
    vault = folder / "vault.yaml"
    vault.write_text("".join(f"{n}: bench-{n}-value\n" for n in sorted(names)), encoding="utf-8")
    return Secrets(env={}, vault=vault)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("inventory", nargs="?")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    inv = Path(args.inventory) if args.inventory else ROOT / "inventory" / "jiangxi"
    if not (inv / "network.yaml").is_file():
        inv = ROOT / "inventory" / "lab"
    t0 = time.perf_counter()
    topo = load_topology(inv)
    t_load = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "configs"
        secrets = dummy_secrets(topo.management, Path(tmp))
        t0, c0 = time.perf_counter(), cpu_seconds()
        paths = render_all(topo, out, secrets, jobs=args.jobs)
        t_render, c_render = time.perf_counter() - t0, cpu_seconds() - c0
        size = sum(p.stat().st_size for p in paths)
        files = {out / f"{h}.cfg": p for h, p in read_manifest(out).items()}
        t0, c0 = time.perf_counter(), cpu_seconds()
        audits = audit_files(files, jobs=args.jobs)
        t_audit, c_audit = time.perf_counter() - t0, cpu_seconds() - c0
    failed = sum(1 for a in audits if a.failed)
    print(f"inventory              {inv.relative_to(ROOT) if inv.is_relative_to(ROOT) else inv}")
    print(f"devices                {len(topo.devices)}")
    print(f"jobs                   {args.jobs}")
    print(f"load_topology_s        {t_load:.2f}")
    print(f"render_s               {t_render:.2f}  (goal <= 10)")
    print(f"render_cpu_s           {c_render:.2f}  (all processes)")
    print(f"render_per_device_ms   {1000 * t_render / max(1, len(paths)):.2f}")
    print(f"config_bytes_total     {size}")
    print(f"audit_s                {t_audit:.2f}  (goal <= 10)")
    print(f"audit_cpu_s            {c_audit:.2f}  (all processes)")
    print(f"audit_failed_devices   {failed}")
    print(
        f"load_average_1m        {os.getloadavg()[0]:.2f}  (other work on the machine skews wall times)"
    )


if __name__ == "__main__":
    main()
