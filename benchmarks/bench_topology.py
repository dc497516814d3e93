"""Benchmark: load + validate + resolve an inventory (default inventory/jiangxi); prints time and memory.

Run: .venv/bin/python benchmarks/bench_topology.py [DIR] [--repeat N]
Goal (issue 2): ≤ 2 s on the 2-core machine for inventory/jiangxi.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from topology import load_inventory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", nargs="?", default="inventory/jiangxi")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    times, cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        res = load_inventory(args.dir)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    topo = res.topology
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"inventory            {args.dir}")
    print(f"sites/devices/circuits {len(topo.sites)}/{len(topo.devices)}/{len(topo.circuits)}")
    print(
        f"load+validate+resolve  best {min(times):.3f} s  median {statistics.median(times):.3f} s"
        f"  (n={args.repeat}, goal <= 2 s)"
    )
    print(
        f"CPU time               best {min(cpu):.3f} s  (wall time suffers when the machine is busy)"
    )
    print(f"peak RSS               {peak:.0f} MiB")


if __name__ == "__main__":
    main()
