"""Harness of the department-change lab proof (issue 15): a bastion namespace, an operator's
personal account on the lab routers, SSH to the routers allowed only through the bastion, and the
department's hosts attached to the zone emulation (:mod:`lab.zones`) at the addresses the PE routers
actually run after the deploy.

Everything here is created by name and removed by name (namespaces, the nftables table, the user)
or by PID (the bastion's sshd), even when the test fails.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from deploy.backup_repo import BackupRepo
from deploy.change import load_change
from lab.access import SHELL_NAME
from lab.naming import MGMT_BRIDGE, NMS_NAMESPACE, namespace_name
from lab.probe import ping
from lab.session import LabHandle
from lab.system import in_ns, namespaces, pid_alive, read_pid, run
from lab.zone_run import zone_lab
from lab.zones import INTERNET_ADDR, ZoneNode, ZonePlan, zone_plan
from topology import load_topology
from topology.departments import Department
from topology.model import Tier, Topology
from topology.secrets import env_name

JUMP_NS = "egd-jump"
JUMP_PEER = "egd-jump0"  # its veth end on the management bridge (NMS namespace)
NFT_TABLE = "egd_jumponly"


@contextlib.contextmanager
def bastion(work: Path, address: str, user: str) -> Iterator[str]:
    """A jump-host namespace on the management bridge running sshd (TCP forwarding for ``user``
    only, password login); yields its address."""
    ip = address.split("/")[0]
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)
    key = work / "ssh_host_ed25519_key"
    pidfile = work / "sshd.pid"
    conf = work / "sshd_config"
    try:
        run(["ip", "netns", "add", JUMP_NS])
        run(["ip", "-n", JUMP_NS, "link", "set", "lo", "up"])
        cmd = ["ip", "-n", NMS_NAMESPACE, "link", "add", JUMP_PEER, "type", "veth"]
        run([*cmd, "peer", "name", "eth0", "netns", JUMP_NS])
        run(["ip", "-n", NMS_NAMESPACE, "link", "set", JUMP_PEER, "master", MGMT_BRIDGE, "up"])
        run(["ip", "-n", JUMP_NS, "addr", "add", address, "dev", "eth0"])
        run(["ip", "-n", JUMP_NS, "link", "set", "eth0", "up"])
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "egd-jump", "-f", str(key)])
        conf.write_text(
            "\n".join(
                [
                    f"ListenAddress {ip}",
                    f"HostKey {key}",
                    f"PidFile {pidfile}",
                    "UsePAM no",
                    "PasswordAuthentication yes",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication no",
                    "PermitRootLogin no",
                    f"AllowUsers {user}",
                    "AllowTcpForwarding local",
                    "PermitTTY no",
                    "X11Forwarding no",
                    "StrictModes no",
                    "UseDNS no",
                    "MaxSessions 64",
                    "MaxStartups 64:30:128",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        run(["/usr/sbin/sshd", "-t", "-f", str(conf)])
        run(in_ns(JUMP_NS, ["/usr/sbin/sshd", "-f", str(conf)]))
        deadline = time.monotonic() + 5
        while read_pid(pidfile) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        yield ip
    finally:
        pid = read_pid(pidfile) if pidfile.exists() else None
        if pid is not None and pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        if JUMP_NS in namespaces():
            run(["ip", "netns", "del", JUMP_NS], check=False)
        run(["ip", "-n", NMS_NAMESPACE, "link", "del", JUMP_PEER], check=False)


@contextlib.contextmanager
def ssh_only_through(jump_ip: str, mgmt_subnet: str) -> Iterator[None]:
    """In the NMS namespace, refuse every new SSH connection to the management subnet except to
    the bastion: whatever reaches a router's SSH must have gone through the jump host. Only
    connection attempts (SYN) are matched and counted: connections other tests left open (an
    Ansible control master) are not this test's."""
    rules = (
        f"table ip {NFT_TABLE} {{\n"
        "  chain out { type filter hook output priority 0; policy accept;\n"
        f"    ip daddr {mgmt_subnet} ip daddr != {jump_ip} tcp dport 22 "
        "tcp flags & (syn | ack) == syn counter reject\n"
        "  }\n"
        "}\n"
    )
    try:
        run(in_ns(NMS_NAMESPACE, ["nft", "-f", "-"]), input_text=rules)
        yield
    finally:
        run(in_ns(NMS_NAMESPACE, ["nft", "delete", "table", "ip", NFT_TABLE]), check=False)


