"""Read YAML files into plain data while remembering where every value came from.

Input is hostile until proven otherwise, so reading is bounded (:data:`LIMITS`):

* only regular files are read (a FIFO, a device such as ``/dev/zero``, a folder or a symlink to one
  is a located error, never a hang), at most ``max_file_bytes`` each, UTF-8 only;
* the YAML event stream is composed here, not by PyYAML's recursive composer: nesting deeper than
  ``max_depth`` is an error (libyaml's composer crashes on ~100,000 levels), so is a file of more
  than ``max_values`` values; an alias to an anchor
  still being defined (a recursive alias) is an error; aliases may add at most ``max_alias_nodes``
  values per file ("billion laughs");
* only the plain YAML types are accepted: strings, integers, floats, booleans, null, sequences and
  mappings. Explicit tags such as ``!!binary``, ``!!set``, ``!!timestamp`` or ``!python/...``,
  merge keys (``<<``), non-scalar keys and multiple documents are located errors; an implicit
  date (``2024-01-01``) stays a string;
* a scalar is at most ``max_scalar_chars`` characters; an integer has at most ``max_int_digits``
  digits; floats must be finite (no ``.inf``/``.nan``).

Duplicate keys, empty files and syntax errors become located diagnostics instead of silent overwrites.
"""

from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml

from topology.diagnostics import Diagnostic, Path, format_path

try:  # libyaml is much faster; PyYAML wheels ship it
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


@dataclass(frozen=True)
class Limits:
    """Bounds on one input file (see the module docstring)."""

    max_file_bytes: int = 16 * 1024 * 1024
    max_lock_bytes: int = 32 * 1024 * 1024
    max_depth: int = 32
    max_alias_nodes: int = 10_000
    max_values: int = 250_000  # a whole province in one file is ~11,000
    max_scalar_chars: int = 4096
    max_int_digits: int = 19


LIMITS = Limits()

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null")}
_KIND = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a folder",
    stat.S_IFSOCK: "a socket",
}


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


class InputFileError(Exception):
    """A file that cannot be read as input (not regular, too large, unreadable)."""


def read_bytes(path: FsPath, limit: int) -> bytes:
    """Read a regular file of at most ``limit`` bytes, never blocking on a FIFO or a device.

    Raises:
        InputFileError: not a regular file, larger than ``limit``, or unreadable.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputFileError(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = _KIND.get(stat.S_IFMT(st.st_mode), "not a regular file")
            raise InputFileError(f"not a regular file: it is {kind}")
        if st.st_size > limit:
            raise InputFileError(f"file is {st.st_size:,} bytes, more than the limit of {limit:,}")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise InputFileError(f"file grew beyond the limit of {limit:,} bytes while read")
        return b"".join(chunks)
    except OSError as exc:
        raise InputFileError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def decode_utf8(data: bytes, name: str) -> tuple[str | None, Diagnostic | None]:
    """Decode UTF-8, or return a diagnostic located at the first bad byte (line:col)."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Diagnostic(
            name,
            line,
            col,
            "",
            f"not UTF-8 text: {exc.reason} (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            "save the file as UTF-8",
        )


class _Stop(Exception):
    """Abort composing: the error is already recorded."""


