"""CLI for department changes: ``egnet change add-department|move-department|remove-department|
import-departments``.

A change edits ``departments.yaml`` (round trip: comments and order are kept) and the allocation lock,
but only after the edited inventory has loaded cleanly in a scratch copy: a change that would make the
inventory invalid is refused with the loader's located errors (exit 2) and touches nothing. The
output names the devices the change affects (the site's PE cores, the department's CE, and the
egress firewall of its level when it joins an internet zone) and the department's zones before and
after (which zones it reaches, which gateway it uses, whether it has internet access).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML

from deploy.backup_repo import BackupRepo
from deploy.change import ChangeRecord, approve, file_change, now_utc, record_path
from deploy.remediate import plan
from egnet.deploy_cmds import masked_secrets
from egnet.output import emit_json, info, table
from topology import load_topology
from topology.departments import (
    DEPARTMENTS_FILE,
    DEPARTMENTS_LOCK,
    Department,
    departments_from_csv,
    dump_lock,
)
from topology.diagnostics import InventoryError, OperationError
from topology.model import Topology

HEADER = (
    "# Departments (接入单位): see topology/departments.py for the format. Edited by `egnet change`;\n"
    "# allocations are kept in departments.lock.json.\n"
)


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 120
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _read(inv: Path) -> Any:
    path = inv / DEPARTMENTS_FILE
    y = _yaml()
    if not path.exists():
        return y.load(HEADER + "departments: []\n")
    data = y.load(path.read_text(encoding="utf-8"))
    if data is None or "departments" not in data:
        raise OperationError(f"{path}: expected a mapping with 'departments'")
    return data


def _dump(data: Any) -> str:
    buf = io.StringIO()
    _yaml().dump(data, buf)
    return buf.getvalue()


def _trial(inv: Path, text: str) -> Topology:
    """Load a scratch copy of ``inv`` with ``departments.yaml`` replaced by ``text``."""
    with tempfile.TemporaryDirectory(prefix="egnet-change-") as tmp:
        scratch = Path(tmp) / inv.name
        shutil.copytree(inv, scratch, symlinks=False)
        (scratch / DEPARTMENTS_FILE).write_text(text, encoding="utf-8")
        try:
            topo = load_topology(scratch)
        except InventoryError as exc:
            raise InventoryError(
                [
                    dataclasses.replace(d, file=d.file.replace(str(scratch), str(inv)))
                    for d in exc.diagnostics
                ]
            ) from None
    return topo


def _commit(inv: Path, text: str, topo: Topology) -> None:
    for name, content in (
        (DEPARTMENTS_FILE, text),
        (DEPARTMENTS_LOCK, dump_lock(topo.departments.values())),
    ):
        tmp = inv / f".{name}.tmp"
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(inv / name)


def affected_devices(topo: Topology, dept: Department) -> list[str]:
    """The devices a change of ``dept`` touches: PE cores, CE, and the level's egress devices."""
    out = [*dept.pe, dept.ce_hostname]
    if dept.internet == "level-egress":
        out += [e.device for e in topo.egress.values() if e.site == dept.site]
    return list(dict.fromkeys(out))


def reachability(topo: Topology, dept: Department | None) -> dict[str, str]:
    """Zone → how the department reaches it (gateway and VLAN), plus its internet exit."""
    if dept is None:
        return {}
    out = {
        a.zone: f"via {a.gateway} (VLAN {a.vlan}, {a.prefix}) on {'/'.join(dept.pe)}"
        for a in dept.attachments
    }
    exits = [e.name for e in topo.egress.values() if e.site == dept.site]
    if dept.internet == "level-egress":
        out["internet-exit"] = ", ".join(exits) if exits else "the next level's egress"
    else:
        out["internet-exit"] = "none"
    return out


def _affected(before: Topology, after: Topology, ids: list[str]) -> dict[str, list[str]]:
    out = {}
    for did in ids:
        b, a = before.departments.get(did), after.departments.get(did)
        out[did] = sorted(
            set(affected_devices(before, b) if b else [])
            | set(affected_devices(after, a) if a else [])
        )
    return out


def _report(
    args: argparse.Namespace,
    before: Topology,
    after: Topology,
    ids: list[str],
    remediation: dict[str, str],
) -> None:
    rows = []
    result: dict[str, Any] = {"changed": ids, "departments": {}}
    for did, devices in _affected(before, after, ids).items():
        b, a = before.departments.get(did), after.departments.get(did)
        rb, ra = reachability(before, b), reachability(after, a)
        result["departments"][did] = {"devices": devices, "before": rb, "after": ra}
        for zone in sorted(set(rb) | set(ra)):
            if rb.get(zone) != ra.get(zone):
                rows.append((did, zone, rb.get(zone, "-"), ra.get(zone, "-")))
        info(f"{did}: devices affected: {', '.join(devices)}")
    if remediation:
        result["remediation"] = remediation
    if args.json:
        emit_json(result)
        return
    table("Zones before → after", ["department", "zone", "before", "after"], rows)
    for host, text in remediation.items():
        info(f"--- {host}: commands\n{text.rstrip()}")