def blocked_direct() -> int:
    """Direct SSH connection attempts to a router the NMS-side rule refused so far."""
    out = run(in_ns(NMS_NAMESPACE, ["nft", "list", "table", "ip", NFT_TABLE])).stdout
    m = re.search(r"counter packets (\d+)", out)
    return int(m.group(1)) if m else 0


def _router_files(lab: LabHandle, host: str) -> tuple[Path, Path, Path]:
    base = lab.root / namespace_name(host)
    return base / "ssh" / "sshd_config", base / "run" / "sshd.pid", base / "var"


def _hup(pidfile: Path) -> None:
    pid = read_pid(pidfile)
    assert pid is not None and pid_alive(pid), f"{pidfile}: sshd not running"
    os.kill(pid, signal.SIGHUP)  # sshd re-executes itself and re-reads its config


@contextlib.contextmanager
def personal_account(lab: LabHandle, user: str, password: str) -> Iterator[None]:
    """``user`` with its own password on every lab router: a system user whose login shell is the
    routers' vtysh shell, allowed by each router's sshd; the routers' device-state folders opened
    to the ``frr`` group while it exists (restored afterwards)."""
    lab_user = next(
        ln.split()[1]
        for ln in _router_files(lab, next(iter(lab.topo.devices)))[0].read_text().splitlines()
        if ln.startswith("AllowUsers ")
    )
    shell = lab.root / "bin" / SHELL_NAME
    saved: dict[str, str] = {}
    try:
        run(["useradd", "--system", "--no-create-home", "--home-dir", str(lab.root / "home"),
             "--shell", str(shell), "--groups", "frrvty,frr", user])  # fmt: skip
        run(["chpasswd"], input_text=f"{user}:{password}\n")
        for host in lab.topo.devices:
            conf, pidfile, var = _router_files(lab, host)
            text = conf.read_text(encoding="utf-8")
            saved[host] = text
            conf.write_text(
                text.replace(f"AllowUsers {lab_user}\n", f"AllowUsers {lab_user} {user}\n"),
                encoding="utf-8",
            )
            var.chmod(0o2770)
            _hup(pidfile)
        time.sleep(0.5)  # sshd re-executes on SIGHUP
        yield
    finally:
        for host, text in saved.items():
            conf, pidfile, var = _router_files(lab, host)
            conf.write_text(text, encoding="utf-8")
            for f in var.iterdir():
                shutil.chown(f, lab_user, "frr")
            var.chmod(0o700)
            with contextlib.suppress(AssertionError, ProcessLookupError):
                _hup(pidfile)
        end_sessions(user)
        with contextlib.suppress(KeyError):
            pwd.getpwnam(user)
            run(["userdel", user], check=False)


def end_sessions(user: str) -> None:
    """End the SSH sessions of the test's own account (its processes and their sshd monitors),
    by PID: sessions whose client left through the bastion can outlive the test."""
    out = run(["ps", "-eo", "pid=,user=,args="]).stdout
    pids = [
        int(f[0])
        for f in (ln.split(None, 2) for ln in out.splitlines())
        if len(f) == 3 and (f[1] == user or f[2].startswith(f"sshd: {user} [priv]"))
    ]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 3
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)


def vtysh(lab: LabHandle, host: str, *commands: str) -> str:
    """Run vtysh commands on a lab router directly (what an engineer does by hand)."""
    ns = namespace_name(host)
    base = lab.root / ns
    argv = ["vtysh", "--vty_socket", str(base / "run"), "--config_dir", str(base / "etc")]
    for c in commands:
        argv += ["-c", c]
    return run(in_ns(ns, argv)).stdout


# --- the department's hosts in the zone emulation ---------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """One zone of the department as the PE runs it: its interface address, the host behind it."""

    zone: str
    pe_ns: str  # the (PE, zone) namespace of the emulation
    gateway: str  # the PE's address on the department's sub-interface (from its running config)
    prefix: str
    host_ns: str
    host: str