class _Composer:
    """Compose plain data from libyaml's event stream with the bounds of :class:`Limits`."""

    def __init__(self, text: str, src: SourceFile, limits: Limits) -> None:
        self.loader: Any = _Loader(text)
        self.src = src
        self.limits = limits
        self.errors: list[Diagnostic] = []
        self.anchors: dict[str, tuple[Any, int]] = {}  # anchor → (value, values inside)
        self.open_anchors: set[str] = set()
        self.alias_nodes = 0
        self.values = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, event: Any, path: Path, message: str, hint: str | None = None) -> None:
        mark = event.start_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else self.src.where(path)
        self.errors.append(Diagnostic(self.src.name, line, col, format_path(path), message, hint))

    def compose(self) -> Any:
        """Return the single document's data (None for an empty stream)."""
        self.loader.get_event()  # StreamStart
        if self.loader.check_event(yaml.StreamEndEvent):
            return None
        self.loader.get_event()  # DocumentStart
        data, _ = self.node((), 1)
        self.loader.get_event()  # DocumentEnd
        if not self.loader.check_event(yaml.StreamEndEvent):
            event = self.loader.get_event()
            self.fail(event, (), "expected a single YAML document, found another ('---')")
            raise _Stop
        return data

    def node(self, path: Path, depth: int) -> tuple[Any, int]:
        """Compose one node; return (value, number of values it holds incl. itself)."""
        event = self.loader.get_event()
        if isinstance(event, yaml.AliasEvent):
            return self.alias(event, path)
        self.src.marks[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
        self.values += 1
        if self.values > self.limits.max_values:
            self.fail(event, path, f"file holds more than {self.limits.max_values:,} values")
            raise _Stop
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.open_anchors.add(anchor)
        if isinstance(event, yaml.ScalarEvent):
            value, count = self.scalar(event, path), 1
        else:
            if depth > self.limits.max_depth:
                self.fail(event, path, f"nesting is deeper than {self.limits.max_depth} levels")
                raise _Stop
            self.check_tag(
                event, path, "seq" if isinstance(event, yaml.SequenceStartEvent) else "map"
            )
            if isinstance(event, yaml.SequenceStartEvent):
                value, count = self.sequence(path, depth)
            else:
                value, count = self.mapping(path, depth)
        if anchor is not None:
            self.open_anchors.discard(anchor)
            self.anchors[anchor] = (value, count)
        return value, count

    def alias(self, event: Any, path: Path) -> tuple[Any, int]:
        self.src.marks[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
        if event.anchor in self.open_anchors:
            self.fail(event, path, f"recursive alias *{event.anchor} (it refers to itself)")
            raise _Stop
        if event.anchor not in self.anchors:
            self.fail(event, path, f"alias *{event.anchor} refers to no anchor defined before")
            raise _Stop
        value, count = self.anchors[event.anchor]
        self.alias_nodes += count
        if self.alias_nodes > self.limits.max_alias_nodes:
            self.fail(
                event,
                path,
                f"aliases expand to more than {self.limits.max_alias_nodes:,} values",
                "write the values out, or reuse fewer anchors",
            )
            raise _Stop
        return value, count

    def check_tag(self, event: Any, path: Path, kind: str) -> None:
        tag = event.tag
        if tag is not None and tag not in ("!", f"{_TAG}{kind}"):
            self.fail(event, path, f"YAML tag {_short_tag(tag)} is not accepted", _TAG_HINT)
            raise _Stop

    def scalar(self, event: Any, path: Path) -> Any:
        value: str = event.value
        if len(value) > self.limits.max_scalar_chars:
            self.fail(
                event,
                path,
                f"value is {len(value):,} characters long, more than the limit of "
                f"{self.limits.max_scalar_chars:,}",
            )
            return None
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, value, event.implicit)
            if tag == f"{_TAG}timestamp":  # an implicit date stays text
                return value
        if tag == f"{_TAG}merge":
            self.fail(event, path, "YAML merge keys (<<) are not supported")
            return None
        if tag not in _SCALAR_TAGS:
            self.fail(event, path, f"YAML tag {_short_tag(tag)} is not accepted", _TAG_HINT)
            return None
        if tag == f"{_TAG}str":
            return value
        if tag == f"{_TAG}int":
            digits = len(value.lstrip("+-").replace("_", ""))  # hex digits count too
            if digits > self.limits.max_int_digits:
                self.fail(
                    event,
                    path,
                    f"integer has {digits} digits, more than the limit of "
                    f"{self.limits.max_int_digits}",
                )
                return None
        try:
            result = self.constructor.yaml_constructors[tag](
                self.constructor, yaml.ScalarNode(tag, value)
            )
        except (ValueError, yaml.YAMLError):
            self.fail(event, path, f"not a valid {tag.removeprefix(_TAG)}: {_clip(value)}")
            return None
        if isinstance(result, float) and not math.isfinite(result):
            self.fail(event, path, f"number {_clip(value)} is not finite", "write a finite number")
            return None
        return result

    def sequence(self, path: Path, depth: int) -> tuple[list[Any], int]:
        out: list[Any] = []
        count = 1
        while not self.loader.check_event(yaml.SequenceEndEvent):
            value, n = self.node((*path, len(out)), depth + 1)
            out.append(value)
            count += n
        self.loader.get_event()
        return out, count

    def mapping(self, path: Path, depth: int) -> tuple[dict[Any, Any], int]:
        out: dict[Any, Any] = {}
        count = 1
        while not self.loader.check_event(yaml.MappingEndEvent):
            kevent = self.loader.peek_event()
            key = self.key(kevent, path)
            kpath: Path = (*path, key if key is not None else f"?{len(out)}")
            kmark = (kevent.start_mark.line + 1, kevent.start_mark.column + 1)
            first = self.src.marks.get(kpath)
            value, n = self.node(kpath, depth + 1)
            count += n
            if key is None:
                continue
            if key in out:
                line, col = kmark
                self.errors.append(
                    Diagnostic(
                        self.src.name,
                        line,
                        col,
                        format_path(kpath),
                        f"duplicate key '{key}'",
                        f"first defined at line {first[0] if first else 0}; a YAML mapping must "
                        "not repeat a key",
                    )
                )
                if first is not None:
                    self.src.marks[kpath] = first
                continue
            if isinstance(value, dict | list):  # containers: point at the key
                self.src.marks[kpath] = kmark
            out[key] = value
        self.loader.get_event()
        return out, count

    def key(self, event: Any, path: Path) -> str | None:
        """Consume a key event; return its text, or None (error recorded) for a bad key."""
        self.loader.get_event()
        if not isinstance(event, yaml.ScalarEvent):
            self.fail(
                event, path, "a mapping key must be a plain value, not a list, mapping or alias"
            )
            self.skip(event)
            return None
        value: str = event.value
        if len(value) > 256:
            self.fail(
                event, path, f"key is {len(value):,} characters long, more than the limit of 256"
            )
            return None
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, value, event.implicit)
        if tag == f"{_TAG}merge":
            self.fail(event, path, "YAML merge keys (<<) are not supported")
            return None
        if event.tag not in (None, "!", f"{_TAG}str"):
            self.fail(event, path, f"YAML tag {_short_tag(event.tag)} is not accepted", _TAG_HINT)
            return None
        return value

    def skip(self, event: Any) -> None:
        """Skip the rest of a collection whose start event was consumed."""
        if not isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            return
        depth = 1
        while depth:
            ev = self.loader.get_event()
            if isinstance(ev, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
            elif isinstance(ev, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1


_TAG_HINT = "only plain strings, numbers, booleans, null, lists and mappings are accepted"


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else _clip(tag, 40)


def _clip(value: str, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_yaml(
    text: str, name: str, limits: Limits = LIMITS
) -> tuple[SourceFile, list[Diagnostic]]:
    """Parse YAML text into a :class:`SourceFile`, collecting located errors."""
    src = SourceFile(name, None)
    composer = _Composer(text, src, limits)
    try:
        data = composer.compose()
    except _Stop:
        return src, composer.errors
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        ctx = f" ({exc.context})" if exc.context else ""
        return src, [
            *composer.errors,
            Diagnostic(name, line, col, "", f"YAML syntax: {problem}{ctx}"),
        ]
    except yaml.YAMLError as exc:
        return src, [*composer.errors, Diagnostic(name, 1, 1, "", f"YAML syntax: {exc}")]
    if data is None and not composer.errors and () not in src.marks:
        return src, [Diagnostic(name, 1, 1, "", "file is empty", "remove it or give it content")]
    src.data = data
    return src, composer.errors


def read_yaml(
    path: FsPath, display: str, limits: Limits = LIMITS
) -> tuple[SourceFile, list[Diagnostic]]:
    """Read and parse one YAML file; unreadable, non-regular, oversized or non-UTF-8 files become
    diagnostics."""
    try:
        raw = read_bytes(path, limits.max_file_bytes)
    except InputFileError as exc:
        return SourceFile(display, None), [Diagnostic(display, 1, 1, "", str(exc))]
    text, error = decode_utf8(raw, display)
    if error is not None or text is None:
        return SourceFile(display, None), [error] if error else []
    return parse_yaml(text, display, limits)
