"""``egnet generate``: (re)build an inventory's cities/ from its source/ division data."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from egnet.output import info
from topology.diagnostics import OperationError


def cmd_generate(args: argparse.Namespace) -> int:
    from topology.generator import existing_ids, generate  # pypinyin is slow to import

    root = Path(args.dir)
    src = root / "source"
    csv_path, over_path = src / "divisions.csv", src / "overrides.yaml"
    for p in (csv_path, over_path):
        if not p.is_file():
            raise OperationError(
                f"{p}: not found (generate needs source/divisions.csv and source/overrides.yaml)"
            )
    overrides = yaml.safe_load(over_path.read_text(encoding="utf-8")) or {}
    out_dir = root / "cities"
    old_files = sorted(out_dir.glob("*.yaml"))
    existing = existing_ids(p.read_text(encoding="utf-8") for p in old_files)
    try:
        files = generate(
            csv_path.read_text(encoding="utf-8"), overrides, "source/divisions.csv", existing
        )
    except ValueError as exc:
        raise OperationError(f"{csv_path}: {exc}") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    changed = 0
    for name, text in files.items():
        path = out_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed += 1
    stale = [p for p in old_files if p.name not in files]
    for p in stale:
        p.unlink()
    info(f"{out_dir}: {len(files)} city files, {changed} written, {len(stale)} removed")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("generate", help="regenerate <dir>/cities/*.yaml from <dir>/source/")
    p.add_argument("dir", help="inventory folder holding source/divisions.csv and source/overrides.yaml")
    p.set_defaults(func=cmd_generate)
