"""egnet's routing engine against pyNTM 5 (PyPI ``pyntm``) on the same sub-model of an inventory.

Builds one sub-model (the province, its cloud and the first ``--cities`` cities with everything
below them) in both engines, runs the baseline and the single-circuit failure sweep in each, prints
both times and the ratio, and checks that every load agrees.

Both engines get exactly the same input: each demand is split over its source members (as egnet
does) and an anycast destination group becomes a virtual node reached from each member at cost 1
(and left at a prohibitive cost), which preserves every equal-cost tie. pyNTM has no ECMP limit, so
egnet runs with ``max_paths`` = 64. pyNTM rounds each demand's traffic per interface to 0.1, so
loads are compared in bit/s with a tolerance of 0.1 per demand crossing the interface.

Usage: .venv/bin/python benchmarks/bench_planner_pyntm.py [inventory/jiangxi] [--cities 1]
       [--counties 3] [--limit N]  (sweep only the first N circuits in both engines)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
from typing import Any

import numpy as np

from planner.engine import Demand, Engine, Failure
from planner.model import build_model
from topology import load_topology

FAR = 1_000_000.0


def sub_model(
    directory: str, cities: int, counties_per_city: int = 0
) -> tuple[int, list[tuple[int, int, float, float]], list[Demand], list[str]]:
    """Nodes, links and flat demands of the sub-model (plus node names)."""
    topo = load_topology(directory)
    pm = build_model(topo)
    root = topo.root()
    keep_sites = {root.name, *(s for s in [root.cloud] if s)}
    from topology.model import Tier

    for city in [c for c in root.children if topo.sites[c].tier is Tier.CITY][:cities]:
        keep_sites.add(city)
        if topo.sites[city].cloud:
            keep_sites.add(topo.sites[city].cloud or "")
        counties = [c for c in topo.sites[city].children if topo.sites[c].tier is Tier.COUNTY]
        stack = counties[:counties_per_city] if counties_per_city else counties
        while stack:
            name = stack.pop()
            keep_sites.add(name)
            site = topo.sites[name]
            stack.extend(site.children)
            if site.cloud:
                keep_sites.add(site.cloud)
    keep = [i for i, h in enumerate(pm.hosts) if topo.devices[h].site in keep_sites]
    new = {old: k for k, old in enumerate(keep)}
    names = [pm.hosts[i] for i in keep]
    eng = pm.engine
    links = [
        (new[int(a)], new[int(b)], float(eng.arc_cost[2 * i]), float(eng.arc_cost[2 * i + 1]))
        for i, (a, b) in enumerate(zip(eng.link_a, eng.link_b, strict=True))
        if int(a) in new and int(b) in new
    ]
    ds = eng.ds
    virtual: dict[tuple[int, ...], int] = {}
    demands: list[Demand] = []
    for d in range(len(ds.rate)):
        src = ds.src[ds.src_ptr[d] : ds.src_ptr[d + 1]].tolist()
        dst = ds.dst_groups[ds.dst[d]]
        if not all(x in new for x in (*src, *dst)):
            continue
        target = (
            new[dst[0]] if len(dst) == 1 else virtual.setdefault(tuple(new[x] for x in dst), -1)
        )
        if target == -1:
            target = len(names)
            virtual[tuple(new[x] for x in dst)] = target
            names.append("anycast-" + "+".join(pm.hosts[x] for x in dst))
            links += [(new[x], target, 1.0, FAR) for x in dst]
        demands += [
            Demand((new[x],), (target,), float(ds.rate[d]) / len(src))
            for x in src
            if new[x] != target
        ]  # delivered where it starts: no load in either engine
    return len(names), links, demands, names


def pyntm_model(
    n: int, links: list[tuple[int, int, float, float]], demands: list[Demand], names: list[str]
) -> Any:
    """The same model in pyNTM."""
    from pyNTM import Node, PerformanceModel  # type: ignore[import-untyped]

    model = PerformanceModel()
    nodes = [Node(name) for name in names]
    for node in nodes:
        model.add_node(node)
    for i, (a, b, cab, cba) in enumerate(links):
        model.add_circuit(
            nodes[a],
            nodes[b],
            f"l{i}a",
            f"l{i}b",
            int(cab),
            int(cba),
            capacity=10**12,
            circuit_id=i + 1,
        )
    for k, d in enumerate(demands):
        model.add_demand(names[d.src[0]], names[d.dst[0]], d.rate, name=f"d{k}")
    return model


def pyntm_loads(
    model: Any, links: list[tuple[int, int, float, float]], names: list[str]
) -> np.ndarray:
    """pyNTM's traffic per arc, in egnet's arc order."""
    out = np.zeros(2 * len(links))
    for i, (a, b, _, _) in enumerate(links):
        for k, (name, node) in enumerate(((f"l{i}a", names[a]), (f"l{i}b", names[b]))):
            traffic = model.get_interface_object(name, node).traffic
            out[2 * i + k] = 0.0 if traffic == "Down" else float(traffic)
    return out


def main() -> None:
    """Run both engines and print the comparison."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default="inventory/jiangxi")
    ap.add_argument("--cities", type=int, default=1)
    ap.add_argument("--counties", type=int, default=3, help="counties per city (0: all)")
    ap.add_argument("--limit", type=int, default=0, help="sweep only the first N circuits")
    args = ap.parse_args()
    n, links, demands, names = sub_model(args.dir, args.cities, args.counties)
    sweep = list(range(len(links)))[: args.limit or None]
    sweep = [i for i in sweep if not names[links[i][1]].startswith("anycast-")]
    print(
        f"sub-model of {args.dir}: {n} nodes, {len(links)} links, {len(demands)} demands; "
        f"sweeping {len(sweep)} single-circuit failures"
    )

    t = time.perf_counter()
    eng = Engine(n, links, demands, max_paths=64)
    ours = [eng.baseline.loads] + [eng.evaluate(Failure((i,), ())).loads for i in sweep]
    t_ours = time.perf_counter() - t

    with contextlib.redirect_stdout(io.StringIO()):  # pyNTM prints progress on stdout
        t = time.perf_counter()
        model = pyntm_model(n, links, demands, names)
        model.update_simulation()
        t_build = time.perf_counter() - t
        theirs = [pyntm_loads(model, links, names)]
        for i in sweep:
            a, _, _, _ = links[i]
            model.fail_interface(f"l{i}a", names[a])
            model.update_simulation()
            theirs.append(pyntm_loads(model, links, names))
            model.unfail_interface(f"l{i}a", names[a])
        model.update_simulation()
        t_theirs = time.perf_counter() - t

    worst = 0.0
    for mine, other in zip(ours, theirs, strict=True):
        worst = max(worst, float(np.abs(mine - other).max()))
    tol = 0.1 * len(demands)
    print(f"pyNTM 5:  {t_theirs:8.2f} s  (first simulation incl. build {t_build:.2f} s)")
    print(f"egnet:    {t_ours:8.3f} s  (engine build + baseline + sweep)")
    print(f"ratio:    {t_theirs / t_ours:8.0f} x")
    print(
        f"loads:    max |difference| {worst:.3f} bit/s over {len(ours)} runs "
        f"(tolerance {tol:.1f}: pyNTM rounds each demand per interface to 0.1) -> "
        f"{'SAME' if worst <= tol else 'DIFFERENT'}"
    )


if __name__ == "__main__":
    main()
