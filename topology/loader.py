"""Load an inventory folder: parse, validate, expand, allocate, build — in stages with checkpoints.

Each stage collects every error it finds; at the checkpoint after it, :class:`InventoryError` carries
them all to the caller. This module is the only one that opens inventory files.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from topology.build import assemble, check_pools, run_ipam
from topology.demands import load_demands
from topology.departments import (
    DEPARTMENTS_FILE,
    DEPARTMENTS_LOCK,
    DepartmentsFile,
    read_lock,
    resolve,
    site_views,
)
from topology.diagnostics import Diagnostic, InventoryError, known
from topology.diagnostics import Path as DataPath
from topology.egress import check_egress
from topology.expand import Drafts, Expander
from topology.ipam import LOCK_NAME, Lock, LockError
from topology.model import Topology
from topology.perf import gc_paused
from topology.platforms import PLATFORMS, find_model, hardware
from topology.schema import CityFile, NetworkFile, ProvinceFile
from topology.source import LIMITS, InputFileError, SourceFile, decode_utf8, read_bytes, read_yaml
from topology.units import shorten
from topology.zones import check_zones

logger = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
_NOT_PATH = re.compile(
    r"^(int|str|float|bool|none|\[key\]|literal\[.*|function-.*|tagged-union.*)$", re.I
)


@dataclass
class LoadResult:
    """A loaded inventory: the topology, the lock it implies, and what changed against the committed lock."""

    topology: Topology
    lock: Lock
    lock_path: Path
    lock_text: str
    new_allocations: int
    dropped_allocations: int
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def lock_current(self) -> bool:
        """True when the committed lock already holds exactly these allocations."""
        return self.lock.dumps() == self.lock_text


def _fields_at(model: type[BaseModel], loc: DataPath) -> list[str]:
    """Return the field names of the model reached by ``loc`` (for 'unknown key' hints)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            info = current.model_fields.get(part)
            if info is None:
                return []
            current = info.annotation
        args = getattr(current, "__args__", ())
        for arg in args:
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
                break
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _show(value: object) -> str:
    """A value as the YAML author wrote it (``true``, ``null``), cut short when long."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return shorten(value)


def validation_diagnostics(
    exc: ValidationError, src: SourceFile, model: type[BaseModel]
) -> list[Diagnostic]:
    """Translate pydantic errors into located diagnostics."""
    out: list[Diagnostic] = []
    for err in exc.errors():
        loc: DataPath = tuple(
            p for p in err["loc"] if not (isinstance(p, str) and _NOT_PATH.match(p))
        )
        kind = err["type"]
        msg = str(err["msg"]).removeprefix("Value error, ")
        hint = None
        if kind == "extra_forbidden":
            msg = f"unknown key '{loc[-1]}'"
            allowed = _fields_at(model, loc)
            hint = f"expected one of: {', '.join(allowed)}" if allowed else None
        elif kind == "missing":
            msg = f"missing required field '{loc[-1]}'"
            loc = loc[:-1] if loc[:-1] in src.marks or not loc[:-1] else loc
        elif kind == "string_pattern_mismatch":
            msg = f"invalid value {_show(err.get('input'))}: must match {err['ctx']['pattern']}"
            hint = "see 'Identifiers and text' in README.md for the pattern of each kind of name"
        elif "input" in err and kind not in ("value_error",):
            msg = f"{msg}, found {_show(err['input'])}"
        diag = src.error(loc, msg, hint)
        merged = _merge_union(out[-1], diag) if out else None
        if merged is not None:  # one line per value: "should be a valid integer or 'auto'"
            out[-1] = merged
        else:
            out.append(diag)
    return out


def _merge_union(a: Diagnostic, b: Diagnostic) -> Diagnostic | None:
    """Join two "Input should be …, found X" errors of one value (the arms of a union), else None."""
    lead = "Input should be "
    if a.path != b.path or not (a.message.startswith(lead) and b.message.startswith(lead)):
        return None
    head_a, sep_a, found_a = a.message.rpartition(", found ")
    head_b, sep_b, found_b = b.message.rpartition(", found ")
    if not (sep_a and sep_b) or found_a != found_b:
        return None
    return replace(a, message=f"{head_a} or {head_b.removeprefix(lead)}, found {found_a}")


def _parse(
    path: Path, display: str, model: type[M]
) -> tuple[M | None, SourceFile, list[Diagnostic]]:
    src, errors = read_yaml(path, display)
    if errors:
        return None, src, errors
    if not isinstance(src.data, dict):
        return (
            None,
            src,
            [
                src.error(
                    (),
                    f"expected a mapping at the top of the file, found {type(src.data).__name__}",
                )
            ],
        )
    try:
        return model.model_validate(src.data), src, []
    except ValidationError as exc:
        return None, src, validation_diagnostics(exc, src, model)


def _checkpoint(errors: list[Diagnostic]) -> None:
    if errors:
        raise InventoryError(errors)


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a symlink loop (ELOOP) on some Pythons
        return False


def _read_files(
    root: Path,
) -> tuple[
    tuple[NetworkFile, SourceFile],
    tuple[ProvinceFile, SourceFile],
    list[tuple[CityFile, SourceFile]],
]:
    errors: list[Diagnostic] = []
    if not root.is_dir():
        raise InventoryError(
            [
                Diagnostic(
                    str(root),
                    1,
                    1,
                    "",
                    "inventory folder not found",
                    "pass a folder holding network.yaml, province.yaml and cities/",
                )
            ]
        )
    for name in ("network.yaml", "province.yaml"):
        if not os.path.lexists(root / name):
            errors.append(Diagnostic(str(root / name), 1, 1, "", "required file is missing"))
    cities_dir = root / "cities"
    if os.path.lexists(cities_dir) and not _is_folder(cities_dir):
        errors.append(Diagnostic(str(cities_dir), 1, 1, "", "not a folder (a symlink loop, a file "
                                 "or a special file)", "cities/ holds one <code>-<name>.yaml per city"))  # fmt: skip
    _checkpoint(errors)
    rel = str(root)
    net, net_src, e1 = _parse(root / "network.yaml", f"{rel}/network.yaml", NetworkFile)
    prov, prov_src, e2 = _parse(root / "province.yaml", f"{rel}/province.yaml", ProvinceFile)
    errors += e1 + e2
    cities: list[tuple[CityFile, SourceFile]] = []
    for path in sorted((root / "cities").glob("*.yaml")):
        city, src, e = _parse(path, f"{rel}/cities/{path.name}", CityFile)
        errors += e
        if city is not None:
            cities.append((city, src))
    _checkpoint(errors)
    assert net is not None and prov is not None
    return (net, net_src), (prov, prov_src), cities


def _check_network(net: NetworkFile, src: SourceFile) -> list[Diagnostic]:
    errors: list[Diagnostic] = []
    for name, model in net.device_models.items():
        if model.platform not in PLATFORMS:
            errors.append(
                src.error(
                    ("device_models", name, "platform"),
                    f"unknown platform '{model.platform}'",
                    known(PLATFORMS),
                )
            )
            continue
        hw = find_model(model.platform, name)
        if hw is None:
            errors.append(
                src.error(
                    ("device_models", name),
                    f"model '{name}' is not in the {model.platform} hardware catalogue",
                    f"templates/{model.platform}/hardware.yaml has "
                    f"{', '.join(sorted(hardware(model.platform).models))}",
                )
            )
            continue
        if hw.kind != model.kind:
            errors.append(
                src.error(
                    ("device_models", name, "kind"),
                    f"model '{name}' is a {hw.kind} in the hardware catalogue, not a {model.kind}",
                )
            )
        count = len(hw.port_table())
        if model.ports is not None and model.ports != count:
            errors.append(
                src.error(
                    ("device_models", name, "ports"),
                    f"model '{name}' has {count} ports in the hardware catalogue, not {model.ports}",
                    "drop `ports:` (the catalogue is the source) or fix the card plan there",
                )
            )
    for name, ctype in net.circuit_types.items():
        if ctype.usable > ctype.nominal:
            errors.append(
                src.error(
                    ("circuit_types", name, "usable"),
                    f"usable rate {ctype.usable} exceeds nominal rate {ctype.nominal}",
                )
            )
    if net.igp.dead <= net.igp.hello:
        errors.append(
            src.error(
                ("igp", "dead"),
                f"OSPF dead interval {net.igp.dead} s is not longer than the hello interval "
                f"{net.igp.hello} s",
                "the dead interval is usually four hellos (hello 10, dead 40)",
            )
        )
    timed = {m.platform for m in net.device_models.values() if m.platform in PLATFORMS} - {"frr"}
    if (net.igp.hello, net.igp.dead) != (10, 40) and timed:
        errors.append(
            src.error(
                ("igp", "hello"),
                "OSPF timers other than hello 10 s / dead 40 s are rendered only for FRR today",
                f"this inventory also has {', '.join(sorted(timed))}; drop igp.hello/igp.dead",
            )
        )
    if net.policy.warn > net.policy.fail:
        errors.append(src.error(("policy", "warn"), "warn threshold is above the fail threshold"))
    if "own" not in net.carriers:
        errors.append(
            src.error(
                ("carriers",),
                "carrier 'own' (the province's own fibre) is required",
                "core interconnects and cloud links run on it",
            )
        )
    return errors


def _check_features(net: NetworkFile, d: Drafts) -> list[Diagnostic]:
    errors: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    for dev in d.devices.values():
        model = net.device_models.get(dev.model)
        role = net.roles.get(dev.role.value)
        if model is None or role is None or model.platform not in PLATFORMS:
            continue
        missing = [f for f in role.requires if f not in PLATFORMS[model.platform].features]
        if missing and (dev.model, dev.role.value) not in seen:
            seen.add((dev.model, dev.role.value))
            errors.append(
                dev.src.error(
                    dev.path,
                    f"device '{dev.hostname}' ({dev.model}, platform "
                    f"{model.platform}) lacks feature(s) {', '.join(missing)} that role "
                    f"{dev.role.value} requires",
                    f"{model.platform} supports: {', '.join(PLATFORMS[model.platform].features)}",
                )
            )
    return errors


def _read_lock(root: Path) -> tuple[Lock, str, list[Diagnostic]]:
    path = root / LOCK_NAME
    if not path.exists() and not path.is_symlink():
        return Lock(), "", []
    hint = "restore it from version control, or delete it to re-allocate"
    try:
        raw = read_bytes(path, LIMITS.max_lock_bytes)
    except InputFileError as exc:
        return Lock(), "", [Diagnostic(str(path), 1, 1, "", str(exc), hint)]
    text, error = decode_utf8(raw, str(path))
    if error is not None or text is None:
        return Lock(), "", [error] if error else []
    try:
        return Lock.loads(text), text, []
    except LockError as exc:
        line, col = _locate_lock(text, str(path), exc.parts)
        where = ".".join(exc.parts)
        return Lock(), text, [Diagnostic(str(path), line, col, where, exc.reason, hint)]
    except json.JSONDecodeError as exc:
        return (
            Lock(),
            text,
            [Diagnostic(str(path), exc.lineno, exc.colno, "", f"malformed lock file: {exc}", hint)],
        )
    except (ValueError, RecursionError) as exc:  # e.g. a 5,000-digit number, deep nesting
        return (
            Lock(),
            text,
            [
                Diagnostic(
                    str(path), 1, 1, "", f"malformed lock file: {shorten(str(exc), 200)}", hint
                )
            ],
        )


def _locate_lock(text: str, name: str, where: str | tuple[str, ...]) -> tuple[int, int]:
    """Line and column of the entry ``where`` (``section.key`` or its parts) in the lock text."""
    if isinstance(where, str):
        section, _, rest = where.partition(".")
        parts: tuple[str, ...] = (section, *rest.split(".", 1)) if rest else (section,)
        if section != "zones":
            parts = (section, rest) if rest else (section,)
    else:
        parts = where
    pos, found = 0, 0
    for part in parts:
        at = text.find(json.dumps(part, ensure_ascii=False) + ":", pos)
        if at < 0:
            break
        pos = found = at
    if not found and not text.startswith("{"):
        return 1, 1
    line = text.count("\n", 0, found) + 1
    col = found - (text.rfind("\n", 0, found) + 1) + 1
    return line, col


def load_inventory(root: Path | str) -> LoadResult:
    """Load, validate and resolve the inventory in ``root`` (see :func:`_load`).

    Raises:
        InventoryError: with every diagnostic of the first stage that found errors.
    """
    with gc_paused():  # tens of thousands of acyclic objects: collections only cost time here
        return _load(Path(root))


def _load(root: Path) -> LoadResult:
    (net, net_src), (prov, prov_src), cities = _read_files(root)
    _checkpoint(_check_network(net, net_src))
    ex = Expander(net, net_src)
    ex.province(prov_src, prov.province)
    for city, src in cities:
        ex.city(src, city.city, prov.province.id)
    drafts = ex.finish()
    _checkpoint(drafts.errors + _check_features(net, drafts))
    _checkpoint(check_zones(net, net_src, drafts) + check_egress(net, net_src, drafts))
    _checkpoint(check_pools(net, net_src))
    old, lock_text, lock_errors = _read_lock(root)
    _checkpoint(lock_errors)
    alloc = run_ipam(net, drafts, old)
    errors: list[Diagnostic] = []
    lock_name = str(root / LOCK_NAME)
    for where, message in alloc.problems:
        if where.startswith("pool."):
            pool = where.removeprefix("pool.")
            path: DataPath = (
                ("zones", pool.split(".", 1)[1], "pool")
                if pool.startswith("zones.")
                else ("pools", pool)
            )
            errors.append(net_src.error(path, message, "widen the pool or shrink per-site blocks"))
        elif where.startswith("ports."):
            dev = drafts.devices[where.removeprefix("ports.")]
            plat = net.device_models[dev.model].platform
            errors.append(
                dev.src.error(
                    dev.path,
                    f"device '{dev.hostname}' ({dev.model}): {message}",
                    f"use a model with such a port or add a card to the {dev.model} card plan "
                    f"in templates/{plat}/hardware.yaml",
                )
            )
        else:
            line, col = _locate_lock(lock_text, lock_name, where)
            errors.append(
                Diagnostic(
                    lock_name,
                    line,
                    col,
                    where,
                    message,
                    "fix or delete the entry; `egnet ipam sync` re-allocates it",
                )
            )
    _checkpoint(errors)
    demands = load_demands(root, _parse, drafts.sites, drafts.devices)
    topo = assemble(net, drafts, alloc.lock, str(root), demands)
    topo = _with_departments(root, topo)
    logger.debug("loaded %s: %d sites, %d devices", root, len(topo.sites), len(topo.devices))
    return LoadResult(topo, alloc.lock, root / LOCK_NAME, lock_text, alloc.new, alloc.dropped)


def _with_departments(root: Path, topo: Topology) -> Topology:
    """Resolve ``departments.yaml`` (when present) against the built model and attach it."""
    path = root / DEPARTMENTS_FILE
    if not path.exists() and not path.is_symlink():  # a dangling symlink is an error, not absent
        return topo
    spec, src, errors = _parse(path, f"{root}/{DEPARTMENTS_FILE}", DepartmentsFile)
    _checkpoint(errors)
    assert spec is not None
    lock, lock_errors = read_lock(root / DEPARTMENTS_LOCK)
    _checkpoint(lock_errors)
    # a department attaches to the PE cores of its site (townships are refused by resolve until
    # their access router renders department sub-interfaces)
    pe_roles = {"core", "cloud_gw", "access"}
    views = site_views(
        {
            name: (
                str(site.tier),
                tuple(h for h in site.devices if str(topo.devices[h].role) in pe_roles),
            )
            for name, site in topo.sites.items()
        },
        {z.name: {b.site: b.prefix for b in z.blocks} for z in topo.zones.values()},
    )
    depts, problems = resolve(
        spec,
        views,
        {z.name: z.kind for z in topo.zones.values()},
        [m.name for m in topo.device_models.values() if m.kind in ("switch", "firewall")],
        lock,
    )
    _checkpoint([src.error(where, message, hint) for where, message, hint in problems])
    taken = set(topo.devices)
    clash = [
        src.error(
            ("departments", i, "ce", "hostname"), f"CE hostname '{d.ce_hostname}' is a device"
        )
        for i, d in enumerate(depts.values())
        if d.ce_hostname in taken
    ]
    _checkpoint(clash)
    return topo.model_copy(update={"departments": depts})


def load_topology(root: Path | str) -> Topology:
    """Load ``root`` and return only the topology (see :func:`load_inventory`)."""
    return load_inventory(root).topology