def _window(text: str) -> dict[str, str]:
    start, sep, end = text.partition("/")
    if not sep:
        raise OperationError(
            f"--window {text!r}: expected START/END\n"
            "  hint: 2026-11-29T00:00:00+08:00/2026-11-29T04:00:00+08:00"
        )
    return {"start": start, "end": end}


def _plan(
    args: argparse.Namespace, before: Topology, after: Topology, ids: list[str]
) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """(host → masked commands of the managed devices that change, unmanaged affected devices,
    host → what the commands start from)."""
    hosts = sorted({h for hs in _affected(before, after, ids).values() for h in hs})
    managed = [h for h in hosts if h in after.devices]
    unmanaged = [h for h in hosts if h not in after.devices and h not in before.devices]
    repo = BackupRepo(Path(args.changes))
    secrets, masker = masked_secrets()
    plans = plan(before, after, managed, repo.read_config, secrets)
    remediation = {p.host: masker.mask(p.commands, p.platform) for p in plans if p.commands}
    return remediation, unmanaged, {p.host: p.base for p in plans}


def _record(
    args: argparse.Namespace,
    after: Topology,
    ids: list[str],
    remediation: dict[str, str],
    unmanaged: list[str],
) -> ChangeRecord:
    """The change record to file (validated before anything is written)."""
    now = now_utc()
    action = args.change_command.removesuffix("-department").removesuffix("-departments")
    what = ", ".join(ids[:5]) + (f" (+{len(ids) - 5})" if len(ids) > 5 else "")
    sites = sorted({after.departments[d].site for d in ids if d in after.departments})
    change_id = args.change_id or f"CHG-{now:%Y%m%d-%H%M%S}-{action}-{ids[0]}"[:64]
    data: dict[str, Any] = {
        "id": change_id,
        "title": f"{action} department {what}" + (f" at {', '.join(sites)}" if sites else ""),
        "operator": args.operator,
        "requester": args.requester,
        "window": _window(args.window),
        "devices": sorted(remediation),
        "remediation": remediation,
        "unmanaged": unmanaged,
    }
    if args.approver:
        data |= {"approver": args.approver, "approved_at": now}
    try:
        rec = ChangeRecord.model_validate(data, strict=False)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise OperationError(f"change record: {where}: {err['msg']}") from None
    if rec.approver is not None and rec.approver in (rec.operator, rec.requester):
        raise OperationError(
            f"--approver {rec.approver}: the operator or requester may not approve the change"
        )
    path = record_path(BackupRepo(Path(args.changes)), rec.id)
    if path.exists():
        raise OperationError(f"{path}: change {rec.id} exists\n  hint: choose another --change-id")
    return rec


def _apply(args: argparse.Namespace, edit: Any) -> int:
    inv = Path(args.dir)
    before = load_topology(inv)
    data = _read(inv)
    ids = edit(data["departments"], before)
    text = _dump(data)
    after = _trial(inv, text)
    remediation: dict[str, str] = {}
    unmanaged: list[str] = []
    if args.changes:
        if not args.operator or not args.window:
            raise OperationError("--changes needs --operator and --window")
        _window(args.window)
        remediation, unmanaged, bases = _plan(args, before, after, ids)
        for host, base in sorted(bases.items()):
            if base == "intended":
                info(
                    f"{host}: no backup in {args.changes}: commands start from its intended config"
                )
    _report(args, before, after, ids, remediation)
    if args.dry_run:
        info("dry run: nothing written")
        return 0
    rec = None
    if args.changes:
        if not remediation:
            raise OperationError(
                "the change alters no managed device's config: no change record filed"
            )
        rec = _record(args, after, ids, remediation, unmanaged)
    _commit(inv, text, after)
    info(f"wrote {inv / DEPARTMENTS_FILE} and {inv / DEPARTMENTS_LOCK}")
    if rec is not None:
        repo = BackupRepo(Path(args.changes))
        commit = file_change(repo, rec)
        info(
            f"filed change {rec.id} in {repo.path}/changes/{rec.id}.yaml (commit {commit}); "
            + ("approved" if rec.approver else f"approve with: egnet change approve {rec.id}")
        )
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    """Approve a filed change (the approver is neither its operator nor its requester)."""
    rec, commit = approve(BackupRepo(Path(args.changes)), args.id, args.approver, now_utc())
    info(f"change {rec.id} approved by {rec.approver} at {rec.approved_at} (commit {commit})")
    if args.json:
        emit_json({"id": rec.id, "approver": rec.approver, "commit": commit})
    return 0


def _entry_from_args(args: argparse.Namespace) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": args.id,
        "name": args.name,
        "code": args.code,
        "site": args.site,
        "contact": {"name": args.contact_name, "phone": args.contact_phone},
        "registration": {"approval": args.approval, "date": args.approval_date},
        "zones": [z for z in args.zones.split(",") if z],
        "ce": {"model": args.ce_model},
    }
    if args.prefix_len is not None:
        entry["prefix_len"] = args.prefix_len
    for key in ("dhcp_relay", "internet"):
        if getattr(args, key) is not None:
            entry[key] = getattr(args, key)
    return entry


