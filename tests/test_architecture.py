"""The dependency table of the architecture, enforced on every import statement.

Every ``.py`` file of a package is parsed with :mod:`ast` (so imports inside functions, ``if
TYPE_CHECKING`` blocks and ``try`` blocks count too) and each import of one of our packages is
checked against :data:`ALLOWED`. ``tests/`` and ``benchmarks/`` may import anything; nothing but
``egnet`` itself imports the CLI, and no runtime package imports the test harness (``testing``) or
``tests``. The checker is run on the real tree and on fixture trees that contain a forbidden import,
to show that it fails.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

RUNTIME = frozenset({"topology", "configs", "planner", "deploy", "poller", "lab", "egnet"})
OURS = RUNTIME | {"testing", "tests", "benchmarks"}

# package -> the packages of ours it may import (besides itself)
ALLOWED: dict[str, frozenset[str]] = {
    "topology": frozenset(),
    "configs": frozenset({"topology"}),
    "planner": frozenset({"topology"}),
    "deploy": frozenset({"topology", "configs"}),
    "poller": frozenset({"topology"}),
    "lab": frozenset({"topology", "configs", "deploy"}),
    "egnet": RUNTIME,
    "testing": OURS - {"egnet", "tests", "benchmarks"},
}


# Reviewed exceptions: (file, imported module) -> why. Keep this list short; each entry is a
# decision, not a convenience.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("testing/inventory_fuzz.py", "egnet.cli"): (
        "the mutation fuzzer's job is to run egnet.cli.main in-process on hostile inventories "
        "(one fork per case; tests/topology/test_mutation_fuzz.py)"
    ),
}


@dataclass(frozen=True)
class Violation:
    """One forbidden import: where it is and what it names."""

    path: str
    line: int
    importer: str
    imported: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} may not import {self.imported}"


def _imported_modules(
    tree: ast.AST, package: str, module_parts: list[str]
) -> list[tuple[int, str]]:
    """Absolute dotted names imported anywhere in ``tree`` (relative imports resolved)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_parts[: len(module_parts) - node.level]
                name = ".".join([*base, node.module] if node.module else base)
                found.append((node.lineno, name or package))
            elif node.module is not None:
                found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def check_tree(root: Path) -> list[Violation]:
    """Every forbidden import in the packages under ``root``."""
    violations: list[Violation] = []
    for package, allowed in sorted(ALLOWED.items()):
        folder = root / package
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(root)
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
            for line, name in _imported_modules(tree, package, parts):
                top = name.split(".")[0]
                forbidden = top in OURS and top != package and top not in allowed
                if forbidden and (rel.as_posix(), name) not in EXCEPTIONS:
                    violations.append(Violation(str(rel), line, package, name))
    return violations


def test_the_real_tree_keeps_the_dependency_table() -> None:
    violations = check_tree(ROOT)
    assert not violations, "\n".join(map(str, violations))


def test_every_exception_is_still_needed() -> None:
    """An exception whose import is gone must be removed from the list."""
    for (rel, name), _why in EXCEPTIONS.items():
        path = ROOT / rel
        package = rel.split("/")[0]
        parts = list(Path(rel).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert name in {n for _, n in _imported_modules(tree, package, parts)}, (rel, name)


def test_every_package_of_ours_is_in_the_table() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - set(ALLOWED) <= {"tests", "benchmarks"}, packages - set(ALLOWED)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for package in ALLOWED:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    return tmp_path


BAD_IMPORTS = [
    ("topology/x.py", "from configs.render import render\n", "configs.render"),
    ("topology/x.py", "import poller\n", "poller"),
    ("configs/x.py", "from deploy import push\n", "deploy"),
    ("planner/x.py", "def f() -> None:\n    from poller.store import Store\n", "poller.store"),
    ("deploy/x.py", "from planner.paths import x\n", "planner.paths"),
    ("deploy/x.py", "from lab.manager import up\n", "lab.manager"),
    ("poller/x.py", "from lab.system import enter\n", "lab.system"),
    ("poller/x.py", "from egnet.cli import main\n", "egnet.cli"),
    ("lab/x.py", "from planner.engine import route\n", "planner.engine"),
    ("lab/x.py", "from poller.fastsnmp import FastClient\n", "poller.fastsnmp"),
    ("lab/x.py", "from testing.snmp_agent import SnmpdAgent\n", "testing.snmp_agent"),
    ("egnet/x.py", "from testing import snmp_fleet\n", "testing"),
    ("egnet/x.py", "from tests.render import render_testlib\n", "tests.render"),
    ("testing/x.py", "from egnet.cli import main\n", "egnet.cli"),
    ("configs/rules/x.py", "from ...deploy import push\n", "deploy"),
    (
        "topology/x.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from planner.model import X\n",
        "planner.model",
    ),
    ("topology/x.py", "import importlib\nimportlib.import_module('lab.manager')\n", "lab.manager"),
]


@pytest.mark.parametrize(("rel", "source", "imported"), BAD_IMPORTS)
def test_a_forbidden_import_in_a_fixture_tree_fails(
    tmp_path: Path, rel: str, source: str, imported: str
) -> None:
    root = _tree(tmp_path, {rel: source})
    violations = check_tree(root)
    assert [(v.path, v.imported) for v in violations] == [(rel, imported)]


def test_allowed_imports_in_a_fixture_tree_pass(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "configs/x.py": "from topology.model import Topology\nimport yaml\n",
            "deploy/x.py": "from configs.render import render\nfrom topology import load\n",
            "lab/x.py": "def f() -> None:\n    from deploy.push import push\n",
            "testing/x.py": "from poller.oids import IF_MIB\nfrom lab.system import enter\n",
            "egnet/x.py": "from lab.manager import up\nfrom . import cli\n",
            "poller/x.py": "from .oids import IF_MIB\n",
        },
    )
    assert check_tree(root) == []


def test_the_pytest_run_itself_would_fail_on_a_bad_fixture(tmp_path: Path) -> None:
    """The real test function fails (pytest exit 1) when pointed at a tree with a bad import."""
    root = _tree(tmp_path, {"deploy/bad.py": "from planner.paths import predicted_paths\n"})
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT / "tests")!r})
        import test_architecture as t
        t.ROOT = __import__("pathlib").Path({str(root)!r})
        try:
            t.test_the_real_tree_keeps_the_dependency_table()
        except AssertionError as exc:
            print(exc)
            sys.exit(1)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert run.returncode == 1, run.stderr
    assert "deploy/bad.py:1: deploy may not import planner.paths" in run.stdout
