"""Flow export in the lab: pmacct's ``uacctd`` in every router namespace, ``nfacctd`` in the NMS one.

Real routers export NetStream/NetFlow from their access-facing interfaces (inbound), so every flow is
reported once, where it enters the extranet. The lab's traffic sources are the routers themselves
(iperf3 bound to a loopback), so each router logs the packets it originates (an nftables
``postrouting`` rule ``ip saddr <loopback> log group N`` in a table of its own) to ``uacctd``, whose
``nfprobe`` plugin exports NetFlow v9 to the collector over the management network.

Why not softflowd: it reads libpcap's TPACKET_V3 ring without a block timeout, so packets reach it
only in whole blocks (~1,000 packets here) and the tail of a measurement never does; NFLOG hands
every packet over at once (measured: 5,360 of 5,357 iperf3 datagrams + control packets reported).

Everything is started by :class:`FlowCapture` and stopped when it closes, also on error: daemons by
PID, the nftables tables by name.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from lab.system import LabError, in_ns, pid_alive
from topology.management import FLOW_PORT

logger = logging.getLogger(__name__)

COLLECTOR_PORT = FLOW_PORT  # the collector port the vendor configs export to (one source)
UACCTD = "/usr/sbin/uacctd"
NFACCTD = "/usr/sbin/nfacctd"
NFT_TABLE = "egnet_flows"
NFLOG_GROUP = 5


NFT = "/usr/sbin/nft"


def nft_log_rules(source: str) -> str:
    """Return the nftables table that hands every packet from ``source`` to NFLOG.

    Examples:
        >>> print(nft_log_rules("10.0.0.1"))
        table ip egnet_flows {
          chain originated {
            type filter hook postrouting priority 100;
            ip saddr 10.0.0.1 log group 5
          }
        }
    """
    ipaddress.IPv4Address(source)
    return (
        f"table ip {NFT_TABLE} {{\n  chain originated {{\n"
        "    type filter hook postrouting priority 100;\n"
        f"    ip saddr {source} log group {NFLOG_GROUP}\n  }}\n}}"
    )


def uacctd_config(collector_ip: str, port: int, active_timeout: int, name: str) -> str:
    """Return a ``uacctd`` configuration exporting NetFlow v9 with the ``nfprobe`` plugin.

    Examples:
        >>> print(uacctd_config("198.19.0.1", 2055, 5, "r1"))
        daemonize: false
        uacctd_group: 5
        plugins: nfprobe[r1]
        nfprobe_receiver[r1]: 198.19.0.1:2055
        nfprobe_version[r1]: 9
        nfprobe_timeouts[r1]: maxlife=5:udp=5:expint=1
        aggregate[r1]: src_host, dst_host, src_port, dst_port, proto, tos
        <BLANKLINE>
    """
    ipaddress.ip_address(collector_ip)
    if not name.replace("-", "").isalnum() or not 1 <= active_timeout <= 600:
        raise ValueError("bad exporter name or timeout")
    return (
        "daemonize: false\n"
        f"uacctd_group: {NFLOG_GROUP}\n"
        f"plugins: nfprobe[{name}]\n"
        f"nfprobe_receiver[{name}]: {collector_ip}:{port}\n"
        f"nfprobe_version[{name}]: 9\n"
        f"nfprobe_timeouts[{name}]: maxlife={active_timeout}:udp=5:expint=1\n"
        f"aggregate[{name}]: src_host, dst_host, src_port, dst_port, proto, tos\n"
    )


@dataclass(frozen=True, slots=True)
class Exporter:
    """One router whose originated traffic is exported."""

    hostname: str
    namespace: str
    loopback: str


@dataclass
class FlowCapture:
    """Run a collector and one exporter per router for as long as the context is open.

    ``collector_config`` is the ``nfacctd`` configuration (``poller.flows.nfacctd_config``, composed
    by the caller: the lab does not import the poller); it must listen on ``collector_ip`` port
    :data:`COLLECTOR_PORT` and write its bins into ``out_dir``.

    ``active_timeout`` (the exporter's ``maxlife``) is kept below ``bin_seconds`` so that a long flow is
    reported in every bin it lasts.
    """

    collector_namespace: str
    collector_ip: str
    collector_config: str
    exporters: tuple[Exporter, ...]
    out_dir: Path
    bin_seconds: int = 10
    active_timeout: int = 5
    _procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    _tables: list[str] = field(default_factory=list)

    def __enter__(self) -> FlowCapture:
        for tool in (UACCTD, NFACCTD, NFT):
            if not os.access(tool, os.X_OK):
                raise LabError(f"{tool} not found\n  hint: apt-get install pmacct nftables")
        ipaddress.ip_address(self.collector_ip)
        self.out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        run_dir = self.out_dir.parent / (self.out_dir.name + ".run")
        run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        conf = run_dir / "nfacctd.conf"
        conf.write_text(self.collector_config, encoding="utf-8")
        try:
            self._start(
                "nfacctd",
                in_ns(self.collector_namespace, [NFACCTD, "-f", str(conf)]),
                run_dir / "nfacctd.log",
            )
            time.sleep(0.5)
            for exp in self.exporters:
                src = str(ipaddress.ip_interface(exp.loopback).ip)
                self._nft(exp.namespace, nft_log_rules(src))
                conf_e = run_dir / f"uacctd-{exp.hostname}.conf"
                conf_e.write_text(
                    uacctd_config(
                        self.collector_ip, COLLECTOR_PORT, self.active_timeout, exp.hostname
                    ),
                    encoding="utf-8",
                )
                self._start(
                    f"uacctd:{exp.hostname}",
                    in_ns(exp.namespace, [UACCTD, "-f", str(conf_e)]),
                    run_dir / f"uacctd-{exp.hostname}.log",
                )
            time.sleep(0.5)
            dead = [name for name, p in self._procs if p.poll() is not None]
            if dead:
                raise LabError(
                    f"flow daemons exited at start: {', '.join(dead)} (logs in {run_dir})"
                )
        except BaseException:
            self.close()
            raise
        return self

    def _nft(self, namespace: str, rules: str) -> None:
        proc = subprocess.run(
            in_ns(namespace, [NFT, "-f", "-"]), input=rules, text=True, capture_output=True,
            timeout=30, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise LabError(f"nft in {namespace}: {proc.stderr.strip()}")
        self._tables.append(namespace)

    def _start(self, name: str, argv: list[str], log: Path) -> None:
        with log.open("wb") as fh:
            proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT)
        self._procs.append((name, proc))
        logger.info("started %s (pid %d)", name, proc.pid)

    def close(self) -> None:
        """Stop every daemon this capture started, by PID (exporters first, so they flush), and
        delete the nftables tables it added."""
        for name, proc in reversed(self._procs):
            if proc.poll() is None and pid_alive(proc.pid):
                # pmacct daemons flush their caches and exit on SIGINT
                proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                logger.warning("%s (pid %d) ignored SIGTERM; killing it", name, proc.pid)
                proc.kill()
                proc.wait(timeout=5)
        self._procs.clear()
        for namespace in self._tables:
            subprocess.run(
                in_ns(namespace, [NFT, "delete", "table", "ip", NFT_TABLE]),
                capture_output=True, timeout=30, check=False,
            )  # fmt: skip
        self._tables.clear()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pids(self) -> list[int]:
        """PIDs of the running daemons."""
        return [p.pid for _, p in self._procs if p.poll() is None]
