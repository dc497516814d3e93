"""One polling cycle over many devices: bounded concurrency, a per-device deadline, rates vs the last
cycle. A slow or dead device costs its own deadline and never holds up the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from pydantic import BaseModel, ConfigDict, Field

from poller.rates import Discard
from poller.readings import DeviceReading, Target
from poller.samples import (
    CircuitSample,
    EndCounters,
    IfRate,
    circuit_sample,
    discarded,
    end_counters,
    interface_rates,
)
from poller.snmp_client import SnmpClient
from poller.targets import CircuitSpec

logger = logging.getLogger(__name__)


class DeviceStatus(BaseModel):
    """Whether a device answered in this cycle, and how long it took."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device: str
    reachable: bool
    interfaces: int
    seconds: float
    error: str | None = None
    #: SNMP replies dropped this cycle by reason (spoofed, mismatched, malformed; issue 9 §2)
    dropped: dict[str, int] = Field(default_factory=dict)
    #: interface rates discarded this cycle by reason (reboot, clock-mismatch, over-speed ...)
    discarded: dict[str, int] = Field(default_factory=dict)


class CycleResult(BaseModel):
    """Everything one cycle produced."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: float
    seconds: float
    devices: tuple[DeviceStatus, ...]
    circuits: tuple[CircuitSample, ...]
    #: raw octet counters of the circuit ends read in this cycle
    counters: tuple[EndCounters, ...] = ()

    def interface_rows(self) -> int:
        """Return how many interface rows were read in the cycle."""
        return sum(d.interfaces for d in self.devices)


class Poller:
    """Polls a fixed set of targets and keeps the previous readings for rate maths.

    Args:
        client: the SNMP client (created in the running event loop).
        targets: devices to poll.
        circuits: circuits to compute samples for (may be empty for a raw fleet poll).
        concurrency: devices in flight at once.
    """

    def __init__(
        self,
        client: SnmpClient,
        targets: Sequence[Target],
        circuits: Sequence[CircuitSpec] = (),
        concurrency: int = 200,
    ) -> None:
        self.client = client
        self.targets = list(targets)
        self.circuits = list(circuits)
        self.concurrency = concurrency
        self.previous: dict[str, DeviceReading] = {}

    async def read_all(self) -> dict[str, DeviceReading]:
        """Read every target, at most ``concurrency`` at a time."""
        sem = asyncio.Semaphore(self.concurrency)

        async def one(t: Target) -> DeviceReading:
            async with sem:
                mono, at = time.monotonic(), time.time()
                try:
                    got = await self.client.read_device(t)
                except Exception as exc:  # one device's failure never touches another's result
                    logger.exception("%s: reading failed", t.device)
                    got = DeviceReading(t.device, at, None, error=f"internal error: "
                                        f"{type(exc).__name__}: {exc}"[:500],
                                        duration=time.monotonic() - mono)  # fmt: skip
                return replace(got, mono=mono)

        got = await asyncio.gather(*(one(t) for t in self.targets))
        return {r.device: r for r in got}

    async def cycle(self) -> CycleResult:
        """Poll once; return device statuses and circuit samples (rates need a previous cycle)."""
        t0 = time.monotonic()
        at = time.time()
        readings = await self.read_all()
        rates: dict[str, dict[str, IfRate]] = {}
        reasons: dict[str, dict[str, Discard]] = {}
        for name, cur in readings.items():
            rates[name], reasons[name] = interface_rates(self.previous.get(name), cur)
            if cur.ok:
                self.previous[name] = cur
        samples = tuple(circuit_sample(c, at, readings, rates, reasons) for c in self.circuits)
        counters = tuple(e for c in self.circuits for e in end_counters(c, readings))
        devices = tuple(
            DeviceStatus(
                device=r.device,
                reachable=r.ok,
                interfaces=len(r.interfaces),
                seconds=round(r.duration, 4),
                error=r.error,
                dropped=dict(r.dropped),
                discarded=discarded(reasons.get(r.device, {})),
            )
            for r in readings.values()
        )
        seconds = time.monotonic() - t0
        logger.info("cycle: %d devices, %d circuits, %.2f s", len(devices), len(samples), seconds)
        return CycleResult(
            at=at, seconds=seconds, devices=devices, circuits=samples, counters=counters
        )
