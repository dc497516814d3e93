"""The poller against snmpsim: the lab model's devices with counters moving at known rates,
a Counter64 wrap between polls and a simulated reboot (restart of the simulator)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from poller.clients import make_client
from poller.cycle import CycleResult, Poller
from poller.readings import Credentials, Target
from poller.samples import CircuitSample
from poller.store import Store, measured_loads
from poller.targets import circuit_specs
from testing.pysnmp_client import peer_client
from testing.snmp_agent import free_udp_port
from testing.snmp_fleet import COUNTER64_MAX, SimInterface, SnmpsimAgent, write_fleet
from topology import Topology, load_topology

ROOT = Path(__file__).resolve().parents[2]
WRAP_DELAY = 25.0  # lab-core1 eth1's out counter wraps this long after the data is written


def _out_rate(topo: Topology, circuit: str, end: str) -> float:
    """Octets/s sent into the circuit by one end: distinct per circuit and direction."""
    idx = sorted(topo.circuits).index(circuit)
    cap = topo.circuits[circuit].capacity_bps
    frac = 0.05 + 0.03 * (idx % 25) + (0.1 if end == "b" else 0.0)  # 5 % .. 87 % of contract
    return cap * frac / 8


def _fleet(topo: Topology, wrap_epoch: float) -> dict[str, list[SimInterface]]:
    fleet: dict[str, list[SimInterface]] = {}
    for dev in topo.devices.values():
        itfs = []
        for itf in dev.interfaces:
            if itf.circuit is None:
                itfs.append(SimInterface(itf.name))
                continue
            c = topo.circuits[itf.circuit]
            me = "a" if c.a.device == dev.hostname else "b"
            out = _out_rate(topo, c.id, me)
            peer_out = _out_rate(topo, c.id, "b" if me == "a" else "a")
            wrap = wrap_epoch if (dev.hostname, itf.name) == ("lab-core1", "eth1") else None
            itfs.append(SimInterface(itf.name, in_rate=peer_out, out_rate=out, out_wrap_at=wrap))
        fleet[dev.hostname] = itfs
    return fleet


@pytest.fixture(scope="module")
def topo() -> Topology:
    return load_topology(ROOT / "inventory" / "lab")


@pytest.fixture(scope="module")
def sim(
    topo: Topology, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SnmpsimAgent, float]]:
    """The lab fleet on snmpsim, and the wall-clock time when lab-core1 eth1's counter wraps."""
    base = tmp_path_factory.mktemp("snmpsim")
    wrap_epoch = time.time() + WRAP_DELAY
    write_fleet(base / "data", _fleet(topo, wrap_epoch))
    agent = SnmpsimAgent(base / "data", free_udp_port(), base / "cache", probe="lab-core1")
    with agent:
        yield agent, wrap_epoch


def _cycle(poller: Poller) -> CycleResult:
    async def go() -> CycleResult:
        poller.client = make_client("fast", timeout=3.0, retries=2, deadline=60.0)
        try:
            return await poller.cycle()
        finally:
            poller.client.close()

    return asyncio.run(go())


# snmpsim computes each value when it encodes it; on a loaded machine the counters of a response
# are computed up to ~100 ms after its sysUpTime, and that skew varies between polls: over a few
# seconds' interval that is a few per cent (real agents and the lab test hold 2 %).
REL = 0.05


def _check_rates(topo: Topology, samples: tuple[CircuitSample, ...]) -> None:
    for s in samples:
        assert s.state.value == "up", s
        ab, ba = _out_rate(topo, s.circuit, "a") * 8, _out_rate(topo, s.circuit, "b") * 8
        assert s.ab_bps == pytest.approx(ab, rel=REL), s.circuit
        assert s.ba_bps == pytest.approx(ba, rel=REL), s.circuit
        assert s.util_ab == pytest.approx(ab / topo.circuits[s.circuit].capacity_bps, rel=REL)


def test_known_rates_wrap_and_reboot(
    topo: Topology, sim: tuple[SnmpsimAgent, float], tmp_path: Path
) -> None:
    agent, wrap_epoch = sim
    targets = [
        Target(d, "127.0.0.1", agent.port, Credentials("2c", community=d)) for d in topo.devices
    ]
    poller = Poller(make_client("fast"), targets, circuit_specs(topo))
    store = Store(tmp_path / "p.db")

    first = _cycle(poller)
    store.write_samples(first.circuits)
    assert all(d.reachable for d in first.devices)
    assert {s.note for s in first.circuits} == {"first"}
    wrap_before = poller.previous["lab-core1"].by_name["eth1"].out_octets
    assert wrap_before > COUNTER64_MAX // 2, "simulator too slow to start: wrap already happened"

    time.sleep(max(3.0, wrap_epoch + 0.5 - time.time()))
    second = _cycle(poller)
    store.write_samples(second.circuits)
    assert all(d.reachable for d in second.devices), second.devices
    assert poller.previous["lab-core1"].by_name["eth1"].out_octets < wrap_before  # it wrapped
    _check_rates(topo, second.circuits)
    township = next(s for s in second.circuits if s.circuit == "dongxian-qiaotou-up1")
    assert township.capacity_bps == 20_000_000  # contracted MSTP 20M, whatever the port speed

    agent.stop()  # reboot: sysUpTime and (relative-time) counters restart from zero
    agent.start()
    third = _cycle(poller)
    store.write_samples(third.circuits)
    assert {s.note for s in third.circuits} == {"reboot"}
    assert all(s.ab_bps is None for s in third.circuits)

    time.sleep(5.0)
    fourth = _cycle(poller)
    store.write_samples(fourth.circuits)
    assert all(d.reachable for d in fourth.devices), fourth.devices
    _check_rates(topo, fourth.circuits)

    loads = measured_loads(tmp_path / "p.db", now=time.time() + 1)
    for cid, (ab, _ba) in loads.items():  # no spike from the wrap or the reboot
        assert ab == pytest.approx(_out_rate(topo, cid, "a") * 8, rel=REL)
    store.close()


@pytest.mark.parametrize("engine", ["fast", "pysnmp"])
def test_v3_context_selects_the_device(tmp_path: Path, engine: str) -> None:
    """snmpsim serves SNMPv3 authPriv with the context name selecting the device's data."""
    write_fleet(tmp_path / "data", {"r9": [SimInterface("eth1", in_rate=1000, out_rate=2000)]})
    v3 = ("egsim", "egsim-auth-key", "egsim-priv-key")
    with SnmpsimAgent(tmp_path / "data", free_udp_port(), tmp_path / "cache", v3=v3) as agent:
        cred = Credentials("3", user=v3[0], auth_key=v3[1], priv_key=v3[2])
        target = Target("r9", "127.0.0.1", agent.port, cred, context="r9")

        async def go() -> tuple[int, int]:
            client = peer_client(engine)
            try:
                r = await client.read_device(target)
                assert r.ok, r.error
                return r.by_name["eth1"].out_octets, len(r.interfaces)
            finally:
                client.close()

        out, n = asyncio.run(go())
    assert n == 1 and out > 0
