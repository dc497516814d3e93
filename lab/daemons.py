"""Per-router daemons: FRR, sshd and snmpd, each with its own files under the lab folder."""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from pathlib import Path

from lab.configs import (
    FRR_DAEMONS,
    LabCredentials,
    NodePaths,
    bootstrap_config,
    frr_daemon_argv,
    snmp_cache_off_argv,
    snmpd_config,
    sshd_config,
    vtysh_config,
)
from lab.plan import LabNode
from lab.state import ProcessRecord, StateRecorder
from lab.system import LabError, in_ns, ns_inode, pid_alive, read_pid, run

logger = logging.getLogger(__name__)

SOCKET_PATH_MAX = 100


def ensure_traversable(path: Path) -> None:
    """Let the FRR and login users walk down to ``path``: add the search (x) bit where missing.

    A restrictive umask (077) would otherwise leave ``build/`` or the lab root closed to them.
    Only the execute bit is added; nothing becomes readable or writable.
    """
    for d in (path, *path.resolve().parents):
        mode = d.stat().st_mode
        if mode & 0o011 != 0o011:
            d.chmod(mode | 0o011)


def prepare_dirs(paths: NodePaths, user: str) -> None:
    """Create the router's folders with the owners FRR and the management user need."""
    if len(str(paths.run / "staticd.vty")) > SOCKET_PATH_MAX:
        raise LabError(
            f"lab: {paths.run} is too long for unix sockets (max {SOCKET_PATH_MAX})\n"
            "  hint: use a shorter --root"
        )
    for d in (paths.base, paths.ssh, paths.snmp):
        d.mkdir(parents=True, exist_ok=True)
    ensure_traversable(paths.base)
    for d, owner, mode in (
        (paths.run, "frr", 0o775),
        (paths.log, "frr", 0o775),
        (paths.etc, user, 0o2775),
        (paths.var, user, 0o700),
    ):
        d.mkdir(parents=True, exist_ok=True)
        shutil.chown(d, owner, "frr")
        d.chmod(mode)


def _alive(rec: StateRecorder, node: LabNode, name: str) -> bool:
    inode = ns_inode(node.namespace)
    for p in rec.state.processes:
        if p.namespace == node.namespace and p.name == name:
            if pid_alive(p.pid) and p.ns_inode == inode:
                return True
            rec.remove("processes", p)
    return False


def _record(rec: StateRecorder, node: LabNode, name: str, pidfile: Path) -> None:
    deadline = time.monotonic() + 10
    pid = read_pid(pidfile)
    while (pid is None or not pid_alive(pid)) and time.monotonic() < deadline:
        time.sleep(0.02)
        pid = read_pid(pidfile)
    if pid is None or not pid_alive(pid):
        raise LabError(f"lab: {name} did not start in {node.namespace} (no live pid in {pidfile})")
    rec.add(
        "processes",
        ProcessRecord(
            namespace=node.namespace,
            device=node.hostname,
            name=name,
            pid=pid,
            ns_inode=ns_inode(node.namespace) or 0,
        ),
    )


def start_frr(rec: StateRecorder, node: LabNode, paths: NodePaths, user: str, banner: str) -> None:
    """Start zebra, staticd, ospfd and bgpd; load the boot config when FRR was not running."""
    conf = paths.etc / "frr.conf"
    if not conf.exists():
        conf.write_text(bootstrap_config(node), encoding="utf-8")
        shutil.chown(conf, user, "frr")
        conf.chmod(0o660)
    vtysh_conf = paths.etc / "vtysh.conf"
    vtysh_conf.write_text(vtysh_config(banner), encoding="utf-8")
    vtysh_conf.chmod(0o644)  # read by the login user's vtysh, whatever the umask
    started = False
    for daemon in FRR_DAEMONS:
        if _alive(rec, node, daemon):
            continue
        (paths.run / f"{daemon}.pid").unlink(missing_ok=True)
        run(in_ns(node.namespace, frr_daemon_argv(daemon, paths), node.hostname))
        _record(rec, node, daemon, paths.run / f"{daemon}.pid")
        started = True
    if started:
        _wait_sockets(paths)
        run(
            in_ns(
                node.namespace,
                ["vtysh", "--vty_socket", str(paths.run), "--config_dir", str(paths.etc), "-b"],
                node.hostname,
            ),
            check=False,
        )


def _wait_sockets(paths: NodePaths) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if all((paths.run / f"{d}.vty").exists() for d in FRR_DAEMONS):
            return
        time.sleep(0.02)
    raise LabError(f"lab: FRR vty sockets did not appear in {paths.run}")


def start_sshd(
    rec: StateRecorder, node: LabNode, paths: NodePaths, user: str, authorized_keys: Path
) -> None:
    """Start the router's sshd on its management address with its own host key."""
    if _alive(rec, node, "sshd"):
        return
    key = paths.ssh / "ssh_host_ed25519_key"
    if not key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", node.hostname, "-f", str(key)])
    conf = paths.ssh / "sshd_config"
    conf.write_text(sshd_config(node, paths, user, authorized_keys), encoding="utf-8")
    run(["/usr/sbin/sshd", "-t", "-f", str(conf)])
    (paths.run / "sshd.pid").unlink(missing_ok=True)
    run(in_ns(node.namespace, ["/usr/sbin/sshd", "-f", str(conf)], node.hostname))
    _record(rec, node, "sshd", paths.run / "sshd.pid")


def start_snmpd(rec: StateRecorder, node: LabNode, paths: NodePaths, creds: LabCredentials) -> None:
    """Start net-snmp's snmpd on the management address, serving the namespace's IF-MIB.

    The interface-table cache is then turned off (fresh counters on every request) through a
    one-off community that only the namespace's loopback can use and that writes nsCacheTimeout.
    """
    if _alive(rec, node, "snmpd"):
        return
    cache_community = secrets.token_hex(12)
    conf = paths.snmp / "snmpd.conf"
    conf.write_text(snmpd_config(node, creds, cache_community), encoding="utf-8")
    conf.chmod(0o600)
    pidfile = paths.run / "snmpd.pid"
    pidfile.unlink(missing_ok=True)
    argv = [
        "env",
        f"SNMP_PERSISTENT_DIR={paths.snmp}",
        "/usr/sbin/snmpd",
        "-C",
        "-c",
        str(conf),
        "-p",
        str(pidfile),
        "-Lf",
        str(paths.log / "snmpd.log"),
        "-I",
        "-smux",
    ]
    run(in_ns(node.namespace, argv, node.hostname))
    _record(rec, node, "snmpd", pidfile)
    run(in_ns(node.namespace, snmp_cache_off_argv(cache_community)))


def ensure_privsep_dir(rec: StateRecorder) -> None:
    """sshd needs ``/run/sshd``; create it (and record it) when the host has none."""
    path = Path("/run/sshd")
    if not path.exists():
        path.mkdir(mode=0o755)
        rec.add("paths", str(path))
