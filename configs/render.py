"""Render complete device configs from ``templates/<platform>/device.j2`` and the model.

Public API (used by the CLI and the lab helper):

- :func:`render_device` — one device's config text;
- :func:`render_all` — every (or some) device's config written to ``<out>/<hostname>.cfg`` plus a
  ``manifest.json`` mapping hostname to platform (so ``egnet audit`` knows each file's platform).

Jinja runs with ``StrictUndefined``, ``trim_blocks`` and ``lstrip_blocks``; a template error names
the device, the ``.j2`` file and the line.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

import jinja2

from configs.context import TopologyIndex, build_context
from configs.platform_data import TEMPLATES
from topology.diagnostics import OperationError
from topology.model import Topology
from topology.private_files import private_dir, write_private
from topology.secrets import SecretSource

logger = logging.getLogger(__name__)
MANIFEST = "manifest.json"
CONFIG_SUFFIX = ".cfg"
Progress = Callable[[int], None]
PARALLEL_MIN = 64  # fewer devices than this render in-process
CHUNK = 50
SUPPORTED_IGPS = ("ospf",)  # IS-IS templates are not written yet


class TemplateRenderError(OperationError):
    """A template failed for a device; the message names the device, the file and the line."""


class RenderOutputError(OperationError):
    """A rendered config failed the output self-check: a bug (the model or a template let unsafe
    text through), so the CLI exits 70."""

    exit_code = 70


MAX_CONFIG_LINE = 4096  # characters; no vendor CLI takes a longer command line


def check_output(hostname: str, text: str) -> None:
    """Re-check a rendered config: one logical line per command, every line printable.

    Lines are split on ``\\n`` only; any other character a device or a line-splitting tool could
    take as a line break (``\\r``, ``\\v``, ``\\f``, U+0085, U+2028, U+2029 …), any control or
    format character (NUL, ESC, BEL, zero-width …) and any space other than U+0020 is refused, so a
    field that reaches a template unchecked can never smuggle in a command.

    Raises:
        RenderOutputError: naming the device, the line number and the offending character.

    Examples:
        >>> check_output("r1", "hostname r1\\ninterface eth1\\n description to r2\\n")
        >>> check_output("r1", "interface eth1\\n description x\\rrouter bgp 1\\n")
        Traceback (most recent call last):
        ...
        configs.render.RenderOutputError: device r1: rendered config line 2: character U+000D is not printable (one line must hold one command)
    """
    for number, line in enumerate(text.split("\n"), 1):
        if len(line) > MAX_CONFIG_LINE:
            raise RenderOutputError(
                f"device {hostname}: rendered config line {number} is {len(line):,} characters long"
            )
        if line.isprintable():
            continue
        ch = next(c for c in line if not c.isprintable())
        raise RenderOutputError(
            f"device {hostname}: rendered config line {number}: character U+{ord(ch):04X} is not "
            "printable (one line must hold one command)"
        )


@lru_cache(maxsize=16)
def environment(platform: str, root: Path = TEMPLATES) -> jinja2.Environment:
    """The Jinja environment of one platform (strict, trimmed, cached).

    Examples:
        >>> environment("frr").undefined is jinja2.StrictUndefined
        True
    """
    folder = root / platform
    if not (folder / "device.j2").is_file():
        raise OperationError(f"{folder}/device.j2: no templates for platform '{platform}'")
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        auto_reload=False,
    )


def _where(exc: BaseException) -> str:
    """Return ``file.j2:line`` of the innermost template frame in the traceback."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.filename or exc.name}:{exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
    if not frames:
        return "(template)"
    return f"{frames[-1].filename}:{frames[-1].lineno}"


_index: list[TopologyIndex] = []


def topology_index(topo: Topology) -> TopologyIndex:
    """Return the shared per-topology index (kept for the last topology seen)."""
    if not _index or _index[0].topo is not topo:
        if topo.policy.igp not in SUPPORTED_IGPS:
            raise OperationError(
                f"{topo.source}: igp.protocol '{topo.policy.igp}' cannot be rendered yet"
                f"\n  hint: supported: {', '.join(SUPPORTED_IGPS)}"
            )
        _index[:] = [TopologyIndex(topo)]
    return _index[0]


