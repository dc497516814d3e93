"""``egnet import csv DIR --sites S.csv [--devices D.csv] [--circuits C.csv]``: spreadsheets → YAML."""

from __future__ import annotations

import argparse
from pathlib import Path

from egnet.output import info
from egnet.scaffold import NETWORK_YAML
from topology import load_inventory
from topology.diagnostics import InventoryError, OperationError

MAX_CSV_BYTES = 20_000_000


def _read(path: str | None) -> str | None:
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        raise OperationError(f"{p}: not a regular file")
    if p.stat().st_size > MAX_CSV_BYTES:
        raise OperationError(f"{p}: larger than {MAX_CSV_BYTES} bytes")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{p}: not UTF-8 text (byte {exc.start}); save the sheet as 'CSV UTF-8'"
        ) from None


def cmd_import(args: argparse.Namespace) -> int:
    from topology.importer import ImportFailed, import_csv  # pypinyin is slow to import

    root = Path(args.dir)
    existing = [root / "province.yaml", *sorted((root / "cities").glob("*.yaml"))]
    existing = [p for p in existing if p.exists()]
    if existing and not args.force:
        raise OperationError(
            f"{root}: already holds {existing[0].name} and {len(existing) - 1} other site file(s); "
            "pass --force to replace them"
        )
    try:
        texts = [_read(args.sites), _read(args.devices), _read(args.circuits)]
        names = tuple(
            str(Path(p).name) if p else "" for p in (args.sites, args.devices, args.circuits)
        )
        files = import_csv(texts[0] or "", texts[1], texts[2], (names[0], names[1], names[2]))
    except ImportFailed as exc:
        for line in exc.problems:
            info(f"error: {line}")
        info(f"{len(exc.problems)} problem(s); nothing written")
        return 2
    except ValueError as exc:
        info(f"error: {exc}")
        return 2
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "network.yaml").exists():
        (root / "network.yaml").write_text(NETWORK_YAML, encoding="utf-8")
        info(f"{root / 'network.yaml'}: written from the `egnet init` example; edit its carriers, "
             "circuit types and device models to match the sheets")  # fmt: skip
    for p in existing:
        p.unlink()
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    try:
        res = load_inventory(root)
    except InventoryError as exc:
        info(exc.render())
        info(
            f"{root}: the imported files do not validate yet (see above): fix the sheets and "
            "re-import with --force, or edit network.yaml"
        )
        return 2
    res.lock_path.write_text(res.lock.dumps(), encoding="utf-8")
    topo = res.topology
    info(
        f"{root}: imported {len(files) - 1} cities, {len(topo.sites)} sites, "
        f"{len(topo.devices)} devices, {len(topo.circuits)} circuits; wrote the IPAM lock"
    )
    return 0


def cmd_import_running(args: argparse.Namespace) -> int:
    """``egnet import running``: lives in deploy_cmds (imported only when run: it is heavy)."""
    from egnet.deploy_cmds import cmd_import

    return cmd_import(args)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "import",
        help="import spreadsheets (csv) or backed-up running configs (running, brownfield)",
    )
    kinds = p.add_subparsers(dest="what", required=True, metavar="SOURCE")
    q = kinds.add_parser("running", help="two-way drift of backed-up running configs vs the model")
    q.add_argument("dir", help="inventory folder")
    q.add_argument("--from", dest="source", default="build/backup-repo", help="backup repository")
    q.add_argument("--limit", help="glob(s) of hostnames, comma-separated")
    q.add_argument("--json", action="store_true", help="JSON output")
    q.set_defaults(func=cmd_import_running)
    c = kinds.add_parser(
        "csv",
        help="CSV sheets (UTF-8; English or Chinese headers, see README 'Importing from spreadsheets')",
    )
    c.add_argument("dir", help="inventory folder to write province.yaml and cities/ into")
    c.add_argument("--sites", required=True, help="sites sheet: name, code, tier, parent, …")
    c.add_argument("--devices", help="devices sheet: site, role, index, hostname, model, building")
    c.add_argument("--circuits", help="extra circuits sheet: id, a, b, type, carrier, ducts, cost")
    c.add_argument("--force", action="store_true", help="replace existing province and city files")
    c.set_defaults(func=cmd_import)
