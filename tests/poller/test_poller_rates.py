"""Rate maths: wrap, reboot, discontinuity, utilisation against the contracted rate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from poller.rates import (
    COUNTER32_MODULUS,
    COUNTER64_MODULUS,
    Discard,
    counter_delta,
    discard_reason,
    octets_to_bps,
    percentile,
    utilisation,
)
from poller.readings import DeviceReading, IfReading
from poller.samples import IfRate, State, circuit_sample, interface_rates
from poller.targets import CircuitSpec

u64 = st.integers(min_value=0, max_value=COUNTER64_MODULUS - 1)
u32 = st.integers(min_value=0, max_value=COUNTER32_MODULUS - 1)


@given(start=u64, step=st.integers(min_value=0, max_value=COUNTER64_MODULUS - 1))
def test_counter64_delta_recovers_any_single_advance(start: int, step: int) -> None:
    cur = (start + step) % COUNTER64_MODULUS
    assert counter_delta(start, cur, 64) == step


@given(start=u32, step=st.integers(min_value=0, max_value=COUNTER32_MODULUS - 1))
def test_counter32_delta_recovers_any_single_advance(start: int, step: int) -> None:
    cur = (start + step) % COUNTER32_MODULUS
    assert counter_delta(start, cur, 32) == step


@given(start=u64, octets=st.integers(min_value=0, max_value=10**12), secs=st.floats(1, 3600))
def test_bps_is_octets_times_eight_over_time_even_across_wrap(
    start: int, octets: int, secs: float
) -> None:
    cur = (start + octets) % COUNTER64_MODULUS
    assert octets_to_bps(start, cur, secs) == pytest.approx(8 * octets / secs)


def test_counter_width_is_checked() -> None:
    with pytest.raises(ValueError):
        counter_delta(0, 1, bits=16)


@given(prev=st.integers(0, 2**31), back=st.integers(1, 2**30))
def test_uptime_going_backwards_is_a_reboot(prev: int, back: int) -> None:
    cur = max(0, prev - back)
    if cur < prev:
        assert discard_reason(prev, cur, 0, 0) is Discard.REBOOT


@given(bps=st.floats(0, 1e11), cap=st.integers(1, 10**11))
def test_utilisation_is_against_contract(bps: float, cap: int) -> None:
    assert utilisation(bps, cap) == pytest.approx(bps / cap)


def test_twenty_meg_circuit_on_gig_port_is_full_at_twenty_meg() -> None:
    assert utilisation(20e6, 20_000_000) == 1.0


@given(st.lists(st.floats(0, 1e9), min_size=1, max_size=200))
def test_percentile_is_a_member_and_bounds_95_percent(values: list[float]) -> None:
    p = percentile(values, 95)
    assert p in values
    assert sum(v <= p for v in values) >= 0.95 * len(values)


def _row(name: str, i: int, inn: int, out: int, errs: int = 0, disc: int | None = 0) -> IfReading:
    return IfReading(i, name, inn, out, 1000, 1, errs, 0, 0, 0, disc)


def _dev(uptime: int, *rows: IfReading, at: float = 0.0) -> DeviceReading:
    return DeviceReading("r1", at, uptime, rows)


def test_interface_rates_across_counter64_wrap() -> None:
    prev = _dev(1000, _row("eth1", 1, COUNTER64_MODULUS - 1000, 0))
    cur = _dev(7000, _row("eth1", 1, 4000, 600))
    rates, why = interface_rates(prev, cur)
    assert rates["eth1"].in_bps == pytest.approx(8 * 5000 / 60)
    assert rates["eth1"].out_bps == pytest.approx(80.0)
    assert why == {}


def test_error_counter32_wrap() -> None:
    prev = _dev(0, _row("eth1", 1, 0, 0, errs=COUNTER32_MODULUS - 5))
    cur = _dev(1000, _row("eth1", 1, 0, 0, errs=5))
    rates, _ = interface_rates(prev, cur)
    assert rates["eth1"].errors_ps == pytest.approx(1.0)


def test_reboot_discards_instead_of_spiking() -> None:
    prev = _dev(900_000, _row("eth1", 1, 10**12, 10**12))
    cur = _dev(500, _row("eth1", 1, 1000, 1000))
    rates, why = interface_rates(prev, cur)
    assert rates == {}
    assert why["eth1"] is Discard.REBOOT


def test_reboot_longer_ago_than_previous_uptime_is_still_a_reboot() -> None:
    """Up 50 s now vs 10 s at the last poll, but 120 s passed: the agent restarted in between."""
    prev = _dev(1000, _row("eth1", 1, 10**12, 10**12), at=0.0)
    cur = _dev(5000, _row("eth1", 1, 1000, 1000), at=120.0)
    rates, why = interface_rates(prev, cur)
    assert rates == {} and why["eth1"] is Discard.REBOOT


def test_discontinuity_change_discards_only_that_interface() -> None:
    prev = _dev(100, _row("eth1", 1, 0, 0, disc=0), _row("eth2", 2, 0, 0, disc=0))
    cur = _dev(200, _row("eth1", 1, 10**9, 0, disc=150), _row("eth2", 2, 125, 0, disc=0))
    rates, why = interface_rates(prev, cur)
    assert why == {"eth1": Discard.DISCONTINUITY}
    assert rates["eth2"].in_bps == pytest.approx(1000.0)


def test_timeout_then_recovery_uses_last_good_reading() -> None:
    good = _dev(0, _row("eth1", 1, 0, 0))
    dead = DeviceReading("r1", 60.0, None, error="timeout")
    back = _dev(12000, _row("eth1", 1, 1_500_000, 0), at=120.0)
    assert interface_rates(good, dead) == ({}, {})
    rates, _ = interface_rates(good, back)
    assert rates["eth1"].in_bps == pytest.approx(100_000.0)


def test_circuit_direction_and_contracted_utilisation() -> None:
    spec = CircuitSpec("t-up1", "ar1", "eth1", "core", "eth3", 20_000_000, "t")
    a = DeviceReading("ar1", 0, 6000, (_row("eth1", 1, 0, 0),))
    b = DeviceReading("core", 0, 6000, (_row("eth3", 3, 0, 0),))
    rates: dict[str, dict[str, IfRate]] = {"ar1": {}, "core": {}}
    rates["ar1"]["eth1"] = IfRate(in_bps=2e6, out_bps=15e6, errors_ps=0, discards_ps=0)
    s = circuit_sample(spec, 1.0, {"ar1": a, "core": b}, rates, {})
    assert s.state is State.UP
    assert (s.ab_bps, s.ba_bps) == (15e6, 2e6)
    assert s.util_ab == pytest.approx(0.75)
    # the a-end's device is gone: b→a falls back to nothing from b, a→b to b's in-counter
    rates2 = {"core": {"eth3": IfRate(in_bps=3e6, out_bps=1e6, errors_ps=0.5, discards_ps=0)}}
    s2 = circuit_sample(spec, 1.0, {"core": b}, rates2, {})
    assert (s2.ab_bps, s2.ba_bps, s2.errors_ps) == (3e6, 1e6, 0.5)