def render_device(
    topo: Topology, hostname: str, secrets: SecretSource, *, templates: Path = TEMPLATES
) -> str:
    """Render the complete config of ``hostname`` (``templates``: the templates root folder).

    Raises:
        OperationError: unknown device; a missing secret (names device and secret); a template
            error (names device, template file and line); :class:`RenderOutputError` when the output
            fails :func:`check_output`.
    """
    dev = topo.devices.get(hostname)
    if dev is None:
        raise OperationError(f"unknown device '{hostname}'")
    ctx = build_context(topology_index(topo), hostname, secrets)
    env = environment(dev.platform, templates)
    try:
        text = env.get_template("device.j2").render(d=ctx)
    except jinja2.TemplateError as exc:
        raise TemplateRenderError(f"device {hostname}: {_where(exc)}: {exc}") from exc
    check_output(hostname, text)
    return text


def select_devices(
    topo: Topology, devices: Iterable[str] | None = None, platform: str | None = None
) -> list[str]:
    """Hostnames to render, sorted; unknown names are an error.

    Examples:
        >>> select_devices.__name__
        'select_devices'
    """
    names = sorted(topo.devices) if devices is None else sorted(set(devices))
    unknown = [n for n in names if n not in topo.devices]
    if unknown:
        raise OperationError(f"unknown device(s): {', '.join(unknown)}")
    return [n for n in names if platform is None or topo.devices[n].platform == platform]


_WORKER: list[tuple[Topology, SecretSource, Path]] = []  # set before forking workers


def _render_chunk(chunk: Sequence[str]) -> list[Path]:
    topo, secrets, out = _WORKER[0]
    return [_write(out, h, render_device(topo, h, secrets)) for h in chunk]


def _write(out: Path, hostname: str, text: str) -> Path:
    """Write one config: it holds keys, so 0600 in a 0700 folder (topology.private_files)."""
    return write_private(out / f"{hostname}{CONFIG_SUFFIX}", text)


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def render_all(
    topo: Topology,
    out_dir: Path | str,
    secrets: SecretSource,
    devices: Iterable[str] | None = None,
    *,
    platform: str | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[Path]:
    """Render devices into ``out_dir/<hostname>.cfg`` and write ``manifest.json``.

    Args:
        topo: the model.
        out_dir: output folder (created).
        secrets: secret source.
        devices: hostnames (default: every device).
        platform: only devices of this platform.
        jobs: worker processes (fork); 1 renders in this process.
        progress: called with the number of devices finished since the last call.

    Returns:
        The written config paths, in hostname order.
    """
    out = private_dir(Path(out_dir))
    names = select_devices(topo, devices, platform)
    paths: list[Path] = []
    if jobs <= 1 or len(names) < PARALLEL_MIN:
        for h in names:
            paths.append(_write(out, h, render_device(topo, h, secrets)))
            if progress:
                progress(1)
    else:
        paths = _render_parallel(topo, out, secrets, names, jobs, progress)
    _write_manifest(out, {h: topo.devices[h].platform for h in names})
    logger.info("rendered %d configs into %s", len(paths), out)
    return paths


def _render_parallel(
    topo: Topology,
    out: Path,
    secrets: SecretSource,
    names: list[str],
    jobs: int,
    progress: Progress | None,
) -> list[Path]:
    topology_index(topo)  # build the shared index before forking
    _WORKER[:] = [(topo, secrets, out)]
    ctx = multiprocessing.get_context("fork")
    paths: list[Path] = []
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            for chunk_paths in pool.map(_render_chunk, _chunks(names, CHUNK)):
                paths.extend(chunk_paths)
                if progress:
                    progress(len(chunk_paths))
    finally:
        _WORKER.clear()
    return paths


def _write_manifest(out: Path, platforms: dict[str, str]) -> None:
    path = out / MANIFEST
    old: dict[str, str] = {}
    if path.is_file():
        old = json.loads(path.read_text(encoding="utf-8")).get("devices", {})
    old.update(platforms)
    data = {"devices": dict(sorted(old.items()))}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read_manifest(folder: Path) -> dict[str, str]:
    """Return hostname → platform from ``folder/manifest.json`` (empty when absent)."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    devices = data.get("devices") if isinstance(data, dict) else None
    if not isinstance(devices, dict):
        raise OperationError(f'{path}: expected {{"devices": {{hostname: platform}}}}')
    return {str(k): str(v) for k, v in devices.items()}
