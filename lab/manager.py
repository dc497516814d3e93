"""``lab up``, ``lab status`` and ``lab down``: build, inspect and remove the emulated network."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from configs.frr_output import ospf_adjacencies
from lab.access import ensure_keys, ensure_user, install_shell, remove_user
from lab.configs import LabCredentials, NodePaths
from lab.daemons import ensure_privsep_dir, prepare_dirs, start_frr, start_snmpd, start_sshd
from lab.fib import check_router, repair_router
from lab.network import ensure_bridge, ensure_link, ensure_mgmt, ensure_namespace
from lab.plan import LabNode, LabPlan, build_plan
from lab.router_shell import vtysh_argv
from lab.state import DeviceRecord, LabState, StateRecorder, load_state
from lab.system import LabError, namespaces, ns_inode, pid_alive, pid_netns_inode, require_root, run
from topology import load_topology
from topology.model import Topology
from topology.secrets import Secrets

logger = logging.getLogger(__name__)

DEFAULT_ROOT = Path("build/lab")
STATE_FILE = "state.json"
WORKERS = 8


def state_path(root: Path) -> Path:
    """Return the state file of the lab rooted at ``root``."""
    return root.resolve() / STATE_FILE


def node_paths(root: Path, node: LabNode) -> NodePaths:
    """Return the file locations of one router."""
    return NodePaths(base=root.resolve() / node.namespace)


def up(inventory: Path, root: Path = DEFAULT_ROOT, secrets: Secrets | None = None) -> LabState:
    """Build the lab for ``inventory`` (idempotent: only missing pieces are created)."""
    require_root("up")
    topo = load_topology(inventory)
    plan = build_plan(topo)
    creds = LabCredentials.from_secrets(secrets or Secrets(), topo.management)
    check_traversable(root.resolve())
    rec = _recorder(plan, inventory, root)
    for name in (plan.nms_namespace, *(n.namespace for n in plan.nodes)):
        ensure_namespace(rec, name)
    ensure_bridge(rec, plan)
    for node in plan.nodes:
        ensure_mgmt(rec, plan, node)
    for link in plan.links:
        ensure_link(rec, link)
    shell = install_shell(Path(rec.state.root))
    ensure_user(rec, creds.ssh_username, creds.ssh_password, shell, Path(rec.state.root) / "home")
    _, auth = ensure_keys(Path(rec.state.root))
    ensure_privsep_dir(rec)
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [
            pool.submit(_start_node, rec, root, n, creds, auth, plan.banner) for n in plan.nodes
        ]
        for fut in futures:
            fut.result()
    return rec.state


def check_traversable(root: Path) -> None:
    """Raise unless every existing folder above ``root`` lets other users (frr, sshd's user) in."""
    for folder in [root, *root.parents]:
        if folder.exists() and not folder.stat().st_mode & 0o001:
            raise LabError(
                f"lab up: {folder} is not searchable by other users (mode "
                f"{folder.stat().st_mode & 0o777:o}); FRR and the management user "
                "must reach their files\n  hint: use a --root under a world-searchable "
                "folder, e.g. build/lab"
            )


def _recorder(plan: LabPlan, inventory: Path, root: Path) -> StateRecorder:
    path = state_path(root)
    old = load_state(path)
    if old is not None and old.network != plan.network:
        raise LabError(
            f"lab up: a lab for network '{old.network}' is up ({path})\n"
            "  hint: run `egnet lab down` first"
        )
    devices = {
        n.hostname: DeviceRecord(
            namespace=n.namespace, mgmt_address=n.mgmt_address, loopback=n.loopback
        )
        for n in plan.nodes
    }
    state = old or LabState(
        network=plan.network,
        inventory=str(inventory.resolve()),
        root=str(root.resolve()),
        nms_namespace=plan.nms_namespace,
        nms_address=plan.nms_address,
    )
    return StateRecorder(path, state.model_copy(update={"devices": devices}))


def _start_node(
    rec: StateRecorder,
    root: Path,
    node: LabNode,
    creds: LabCredentials,
    authorized_keys: Path,
    banner: str,
) -> None:
    paths = node_paths(root, node)
    prepare_dirs(paths, creds.ssh_username)
    start_frr(rec, node, paths, creds.ssh_username, banner)
    start_sshd(rec, node, paths, creds.ssh_username, authorized_keys)
    start_snmpd(rec, node, paths, creds)


def down(root: Path = DEFAULT_ROOT) -> list[str]:
    """Remove exactly what ``up`` recorded; return a log of what was removed."""
    require_root("down")
    path = state_path(root)
    state = load_state(path)
    if state is None:
        return []
    removed = _stop_processes(state)
    rec = StateRecorder(path, state)
    for name in reversed(state.namespaces):
        if name in namespaces():
            run(["ip", "netns", "del", name])
            removed.append(f"namespace {name}")
        rec.remove("namespaces", name)
    if state.user and state.user_created:
        remove_user(state.user)
        removed.append(f"user {state.user}")
    for p in state.paths:
        if Path(p).is_dir() and not any(Path(p).iterdir()):
            Path(p).rmdir()
            removed.append(f"dir {p}")
    removed += _remove_files(Path(state.root), state)
    path.unlink()
    return removed


def _remove_files(root: Path, state: LabState) -> list[str]:
    """Delete the per-router folders, the shell and the keys ``up`` wrote under ``root``."""
    removed = []
    for name in [*state.namespaces, "bin", "ssh", "home"]:
        folder = root / name
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
            removed.append(f"folder {folder}")
    return removed


def _stop_processes(state: LabState) -> list[str]:
    """SIGTERM recorded daemons (checked by PID and namespace), then whatever else runs in our
    namespaces (ssh sessions, commit timers), then SIGKILL what is left."""
    ours = {ns: ns_inode(ns) for ns in state.namespaces}
    targets: dict[int, str] = {}
    for p in state.processes:
        if pid_alive(p.pid) and pid_netns_inode(p.pid) == p.ns_inode == ours.get(p.namespace):
            targets[p.pid] = f"{p.name}[{p.pid}] in {p.namespace}"
    for ns, inode in ours.items():
        if inode is None:
            continue
        out = run(["ip", "netns", "pids", ns], check=False).stdout.split()
        for pid in map(int, out):
            if pid_netns_inode(pid) == inode:
                targets.setdefault(pid, f"process[{pid}] in {ns}")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in targets:
            if pid_alive(pid):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while any(pid_alive(p) for p in targets) and time.monotonic() < deadline:
            time.sleep(0.05)
    return [f"process {d}" for d in targets.values()]


class NodeStatus(BaseModel):
    """The health of one lab router."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device: str
    namespace: str
    mgmt_address: str
    namespace_ok: bool
    daemons: dict[str, bool]
    ospf_full: int | None
    stale_routes: int | None = None  # routes whose kernel next hops differ from FRR's (lab.fib)
    repaired: int | None = None  # stale routes found and repaired (``status --repair``)


def status(root: Path = DEFAULT_ROOT, repair: bool = False) -> list[NodeStatus]:
    """Return the status of every recorded router (empty when no lab is up); with ``repair``,
    first re-install routes whose kernel next hops differ from FRR's (see :mod:`lab.fib`)."""
    state = load_state(state_path(root))
    if state is None:
        return []
    present = namespaces()
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(
            pool.map(lambda h: _node_status(state, h, present, repair), sorted(state.devices))
        )


def _fib(state: LabState, host: str, repair: bool) -> tuple[int | None, int | None]:
    """(stale routes now, stale routes repaired) of one router; None when FRR does not answer."""
    ns = state.devices[host].namespace
    base = Path(state.root) / ns
    try:
        if repair:
            before, after = repair_router(ns, base)
            return after, before - after
        return len(check_router(ns, base)[0]), None
    except LabError as exc:
        logger.warning("%s: cannot compare FRR's routes with the kernel's: %s", host, exc)
        return None, None


def _node_status(state: LabState, host: str, present: set[str], repair: bool) -> NodeStatus:
    rec = state.devices[host]
    inode = ns_inode(rec.namespace)
    daemons = {
        p.name: pid_alive(p.pid) and pid_netns_inode(p.pid) == inode
        for p in state.processes
        if p.device == host
    }
    ok = rec.namespace in present
    stale, repaired = _fib(state, host, repair) if ok else (None, None)
    return NodeStatus(
        device=host,
        namespace=rec.namespace,
        mgmt_address=rec.mgmt_address,
        namespace_ok=ok,
        daemons=daemons,
        ospf_full=_ospf_full(state, host) if ok else None,
        stale_routes=stale,
        repaired=repaired,
    )


def _ospf_full(state: LabState, host: str) -> int | None:
    ns = state.devices[host].namespace
    base = Path(state.root) / ns
    proc = run(
        ["ip", "netns", "exec", ns, *vtysh_argv(base), "-c", "show ip ospf neighbor json"],
        check=False,
    )
    if proc.returncode:
        return None
    try:
        data = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        return None
    return sum(1 for _, state in ospf_adjacencies(data) if state == "Full")


def resolve_netns(choice: str, topo: Topology, hosts: list[str], lab_root: Path) -> str | None:
    """Return the namespace to reach management from: explicit, none, or the lab's NMS (auto)."""
    if choice == "none":
        return None
    if choice != "auto":
        return choice
    state = load_state(state_path(lab_root))
    if state is None or state.network != topo.name:
        return None
    if all(
        h in state.devices and state.devices[h].mgmt_address == topo.devices[h].mgmt_address
        for h in hosts
    ):
        return state.nms_namespace
    return None
