"""The ``egnet`` command line: the only composition root.

Each ``egnet/*_cmds.py`` module exposes ``register(subparsers)``. ``COMMANDS`` maps every top-level
command to its module, so a run imports only the module of the command it runs (the planner, the
poller and the deploy engines pull in heavy libraries); ``egnet --help`` imports them all.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import logging
import sys
from pathlib import Path
from typing import Any

from egnet.output import errconsole
from topology.diagnostics import (
    EXIT_BUG,
    EXIT_INPUT,
    InventoryError,
    OperationError,
    safe_text,
)

COMMANDS: dict[str, str] = {
    "validate": "egnet.inventory_cmds",
    "inspect": "egnet.inventory_cmds",
    "export": "egnet.inventory_cmds",
    "ipam": "egnet.inventory_cmds",
    "generate": "egnet.generate_cmds",
    "check": "egnet.planner_cmds",
    "plan": "egnet.planner_cmds",
    "estimate": "egnet.planner_cmds",
    "render": "egnet.render_cmds",
    "audit": "egnet.render_cmds",
    "lab": "egnet.lab_cmds",
    "deploy": "egnet.deploy_cmds",
    "drift": "egnet.deploy_cmds",
    "backup": "egnet.deploy_cmds",
    "import": "egnet.import_cmds",  # csv (spreadsheets) and running (brownfield, deploy_cmds)
    "poll": "egnet.poller_cmds",
    "poll-loads": "egnet.poller_cmds",
    "serve": "egnet.poller_cmds",
    "simulate": "egnet.poller_cmds",
    "prometheus-rules": "egnet.poller_cmds",
    "alertmanager-config": "egnet.poller_cmds",
    "maintenance": "egnet.poller_cmds",
    "egress": "egnet.egress_cmds",
    "change": "egnet.change_cmds",
    "flows": "egnet.flows_cmds",
    "secrets": "egnet.secrets_cmds",
    "init": "egnet.init_cmds",
}


def command_modules() -> list[str]:
    """Every ``egnet/*_cmds.py`` module: those of ``COMMANDS`` in its order, then any other."""
    here = Path(__file__).parent
    found = sorted(f"egnet.{p.stem}" for p in here.glob("*_cmds.py"))
    ordered = list(dict.fromkeys(COMMANDS.values()))
    return ordered + [m for m in found if m not in ordered]


def _modules_for(argv: list[str]) -> list[str]:
    """The command modules needed to parse ``argv``: one for a known command, else all of them."""
    words = [a for a in argv if not a.startswith("-")]
    if words and words[0] in COMMANDS and not {"-h", "--help"} & set(argv[: argv.index(words[0])]):
        return [COMMANDS[words[0]]]
    return command_modules()


#: help of positionals a command module registered without one (every positional has help)
POSITIONAL_HELP = {
    "dir": "inventory folder",
    "db": "the poller's SQLite store",
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default unless its help already names it or there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "default" in text.lower()
            or default in (None, False, argparse.SUPPRESS)
            or (isinstance(default, list | tuple) and not default)
            or not (action.option_strings or action.nargs in ("?", "*"))
        ):
            return text
        return text + " (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """Every egnet (sub)command parser: defaults shown, every positional with help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        if kwargs["formatter_class"] is argparse.ArgumentDefaultsHelpFormatter:
            kwargs["formatter_class"] = HelpFormatter
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        if args and not args[0].startswith("-") and not kwargs.get("help"):
            kwargs["help"] = POSITIONAL_HELP.get(args[0], args[0])
        return super().add_argument(*args, **kwargs)


def version() -> str:
    """The installed egnet version (package metadata)."""
    try:
        return importlib.metadata.version("egnet")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser(modules: list[str] | None = None) -> argparse.ArgumentParser:
    parser = Parser(
        prog="egnet",
        description="egnet: infrastructure-as-code and capacity planning for a provincial e-government extranet",
    )
    parser.add_argument("--version", action="version", version=f"egnet {version()}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)"
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )
    for name in command_modules() if modules is None else modules:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_modules_for(argv))
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        rc: int = args.func(args)
    except InventoryError as exc:
        sys.stderr.write(exc.render() + "\n")
        return EXIT_INPUT
    except OperationError as exc:
        errconsole.print(f"error: {_one_message(str(exc))}", markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        errconsole.print("interrupted", markup=False)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a path that cannot be read or written: the operator's to fix
        where = f"{exc.filename}: " if exc.filename else ""
        errconsole.print(f"error: {safe_text(where + (exc.strerror or str(exc)))}", markup=False)
        return EXIT_INPUT
    except Exception as exc:  # a bug, not bad input: say so plainly, traceback only on request
        if args.verbose:
            raise
        errconsole.print(
            f"internal error: {type(exc).__name__}: {safe_text(str(exc))}\n"
            "  hint: this is a bug in egnet; re-run with -v for the traceback and report it",
            markup=False,
        )
        return EXIT_BUG
    return rc


def _one_message(text: str) -> str:
    """An operation error's message made terminal-safe, keeping its own line breaks (hints)."""
    return "\n".join(safe_text(line, 2000) for line in text.split("\n")[:50])


if __name__ == "__main__":
    raise SystemExit(main())
