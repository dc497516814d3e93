"""From two polls to circuit samples: per-interface rates, then per-circuit state and load (pure).

Direction a→b of a circuit is the a-end's ifHCOutOctets (or, when the a-end is not readable, the
b-end's ifHCInOctets); b→a likewise. Utilisation is against the circuit's contracted rate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from poller.oids import OPER_UP
from poller.rates import (
    Discard,
    agent_interval,
    octets_to_bps,
    over_speed,
    rate_per_second,
    utilisation,
)
from poller.readings import DeviceReading, IfReading
from poller.targets import CircuitSpec


class State(StrEnum):
    """Operational state of a circuit as seen from its ends."""

    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"


class CircuitSample(BaseModel):
    """One circuit at one poll: state, load per direction, error and discard rates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    circuit: str
    at: float
    state: State
    capacity_bps: int
    ab_bps: float | None = None
    ba_bps: float | None = None
    util_ab: float | None = None
    util_ba: float | None = None
    errors_ps: float | None = None
    discards_ps: float | None = None
    note: str = ""


class EndCounters(BaseModel):
    """The raw octet counters of one circuit end at one poll (exported as Prometheus counters)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    circuit: str
    device: str
    interface: str
    in_octets: int
    out_octets: int


def end_counters(spec: CircuitSpec, readings: Mapping[str, DeviceReading]) -> list[EndCounters]:
    """Return the raw counters of a circuit's ends that were read in this poll."""
    out = []
    for dev, itf in ((spec.a_device, spec.a_if), (spec.b_device, spec.b_if)):
        r = readings.get(dev)
        row = r.by_name.get(itf) if r is not None and r.ok else None
        if row is not None:
            out.append(EndCounters(circuit=spec.id, device=dev, interface=itf,
                                   in_octets=row.in_octets, out_octets=row.out_octets))  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class IfRate:
    """Rates of one interface between two polls."""

    in_bps: float
    out_bps: float
    errors_ps: float
    discards_ps: float


def _if_rate(p: IfReading, c: IfReading, seconds: float) -> IfRate:
    errs = rate_per_second(p.in_errors, c.in_errors, seconds, 32) + rate_per_second(
        p.out_errors, c.out_errors, seconds, 32
    )
    disc = rate_per_second(p.in_discards, c.in_discards, seconds, 32) + rate_per_second(
        p.out_discards, c.out_discards, seconds, 32
    )
    return IfRate(
        in_bps=octets_to_bps(p.in_octets, c.in_octets, seconds),
        out_bps=octets_to_bps(p.out_octets, c.out_octets, seconds),
        errors_ps=errs,
        discards_ps=disc,
    )


#: seconds of disagreement always allowed between the agent's and the poller's interval
CLOCK_SLACK = 2.0


def elapsed_seconds(prev: DeviceReading, cur: DeviceReading) -> float | Discard:
    """Return the interval between two polls by the agent's clock, or why there is none.

    The agent's ``sysUpTime`` is the time base (immune to poller scheduling delays), bounded by the
    poller's own monotonic clock (``DeviceReading.mono``, else the wall clock ``at``): the
    uptime was read somewhere within each read's ``duration``, so the two may differ by up to
    :data:`CLOCK_SLACK` plus both durations (and 5 %) before the pair is discarded.
    """
    if prev.uptime is None or cur.uptime is None:
        return Discard.FIRST
    if prev.mono is not None and cur.mono is not None:
        wall = cur.mono - prev.mono
    else:
        wall = cur.at - prev.at
    slack = CLOCK_SLACK + prev.duration + cur.duration
    return agent_interval(prev.uptime, cur.uptime, wall, slack=slack)


def interface_rates(
    prev: DeviceReading | None, cur: DeviceReading
) -> tuple[dict[str, IfRate], dict[str, Discard]]:
    """Return rates per ifName and, for interfaces without a rate, the reason.

    A rate above the interface's speed (``ifHighSpeed``, the larger of both readings) by more
    than :data:`poller.rates.OVERSPEED_MARGIN` is discarded as ``over-speed`` (on software
    loopbacks, whose nominal speed means nothing — net-snmp reports 10 Mb/s for Linux ``lo`` — and
    on interfaces of unknown speed only above :data:`poller.rates.MAX_PLAUSIBLE_BPS`).
    """
    if prev is None or not prev.ok or not cur.ok:
        return {}, {i.name: Discard.FIRST for i in cur.interfaces}
    seconds = elapsed_seconds(prev, cur)
    if isinstance(seconds, Discard):
        return {}, {i.name: seconds for i in cur.interfaces}
    rates: dict[str, IfRate] = {}
    why: dict[str, Discard] = {}
    for c in cur.interfaces:
        p = prev.by_name.get(c.name)
        if p is None or p.index != c.index:
            why[c.name] = Discard.FIRST
        elif p.discontinuity != c.discontinuity:
            why[c.name] = Discard.DISCONTINUITY
        else:
            rate = _if_rate(p, c, seconds)
            speed = 0.0 if is_loopback(c.name) else max(p.high_speed, c.high_speed) * 1e6
            if over_speed(max(rate.in_bps, rate.out_bps), speed):
                why[c.name] = Discard.OVERSPEED
            else:
                rates[c.name] = rate
    return rates, why


