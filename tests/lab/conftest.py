"""The shared lab for the lab tests: one session-scoped lab, torn down even when tests fail."""

from __future__ import annotations

import os
import secrets as pysecrets
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from lab.naming import NMS_NAMESPACE
from lab.session import LabHandle, running_lab
from lab.system import namespaces
from topology.secrets import Secrets

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "inventory" / "lab"
LAB_ROOT = REPO / "build" / "lab-test"


def lab_env(tmp: Path) -> dict[str, str]:
    """Secrets of the test lab, as environment variables (never in the inventory)."""
    token = pysecrets.token_hex(6)
    return {
        "EGNET_SECRET_SSH_USERNAME": "egnettest",
        "EGNET_SECRET_SSH_PASSWORD": f"Lab-{token}-Pw1",
        "EGNET_SECRET_SNMP_COMMUNITY": f"ro{token}",
        "EGNET_SECRET_SNMP_V3_AUTH_KEY": f"auth-{token}",
        "EGNET_SECRET_SNMP_V3_PRIV_KEY": f"priv-{token}",
        "EGNET_SECRET_OSPF_KEY": f"ospf{token[:4]}",
        "EGNET_SECRET_BGP_PASSWORD": f"bgp-{token}",
        "EGNET_SECRET_SSH_KEY_FILE": str(LAB_ROOT / "ssh" / "id_ed25519"),
        "EGNET_VAULT": str(tmp / "no-vault.yaml"),
    }


@pytest.fixture(scope="session")
def lab_secrets_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Set the lab secrets in the environment for the session (restored afterwards)."""
    env = lab_env(tmp_path_factory.mktemp("vault"))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def lab(
    tmp_path_factory: pytest.TempPathFactory, lab_secrets_env: dict[str, str]
) -> Iterator[LabHandle]:
    """Bring the lab up once for the session; ``lab down`` afterwards, whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("lab test: needs root to create network namespaces (run as root)")
    if NMS_NAMESPACE in namespaces():
        pytest.skip(f"a lab is already up ({NMS_NAMESPACE} exists): run `egnet lab down` first")
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _interrupt)  # `timeout pytest …`: still tear the lab down
    try:
        with running_lab(INVENTORY, LAB_ROOT, Secrets()) as handle:
            yield handle
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
