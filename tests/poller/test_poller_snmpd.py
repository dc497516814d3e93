"""The poller against a real net-snmp snmpd on a loopback port (v2c and v3 authPriv)."""

from __future__ import annotations

import asyncio
import itertools
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from poller.clients import make_client
from poller.cycle import Poller
from poller.fastsnmp import FastClient
from poller.readings import Credentials, DeviceReading, Target
from poller.samples import interface_rates
from poller.service import Service
from poller.store import Store
from testing.pysnmp_client import peer_client
from testing.snmp_agent import AgentConfig, SnmpdAgent, free_udp_port


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentConfig]:
    cfg = AgentConfig(tmp_path_factory.mktemp("snmpd"), free_udp_port(), cache_timeout=0)
    with SnmpdAgent(cfg):
        yield cfg


#: the poll engine and the pysnmp comparison peer (testing.pysnmp_client)
ENGINES = ["fast", "pysnmp"]


def _read(
    target: Target, engine: str = "fast", timeout: float = 2.0, retries: int = 1
) -> DeviceReading:
    async def go() -> DeviceReading:
        client = peer_client(engine, timeout=timeout, retries=retries)
        try:
            return await client.read_device(target)
        finally:
            client.close()

    return asyncio.run(go())


def _netsnmp_ifnames(cfg: AgentConfig) -> list[str]:
    out = subprocess.run(
        ["snmpbulkwalk", "-v2c", "-c", cfg.community, "-Oqv", f"127.0.0.1:{cfg.port}",
         "1.3.6.1.2.1.31.1.1.1.1"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [line.strip().strip('"') for line in out.splitlines()]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("version", ["3", "2c"])
def test_reads_every_interface_like_net_snmp(agent: AgentConfig, version: str, engine: str) -> None:
    cred = agent.v3() if version == "3" else agent.v2c()
    r = _read(Target("host", "127.0.0.1", agent.port, cred), engine)
    assert r.ok, r.error
    assert r.uptime is not None and r.uptime >= 0
    assert [i.name for i in r.interfaces] == _netsnmp_ifnames(agent)
    lo = r.by_name["lo"]
    assert lo.oper_status == 1 and lo.in_octets > 0


def test_both_engines_read_the_same_rows(agent: AgentConfig) -> None:
    target = Target("host", "127.0.0.1", agent.port, agent.v3())
    fast, ref = _read(target, "fast"), _read(target, "pysnmp")
    assert [(i.index, i.name, i.high_speed, i.oper_status) for i in fast.interfaces] == [
        (i.index, i.name, i.high_speed, i.oper_status) for i in ref.interfaces
    ]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("wrong", ["auth", "priv", "user"])
def test_v3_wrong_credentials_are_an_error_not_an_exception(
    agent: AgentConfig, engine: str, wrong: str
) -> None:
    bad = Credentials(
        "3",
        user="nobody-here" if wrong == "user" else agent.user,
        auth_key="wrong-auth-key" if wrong == "auth" else agent.auth_key,
        priv_key="wrong-priv-key" if wrong == "priv" else agent.priv_key,
    )
    t0 = time.monotonic()
    r = _read(Target("host", "127.0.0.1", agent.port, bad), engine, timeout=0.5, retries=0)
    assert not r.ok and r.error
    assert time.monotonic() - t0 < 5


def test_loopback_rate_matches_traffic_sent(agent: AgentConfig) -> None:
    """Send a known volume over lo between two readings; the measured rate must cover it."""
    target = Target("host", "127.0.0.1", agent.port, agent.v3())

    async def go() -> tuple[DeviceReading, DeviceReading, int]:
        client = make_client("fast")
        try:
            first = await client.read_device(target)
            sent = _blast_loopback(40_000_000)
            await asyncio.sleep(0.5)
            return first, await client.read_device(target), sent
        finally:
            client.close()

    first, second, sent = asyncio.run(go())
    seconds = (second.uptime - first.uptime) / 100  # type: ignore[operator]
    rates, _ = interface_rates(first, second)
    got = rates["lo"].in_bps * seconds / 8
    # payload plus IP/UDP headers, plus the SNMP exchange itself; nothing much else runs on lo
    assert sent <= got <= sent * 1.1 + 2_000_000


def _blast_loopback(total: int) -> int:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"x" * 8000
    sent = 0
    try:
        while sent < total:
            tx.sendto(payload, rx.getsockname())
            sent += len(payload)
            rx.setblocking(False)
            try:
                while True:
                    rx.recv(9000)
            except BlockingIOError:
                pass
    finally:
        rx.close()
        tx.close()
    return sent


@pytest.mark.parametrize("engine", ENGINES)
def test_dead_and_silent_devices_do_not_stall_the_cycle(agent: AgentConfig, engine: str) -> None:
    """A closed port and a socket that swallows requests cost their own deadline, in parallel."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        targets = [
            Target("live", "127.0.0.1", agent.port, agent.v2c()),
            Target("silent", "127.0.0.1", silent.getsockname()[1], agent.v2c()),
            Target("closed", "127.0.0.1", free_udp_port(), agent.v2c()),
            Target("silent-v3", "127.0.0.1", silent.getsockname()[1], agent.v3()),
        ]

        async def go() -> tuple[float, dict[str, DeviceReading]]:
            client = peer_client(engine, timeout=0.5, retries=1, deadline=1.5)
            poller = Poller(client, targets, concurrency=10)
            t0 = time.monotonic()
            try:
                got = await poller.read_all()
            finally:
                client.close()
            return time.monotonic() - t0, got

        took, got = asyncio.run(go())
    finally:
        silent.close()
    assert got["live"].ok and got["live"].interfaces
    assert got["live"].duration < 1.0
    for name in ("silent", "closed", "silent-v3"):
        assert not got[name].ok
        assert got[name].duration <= 1.7
    assert took < 2.5  # not 3 × the deadline: failures run side by side


def test_fast_client_socket_has_a_large_receive_buffer(agent: AgentConfig) -> None:
    async def go() -> int:
        client = FastClient()
        try:
            r = await client.read_device(Target("host", "127.0.0.1", agent.port, agent.v2c()))
            assert r.ok
            assert client.transport is not None
            sock = client.transport.get_extra_info("socket")
            return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
        finally:
            client.close()

    assert asyncio.run(go()) >= 4 * 1024 * 1024


def test_service_loop_stores_every_cycle(agent: AgentConfig, tmp_path: Path) -> None:
    """Three cycles on a 0.5 s grid: device status and cycle results land in the store."""
    seen: list[float] = []

    async def go() -> None:
        client = make_client("fast")
        poller = Poller(client, [Target("host", "127.0.0.1", agent.port, agent.v3())])
        store = Store(tmp_path / "p.db")
        service = Service(poller, store, on_result=lambda r, a: seen.append(r.at))
        try:
            await service.run(interval=0.5, cycles=3)
        finally:
            client.close()
            store.close()

    asyncio.run(go())
    assert len(seen) == 3
    assert all(0.35 < b - a < 0.8 for a, b in itertools.pairwise(seen))
    store = Store(tmp_path / "p.db")
    assert store.devices()["host"]["reachable"] is True
    store.close()


def test_v3_survives_agent_restart(tmp_path: Path) -> None:
    """After a restart the agent's engineBoots grows and engineTime restarts: the client resyncs
    (the poll engine only: the pysnmp peer never resynchronises)."""
    cfg = AgentConfig(tmp_path, free_udp_port())
    agent = SnmpdAgent(cfg).start()
    try:

        async def go() -> tuple[DeviceReading, DeviceReading]:
            client = make_client("fast", timeout=1.0, retries=1)
            target = Target("host", "127.0.0.1", cfg.port, cfg.v3())
            try:
                before = await client.read_device(target)
                agent.stop()
                agent.start()
                return before, await client.read_device(target)
            finally:
                client.close()

        before, after = asyncio.run(go())
    finally:
        agent.stop()
    assert before.ok and after.ok, after.error
    assert after.uptime is not None and before.uptime is not None