_LOOPBACK = re.compile(r"(lo|(In)?Loop[Bb]ack\d*)")


def is_loopback(if_name: str) -> bool:
    """True for a software loopback's ifName (Linux, VRP/Comware, IOS), which carries no circuit.

    Examples:
        >>> [is_loopback(n) for n in ("lo", "LoopBack0", "InLoopBack0", "Loopback1", "eth1", "log")]
        [True, True, True, True, False, False]
    """
    return _LOOPBACK.fullmatch(if_name) is not None


def discarded(why: Mapping[str, Discard]) -> dict[str, int]:
    """Count an interface-rate result's discards by reason (``first`` is not a discard).

    Examples:
        >>> discarded({"a": Discard.FIRST, "b": Discard.REBOOT, "c": Discard.REBOOT})
        {'reboot': 2}
    """
    out: dict[str, int] = {}
    for reason in why.values():
        if reason is not Discard.FIRST:
            out[reason.value] = out.get(reason.value, 0) + 1
    return dict(sorted(out.items()))


def direction_utilisation(bps: float | None, capacity_bps: int) -> float | None:
    """Return one direction's utilisation against the capacity stored with its sample.

    The one definition used by the cycle, the NOC page (map and history) and /metrics, so that
    after an upgrade history and map agree (each sample keeps the capacity it was measured on).

    Examples:
        >>> direction_utilisation(15e6, 20_000_000), direction_utilisation(None, 20_000_000)
        (0.75, None)
    """
    return None if bps is None else utilisation(bps, capacity_bps)


def peak_utilisation(ab_bps: float | None, ba_bps: float | None, capacity_bps: int) -> float | None:
    """Return the busier direction's utilisation (None when neither direction has a rate).

    Examples:
        >>> peak_utilisation(5e6, 15e6, 20_000_000), peak_utilisation(None, None, 10)
        (0.75, None)
    """
    utils = [
        u
        for u in (direction_utilisation(v, capacity_bps) for v in (ab_bps, ba_bps))
        if u is not None
    ]
    return max(utils) if utils else None


def circuit_state(ends: Sequence[IfReading | None]) -> State:
    """Return a circuit's state from the interface rows of its ends that could be read.

    Examples:
        >>> up = IfReading(1, "eth1", 0, 0, 1000, 1, 0, 0, 0, 0)
        >>> down = IfReading(2, "eth2", 0, 0, 1000, 2, 0, 0, 0, 0)
        >>> circuit_state([up, up]), circuit_state([up, down]), circuit_state([None, None])
        (<State.UP: 'up'>, <State.DOWN: 'down'>, <State.UNKNOWN: 'unknown'>)
    """
    seen = [e for e in ends if e is not None]
    if not seen:
        return State.UNKNOWN
    return State.UP if all(e.oper_status == OPER_UP for e in seen) else State.DOWN


def _sum(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def circuit_sample(
    spec: CircuitSpec,
    at: float,
    readings: Mapping[str, DeviceReading],
    rates: Mapping[str, Mapping[str, IfRate]],
    reasons: Mapping[str, Mapping[str, Discard]],
) -> CircuitSample:
    """Return one circuit's sample from the current readings and per-device interface rates."""
    a_dev, b_dev = readings.get(spec.a_device), readings.get(spec.b_device)
    a_row = a_dev.by_name.get(spec.a_if) if a_dev is not None else None
    b_row = b_dev.by_name.get(spec.b_if) if b_dev is not None else None
    a_rate = rates.get(spec.a_device, {}).get(spec.a_if)
    b_rate = rates.get(spec.b_device, {}).get(spec.b_if)
    ab = a_rate.out_bps if a_rate else (b_rate.in_bps if b_rate else None)
    ba = b_rate.out_bps if b_rate else (a_rate.in_bps if a_rate else None)
    note = ""
    if ab is None or ba is None:
        why = reasons.get(spec.a_device, {}).get(spec.a_if) or reasons.get(spec.b_device, {}).get(
            spec.b_if
        )
        note = str(why) if why else "not polled"
    return CircuitSample(
        circuit=spec.id,
        at=at,
        state=circuit_state([a_row, b_row]),
        capacity_bps=spec.capacity_bps,
        ab_bps=ab,
        ba_bps=ba,
        util_ab=direction_utilisation(ab, spec.capacity_bps),
        util_ba=direction_utilisation(ba, spec.capacity_bps),
        errors_ps=_sum([r.errors_ps if r else None for r in (a_rate, b_rate)]),
        discards_ps=_sum([r.discards_ps if r else None for r in (a_rate, b_rate)]),
        note=note,
    )
