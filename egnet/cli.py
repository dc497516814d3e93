"""The ``egnet`` command line: the only composition root.

Each ``egnet/*_cmds.py`` module exposes ``register(subparsers)`` and is picked up by name.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from egnet.output import errconsole
from topology.diagnostics import InventoryError, OperationError


def command_modules() -> list[str]:
    """Every ``egnet/*_cmds.py`` module, in name order; each exposes ``register(subparsers)``."""
    here = Path(__file__).parent
    return sorted(f"egnet.{p.stem}" for p in here.glob("*_cmds.py"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="egnet",
        description="egnet: infrastructure-as-code and capacity planning for a provincial e-government extranet",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in command_modules():
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
    except Exception as exc:  # a bug, not bad input: say so plainly, traceback only on request
        if args.verbose:
            raise
        errconsole.print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug in egnet; re-run with -v for the traceback and report it",
            markup=False,
        )
        return 70
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
