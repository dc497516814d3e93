"""Simulated SNMP fleets with snmpsim (tests and benchmarks): counters moving at known rates.

Each simulated device is one ``<name>.snmprec`` file; SNMPv2c selects it by community ``<name>``,
SNMPv3 by context name. Counters use snmpsim's ``numeric`` variation (value = initial + rate × time
since the simulator started), so restarting the simulator is a reboot: ``sysUpTime`` and every
counter start again from their initial values.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from poller.oids import COLUMNS, SYS_UPTIME_0, parse_oid
from testing.snmp_agent import stop_process
from topology.diagnostics import OperationError

COUNTER64_MAX = 2**64


@dataclass(frozen=True, slots=True)
class SimInterface:
    """One simulated interface: octet rates in octets per second, error rate per second."""

    name: str
    in_rate: float = 0.0
    out_rate: float = 0.0
    in_initial: int = 0
    out_initial: int = 0
    oper_status: int = 1
    speed_mbps: int = 1000
    error_rate: float = 0.0
    out_wrap_at: float | None = None


def _numeric(tag: int, rate: float, initial: int, wrap: bool) -> str:
    spec = f"{tag}:numeric|rate={rate:.17g},initial={initial}"
    if wrap:
        spec += f",max={COUNTER64_MAX if tag == 70 else 2**32},wrap=1"
    return spec


def wrap_at(rate: float, epoch: float) -> str:
    """A Counter64 that wraps at wall-clock time ``epoch`` (snmpsim ``atime``: value = initial +
    rate × time.time(), independent of when the simulator started).

    Examples:
        >>> wrap_at(1000.0, 1_000_000.0)
        '70:numeric|rate=1000,initial=18446744072709551616,max=18446744073709551616,wrap=1,atime=1'
    """
    return _numeric(70, rate, COUNTER64_MAX - int(rate * epoch), True) + ",atime=1"


def snmprec(interfaces: Sequence[SimInterface], uptime: bool = True) -> str:
    """Return an snmpsim data file for one device (records sorted by OID, as snmpsim requires).

    Examples:
        >>> text = snmprec([SimInterface("eth1", in_rate=10)])
        >>> text.splitlines()[0]
        '1.3.6.1.2.1.1.3.0|67:numeric|rate=100,initial=0'
        >>> "1.3.6.1.2.1.31.1.1.1.1.1|4|eth1" in text
        True
    """
    recs: list[tuple[tuple[int, ...], str]] = []
    if uptime:
        recs.append((parse_oid(SYS_UPTIME_0), "67:numeric|rate=100,initial=0"))
    for i, itf in enumerate(interfaces, start=1):
        wrap_in = itf.in_initial > COUNTER64_MAX // 2
        wrap_out = itf.out_initial > COUNTER64_MAX // 2
        err = _numeric(65, itf.error_rate, 0, False) if itf.error_rate else "65|0"
        values = {
            "name": f"4|{itf.name}",
            "in_octets": _numeric(70, itf.in_rate, itf.in_initial, wrap_in),
            "out_octets": _numeric(70, itf.out_rate, itf.out_initial, wrap_out)
            if itf.out_wrap_at is None
            else wrap_at(itf.out_rate, itf.out_wrap_at),
            "high_speed": f"66|{itf.speed_mbps}",
            "discontinuity": "67|0",
            "oper_status": f"2|{itf.oper_status}",
            "in_discards": "65|0",
            "in_errors": err,
            "out_discards": "65|0",
            "out_errors": "65|0",
        }
        for col, val in values.items():
            recs.append(((*parse_oid(COLUMNS[col]), i), val))
    recs.sort()
    return "".join(f"{'.'.join(map(str, oid))}|{val}\n" for oid, val in recs)


def write_fleet(data_dir: Path, devices: Mapping[str, Sequence[SimInterface]]) -> None:
    """Write one data file per device (unchanged files are left alone, keeping snmpsim's index)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for name, itfs in devices.items():
        path = data_dir / f"{name}.snmprec"
        text = snmprec(itfs)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)


def transport_id(index: int) -> str:
    """Return snmpsim's transport ID of its ``index``-th UDP/IPv4 endpoint (0-based).

    Examples:
        >>> transport_id(3)
        '1.3.6.1.6.1.1.3'
    """
    return f"1.3.6.1.6.1.1.{index}"


def write_endpoint_fleet(data_dir: Path, devices: Sequence[Sequence[SimInterface]]) -> None:
    """Write one device per simulator endpoint: device ``i`` answers SNMPv3 requests (empty
    context) on the ``i``-th ``--agent-udpv4-endpoint``; over v2c its community is
    ``transport_id(i)``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for i, itfs in enumerate(devices):
        path = data_dir / f"{transport_id(i)}.snmprec"
        text = snmprec(itfs)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)


class SnmpsimAgent:
    """One ``snmpsim-command-responder`` process on 127.0.0.1 (a context manager; stop by PID).

    Args:
        data_dir: folder of ``.snmprec`` files.
        port: UDP port on 127.0.0.1.
        cache_dir: where snmpsim keeps its indices (reuse it to skip re-indexing).
        v3: (user, auth key, priv key) for a SHA/AES user, or None.
        probe: a community (device name) used to check that the agent answers.
        extra_ports: more UDP endpoints (transport IDs 1, 2, … in this order).
    """

    def __init__(
        self,
        data_dir: Path,
        port: int,
        cache_dir: Path,
        v3: tuple[str, str, str] | None = None,
        probe: str | None = None,
        extra_ports: Sequence[int] = (),
    ) -> None:
        self.data_dir, self.port, self.cache_dir = data_dir, port, cache_dir
        self.extra_ports = tuple(extra_ports)
        self.v3 = v3
        self.probe = probe
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """Return the simulator's command line."""
        exe = Path(sys.executable).with_name("snmpsim-command-responder")
        cmd = [str(exe), f"--data-dir={self.data_dir}", f"--cache-dir={self.cache_dir}"]
        cmd += [f"--agent-udpv4-endpoint=127.0.0.1:{p}" for p in (self.port, *self.extra_ports)]
        cmd += ["--logging-method=null"]
        if self.v3:
            user, auth, priv = self.v3
            cmd += [f"--v3-user={user}", f"--v3-auth-key={auth}", "--v3-auth-proto=SHA"]
            cmd += [f"--v3-priv-key={priv}", "--v3-priv-proto=AES"]
        return cmd

    def start(self, wait: float = 120.0) -> SnmpsimAgent:
        """Start the simulator and wait until it answers (indexing a big fleet takes a while)."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")
        self.proc = subprocess.Popen(
            self.command(), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
        )
        probe = self.probe or next(iter(sorted(self.data_dir.glob("*.snmprec")))).stem
        end = time.monotonic() + wait
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                break
            got = subprocess.run(
                [
                    "snmpget",
                    "-v2c",
                    "-c",
                    probe,
                    "-t",
                    "0.3",
                    "-r",
                    "0",
                    "-On",
                    f"127.0.0.1:{self.port}",
                    SYS_UPTIME_0,
                ],
                capture_output=True,
                check=False,
            )
            if got.returncode == 0:
                return self
            time.sleep(0.2)
        self.stop()
        raise OperationError(f"snmpsim on port {self.port} did not start within {wait:g} s")

    def stop(self) -> None:
        """Stop the process this object started and reap it."""
        stop_process(self.proc, 10)
        self.proc = None

    def __enter__(self) -> SnmpsimAgent:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
