"""Issue 9 §3 re-checked with counter cases the other tests do not use: an uptime that steps back
a few seconds (no wrap, no long uptime), an agent clock that stands still, a Counter64 that resets
(no discontinuity signalled) on an interface whose speed is unknown or on a loopback, next to a
genuine Counter64 wrap on the same kind of interface."""

from __future__ import annotations

import pytest

from poller.rates import COUNTER64_MODULUS, MAX_PLAUSIBLE_BPS, Discard
from poller.readings import DeviceReading, IfReading
from poller.samples import discarded, interface_rates


def _row(name: str, inn: int, speed: int = 1000, i: int = 1) -> IfReading:
    return IfReading(i, name, inn, 0, speed, 1, 0, 0, 0, 0, 0)


def _dev(uptime: int, at: float, *rows: IfReading) -> DeviceReading:
    return DeviceReading("r1", at, uptime, rows)


def test_uptime_stepping_back_five_seconds_is_not_a_rate() -> None:
    prev = _dev(1_000_000, 0.0, _row("eth1", 0))
    cur = _dev(999_500, 60.0, _row("eth1", 6_000_000))
    rates, why = interface_rates(prev, cur)
    assert rates == {} and why == {"eth1": Discard.REBOOT}


def test_a_frozen_agent_clock_is_not_a_rate() -> None:
    prev = _dev(500_000, 0.0, _row("eth1", 0))
    cur = _dev(500_000, 60.0, _row("eth1", 6_000_000))
    rates, why = interface_rates(prev, cur)
    assert rates == {} and why["eth1"] in (Discard.REBOOT, Discard.NO_TIME)


@pytest.mark.parametrize(("name", "speed"), [("eth1", 0), ("lo", 10), ("LoopBack0", 0)])
def test_counter64_reset_without_discontinuity_is_not_exabits(name: str, speed: int) -> None:
    """10^12 → 1,000 octets in 60 s is a reset (a wrap would be 2.5 Eb/s): discarded even where
    the interface's speed cannot bound it (speed unknown, software loopback)."""
    prev = _dev(6_000, 0.0, _row(name, 10**12, speed))
    cur = _dev(12_000, 60.0, _row(name, 1_000, speed))
    rates, why = interface_rates(prev, cur)
    assert rates == {} and why == {name: Discard.OVERSPEED}
    assert discarded(why) == {"over-speed": 1}


@pytest.mark.parametrize(("name", "speed"), [("eth1", 0), ("lo", 10)])
def test_counter64_wrap_near_the_top_is_still_a_rate(name: str, speed: int) -> None:
    prev = _dev(6_000, 0.0, _row(name, COUNTER64_MODULUS - 3_000, speed))
    cur = _dev(12_000, 60.0, _row(name, 3_000, speed))
    rates, why = interface_rates(prev, cur)
    assert why == {} and rates[name].in_bps == pytest.approx(8 * 6_000 / 60)


def test_the_plausible_ceiling_is_above_any_interface_made() -> None:
    assert 1.6e12 <= MAX_PLAUSIBLE_BPS <= 1e14  # 2 × 800GE at least, far below a 64-bit wrap
