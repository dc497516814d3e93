"""Secrets by name: from the environment or an uncommitted vault file, never the inventory.

Lookup order for a secret named ``ospf_key``:

1. environment variable ``EGNET_SECRET_OSPF_KEY``;
2. the vault file: ``$EGNET_VAULT`` if set, else ``.vault.yaml`` in the current folder
   (git-ignored) — a YAML mapping ``name: value``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import yaml

from topology.diagnostics import OperationError

ENV_PREFIX = "EGNET_SECRET_"
DEFAULT_VAULT = ".vault.yaml"


class SecretSource(Protocol):
    """Anything that resolves a secret by name (:class:`Secrets`, or a test double)."""

    def get(self, name: str, device: str | None = None) -> str: ...


class MissingSecret(OperationError):
    """A secret the work needs is neither in the environment nor in the vault."""


def env_name(name: str) -> str:
    """Return the environment variable that holds secret ``name``.

    Examples:
        >>> env_name("ospf-key")
        'EGNET_SECRET_OSPF_KEY'
    """
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


class Secrets:
    """Resolves secrets by name; reads the vault once."""

    def __init__(self, env: Mapping[str, str] | None = None, vault: Path | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        path = vault or Path(self.env.get("EGNET_VAULT", DEFAULT_VAULT))
        self.vault_path = path
        self.vault: dict[str, str] = {}
        if path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(data, dict):
                raise OperationError(f"{path}: vault must be a mapping of secret name to value")
            self.vault = {str(k): str(v) for k, v in data.items()}

    def get(self, name: str, device: str | None = None) -> str:
        """Return the secret ``name``; raise :class:`MissingSecret` naming the device and secret."""
        value = self.env.get(env_name(name)) or self.vault.get(name)
        if value:
            return value
        who = f"device {device}: " if device else ""
        raise MissingSecret(
            f"{who}missing secret '{name}': set {env_name(name)} or add '{name}: …' to {self.vault_path}"
        )
