"""Interface rows per second: egnet's pollers vs net-snmp ``snmpbulkwalk``, same snmpd, v2c and v3.

Builds a throwaway network namespace ``egp-bench-<pid>`` with many interfaces (veth pairs), runs a
private snmpd inside it on the namespace's 127.0.0.1, then, inside the namespace:

- net-snmp: one ``snmpbulkwalk -Cr25`` per polled column (the 10 IF-MIB columns egnet reads) plus
  ``snmpget sysUpTime.0``, i.e. what a shell poller does for one device;
- egnet ``fast`` (poller.fastsnmp) and ``pysnmp`` (testing.pysnmp_client, a comparison peer) engines: one ``read_device`` each,
  all 10 columns walked in parallel in one GETBULK stream, max-repetitions 25.

A row is one interface with all its columns. Ratio = egnet rows/s ÷ net-snmp rows/s.
Needs root (namespaces). Usage: ``.venv/bin/python benchmarks/bench_poller.py [--interfaces 1000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from poller.fastsnmp import FastClient
from poller.oids import COLUMNS, SYS_UPTIME_0
from poller.readings import Credentials, Target
from poller.snmp_client import SnmpClient
from testing.pysnmp_client import PysnmpClient
from testing.snmp_agent import AgentConfig, SnmpdAgent

PORT = 16161


def build_namespace(ns: str, interfaces: int) -> None:
    """Create the namespace with ``interfaces`` veth ends, all up."""
    subprocess.run(["ip", "netns", "add", ns], check=True)
    subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
    pairs = interfaces // 2
    cmds = [f"link add va{i} type veth peer name vb{i}" for i in range(pairs)]
    cmds += [f"link set {p}{i} up" for i in range(pairs) for p in ("va", "vb")]
    subprocess.run(["ip", "-n", ns, "-batch", "-"], input="\n".join(cmds) + "\n", text=True,
                   check=True)  # fmt: skip


def netsnmp_round(cred: Credentials, port: int) -> int:
    """Fetch sysUpTime and the 10 columns with net-snmp tools; return the rows seen."""
    if cred.version == "2c":
        auth = ["-v2c", "-c", cred.community]
    else:
        auth = ["-v3", "-l", "authPriv", "-u", cred.user, "-a", "SHA", "-A", cred.auth_key]
        auth += ["-x", "AES", "-X", cred.priv_key]
    agent = f"127.0.0.1:{port}"
    subprocess.run(["snmpget", *auth, "-Oqv", agent, SYS_UPTIME_0], check=True,
                   capture_output=True)  # fmt: skip
    rows = 0
    for oid in COLUMNS.values():
        out = subprocess.run(["snmpbulkwalk", *auth, "-Cr25", "-OQn", agent, oid], check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
        rows = max(rows, out.count("\n"))
    return rows


def bench_netsnmp(cred: Credentials, port: int, rounds: int) -> float:
    t0 = time.perf_counter()
    rows = sum(netsnmp_round(cred, port) for _ in range(rounds))
    return rows / (time.perf_counter() - t0)


async def bench_egnet(client: SnmpClient, cred: Credentials, port: int, rounds: int,
                      parallel: int) -> float:  # fmt: skip
    target = Target("bench", "127.0.0.1", port, cred)
    first = await client.read_device(target)  # warm-up: v3 discovery, first snmpd cache fill
    assert first.ok, first.error
    t0 = time.perf_counter()
    rows = 0
    for _ in range(rounds):
        got = await asyncio.gather(*(client.read_device(target) for _ in range(parallel)))
        for r in got:
            assert r.ok, r.error
            rows += len(r.interfaces)
    return rows / (time.perf_counter() - t0)


def inner(args: argparse.Namespace) -> None:
    """Run inside the namespace: measure and print."""
    cfg = AgentConfig(Path(args.workdir), args.port)
    creds = {"v2c": cfg.v2c(), "v3": cfg.v3()}
    print(f"snmpd with {args.interfaces} interfaces (+lo), rows = interfaces × 10 columns")
    print(f"{'version':8} {'tool':28} {'rows/s':>10} {'ratio':>7}")
    for name, cred in creds.items():
        base = bench_netsnmp(cred, args.port, args.rounds)
        print(f"{name:8} {'net-snmp snmpbulkwalk':28} {base:10.0f} {1.0:7.2f}")
        for label, factory, par in (
            ("egnet fast, 1 in flight", lambda: FastClient(timeout=10, retries=2), 1),
            ("egnet fast, 4 in flight", lambda: FastClient(timeout=10, retries=2), 4),
            (
                "egnet pysnmp, 1 in flight",
                lambda: PysnmpClient(timeout=10, retries=2, deadline=300),
                1,
            ),
        ):
            rounds = max(1, args.rounds // par) if "fast" in label else max(1, args.rounds // 4)

            async def run() -> float:
                client = factory()  # noqa: B023
                try:
                    return await bench_egnet(client, cred, args.port, rounds, par)  # noqa: B023
                finally:
                    client.close()

            rate = asyncio.run(run())
            print(f"{name:8} {label:28} {rate:10.0f} {rate / base:7.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interfaces", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=PORT, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        inner(args)
        return 0
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 2
    ns = f"egp-bench-{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="egp-bench-") as work:
        try:
            build_namespace(ns, args.interfaces)
            cfg = AgentConfig(Path(work), PORT, netns=ns)
            with SnmpdAgent(cfg, start_wait=120):
                cmd = ["ip", "netns", "exec", ns, sys.executable, __file__, "--inner",
                       f"--workdir={work}", f"--port={PORT}", f"--interfaces={args.interfaces}",
                       f"--rounds={args.rounds}"]  # fmt: skip
                subprocess.run(cmd, check=True)
        finally:
            subprocess.run(["ip", "netns", "del", ns], check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
