"""`egnet poll inventory/lab --once` against the running lab prints every circuit (issue 6).

The lab's routers are reachable only from its NMS namespace: the command finds the lab through its
state file (``--netns auto``) and re-runs itself there. snmpd in each router namespace serves the
real IF-MIB counters of the veths.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lab.session import LabHandle

pytestmark = pytest.mark.lab


def test_poll_once_against_the_running_lab(lab: LabHandle) -> None:
    argv = [sys.executable, "-m", "egnet.cli", "poll", str(lab.inventory), "--once", "--gap", "2",
            "--json", "--lab-root", str(lab.root)]  # fmt: skip
    got = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert got.returncode == 0, got.stderr
    assert "polling from network namespace eg-nms" in got.stderr
    result = json.loads(got.stdout)  # --once prints one cycle
    assert all(d["reachable"] for d in result["devices"]), result["devices"]
    by_id = {c["circuit"]: c for c in result["circuits"]}
    assert set(by_id) == set(lab.topo.circuits)
    for cid, circuit in lab.topo.circuits.items():
        sample = by_id[cid]
        assert sample["capacity_bps"] == circuit.capacity_bps
        assert sample["state"] in ("up", "down")
        if sample["state"] == "up":
            assert sample["util_ab"] is not None and 0 <= sample["util_ab"] < 1
