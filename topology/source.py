"""Read YAML files into plain data while remembering where every value came from.

Duplicate keys, empty files and syntax errors become located diagnostics instead of silent overwrites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml

from topology.diagnostics import Diagnostic, Path, format_path

try:  # libyaml is much faster; PyYAML wheels ship it
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


@dataclass
class SourceFile:
    """A parsed YAML file: its data and the position of every node by data path."""

    name: str
    data: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path) -> tuple[int, int]:
        """Return (line, col), 1-based, of ``path`` or of its closest located ancestor."""
        p = tuple(path)
        while p:
            if p in self.marks:
                return self.marks[p]
            p = p[:-1]
        return self.marks.get((), (1, 1))

    def error(self, path: Path, message: str, hint: str | None = None) -> Diagnostic:
        """Build a located error diagnostic for ``path``."""
        line, col = self.where(path)
        return Diagnostic(self.name, line, col, format_path(path), message, hint)


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _scalar(node: yaml.ScalarNode) -> Any:
    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    construct = _CONSTRUCTOR.yaml_constructors.get(node.tag)
    if construct is None:
        return node.value
    try:
        return construct(_CONSTRUCTOR, node)
    except (ValueError, OverflowError):  # e.g. 2024-13-40: the schema reports the text, located
        return node.value


class _Builder:
    def __init__(self, src: SourceFile) -> None:
        self.src = src
        self.errors: list[Diagnostic] = []

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.src.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return _scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                self.errors.append(self.src.error(path, "YAML merge keys (<<) are not supported"))
                continue
            key = _scalar(knode) if isinstance(knode, yaml.ScalarNode) else None
            if not isinstance(key, str | int):
                key = str(key)
            if key in out:
                first = self.src.marks.get((*path, key), (0, 0))
                line, col = knode.start_mark.line + 1, knode.start_mark.column + 1
                self.errors.append(
                    Diagnostic(
                        self.src.name,
                        line,
                        col,
                        format_path((*path, key)),
                        f"duplicate key '{key}'",
                        f"first defined at line {first[0]}; a YAML mapping must not repeat a key",
                    )
                )
                continue
            self.src.marks[(*path, key)] = (knode.start_mark.line + 1, knode.start_mark.column + 1)
            out[key] = self.build(vnode, (*path, key))
            if not isinstance(vnode, yaml.ScalarNode):  # containers: point at the key
                self.src.marks[(*path, key)] = (
                    knode.start_mark.line + 1,
                    knode.start_mark.column + 1,
                )
        return out


def parse_yaml(text: str, name: str) -> tuple[SourceFile, list[Diagnostic]]:
    """Parse YAML text into a :class:`SourceFile`, collecting located errors."""
    src = SourceFile(name, None)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        ctx = f" ({exc.context})" if exc.context else ""
        return src, [Diagnostic(name, line, col, "", f"YAML syntax: {problem}{ctx}")]
    except yaml.YAMLError as exc:
        return src, [Diagnostic(name, 1, 1, "", f"YAML syntax: {exc}")]
    if node is None:
        return src, [Diagnostic(name, 1, 1, "", "file is empty", "remove it or give it content")]
    builder = _Builder(src)
    src.data = builder.build(node, ())
    return src, builder.errors


def read_yaml(path: FsPath, display: str) -> tuple[SourceFile, list[Diagnostic]]:
    """Read and parse one YAML file; unreadable or non-UTF-8 files become diagnostics."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return SourceFile(display, None), [
            Diagnostic(display, 1, 1, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}")
        ]
    except OSError as exc:
        return SourceFile(display, None), [Diagnostic(display, 1, 1, "", f"cannot read: {exc}")]
    return parse_yaml(text, display)