def running_attachments(dept: Department, running: str) -> dict[str, tuple[str, str]]:
    """zone → (PE address, prefix) of the department's sub-interfaces in a PE's running config
    (FRR: ``interface <port>.<vlan>`` with ``description <id>`` and ``ip address A/len``)."""
    out: dict[str, tuple[str, str]] = {}
    blocks = re.findall(r"(?m)^interface (\S+)\n((?: .*\n)*)", running)
    for att in dept.attachments:
        for name, body in blocks:
            if not name.endswith(f".{att.vlan}") or f" description {dept.id}\n" not in body:
                continue
            m = re.search(r"(?m)^ ip address (\S+)$", body)
            if m:
                itf = ipaddress.IPv4Interface(m.group(1))
                out[att.zone] = (str(itf.ip), str(itf.network))
    return out


def reduced_plan(topo: Topology, dept: Department, zones: set[str]) -> ZonePlan:
    """The zone emulation cut to what the proof needs: the department's site, the sites its PEs
    have circuits to, and the province, in ``zones`` only (fewer namespaces, faster to converge)."""
    full = zone_plan(topo)
    sites = {dept.site} | {s.name for s in topo.sites.values() if s.tier is Tier.PROVINCE}
    for pe in dept.pe:
        for c in topo.circuits_of(pe):
            sites |= {topo.devices[c.a.device].site, topo.devices[c.b.device].site}
    nodes = tuple(n for n in full.nodes if n.site in sites and n.zone in zones)
    have = {n.ns for n in nodes}
    return replace(
        full,
        nodes=nodes,
        links=tuple(lk for lk in full.links if lk.a_ns in have and lk.b_ns in have),
        egress=tuple(e for e in full.egress if e.ns in have),
    )


@contextlib.contextmanager
def department_hosts(
    plan: ZonePlan, dept: Department, found: dict[str, tuple[str, str]]
) -> Iterator[list[Attachment]]:
    """One host namespace per zone the PE runs for the department, wired to the PE's (PE, zone)
    namespace with the PE's address from its running config (ospfd there advertises it in that
    zone only); the host takes the last address of the block, its default route via the PE."""
    pe = dept.pe[0]
    made: list[str] = []
    out: list[Attachment] = []
    try:
        for k, (zone, (gateway, prefix)) in enumerate(sorted(found.items())):
            node = next(n for n in plan.nodes if n.hostname == pe and n.zone == zone)
            net = ipaddress.IPv4Network(prefix)
            host = str(net.broadcast_address - 1)
            hns = f"egd-h{k}-{zone}"[:40]
            run(["ip", "netns", "add", hns])
            made.append(hns)
            run(["ip", "-n", hns, "link", "set", "lo", "up"])
            cmd = ["ip", "-n", node.ns, "link", "add", f"dpt{k}", "type", "veth"]
            run([*cmd, "peer", "name", "eth0", "netns", hns])
            run(
                ["ip", "-n", node.ns, "addr", "add", f"{gateway}/{net.prefixlen}", "dev", f"dpt{k}"]
            )
            run(["ip", "-n", node.ns, "link", "set", f"dpt{k}", "up"])
            run(["ip", "-n", hns, "addr", "add", f"{host}/{net.prefixlen}", "dev", "eth0"])
            run(["ip", "-n", hns, "link", "set", "eth0", "up"])
            run(["ip", "-n", hns, "route", "add", "default", "via", gateway])
            out.append(Attachment(zone, node.ns, gateway, prefix, hns, host))
        yield out
    finally:
        for hns in made:  # deleting the namespace deletes its veth and the peer end
            run(["ip", "netns", "del", hns], check=False)


@dataclass(frozen=True)
class Probe:
    """One packet test from a department host."""

    zone: str
    target_site: str
    target_zone: str
    target: str
    allowed: bool
    reached: bool


def probe(
    plan: ZonePlan, dept: Department, hosts: list[Attachment], internet_zone: str
) -> list[Probe]:
    """From each department host: every other site's PE zone addresses (allowed only in the
    host's own zone) and the internet (allowed only from the internet zone, with an internet
    policy); real ICMP."""
    jobs: list[tuple[Attachment, str, str, str, bool]] = []
    targets: dict[tuple[str, str], ZoneNode] = {}
    for n in sorted(plan.nodes, key=lambda n: n.hostname, reverse=True):
        if n.site != dept.site:
            targets[(n.site, n.zone)] = n  # the first PE of every other site, per zone
    for h in hosts:
        for (site, zone), n in sorted(targets.items()):
            jobs.append((h, site, zone, n.address, zone == h.zone))
        allowed = h.zone == internet_zone and dept.internet == "level-egress"
        jobs.append((h, "internet", "-", INTERNET_ADDR, allowed))

    def one(j: tuple[Attachment, str, str, str, bool]) -> Probe:
        h, site, zone, target, allowed = j
        ok = ping(h.host_ns, h.host, target, timeout=0.5, tries=2)
        return Probe(h.zone, site, zone, target, allowed, ok)

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(one, jobs))


