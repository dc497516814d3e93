"""The planning model: a topology's devices, circuits and demands laid out for the routing engine.

Node ``i`` is ``hosts[i]``; link ``j`` is circuit ``circuit_ids[j]``; arc ``2j`` runs a→b and arc
``2j+1`` b→a (full duplex: capacity is per direction).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.demandgen import SiteDemand, all_demands
from planner.engine import DemandSet, Engine, Failure, FloatArray, IntArray
from topology.demands import DemandModel
from topology.diagnostics import OperationError
from topology.model import Circuit, Topology
from topology.perf import gc_paused


@dataclass
class PlanModel:
    """Everything the planner computes on, built once per topology, demand model and upgrade set."""

    topo: Topology
    demand_model: DemandModel
    hosts: list[str]
    host_index: dict[str, int]
    circuits: list[Circuit]
    circuit_index: dict[str, int]
    capacity: FloatArray
    demands: list[SiteDemand]
    engine: Engine
    upgrades: dict[str, int] = field(default_factory=dict)
    elements: dict[str, Failure] = field(default_factory=dict)
    site_names: list[str] = field(default_factory=list)
    demand_owner: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))

    def arc_name(self, arc: int) -> tuple[str, str, str]:
        """(circuit id, from device, to device) of an arc."""
        c = self.circuits[arc // 2]
        return (c.id, c.a.device, c.b.device) if arc % 2 == 0 else (c.id, c.b.device, c.a.device)


def circuit_tier(topo: Topology, c: Circuit) -> str:
    """The tier a circuit serves: the tier of the lower site of its ends (``cloud`` for cloud links).

    Examples:
        >>> from topology import load_topology
        >>> topo = load_topology("inventory/lab")
        >>> circuit_tier(topo, topo.circuits["beicheng-up1"]), circuit_tier(topo, topo.circuits["lab-ic1"])
        ('city', 'province')
    """
    order = ["cloud", "province", "city", "county", "township"]
    tiers = [topo.sites[topo.devices[h].site].tier.value for h in c.ends()]
    return max(tiers, key=order.index)


def parse_upgrades(topo: Topology, specs: list[str]) -> dict[str, int]:
    """Turn ``tier=township:50M`` / ``circuit:ID=1G`` into new capacities per circuit id."""
    from topology.units import parse_rate

    out: dict[str, int] = {}
    for spec in specs:
        key, sep, rate_text = _split_upgrade(spec)
        if not sep:
            raise OperationError(
                f"bad --upgrade '{spec}': expected tier=TIER:RATE or circuit:ID=RATE"
            )
        try:
            rate = parse_rate(rate_text)
        except ValueError as exc:
            raise OperationError(f"bad --upgrade '{spec}': {exc}") from None
        if key.startswith("circuit:"):
            cid = key.removeprefix("circuit:")
            if cid not in topo.circuits:
                raise OperationError(f"bad --upgrade '{spec}': unknown circuit '{cid}'")
            out[cid] = rate
        else:
            tier = key.removeprefix("tier=")
            hits = [
                c.id
                for c in topo.circuits.values()
                if c.role.value == "uplink" and circuit_tier(topo, c) == tier
            ]
            if not hits:
                raise OperationError(f"bad --upgrade '{spec}': no uplinks of tier '{tier}'")
            out.update(dict.fromkeys(hits, rate))
    return out


def _split_upgrade(spec: str) -> tuple[str, str, str]:
    """Split an ``--upgrade`` value into (key, separator, rate); separator empty when malformed.

    Examples:
        >>> _split_upgrade("tier=township:50M")
        ('tier=township', ':', '50M')
        >>> _split_upgrade("circuit:lab-ic1=10G")
        ('circuit:lab-ic1', '=', '10G')
        >>> _split_upgrade("nonsense")
        ('nonsense', '', '')
    """
    if spec.startswith("circuit:"):
        return spec.rpartition("=")
    if spec.startswith("tier="):
        return spec.rpartition(":")
    return spec, "", ""


def pack_demands(
    demands: list[SiteDemand], index: dict[str, int], scale: dict[str, float]
) -> DemandSet:
    """The engine's demand arrays, exactly as ``DemandSet.of`` packs them, without building an
    engine ``Demand`` per demand (tens of thousands at province scale; groups repeat a lot).

    Examples:
        >>> from planner.engine import Demand
        >>> sd = [SiteDemand(("a", "b"), ("c",), 5.0, "k", "s", "t", "city"),
        ...       SiteDemand(("c",), ("b", "a"), 1.0, "k", "t", "s", "event")]
        >>> got = pack_demands(sd, {"a": 0, "b": 1, "c": 2}, {"event": 3.0})
        >>> want = DemandSet.of([Demand((0, 1), (2,), 5.0), Demand((2,), (1, 0), 3.0)])
        >>> all(np.array_equal(getattr(got, f), getattr(want, f)) for f in ("rate", "src_ptr",
        ...     "src", "dst")), got.dst_groups == want.dst_groups
        (True, True)
    """
    # keyed by object identity: the expansion shares one tuple per group, and hashing tuples of
    # names for every demand would cost more than the rest of the packing (all stay alive here)
    src_ids: dict[int, tuple[int, ...]] = {}
    dst_key: dict[int, int] = {}
    keys: dict[tuple[int, ...], int] = {}
    src: list[int] = []
    lens: list[int] = []
    dst: list[int] = []
    level: list[int] = []
    for d in demands:
        if d.standby:
            level.extend(min(k, 1) for k in range(len(d.src)))
        else:
            level.extend([0] * len(d.src))
        ids = src_ids.get(id(d.src))
        if ids is None:
            ids = src_ids[id(d.src)] = tuple(index[h] for h in d.src)
        k = dst_key.get(id(d.dst))
        if k is None:
            k = dst_key[id(d.dst)] = keys.setdefault(
                tuple(sorted({index[h] for h in d.dst})), len(keys)
            )
        src.extend(ids)
        lens.append(len(ids))
        dst.append(k)
    ptr = np.zeros(len(demands) + 1, np.int64)
    ptr[1:] = np.cumsum(lens)
    rate = (
        [d.rate_bps * scale.get(d.tier, 1.0) for d in demands]
        if scale
        else [d.rate_bps for d in demands]
    )
    return DemandSet(
        np.array(rate, np.float64).reshape(-1),
        ptr,
        np.array(src, np.int64).reshape(-1),
        np.array(dst, np.int64).reshape(-1),
        tuple(keys),
        np.array(level, np.int64).reshape(-1) if any(level) else None,
    )


def build_model(
    topo: Topology,
    demand_model: DemandModel | None = None,
    upgrades: dict[str, int] | None = None,
    scale: dict[str, float] | None = None,
    site_demands: list[SiteDemand] | None = None,
) -> PlanModel:
    """Lay out ``topo`` for the engine and route the baseline.

    Args:
        topo: the topology.
        demand_model: demands to use (default: the topology's own).
        upgrades: new usable capacity per circuit id (bit/s).
        scale: multiplier of demand rates per growth class (a tier, ``event`` or ``explicit``).
        site_demands: the demands themselves, instead of expanding the demand model (a measured
            or estimated matrix, ``planner.estimate.site_demands``).
    """
    model = demand_model or topo.demands
    upgrades = upgrades or {}
    hosts = list(topo.devices)
    index = {h: i for i, h in enumerate(hosts)}
    circuits = list(topo.circuits.values())
    links = [
        (index[c.a.device], index[c.b.device], float(c.cost_ab), float(c.cost_ba)) for c in circuits
    ]
    cap = np.repeat([float(upgrades.get(c.id, c.capacity_bps)) for c in circuits], 2)
    with gc_paused():
        demands = all_demands(topo, model) if site_demands is None else list(site_demands)
        engine = Engine(
            len(hosts), links, pack_demands(demands, index, scale or {}), topo.policy.max_paths
        )
    site_names = list(topo.sites)
    site_index = {s: i for i, s in enumerate(site_names)}
    owner = np.array([site_index[d.owner] for d in demands], np.int64).reshape(-1)
    return PlanModel(
        topo,
        model,
        hosts,
        index,
        circuits,
        {c.id: i for i, c in enumerate(circuits)},
        cap,
        demands,
        engine,
        dict(upgrades),
        site_names=site_names,
        demand_owner=owner,
    )
