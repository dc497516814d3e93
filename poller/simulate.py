"""Plausible poller data for a demo without the lab: ``egnet simulate DIR --db FILE``.

Every circuit gets a working-day load curve (China Standard Time: quiet at night, peaks mid-morning
and mid-afternoon) scaled to a peak drawn per circuit, with noise; a few circuits run hot (over
the model's warn and fail thresholds), one circuit goes down for a while and one device stops
answering. The cycles go through the real alert engine and store, so the NOC page, /metrics,
``poll-loads`` and ``plan --measured`` all have something to show. Deterministic for a seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from poller.alerts import AlertEngine, AlertPolicy
from poller.cycle import CycleResult, DeviceStatus
from poller.samples import CircuitSample, State, direction_utilisation
from poller.store import Store, write_alerts
from poller.targets import circuit_specs
from topology.model import Topology

CST = 8 * 3600  # China Standard Time, UTC+8
#: the most samples one run writes (bounds time and disk: 24 h of a full province at 60 s)
MAX_SAMPLES = 6_000_000


@dataclass(frozen=True, slots=True)
class SimSummary:
    """What a simulation wrote."""

    cycles: int
    samples: int
    alerts: int
    down_circuit: str | None
    dead_device: str | None


def working_day(t: float) -> float:
    """Return the load shape (0.1-1.0) at Unix time ``t``: office hours in China.

    Examples:
        >>> round(working_day(2 * 3600 - CST), 2)  # 02:00 CST
        0.1
        >>> working_day(10 * 3600 - CST) > 0.9  # 10:00 CST
        True
    """
    hour = ((t + CST) % 86400) / 3600
    morning = math.exp(-(((hour - 10.0) / 1.6) ** 2))
    afternoon = 0.9 * math.exp(-(((hour - 15.5) / 1.8) ** 2))
    return 0.1 + 0.9 * max(morning, afternoon)


def _cycles(
    topo: Topology, start: float, hours: float, step: float, rng: random.Random
) -> Iterator[tuple[CycleResult, str | None, str | None]]:
    specs = circuit_specs(topo)
    peaks = {}
    for spec in specs:
        r = rng.random()
        hot = 0.92 if r < 0.02 else (0.78 if r < 0.06 else rng.uniform(0.15, 0.6))
        peaks[spec.id] = (hot, rng.uniform(0.2, 0.5))  # a→b peak, b→a share of it
    down = rng.choice(specs).id if specs else None
    devices = sorted(topo.devices)
    dead = rng.choice(devices) if devices else None
    n = int(hours * 3600 // step)
    for k in range(n + 1):
        at = start + k * step
        late = k > n * 0.6  # trouble starts late in the run, so it is still open at the end
        samples = []
        for spec in specs:
            peak, share = peaks[spec.id]
            shape = working_day(at) * (1 + rng.gauss(0, 0.04))
            ab = max(0.0, peak * shape * spec.capacity_bps)
            ba = ab * share
            state = State.DOWN if late and spec.id == down else State.UP
            if state is State.DOWN:
                ab = ba = 0.0
            samples.append(CircuitSample(
                circuit=spec.id, at=at, state=state, capacity_bps=spec.capacity_bps,
                ab_bps=ab, ba_bps=ba, util_ab=direction_utilisation(ab, spec.capacity_bps),
                util_ba=direction_utilisation(ba, spec.capacity_bps), errors_ps=0.0,
                discards_ps=0.0,
            ))  # fmt: skip
        statuses = tuple(_status(d, late and d == dead, rng) for d in devices)
        yield (
            CycleResult(at=at, seconds=0.5, devices=statuses, circuits=tuple(samples)),
            down,
            dead,
        )


def _status(device: str, silent: bool, rng: random.Random) -> DeviceStatus:
    return DeviceStatus(
        device=device,
        reachable=not silent,
        interfaces=0 if silent else 4,
        seconds=round(rng.uniform(0.02, 0.4), 3),
        error="no response (simulated)" if silent else None,
    )


def simulate(
    topo: Topology,
    store: Store,
    end: float,
    hours: float = 24.0,
    step: float = 60.0,
    seed: int = 1,
    window: float = 300.0,
) -> SimSummary:
    """Write ``hours`` of cycles every ``step`` seconds ending at ``end`` into ``store``."""
    if not 0 < hours <= 24 * 31 or not 10 <= step <= 3600:
        raise ValueError("hours must be in (0, 744] and step in [10, 3600] seconds")
    total = len(topo.circuits) * int(hours * 3600 // step + 1)
    if total > MAX_SAMPLES:
        raise ValueError(
            f"{total:,} samples is more than {MAX_SAMPLES:,}: fewer hours or a longer step"
        )
    policy = AlertPolicy(warn=topo.policy.warn_utilisation, fail=topo.policy.fail_utilisation,
                         window=window)  # fmt: skip
    engine = AlertEngine(policy)
    rng = random.Random(seed)
    cycles = samples = alerts = 0
    down: str | None = None
    dead: str | None = None
    for result, down_now, dead_now in _cycles(topo, end - hours * 3600, hours, step, rng):
        down, dead = down_now, dead_now
        store.write_samples(result.circuits)
        store.write_devices(result.devices, result.at)
        events = engine.evaluate(result)
        write_alerts(store, events)
        cycles += 1
        samples += len(result.circuits)
        alerts += sum(1 for e in events if e.action == "raise")
    return SimSummary(cycles, samples, alerts, down, dead)
