"""Shared helpers of the deploy tests: the mixed-vendor render inventory and its dummy secrets,
taken from ``tests/render/render_testlib.py`` (one source of truth for the secret names the
templates need). It is loaded by path under its own name, ``render_testlib``, as the render tests
import it, so pytest and mypy see one module.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import cast

from topology.model import Topology
from topology.secrets import Secrets

RENDER = Path(__file__).resolve().parent.parent / "render" / "render_testlib.py"


def _load() -> ModuleType:
    if "render_testlib" in sys.modules:
        return sys.modules["render_testlib"]
    spec = importlib.util.spec_from_file_location("render_testlib", RENDER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["render_testlib"] = module
    spec.loader.exec_module(module)
    return module


_lib = _load()
MIXED = cast(Path, _lib.MIXED)  # one vendor per tier: huawei_vrp, hp_comware, cisco_ios
SECRET_VALUES = cast(dict[str, str], _lib.SECRET_VALUES)
secrets = cast(Callable[..., Secrets], _lib.secrets)
topology = cast(Callable[[Path], Topology], _lib.topology)
