"""The default (fast) SNMP engine never loads pysnmp: the client protocol lives in
poller/snmp_client.py, not in the pysnmp module (issue 10 §4)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import asyncio, sys
import egnet.cli, egnet.poller_cmds, poller.cycle, poller.fastsnmp
from poller.clients import make_client

async def main():
    client = make_client("fast")
    client.close()
    if sys.argv[1] == "pysnmp":
        from testing.pysnmp_client import PysnmpClient
        PysnmpClient().close()

asyncio.run(main())
print(sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("pysnmp", "pyasn1")}))
"""


def _loaded(engine: str) -> str:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, engine],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_the_fast_engine_and_the_cli_do_not_import_pysnmp() -> None:
    assert _loaded("fast") == "[]"


def test_the_probe_sees_pysnmp_when_the_peer_is_loaded() -> None:
    """The same probe does notice pysnmp, so the test above can fail."""
    assert _loaded("pysnmp") == "['pyasn1', 'pysnmp']"
