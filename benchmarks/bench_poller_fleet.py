"""Fleet cycle time: 1,000 simulated devices × 48 interfaces (snmpsim), one poll cycle, v2c.

``--agent snmpd`` instead polls ``--devices`` targets that all live on one net-snmp snmpd with
``--interfaces`` interfaces in a throwaway namespace (root; ``--v3`` for authPriv): the C agent
answers faster than snmpsim, so that cycle time is the poller's.

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
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_poller import PORT, build_namespace  # noqa: E402

from poller.cycle import CycleResult, Poller  # noqa: E402
from poller.fastsnmp import FastClient  # noqa: E402
from poller.readings import Credentials, Target  # noqa: E402
from testing.snmp_agent import AgentConfig, SnmpdAgent, free_udp_port  # noqa: E402
from testing.snmp_fleet import SimInterface, SnmpsimAgent, write_fleet  # noqa: E402


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


def report(result: CycleResult, cpu: float) -> bool:
    """Print the cycle's figures; return True when every device answered."""
    ok = sum(d.reachable for d in result.devices)
    rows = result.interface_rows()
    print(f"devices answered: {ok}/{len(result.devices)}; interface rows: {rows}")
    print(f"cycle time: {result.seconds:.2f} s ({rows / result.seconds:.0f} rows/s); "
          f"poller CPU: {cpu:.2f} s ({rows / max(cpu, 1e-9):.0f} rows per CPU-second)")  # fmt: skip
    slow = sorted(result.devices, key=lambda d: d.seconds)[-1]
    print(f"slowest device: {slow.device} {slow.seconds:.2f} s")
    return ok == len(result.devices)


def run_snmpsim(args: argparse.Namespace) -> bool:
    """The fleet on snmpsim: one data file per device, ``--agents`` simulator processes."""
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
    return report(result, cpu)


def run_snmpd(args: argparse.Namespace) -> bool:
    """The fleet as ``--devices`` targets on one net-snmp snmpd with ``--interfaces`` interfaces,
    in a throwaway namespace (the C agent is not the bottleneck: this measures the poller)."""
    if os.geteuid() != 0:
        print("--agent snmpd needs root (network namespaces)", file=sys.stderr)
        return False
    if args.inner:
        cfg = AgentConfig(Path(args.workdir), PORT)
        cred = cfg.v3() if args.v3 else cfg.v2c()
        targets = [Target(f"dev{d:04d}", "127.0.0.1", PORT, cred) for d in range(args.devices)]
        result, cpu = asyncio.run(cycle(args, targets))
        return report(result, cpu)
    ns = f"egp-fleet-{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="egp-fleet-") as work:
        try:
            build_namespace(ns, args.interfaces)
            with SnmpdAgent(AgentConfig(Path(work), PORT, netns=ns), start_wait=120):
                print(f"snmpd with {args.interfaces} interfaces; {args.devices} targets, "
                      f"{'v3 authPriv' if args.v3 else 'v2c'}")  # fmt: skip
                cmd = ["ip", "netns", "exec", ns, sys.executable, __file__, "--agent=snmpd",
                       "--inner", f"--workdir={work}", *sys.argv[1:]]  # fmt: skip
                return subprocess.run(cmd, check=False).returncode == 0
        finally:
            subprocess.run(["ip", "netns", "del", ns], check=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--interfaces", type=int, default=48)
    ap.add_argument("--agent", choices=["snmpsim", "snmpd"], default="snmpsim")
    ap.add_argument("--agents", type=int, default=2, help="snmpsim processes")
    ap.add_argument("--v3", action="store_true", help="SNMPv3 authPriv (snmpd agent only)")
    ap.add_argument("--concurrency", type=int, default=64, help="devices in flight")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    ap.add_argument("--max-repetitions", type=int, default=25)
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    ok = run_snmpd(args) if args.agent == "snmpd" else run_snmpsim(args)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
