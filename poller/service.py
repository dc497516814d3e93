"""The polling loop: cycle, store, alert, deliver; on a fixed interval (composition at the edge)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from poller.alerts import Alert, AlertEngine, AlertSink, deliver
from poller.cycle import CycleResult, Poller
from poller.store import Store, write_alerts

logger = logging.getLogger(__name__)

PRUNE_EVERY = 3600.0


@dataclass
class Service:
    """Runs a :class:`Poller` and feeds its results to the store, the alert engine and the sinks."""

    poller: Poller
    store: Store | None = None
    alerts: AlertEngine = field(default_factory=AlertEngine)
    sinks: Sequence[AlertSink] = ()
    on_result: Callable[[CycleResult, list[Alert]], None] | None = None
    _last_prune: float = 0.0

    async def once(self) -> tuple[CycleResult, list[Alert]]:
        """Run one cycle and handle its results."""
        result = await self.poller.cycle()
        events = self.alerts.evaluate(result)
        if self.store is not None:
            self.store.write_samples(result.circuits)
            self.store.write_devices(result.devices, result.at)
            self.store.write_counters(result.counters, result.at)
            write_alerts(self.store, events)
            if time.time() - self._last_prune > PRUNE_EVERY:
                self.store.prune()
                self._last_prune = time.time()
        deliver(self.sinks, events)
        if self.on_result is not None:
            self.on_result(result, events)
        return result, events

    async def run(self, interval: float, cycles: int | None = None) -> None:
        """Cycle every ``interval`` seconds (start times on a fixed grid), ``cycles`` times or forever.

        A cycle that overruns the interval skips the missed slots instead of piling up.
        """
        start = time.monotonic()
        n = 0
        while cycles is None or n < cycles:
            await self.once()
            n += 1
            if cycles is not None and n >= cycles:
                break
            elapsed = time.monotonic() - start
            slots = int(elapsed // interval) + 1
            await asyncio.sleep(max(0.0, start + slots * interval - time.monotonic()))
