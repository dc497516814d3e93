"""The CLI's command table names every command the modules register, and nothing else."""

from __future__ import annotations

import argparse
import subprocess
import sys

from egnet.cli import COMMANDS, build_parser


def test_command_table_matches_registered_commands() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(COMMANDS)
    for name, module in COMMANDS.items():
        only = build_parser([module])
        only_sub = next(a for a in only._actions if isinstance(a, argparse._SubParsersAction))
        assert name in only_sub.choices


def test_validate_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from egnet.cli import main; main(['validate', 'inventory/lab']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('planner', 'poller', 'pysnmp', 'napalm')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
