"""The ``egnet`` command line: the only composition root.

Each command module exposes ``register(subparsers)``; add new ones to ``COMMAND_MODULES``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from egnet.output import errconsole
from topology.diagnostics import InventoryError, OperationError

COMMAND_MODULES = [
    "egnet.inventory_cmds",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="egnet", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        rc: int = args.func(args)
    except InventoryError as exc:
        sys.stderr.write(exc.render() + "\n")
        return 1
    except OperationError as exc:
        errconsole.print(f"error: {exc}", markup=False)
        return 1
    except KeyboardInterrupt:
        errconsole.print("interrupted", markup=False)
        return 130
    except BrokenPipeError:
        return 0
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