def cmd_add(args: argparse.Namespace) -> int:
    """Connect a new department."""

    def edit(items: Any, topo: Topology) -> list[str]:
        if args.id in topo.departments or any(str(i.get("id")) == args.id for i in items):
            raise OperationError(f"department '{args.id}' exists\n  hint: move-department")
        items.append(_entry_from_args(args))
        return [args.id]

    return _apply(args, edit)


def _index(items: Any, did: str) -> int:
    for i, item in enumerate(items):
        if str(item.get("id")) == did:
            return i
    raise OperationError(f"no department '{did}' in {DEPARTMENTS_FILE}")


def cmd_move(args: argparse.Namespace) -> int:
    """Move a department to another site (and optionally other zones)."""

    def edit(items: Any, topo: Topology) -> list[str]:
        item = items[_index(items, args.id)]
        item["site"] = args.site
        if args.zones:
            item["zones"] = [z for z in args.zones.split(",") if z]
        return [args.id]

    return _apply(args, edit)


def cmd_remove(args: argparse.Namespace) -> int:
    """Disconnect a department."""

    def edit(items: Any, topo: Topology) -> list[str]:
        del items[_index(items, args.id)]
        return [args.id]

    return _apply(args, edit)


def cmd_import(args: argparse.Namespace) -> int:
    """Add or update departments from the register (CSV)."""
    path = Path(args.csv)
    if not path.is_file():
        raise OperationError(f"{path}: not a regular file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OperationError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    entries, errors = departments_from_csv(text, str(path))
    if errors:
        raise InventoryError(errors)

    def edit(items: Any, topo: Topology) -> list[str]:
        ids = []
        for entry in entries:
            did = str(entry["id"])
            try:
                items[_index(items, did)] = entry
            except OperationError:
                items.append(entry)
            ids.append(did)
        return ids

    return _apply(args, edit)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``egnet change``."""
    p = sub.add_parser("change", help="department changes as edits of the inventory")
    ch = p.add_subparsers(dest="change_command", required=True, metavar="ACTION")

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("dir", help="inventory folder")
        q.add_argument("--dry-run", action="store_true", help="show the change, write nothing")
        q.add_argument("--json", action="store_true", help="JSON output")
        q.add_argument(
            "--changes", help="backup repository: file a change record with the commands per device"
        )
        q.add_argument("--change-id", help="change id (default CHG-<time>-<action>-<department>)")
        q.add_argument("--operator", help="engineer who will deploy it (personal login)")
        q.add_argument("--requester", help="who asked for the change")
        q.add_argument("--window", help="START/END (ISO 8601 with a zone)")
        q.add_argument("--approver", help="approve it now (not the operator or requester)")

    q = ch.add_parser("add-department", help="connect a new department")
    common(q)
    q.add_argument("--id", required=True, help="department id ([a-z][a-z0-9-]{1,47})")
    q.add_argument("--name", required=True, help="the unit's name")
    q.add_argument("--code", required=True, help="unified social credit code (18) or org code (9)")
    q.add_argument("--site", required=True, help="site whose PE cores it connects to")
    q.add_argument("--contact-name", required=True, help="contact person")
    q.add_argument("--contact-phone", required=True, help="contact phone")
    q.add_argument("--approval", required=True, help="approval number (审批文号)")
    q.add_argument("--approval-date", required=True, help="approval date YYYY-MM-DD")
    q.add_argument("--zones", required=True, help="zones it joins, comma-separated")
    q.add_argument("--ce-model", required=True, help="CE device model (switch or firewall)")
    q.add_argument("--prefix-len", type=int, help="block size per zone (default 28)")
    q.add_argument("--dhcp-relay", help="DHCP server the PE relays to")
    q.add_argument("--internet", choices=["level-egress", "none"], help="internet access")
    q.set_defaults(func=cmd_add)
    q = ch.add_parser("move-department", help="move a department to another site")
    common(q)
    q.add_argument("id", help="department id")
    q.add_argument("--site", required=True, help="new site")
    q.add_argument("--zones", help="new zones, comma-separated (default: unchanged)")
    q.set_defaults(func=cmd_move)
    q = ch.add_parser("remove-department", help="disconnect a department")
    common(q)
    q.add_argument("id", help="department id")
    q.set_defaults(func=cmd_remove)
    q = ch.add_parser("import-departments", help="add or update departments from the register CSV")
    common(q)
    q.add_argument("--csv", required=True, help="register CSV (UTF-8; columns in README)")
    q.set_defaults(func=cmd_import)
    q = ch.add_parser("approve", help="approve a filed change")
    q.add_argument("id", help="change id")
    q.add_argument("--changes", required=True, help="backup repository holding changes/")
    q.add_argument("--approver", required=True, help="approver (not the operator or requester)")
    q.add_argument("--json", action="store_true", help="JSON output")
    q.set_defaults(func=cmd_approve)
