"""``egnet generate``: (re)build an inventory's cities/ from its source/ division data."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from egnet.output import info
from topology.diagnostics import OperationError

#: top-level keys of source/overrides.yaml and their YAML types
OVERRIDE_KEYS: dict[str, type] = {
    "dev_zones": dict,
    "h3c_cities": list,
    "h3c_models": dict,
    "city_clouds": dict,
    "sites": dict,
    "reserved_ids": list,
}


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
    try:
        overrides = yaml.safe_load(over_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        info(f"{over_path}: error: not valid YAML: {exc}")
        return 2
    if not isinstance(overrides, dict):
        info(f"{over_path}: error: must be a YAML mapping (dev_zones, h3c_cities, sites …)")
        return 2
    for key, kind in OVERRIDE_KEYS.items():
        if key in overrides and not isinstance(overrides[key], kind):
            info(f"{over_path}: error: '{key}' must be a {'list' if kind is list else 'mapping'}")
            return 2
    unknown = sorted(set(overrides) - set(OVERRIDE_KEYS))
    if unknown:
        info(f"{over_path}: error: unknown key(s) {', '.join(map(str, unknown))}; known: "
             f"{', '.join(OVERRIDE_KEYS)}")  # fmt: skip
        return 2
    try:
        csv_text = csv_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        info(f"{csv_path}: error: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8")
        return 2
    out_dir = root / "cities"
    old_files = sorted(out_dir.glob("*.yaml"))
    existing = existing_ids(p.read_text(encoding="utf-8") for p in old_files)
    try:
        files = generate(csv_text, overrides, "source/divisions.csv", existing)
    except ValueError as exc:
        info(f"{root}/{exc}")  # the message starts with source/divisions.csv:LINE
        return 2
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
    p.add_argument(
        "dir", help="inventory folder holding source/divisions.csv and source/overrides.yaml"
    )
    p.set_defaults(func=cmd_generate)
