"""A private net-snmp ``snmpd`` for tests and benchmarks: own config, own data dir, loopback port.

The agent listens on ``127.0.0.1:<port>`` (or inside a network namespace the caller created), with a
v2c read-only community and an SNMPv3 authPriv user (SHA/AES) created by ``createUser`` in its own
configuration. :meth:`SnmpdAgent.stop` ends exactly the process it started, by PID.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from poller.readings import Credentials
from topology.diagnostics import OperationError
from topology.management import DEFAULT_SNMP_USERS

logger = logging.getLogger(__name__)

SNMPD = "/usr/sbin/snmpd"
#: NET-SNMP-AGENT-MIB::nsCacheTimeout; indexed by the cached table's OID
NS_CACHE_TIMEOUT = "1.3.6.1.4.1.8072.1.5.3.1.2"
IF_TABLE_CACHE = NS_CACHE_TIMEOUT + ".1.3.6.1.2.1.2.2"


def free_udp_port(host: str = "127.0.0.1") -> int:
    """Return a UDP port on ``host`` that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class AgentConfig:
    """What the private agent serves and to whom."""

    workdir: Path
    port: int
    host: str = "127.0.0.1"
    community: str = "egnet-test"
    user: str = DEFAULT_SNMP_USERS[0].name  # the user the poller authenticates as by default
    auth_key: str = "egnet-auth-key-1"
    priv_key: str = "egnet-priv-key-1"
    netns: str | None = None
    cache_timeout: int | None = None
    rw_community: str = "egnet-cache-rw"

    def v3(self) -> Credentials:
        """Return the v3 authPriv credentials of the agent's user."""
        return Credentials("3", user=self.user, auth_key=self.auth_key, priv_key=self.priv_key)

    def v2c(self) -> Credentials:
        """Return the v2c credentials."""
        return Credentials("2c", community=self.community)


def snmpd_conf(cfg: AgentConfig) -> str:
    """Return the agent's ``snmpd.conf`` text.

    Examples:
        >>> text = snmpd_conf(AgentConfig(Path("/tmp/x"), 16161))
        >>> "agentAddress udp:127.0.0.1:16161" in text and "rouser egnet-nms priv" in text
        True
    """
    return (
        f"[snmp] persistentDir {cfg.workdir / 'persist'}\n"
        f"agentAddress udp:{cfg.host}:{cfg.port}\n"
        f"rocommunity {cfg.community} 127.0.0.1\n"
        f"rocommunity {cfg.community} 198.18.0.0/15\n"
        f'createUser {cfg.user} SHA "{cfg.auth_key}" AES "{cfg.priv_key}"\n'
        f"rouser {cfg.user} priv\n"
        "dontLogTCPWrappersConnects yes\n"
        + (
            f"rwcommunity {cfg.rw_community} {cfg.host} {NS_CACHE_TIMEOUT}\n"
            if cfg.cache_timeout is not None
            else ""
        )
    )


def stop_process(proc: subprocess.Popen[bytes] | None, grace: float) -> None:
    """Terminate a process this code started (by its PID), kill it after ``grace`` s, reap it."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class SnmpdAgent:
    """Start and stop one private ``snmpd`` (a context manager)."""

    def __init__(self, cfg: AgentConfig, start_wait: float = 10.0) -> None:
        self.cfg = cfg
        self.start_wait = start_wait
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, wait: float | None = None) -> SnmpdAgent:
        """Write the config and start the agent in the foreground; wait until it answers."""
        cfg = self.cfg
        (cfg.workdir / "persist").mkdir(parents=True, exist_ok=True)
        conf = cfg.workdir / "snmpd.conf"
        conf.write_text(snmpd_conf(cfg), encoding="utf-8")
        cmd = [SNMPD, "-f", "-r", "-C", "-c", str(conf), "-Lf", str(cfg.workdir / "snmpd.log")]
        cmd += ["-M", "/usr/share/snmp/mibs", "-m", ""]
        if cfg.netns:
            cmd = ["ip", "netns", "exec", cfg.netns, *cmd]
        env = {"SNMP_PERSISTENT_DIR": str(cfg.workdir / "persist"), "PATH": "/usr/sbin:/usr/bin"}
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL)
        self._wait_ready(self.start_wait if wait is None else wait)
        if cfg.cache_timeout is not None:
            self._set_cache_timeout(cfg.cache_timeout)
        return self

    def _set_cache_timeout(self, seconds: int) -> None:
        """Set snmpd's interface-table cache lifetime (default 3 s; 0 serves live counters)."""
        cfg = self.cfg
        cmd = ["snmpset", "-v2c", "-c", cfg.rw_community, "-t", "2", "-r", "2"]
        cmd += [f"{cfg.host}:{cfg.port}", IF_TABLE_CACHE, "i", str(seconds)]
        if cfg.netns:
            cmd = ["ip", "netns", "exec", cfg.netns, *cmd]
        got = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if got.returncode != 0:
            self.stop()
            raise OperationError(f"snmpd: cannot set the ifTable cache timeout: {got.stderr}")

    def _wait_ready(self, wait: float) -> None:
        log = self.cfg.workdir / "snmpd.log"
        end = time.monotonic() + wait
        while time.monotonic() < end:
            if self.proc is not None and self.proc.poll() is not None:
                break
            if log.exists() and "NET-SNMP version" in log.read_text(errors="replace"):
                return
            time.sleep(0.05)
        text = log.read_text(errors="replace") if log.exists() else ""
        self.stop()
        raise OperationError(f"snmpd on port {self.cfg.port} did not start: {text.strip()}")

    def stop(self) -> None:
        """Stop the agent this object started (by PID) and reap it."""
        stop_process(self.proc, 5)
        self.proc = None

    def __enter__(self) -> SnmpdAgent:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
