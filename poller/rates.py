"""Counter and rate maths: pure functions, no I/O.

SNMP counters are unsigned and wrap at 2**32 (Counter32) or 2**64 (Counter64). A delta between two
readings is taken modulo the counter width, so a single wrap between polls is harmless. A reboot of
the agent (``sysUpTime`` went backwards) or a counter discontinuity (``ifCounterDiscontinuityTime``
changed, RFC 2863 §3.1.6) makes the delta meaningless: such a sample is discarded, never turned into
a spike. The agent's interval is bounded by the poller's own monotonic clock, and a rate above the
interface's speed is discarded too (issue 9 §3: counter maths must not invent traffic).
"""

from __future__ import annotations

from enum import StrEnum

COUNTER32_MODULUS = 2**32
COUNTER64_MODULUS = 2**64
TICKS_PER_SECOND = 100  # sysUpTime is in TimeTicks (centiseconds)
TIMETICKS_MODULUS = 2**32


class Discard(StrEnum):
    """Why a pair of readings yields no rate."""

    REBOOT = "reboot"
    DISCONTINUITY = "discontinuity"
    NO_TIME = "no-time"
    FIRST = "first"
    #: the agent's sysUpTime advanced more than the poller's own clock allows
    CLOCK = "clock-mismatch"
    #: the rate exceeds the interface's speed by more than :data:`OVERSPEED_MARGIN`
    OVERSPEED = "over-speed"


#: a rate above ifHighSpeed × (1 + this) is impossible: the counters or the clock lied
OVERSPEED_MARGIN = 0.10
#: no interface carries more (2 × 800GE is 1.6 Tb/s): a rate above it is a counter reset without a
#: signalled discontinuity (a Counter64 taken as wrapping gives exabits), whatever ifHighSpeed says
MAX_PLAUSIBLE_BPS = 1e13

#: how far the agent's interval may stray from the poller's: ``slack`` seconds plus this fraction
CLOCK_TOLERANCE = 0.05


def counter_delta(prev: int, cur: int, bits: int = 64) -> int:
    """Return how much a counter advanced, allowing one wrap.

    Args:
        prev: earlier reading.
        cur: later reading.
        bits: counter width, 32 or 64.

    Examples:
        >>> counter_delta(100, 250)
        150
        >>> counter_delta(2**32 - 10, 5, bits=32)
        15
        >>> counter_delta(2**64 - 1, 0)
        1
        >>> counter_delta(7, 7, bits=32)
        0
    """
    if bits not in (32, 64):
        raise ValueError(f"counter width must be 32 or 64, got {bits}")
    modulus = COUNTER32_MODULUS if bits == 32 else COUNTER64_MODULUS
    return (cur - prev) % modulus


def uptime_seconds(prev_ticks: int, cur_ticks: int) -> float | None:
    """Return agent-measured seconds between two ``sysUpTime`` readings, or None after a reboot.

    Without the poller's own clock a step backwards cannot be told from a TimeTicks wrap (every
    497 days), so it is always a reboot here; :func:`agent_interval` tells them apart.

    Examples:
        >>> uptime_seconds(1000, 7000)
        60.0
        >>> uptime_seconds(7000, 1000) is None
        True
        >>> uptime_seconds(2_600_000_000, 6_000) is None
        True
    """
    if cur_ticks >= prev_ticks:
        return (cur_ticks - prev_ticks) / TICKS_PER_SECOND
    return None


def discard_reason(
    prev_uptime: int,
    cur_uptime: int,
    prev_discontinuity: int | None,
    cur_discontinuity: int | None,
) -> Discard | None:
    """Return why a pair of readings must be discarded, or None when it is usable.

    Examples:
        >>> discard_reason(100, 200, 0, 0) is None
        True
        >>> discard_reason(500, 200, 0, 0)
        <Discard.REBOOT: 'reboot'>
        >>> discard_reason(100, 200, 0, 150)
        <Discard.DISCONTINUITY: 'discontinuity'>
        >>> discard_reason(100, 100, None, None)
        <Discard.NO_TIME: 'no-time'>
    """
    elapsed = uptime_seconds(prev_uptime, cur_uptime)
    if elapsed is None:
        return Discard.REBOOT
    if prev_discontinuity != cur_discontinuity:
        return Discard.DISCONTINUITY
    if elapsed <= 0:
        return Discard.NO_TIME
    return None


