"""CLI commands of config rendering and the 等保 audit: ``egnet render``, ``egnet audit``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from configs.audit import AuditPolicy, DeviceAudit, audit_files
from configs.render import CONFIG_SUFFIX, read_manifest, render_all, select_devices
from egnet.argtypes import integer
from egnet.output import emit_json, info, table
from egnet.progress import progress_bar
from egnet.secrets_cmds import require_secrets
from topology import load_topology
from topology.diagnostics import OperationError
from topology.secrets import Purpose, Secrets

DEFAULT_OUT = "build/configs"


def _jobs(value: int | None) -> int:
    return value if value else min(4, os.cpu_count() or 1)


def _render(
    inventory: str, out: str, devices: list[str] | None, platform: str | None, jobs: int
) -> list[Path]:
    topo = load_topology(inventory)
    names = select_devices(topo, devices, platform)
    if not names:
        raise OperationError(f"{inventory}: no device matches (platform {platform!r})")
    secrets = Secrets()
    require_secrets(topo, secrets, [Purpose.RENDER], names)
    with progress_bar("render", len(names)) as tick:
        return render_all(topo, out, secrets, names, jobs=jobs, progress=tick)


def cmd_render(args: argparse.Namespace) -> int:
    paths = _render(args.dir, args.out, args.device, args.platform, _jobs(args.jobs))
    if args.json:
        emit_json({"out": args.out, "configs": [str(p) for p in paths]})
    else:
        info(f"wrote {len(paths)} configs to {args.out}")
    return 0


def config_files(folder: Path, platform: str | None) -> dict[Path, str]:
    """Config files of a folder with their platforms (from ``--platform`` or ``manifest.json``)."""
    files = sorted(folder.glob(f"*{CONFIG_SUFFIX}"))
    if not files:
        raise OperationError(f"{folder}: no *{CONFIG_SUFFIX} files")
    manifest = read_manifest(folder)
    out: dict[Path, str] = {}
    unknown: list[str] = []
    for f in files:
        plat = platform or manifest.get(f.stem)
        if plat is None:
            unknown.append(f.name)
        else:
            out[f] = plat
    if unknown:
        raise OperationError(
            f"{folder}: platform unknown for {', '.join(unknown[:5])}"
            f"{' …' if len(unknown) > 5 else ''}\n  hint: pass --platform or add them to "
            f'{folder / "manifest.json"} ({{"devices": {{hostname: platform}}}})'
        )
    return out


def _policy(args: argparse.Namespace) -> AuditPolicy:
    return AuditPolicy(
        lockout_tries=args.lockout_tries,
        lockout_minutes=args.lockout_minutes,
        idle_timeout_minutes=args.idle_timeout,
        password_min_length=args.password_length,
    )


def _device_row(a: DeviceAudit) -> tuple[object, ...]:
    counts = {s: sum(1 for r in a.results if r.status == s) for s in ("pass", "fail", "na")}
    failed = ", ".join(r.rule for r in a.results if r.status == "fail")
    return (a.device, a.platform, counts["pass"], counts["fail"], counts["na"], failed or "-")


def _print_audit(audits: list[DeviceAudit], show_all: bool, show_na: bool) -> None:
    """Per-device table (all devices, or only failing ones on large runs) and failure evidence."""
    cols = ["device", "platform", "#pass", "#fail", "#n/a", "failed rules"]
    shown = audits if show_all or len(audits) <= 50 else [a for a in audits if a.failed]
    if shown:
        table("等保 2.0 level-3 device audit", cols, (_device_row(a) for a in shown))
    by_platform: dict[str, list[DeviceAudit]] = {}
    for a in audits:
        by_platform.setdefault(a.platform, []).append(a)
    table(
        "Audit summary per platform",
        ["platform", "#devices", "#failing"],
        ((p, len(v), sum(1 for a in v if a.failed)) for p, v in sorted(by_platform.items())),
    )
    for a in audits:
        for r in a.results:
            if r.status == "fail" or (show_na and r.status == "na"):
                info(f"{a.path}: {r.status}: {r.rule} ({r.title}): {r.reason}")
                for ev in r.evidence[:5]:
                    info(f"    {ev}")


def cmd_audit(args: argparse.Namespace) -> int:
    path = Path(args.path)
    folder = path
    if (path / "network.yaml").is_file():
        _render(str(path), args.out, None, args.platform, _jobs(args.jobs))
        folder = Path(args.out)
    files = config_files(folder, args.platform if not (path / "network.yaml").is_file() else None)
    with progress_bar("audit", len(files)) as tick:
        audits = audit_files(files, _policy(args), _jobs(args.jobs), tick)
    if args.json:
        emit_json([a.as_dict() for a in audits])
    else:
        _print_audit(audits, args.all, args.show_na)
    bad = sum(1 for a in audits if a.failed)
    info(f"{len(audits)} configs audited, {bad} with failures")
    return 1 if bad else 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _register_render(sub)
    _register_audit(sub)


def _register_render(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("render", help="render complete device configs from the model")
    p.add_argument("dir", help="inventory folder")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--device", action="append", help="only this device (repeatable)")
    p.add_argument("--platform", help="only devices of this platform")
    p.add_argument(
        "--jobs", type=integer(1, 64), help="worker processes (default: cores, at most 4)"
    )
    p.add_argument("--json", action="store_true", help="print the written paths as JSON")
    p.set_defaults(func=cmd_render)


def _register_audit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "audit",
        help="等保 2.0 level-3 audit of configs (a config folder or an "
        "inventory, which is rendered first)",
    )
    p.add_argument("path", help="folder of <hostname>.cfg files, or an inventory folder")
    p.add_argument("--platform", help="platform of every config (else manifest.json)")
    p.add_argument("--out", default=DEFAULT_OUT, help="where an inventory is rendered first")
    p.add_argument(
        "--jobs", type=integer(1, 64), help="worker processes (default: cores, at most 4)"
    )
    p.add_argument("--json", action="store_true", help="JSON output")
    p.add_argument("--all", action="store_true", help="list every device, not only failing ones")
    p.add_argument("--show-na", action="store_true", help="also list n/a rules with reasons")
    d = AuditPolicy()
    p.add_argument(
        "--lockout-tries",
        type=int,
        default=d.lockout_tries,
        help=f"max failed logins before lockout (default {d.lockout_tries})",
    )
    p.add_argument(
        "--lockout-minutes",
        type=int,
        default=d.lockout_minutes,
        help=f"min lockout minutes (default {d.lockout_minutes})",
    )
    p.add_argument(
        "--idle-timeout",
        type=int,
        default=d.idle_timeout_minutes,
        help=f"max idle timeout minutes (default {d.idle_timeout_minutes})",
    )
    p.add_argument(
        "--password-length",
        type=int,
        default=d.password_min_length,
        help=f"min password length (default {d.password_min_length})",
    )
    p.set_defaults(func=cmd_audit)
