"""Rate maths: wrap, reboot, discontinuity, utilisation against the contracted rate."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from poller.cycle import CycleResult, Poller
from poller.rates import (
    COUNTER32_MODULUS,
    COUNTER64_MODULUS,
    Discard,
    agent_interval,
    counter_delta,
    discard_reason,
    octets_to_bps,
    percentile,
    utilisation,
)
from poller.readings import Credentials, DeviceReading, IfReading, Target
from poller.samples import IfRate, State, circuit_sample, discarded, interface_rates
from poller.service import Service
from poller.store import Store
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


def _dev(uptime: int, *rows: IfReading, at: float | None = None) -> DeviceReading:
    """A reading whose poller clock agrees with its sysUpTime unless ``at`` says otherwise."""
    return DeviceReading("r1", uptime / 100 if at is None else at, uptime, rows)


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


# --- issue 9 §3: the agent's interval is bounded by the poller's clock; impossible rates go ----


def test_reboot_after_248_days_is_a_reboot_not_a_wrap() -> None:
    """sysUpTime 2,600,000,000 → 6,000 ticks with counters reset, 60 s later: no 8.7 Tb/s."""
    prev = _dev(2_600_000_000, _row("eth1", 1, 10**12, 10**12), at=1000.0)
    cur = _dev(6_000, _row("eth1", 1, 5_000, 5_000), at=1060.0)
    rates, why = interface_rates(prev, cur)
    assert rates == {} and why == {"eth1": Discard.REBOOT}


def test_genuine_timeticks_wrap_still_gives_a_rate() -> None:
    prev = _dev(2**32 - 3000, _row("eth1", 1, 0, 0), at=1000.0)
    cur = _dev(3000, _row("eth1", 1, 750_000, 0), at=1060.0)
    rates, why = interface_rates(prev, cur)
    assert why == {} and rates["eth1"].in_bps == pytest.approx(100_000.0)


def test_uptime_jump_of_ten_days_in_a_minute_is_discarded() -> None:
    prev = _dev(6_000, _row("eth1", 1, 0, 0), at=1000.0)
    cur = _dev(6_000 + 10 * 86400 * 100, _row("eth1", 1, 10**12, 0), at=1060.0)
    rates, why = interface_rates(prev, cur)
    assert rates == {} and why == {"eth1": Discard.CLOCK}


def test_monotonic_clock_wins_over_wall_clock() -> None:
    """The wall clock stepped back an hour (NTP): the monotonic interval still says 60 s."""
    prev = replace(_dev(6_000, _row("eth1", 1, 0, 0), at=5000.0), mono=100.0)
    cur = replace(_dev(12_000, _row("eth1", 1, 750_000, 0), at=1460.0), mono=160.0)
    rates, why = interface_rates(prev, cur)
    assert why == {} and rates["eth1"].in_bps == pytest.approx(100_000.0)


def test_rate_above_interface_speed_is_discarded() -> None:
    prev = _dev(6_000, _row("eth1", 1, 0, 0), _row("eth2", 2, 0, 0))
    # 1 Gb/s ports (ifHighSpeed 1000): eth1 claims 8.7 Tb/s, eth2 runs at line rate
    cur = _dev(12_000, _row("eth1", 1, 65_250_000_000_000, 0), _row("eth2", 2, 7_500_000_000, 0))
    rates, why = interface_rates(prev, cur)
    assert why == {"eth1": Discard.OVERSPEED}
    assert rates["eth2"].in_bps == pytest.approx(1e9)
    assert discarded(why) == {"over-speed": 1}


@given(
    prev=st.integers(0, 2**32 - 1),
    cur=st.integers(0, 2**32 - 1),
    wall=st.floats(0.0, 10 * 86400),
)
def test_agent_interval_never_strays_from_the_poller_clock(
    prev: int, cur: int, wall: float
) -> None:
    got = agent_interval(prev, cur, wall, slack=2.0)
    if not isinstance(got, Discard):
        assert got > 0 and abs(got - wall) <= 2.0 + 0.05 * wall + 1e-9


class _Scripted:
    """A stand-in SNMP client replaying readings (a real agent cannot fake a 300-day uptime)."""

    def __init__(self, script: dict[str, list[DeviceReading | Exception]]) -> None:
        self.script = script

    async def read_device(self, target: Target) -> DeviceReading:
        step = self.script[target.device].pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def close(self) -> None:
        """Nothing to release."""


def test_cycle_stores_no_invented_traffic_and_counts_the_discard(tmp_path: Path) -> None:
    spec = CircuitSpec("t-up1", "r1", "eth1", "r2", "eth1", 20_000_000, "t")

    def mk(dev: str, up: int, octets: int) -> DeviceReading:
        return DeviceReading(dev, 0.0, up, (_row("eth1", 1, octets, octets),))

    client = _Scripted({
        "r1": [mk("r1", 2_600_000_000, 10**12), mk("r1", 6_000, 5_000)],
        "r2": [mk("r2", 100, 0), mk("r2", 100 + 6_000 + 10 * 86400 * 100, 10**13)],
    })  # fmt: skip
    cred = Credentials("2c", community="x")
    targets = [Target(d, "192.0.2.1", 161, cred) for d in ("r1", "r2")]
    store = Store(tmp_path / "p.db")
    service = Service(Poller(client, targets, [spec]), store=store)

    async def go() -> CycleResult:
        await service.once()
        await asyncio.sleep(0)
        return (await service.once())[0]

    result = asyncio.run(go())
    by_dev = {d.device: d for d in result.devices}
    assert by_dev["r1"].discarded == {"reboot": 1}
    assert by_dev["r2"].discarded == {"clock-mismatch": 1}
    (sample,) = result.circuits
    assert sample.ab_bps is None and sample.ba_bps is None
    rows = store.con.execute("SELECT ab_bps, ba_bps FROM samples").fetchall()
    assert rows and all(r == (None, None) for r in rows)
    assert store.con.execute("SELECT count(*) FROM rollup5m").fetchone() == (0,)
    store.close()


def test_one_device_raising_does_not_touch_the_others() -> None:
    good = [DeviceReading("ok", 0.0, 100, (_row("eth1", 1, 0, 0),))]
    client = _Scripted({"ok": list(good), "bad": [OverflowError("int too big to convert")]})
    cred = Credentials("2c", community="x")
    poller = Poller(client, [Target(d, "192.0.2.1", 161, cred) for d in ("bad", "ok")])
    result = asyncio.run(poller.cycle())
    by_dev = {d.device: d for d in result.devices}
    assert by_dev["ok"].reachable and by_dev["ok"].interfaces == 1
    assert not by_dev["bad"].reachable
    assert by_dev["bad"].error == "internal error: OverflowError: int too big to convert"