def agent_interval(
    prev_ticks: int,
    cur_ticks: int,
    wall_seconds: float,
    slack: float = 2.0,
    tolerance: float = CLOCK_TOLERANCE,
) -> float | Discard:
    """Return the seconds between two polls by the agent's clock, or why the pair is unusable.

    The agent's interval (``sysUpTime`` delta) must agree with the poller's own monotonic interval
    ``wall_seconds`` within ``slack`` seconds plus ``tolerance`` of it:

    - ``sysUpTime`` went backwards: a TimeTicks wrap (every 497 days) only when the wrapped
      interval agrees with the wall interval, otherwise a reboot (e.g. a reboot after more than
      248.5 days of uptime: 2,600,000,000 → 6,000 ticks);
    - the agent's clock advanced less than the wall interval: it rebooted and has been up longer
      than its previous uptime;
    - the agent's clock advanced more than the wall interval (an uptime jump): ``clock-mismatch``.

    Examples:
        >>> agent_interval(6000, 12000, 60.2)
        60.0
        >>> agent_interval(1000, 5000, 120.0)  # up 50 s now, 10 s before, but 120 s went by
        <Discard.REBOOT: 'reboot'>
        >>> agent_interval(5000, 5000, 0.0)
        <Discard.NO_TIME: 'no-time'>
        >>> agent_interval(2_600_000_000, 6_000, 60.0)  # rebooted after 300 days of uptime
        <Discard.REBOOT: 'reboot'>
        >>> agent_interval(2**32 - 3000, 3000, 60.0)  # a genuine TimeTicks wrap
        60.0
        >>> agent_interval(6000, 6000 + 10 * 86400 * 100, 60.0)  # +10 days in 60 s
        <Discard.CLOCK: 'clock-mismatch'>
    """
    margin = slack + tolerance * max(wall_seconds, 0.0)
    if cur_ticks >= prev_ticks:
        seconds = (cur_ticks - prev_ticks) / TICKS_PER_SECOND
    else:
        seconds = ((cur_ticks - prev_ticks) % TIMETICKS_MODULUS) / TICKS_PER_SECOND
        if abs(seconds - wall_seconds) > margin:
            return Discard.REBOOT
    if seconds + margin < wall_seconds:
        return Discard.REBOOT
    if seconds > wall_seconds + margin:
        return Discard.CLOCK
    return seconds if seconds > 0 else Discard.NO_TIME


def over_speed(bps: float, speed_bps: float, margin: float = OVERSPEED_MARGIN) -> bool:
    """Return True when a rate is impossible on an interface of ``speed_bps`` (0: unknown), or
    above :data:`MAX_PLAUSIBLE_BPS` on any interface.

    Examples:
        >>> over_speed(8.7e12, 1e9), over_speed(1.05e9, 1e9), over_speed(5e9, 0)
        (True, False, False)
        >>> over_speed(2.4e18, 0)  # a Counter64 reset taken as a wrap
        True
    """
    if bps > MAX_PLAUSIBLE_BPS:
        return True
    return speed_bps > 0 and bps > speed_bps * (1.0 + margin)


def rate_per_second(prev: int, cur: int, seconds: float, bits: int = 64) -> float:
    """Return the counter's rate of change per second (wrap-safe).

    Examples:
        >>> rate_per_second(0, 600, 60.0)
        10.0
        >>> rate_per_second(2**32 - 100, 200, 10.0, bits=32)
        30.0
    """
    if seconds <= 0:
        raise ValueError(f"interval must be positive, got {seconds}")
    return counter_delta(prev, cur, bits) / seconds


def octets_to_bps(prev: int, cur: int, seconds: float, bits: int = 64) -> float:
    """Return bits per second from two octet-counter readings.

    Examples:
        >>> octets_to_bps(0, 1_250_000, 1.0)
        10000000.0
        >>> octets_to_bps(2**64 - 125, 125, 2.0)
        1000.0
    """
    return 8.0 * rate_per_second(prev, cur, seconds, bits)


def utilisation(bps: float, capacity_bps: int) -> float:
    """Return load as a fraction of the circuit's contracted rate (not the port speed).

    A 20M MSTP circuit on a 1G port is full at 20 Mb/s.

    Examples:
        >>> utilisation(14_000_000, 20_000_000)
        0.7
        >>> utilisation(5.0, 0)
        0.0
    """
    if capacity_bps <= 0:
        return 0.0
    return bps / capacity_bps


def percentile(values: list[float], pct: float) -> float:
    """Return the ``pct`` percentile (nearest-rank method, as used for 95th-percentile billing).

    Examples:
        >>> percentile([float(x) for x in range(1, 101)], 95)
        95.0
        >>> percentile([3.0, 1.0, 2.0], 50)
        2.0
        >>> percentile([], 95)
        0.0
    """
    if not values:
        return 0.0
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {pct}")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]
