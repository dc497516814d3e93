"""Fleet cycle time: 1,000 simulated devices × 48 interfaces (snmpsim), one poll cycle, v2c.

The fleet is served by ``--agents`` snmpsim processes on 127.0.0.1 (each owns a slice of the
devices; a device is selected by its community). The poller (fast engine) runs one full cycle: every
interface row of every device is walked once. The simulator is pure Python (pysnmp/pyasn1) and
shares the machine's cores with the poller, so the cycle time is bounded by the simulator; the
poller's own CPU time is printed separately.

Usage: ``.venv/bin/python benchmarks/bench_poller_fleet.py [--devices 1000] [--interfaces 48]``.
Data and snmpsim indices are kept under ``build/poller/fleet`` so reruns skip re-indexing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from poller.agent import free_udp_port  # noqa: E402
from poller.cycle import CycleResult, Poller  # noqa: E402
from poller.fastsnmp import FastClient  # noqa: E402
from poller.readings import Credentials, Target  # noqa: E402
from poller.simulator import SimInterface, SnmpsimAgent, write_fleet  # noqa: E402


def fleet(devices: int, interfaces: int) -> dict[str, list[SimInterface]]:
    """Devices ``dev0000``.. with ``GigabitEthernet0/0/<i>`` interfaces at distinct known rates."""
    out = {}
    for d in range(devices):
        out[f"dev{d:04d}"] = [
            SimInterface(f"GigabitEthernet0/0/{i}", in_rate=1000.0 * (i + 1), out_rate=500.0 * (d % 7 + 1))
            for i in range(interfaces)
        ]  # fmt: skip
    return out


async def cycle(args: argparse.Namespace, targets: list[Target]) -> tuple[CycleResult, float]:
    """Run one cycle (every device walked once); return it and the poller's CPU seconds."""
    client = FastClient(timeout=args.timeout, retries=1, deadline=1800.0,
                        max_repetitions=args.max_repetitions)  # fmt: skip
    poller = Poller(client, targets, concurrency=args.concurrency)
    try:
        cpu0 = time.process_time()
        result = await poller.cycle()
        cpu = time.process_time() - cpu0
    finally:
        client.close()
    return result, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--interfaces", type=int, default=48)
    ap.add_argument("--agents", type=int, default=2, help="snmpsim processes")
    ap.add_argument("--concurrency", type=int, default=64, help="devices in flight")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    ap.add_argument("--max-repetitions", type=int, default=25)
    args = ap.parse_args()
    base = ROOT / "build" / "poller" / "fleet" / f"{args.devices}x{args.interfaces}"
    devices = fleet(args.devices, args.interfaces)
    names = sorted(devices)
    slices = [names[i :: args.agents] for i in range(args.agents)]
    t0 = time.perf_counter()
    for k, part in enumerate(slices):
        write_fleet(base / f"data{k}", {n: devices[n] for n in part})
    targets: list[Target] = []
    with ExitStack() as stack:
        for k, part in enumerate(slices):
            port = free_udp_port()
            agent = SnmpsimAgent(base / f"data{k}", port, base / f"cache{k}", probe=part[0])
            stack.callback(agent.stop)
            agent.start(wait=1800)
            targets += [Target(n, "127.0.0.1", port, Credentials("2c", community=n)) for n in part]
        print(f"fleet ready in {time.perf_counter() - t0:.1f} s ({args.agents} snmpsim processes)")
        result, cpu = asyncio.run(cycle(args, targets))
    ok = sum(d.reachable for d in result.devices)
    rows = result.interface_rows()
    print(f"devices answered: {ok}/{len(result.devices)}; interface rows: {rows}")
    print(f"cycle time: {result.seconds:.2f} s ({rows / result.seconds:.0f} rows/s); "
          f"poller CPU: {cpu:.2f} s ({rows / max(cpu, 1e-9):.0f} rows per CPU-second)")  # fmt: skip
    slow = sorted(result.devices, key=lambda d: d.seconds)[-1]
    print(f"slowest device: {slow.device} {slow.seconds:.2f} s")
    return 0 if ok == len(result.devices) else 1


if __name__ == "__main__":
    raise SystemExit(main())