def wait_allowed(plan: ZonePlan, dept: Department, hosts: list[Attachment], internet_zone: str,
                 seconds: float = 45) -> list[Probe]:  # fmt: skip
    """Probe until every allowed cell answers (OSPF converging) or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        cells = probe(plan, dept, hosts, internet_zone)
        if all(c.reached for c in cells if c.allowed) or time.monotonic() > deadline:
            return cells
        time.sleep(1)


# --- the whole flow -----------------------------------------------------------------------------

OPERATOR, REQUESTER, APPROVER = "zhangwei", "wangmin", "lina"
DEPT = "xiqu-rsj"
SITE = "beicheng-xiqu"  # a county with two PE cores; its internet leaves by the city's egress
JUMP = "198.19.0.250/24"


def _git(repo: Path, *args: str) -> str:
    return run(["git", "-C", str(repo), *args]).stdout


def prove_department_change(lab: LabHandle, work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 15's Done-when, in the running lab (see the test that calls it)."""
    from egnet.cli import main

    inv = work / "inv"
    shutil.copytree(lab.inventory, inv)
    with (inv / "network.yaml").open("a", encoding="utf-8") as fh:
        fh.write(f"\nmanagement: {{jump_host: {JUMP.split('/')[0]}, jump_port: 22}}\n")
    repo = work / "repo"
    password = f"Op-{secrets.token_hex(8)}-1"
    var = env_name(f"user_{OPERATOR}_password")
    mgmt = str(ipaddress.IPv4Interface(next(iter(lab.topo.devices.values())).mgmt_address).network)
    lab_args = ["--lab-root", str(lab.root)]
    os.environ[var] = password
    try:
        with (
            personal_account(lab, OPERATOR, password),
            bastion(work / "jump", JUMP, OPERATOR) as jump_ip,
            ssh_only_through(jump_ip, mgmt),
        ):
            _flow(lab, inv, repo, work, lab_args, capsys, main)
            assert blocked_direct() == 0  # nothing tried to reach a router but through the bastion
    finally:
        os.environ.pop(var, None)


