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

logger = logging.getLogger(__name__)

SNMPD = "/usr/sbin/snmpd"


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
    user: str = "egpoll"
    auth_key: str = "egnet-auth-key-1"
    priv_key: str = "egnet-priv-key-1"
    netns: str | None = None

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
        >>> "agentAddress udp:127.0.0.1:16161" in text and "rouser egpoll priv" in text
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
    )


class SnmpdAgent:
    """Start and stop one private ``snmpd`` (a context manager)."""

    def __init__(self, cfg: AgentConfig) -> None:
        self.cfg = cfg
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, wait: float = 5.0) -> SnmpdAgent:
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
        self._wait_ready(wait)
        return self

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
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
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
