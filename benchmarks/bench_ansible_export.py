"""Benchmark: `egnet export ansible` of an inventory, then `ansible-inventory --list` on it.

Goal (issue 12): ``ansible-inventory --list`` parses the Jiangxi export (3,825 hosts) in <= 5 s.
Usage: ``python benchmarks/bench_ansible_export.py [INVENTORY] [--runs N]`` (default
inventory/jiangxi). Prints wall and CPU seconds per run and the median; exit 1 when the median wall
time misses the goal or the parsed inventory lacks a host.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from egnet.cli import main as egnet
from topology import load_topology

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 5.0


def children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("inventory", nargs="?", default=str(ROOT / "inventory" / "jiangxi"))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    topo = load_topology(args.inventory)
    exe = str(Path(sys.executable).parent / "ansible-inventory")
    walls: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        if egnet(["export", "ansible", args.inventory, "-o", tmp]) != 0:
            return 1
        print(f"export: {time.perf_counter() - start:.2f} s wall")
        for run in range(args.runs):
            cpu0, t0 = children_cpu(), time.perf_counter()
            out = subprocess.run(
                [exe, "-i", str(Path(tmp) / "hosts.ini"), "--list"],
                capture_output=True,
                text=True,
                check=True,
            )
            wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
            walls.append(wall)
            hostvars = json.loads(out.stdout)["_meta"]["hostvars"]
            missing = set(topo.devices) - set(hostvars)
            print(f"run {run + 1}: ansible-inventory --list {wall:.2f} s wall, {cpu:.2f} s CPU, "
                  f"{len(hostvars)} hosts")  # fmt: skip
            if missing:
                print(f"missing hosts: {sorted(missing)[:5]}")
                return 1
    med = statistics.median(walls)
    print(
        f"median: {med:.2f} s wall (goal <= {GOAL_S:.0f} s): {'met' if med <= GOAL_S else 'NOT met'}"
    )
    return 0 if med <= GOAL_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