def _flow(lab: LabHandle, inv: Path, repo: Path, work: Path, lab_args: list[str],
          capsys: pytest.CaptureFixture[str], main: Callable[[list[str]], int]) -> None:  # fmt: skip
    t0 = time.monotonic()
    marks: list[tuple[str, float]] = []

    def mark(what: str) -> None:
        marks.append((what, round(time.monotonic() - t0, 1)))

    def backup(limit: str | None = None) -> str:
        argv = ["backup", str(inv), "--to", str(repo), "--operator", OPERATOR, *lab_args]
        argv += ["--limit", limit] if limit else []
        assert main(argv) == 0
        capsys.readouterr()
        return _git(repo, "rev-parse", "HEAD").strip()

    def deploy(cid: str) -> int:
        rc = main(["deploy", str(inv), "--change", cid, "--changes", str(repo), "--commit",
                   "--hold", "0", "--revert-in", "30", "--verify-timeout", "20",
                   "--backups", str(work / "device-backups"), *lab_args])  # fmt: skip
        out = capsys.readouterr()
        deploys.append(out.out[-3000:] + out.err[-3000:])
        return rc

    deploys: list[str] = []

    first = backup()
    now = dt.datetime.now(dt.UTC)
    window = (
        f"{(now - dt.timedelta(hours=1)).isoformat()}/{(now + dt.timedelta(hours=1)).isoformat()}"
    )
    assert main(["change", "add-department", str(inv), "--id", DEPT, "--name", "西区人力资源和社会保障局",
                 "--code", "11360000MB00000025", "--site", SITE, "--contact-name", "赵六",
                 "--contact-phone", "0791-86000003", "--approval", "北政外网〔2026〕7号",
                 "--approval-date", "2026-11-01", "--zones", "public,internet",
                 "--ce-model", "frr-switch", "--changes", str(repo), "--operator", OPERATOR,
                 "--requester", REQUESTER, "--window", window, "--change-id", "CHG-LAB-ADD"]) == 0  # fmt: skip
    topo = load_topology(inv)
    dept = topo.departments[DEPT]
    pes = sorted(dept.pe)
    rec = load_change(BackupRepo(repo), "CHG-LAB-ADD")
    assert sorted(rec.devices) == pes and rec.unmanaged == (f"{DEPT}-ce1",)
    # not approved yet: refused and recorded, nothing touched
    assert deploy("CHG-LAB-ADD") == 1
    assert _git(repo, "diff", "--stat", first, "HEAD", "--", "configs") == ""
    assert main(["change", "approve", "CHG-LAB-ADD", "--changes", str(repo),
                 "--approver", APPROVER]) == 0  # fmt: skip
    assert deploy("CHG-LAB-ADD") == 0, deploys[-1]
    rec = load_change(BackupRepo(repo), "CHG-LAB-ADD")
    assert [o.status for o in rec.outcomes] == ["refused", "done"]
    assert rec.outcomes[-1].devices == dict.fromkeys(pes, "verified")
    for pe in pes:  # the router's commit ran under the operator's own account
        cand = lab.root / namespace_name(pe) / "var" / "candidate.conf"
        assert pwd.getpwuid(cand.stat().st_uid).pw_name == OPERATOR, pe
    mark("added")
    added = backup()
    changed = _git(repo, "diff", "--name-only", first, added, "--", "configs").split()
    assert sorted(changed) == [f"configs/{pe}.cfg" for pe in pes]  # every other device: no diff
    assert main(["import", "running", str(inv), "--from", str(repo)]) == 0  # in sync after deploy
    capsys.readouterr()
    # packets: the department's hosts at the addresses its PE runs now, in the zone emulation
    running = (repo / "configs" / f"{dept.pe[0]}.cfg").read_text(encoding="utf-8")
    found = running_attachments(dept, running)
    assert sorted(found) == sorted(a.zone for a in dept.attachments)
    inet = next(z.name for z in topo.zones.values() if z.kind == "internet")
    plan = reduced_plan(topo, dept, {*(a.zone for a in dept.attachments), "office"})
    zones_dir = lab.root / "dept-zones"  # the FRR user must reach it (not under /tmp/pytest-*)
    try:
        with zone_lab(plan, zones_dir), department_hosts(plan, dept, found) as hosts:
            cells = wait_allowed(plan, dept, hosts, inet)
    finally:
        shutil.rmtree(zones_dir, ignore_errors=True)
    wrong = [c for c in cells if c.allowed != c.reached]
    assert wrong == [], wrong
    assert any(c.allowed for c in cells) and any(not c.allowed for c in cells)
    assert {c.target_zone for c in cells} >= {*(a.zone for a in dept.attachments), "office"}
    # a manual change with vtysh is reported by import running, then undone by hand
    pe = pes[0]
    mark("packets")
    vtysh(lab, pe, "configure terminal", "ip route 10.97.0.0/24 Null0")
    backup(pe)
    assert main(["import", "running", str(inv), "--from", str(repo), "--json"]) == 1
    report = {r["device"]: r for r in json.loads(capsys.readouterr().out)}
    assert [h for h, r in report.items() if r["status"] != "in_sync"] == [pe]
    assert report[pe]["unknown"] == ["ip route 10.97.0.0/24 Null0"]
    vtysh(lab, pe, "configure terminal", "no ip route 10.97.0.0/24 Null0")
    backup(pe)
    mark("vtysh change seen")
    # remove-department undoes it: every running config back to what it was before
    assert main(["change", "remove-department", str(inv), DEPT, "--changes", str(repo),
                 "--operator", OPERATOR, "--requester", REQUESTER, "--window", window,
                 "--change-id", "CHG-LAB-RM", "--approver", APPROVER]) == 0  # fmt: skip
    assert sorted(load_change(BackupRepo(repo), "CHG-LAB-RM").devices) == pes
    rc = deploy("CHG-LAB-RM")
    keep = lab.root.parent / "dept-proof-last"  # evidence of a failure, kept outside pytest's tmp
    if rc != 0:
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(repo, keep)
    outcome = load_change(BackupRepo(repo), "CHG-LAB-RM").outcomes[-1]
    assert rc == 0, (outcome.devices, deploys[-1][-1500:])
    last = backup()
    assert _git(repo, "diff", "--stat", first, last, "--", "configs") == ""
    mark("removed")
    print("department proof timings (s):", marks)
