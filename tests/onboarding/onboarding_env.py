"""Onboarding test helpers: a clean environment (no secrets, no vault, a fresh working folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in an empty tmp folder with no EGNET_SECRET_*/EGNET_VAULT* set; return the folder."""
    for name in list(os.environ):
        if name.startswith(("EGNET_SECRET_", "EGNET_VAULT")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path
