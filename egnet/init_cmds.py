"""``egnet init DIR``: write a minimal, valid, commented inventory and its IPAM lock."""

from __future__ import annotations

import argparse
from pathlib import Path

from egnet.output import info
from egnet.scaffold import FILES
from topology import load_inventory
from topology.diagnostics import OperationError


def cmd_init(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    if root.exists() and not root.is_dir():
        raise OperationError(f"{root}: exists and is not a folder")
    if root.is_dir() and any(root.iterdir()) and not args.force:
        raise OperationError(
            f"{root}: folder is not empty; choose a new folder (or --force to add the example "
            "files, overwriting those of the same name)"
        )
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    res = load_inventory(root)
    res.lock_path.write_text(res.lock.dumps(), encoding="utf-8")
    info(
        f"{root}: wrote a minimal inventory ({len(res.topology.sites)} sites, "
        f"{len(res.topology.devices)} devices) and its IPAM lock\n"
        f"  next: egnet validate {root}; egnet secrets init; egnet render {root}; "
        f"egnet plan {root}"
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "init",
        help="create a minimal, valid, commented inventory to start from",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("dir", help="new inventory folder")
    p.add_argument(
        "--force", action="store_true", help="write into a non-empty folder (overwrites same names)"
    )
    p.set_defaults(func=cmd_init)
