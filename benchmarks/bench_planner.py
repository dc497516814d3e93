"""Planner speed on an inventory (goals for inventory/jiangxi on the 2-core machine):

* load + baseline routing ≤ 1 s
* full N-1 (every circuit, device, site, carrier, building, duct) with worst case ≤ 5 s, ≤ 1 GiB
* every double failure of backbone circuits ≤ 2 min

Prints wall and CPU seconds for each step (CPU time is the fairer figure on a shared machine) and
the peak resident memory of the process.

Usage: .venv/bin/python benchmarks/bench_planner.py [inventory/jiangxi] [--no-double]
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from typing import TypeVar

from planner.model import build_model
from planner.scenarios import double_count, single_failures
from planner.sweep import run, run_doubles
from topology import load_topology

T = TypeVar("T")


def timed(label: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` and print its wall and CPU time."""
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    print(
        f"{label:<44} wall {time.perf_counter() - w:7.2f} s   cpu {time.process_time() - c:7.2f} s"
    )
    return out


def peak_mib() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run the three measurements."""
    ap = argparse.ArgumentParser(description="planner benchmark")
    ap.add_argument("dir", nargs="?", default="inventory/jiangxi")
    ap.add_argument("--no-double", action="store_true", help="skip the double-failure sweep")
    args = ap.parse_args()
    w, c = time.perf_counter(), time.process_time()
    topo = timed("load inventory (topology)", lambda: load_topology(args.dir))
    pm = timed("demands + engine + baseline routing (planner)", lambda: build_model(topo))
    print(
        f"{'= load + baseline':<44} wall {time.perf_counter() - w:7.2f} s   "
        f"cpu {time.process_time() - c:7.2f} s"
    )
    print(
        f"  {len(topo.sites)} sites, {len(topo.devices)} devices, {len(topo.circuits)} circuits, "
        f"{len(pm.demands)} demands, {len(pm.engine.groups)} destination groups, "
        f"core graph {int(pm.engine.trees.core.sum())} nodes"
    )
    scenarios = timed("N-1 scenario list", lambda: single_failures(pm))
    sweep = timed(f"N-1 sweep ({len(scenarios)} scenarios, worst case)", lambda: run(pm, scenarios))
    print(
        f"  peak memory so far {peak_mib():.0f} MiB; "
        f"{sum(1 for o in sweep.outcomes if o.unrouted_bps > 0)} scenarios lose traffic"
    )
    if not args.no_double:
        n = double_count(pm)
        timed(f"double failures ({n} backbone pairs)", lambda: run_doubles(pm))
        print(f"  peak memory {peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
