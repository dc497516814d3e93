"""Benchmark: ``lab up`` + native deploy + OSPF convergence for inventory/lab (goal: <= 120 s).

Run as root: ``.venv/bin/python benchmarks/bench_lab.py [--engine native|ansible]``. Uses its own
lab folder (build/lab-bench) and throw-away secrets; tears the lab down at the end, always.
"""

from __future__ import annotations

import argparse
import os
import secrets as pysecrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from deploy.ansible_engine import ansible_deploy  # noqa: E402
from deploy.drivers.registry import driver_factory  # noqa: E402
from deploy.engine import deploy  # noqa: E402
from deploy.options import DeployOptions  # noqa: E402
from deploy.transport import Credentials  # noqa: E402
from lab.manager import status  # noqa: E402
from lab.naming import NMS_NAMESPACE, namespace_name  # noqa: E402
from lab.netns import ns_wrapper, tcp_opener  # noqa: E402
from lab.probe import ping  # noqa: E402
from lab.session import LabHandle, running_lab  # noqa: E402
from topology.secrets import Secrets  # noqa: E402

INVENTORY = REPO / "inventory" / "lab"
ROOT = REPO / "build" / "lab-bench"


def _secrets_env() -> None:
    token = pysecrets.token_hex(6)
    defaults = {
        "SSH_USERNAME": "egnetbench",
        "SSH_PASSWORD": f"B-{token}-1",
        "SNMP_COMMUNITY": token,
        "SNMP_V3_AUTH_KEY": f"a-{token}",
        "SNMP_V3_PRIV_KEY": f"p-{token}",
        "OSPF_KEY": token[:8],
        "BGP_PASSWORD": f"b-{token}",
        "SSH_KEY_FILE": str(ROOT / "ssh" / "id_ed25519"),
    }
    for name, value in defaults.items():
        os.environ.setdefault(f"EGNET_SECRET_{name}", value)


def _converged(lab: LabHandle) -> bool:
    want = {h: len(lab.topo.circuits_of(h)) for h in lab.topo.devices}
    if {s.device: s.ospf_full for s in status(lab.root)} != want:
        return False
    loops = {h: d.loopback.split("/")[0] for h, d in lab.topo.devices.items()}

    def ok(src: str) -> bool:
        return all(
            ping(namespace_name(src), loops[src], ip, timeout=0.5)
            for dst, ip in loops.items()
            if dst != src
        )

    with ThreadPoolExecutor(10) as pool:
        return all(pool.map(ok, sorted(loops)))


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["native", "ansible"], default="native")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench_lab: needs root (network namespaces)")
        return 2
    _secrets_env()
    t0 = time.monotonic()
    with running_lab(INVENTORY, ROOT, Secrets()) as lab:
        t_up = time.monotonic()
        hosts = sorted(lab.topo.devices)
        opts = DeployOptions(commit=True, canary=1, batch=len(hosts), backups=ROOT / "backups")
        if args.engine == "native":
            make = driver_factory(
                lab.topo, Credentials.from_secrets(lab.secrets), tcp_opener(NMS_NAMESPACE)
            )
            results = deploy(lab.topo, hosts, lab.secrets, opts, make)
        else:
            results = ansible_deploy(
                lab.topo,
                INVENTORY,
                hosts,
                lab.secrets,
                opts,
                ns_wrapper(NMS_NAMESPACE),
                ROOT / "ansible",
            )
        t_deploy = time.monotonic()
        while not _converged(lab):
            if time.monotonic() - t_deploy > 180:
                print("bench_lab: no convergence within 180 s")
                return 1
            time.sleep(1)
        t_conv = time.monotonic()
    t_down = time.monotonic()
    failed = sum(1 for r in results if r.failed)
    print(f"engine               {args.engine}")
    print(f"devices              {len(hosts)} ({failed} failed)")
    print(f"lab up               {t_up - t0:7.1f} s")
    print(f"deploy (commit)      {t_deploy - t_up:7.1f} s")
    print(f"convergence          {t_conv - t_deploy:7.1f} s")
    print(f"up+deploy+converge   {t_conv - t0:7.1f} s   (goal <= 120 s)")
    print(f"lab down             {t_down - t_conv:7.1f} s")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
