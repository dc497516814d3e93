"""Import sites, devices and circuits from an operator's spreadsheets (CSV) into inventory YAML.

Pure: CSV texts in, ``{relative file name: YAML text}`` out, or :class:`ImportFailed` carrying every
problem found, each naming the file, line, column and what the column must hold. The CLI writes the
files and runs the loader on them (``egnet import csv``). Column names are matched without regard
to case, and Chinese headers are accepted (see ``SITE_COLUMNS`` …); the format is documented in
README.md ("Importing from spreadsheets").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from topology.generator import (
    COUNTY_KINDS,
    LEVEL_HELP,
    MAX_FIELD,
    TOWNSHIP_KINDS,
    csv_rows,
    has_control,
    parse_level,
    split_suffix,
    unique_slugs,
)

#: canonical column → accepted header spellings (compared lower-cased, spaces removed)
SITE_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "名称", "站点名称", "单位名称"),
    "code": ("code", "代码", "区划代码", "编码"),
    "tier": ("tier", "level", "层级", "级别"),
    "parent": ("parent", "parent_code", "上级", "上级代码", "上级站点"),
    "id": ("id", "site_id", "标识"),
    "kind": ("kind", "类别"),
    "cores": ("cores", "核心数", "核心设备数"),
    "buildings": ("buildings", "机房", "楼宇"),
    "model": ("model", "型号", "设备型号"),
    "carrier": ("carrier", "运营商", "运营商1"),
    "type": ("type", "线路类型", "线路类型1", "电路类型"),
    "carrier2": ("carrier2", "运营商2"),
    "type2": ("type2", "线路类型2"),
}
DEVICE_COLUMNS: dict[str, tuple[str, ...]] = {
    "site": ("site", "站点", "站点代码"),
    "role": ("role", "角色"),
    "index": ("index", "序号"),
    "hostname": ("hostname", "主机名", "设备名称"),
    "model": ("model", "型号", "设备型号"),
    "building": ("building", "机房", "楼宇"),
}
CIRCUIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "circuit", "线路编号", "电路编号"),
    "a": ("a", "a_device", "a端设备", "a端"),
    "b": ("b", "b_device", "b端设备", "b端"),
    "type": ("type", "线路类型", "电路类型"),
    "carrier": ("carrier", "运营商"),
    "ducts": ("ducts", "管道"),
    "cost": ("cost", "开销"),
}
REQUIRED = {
    "sites": ("name", "code", "tier"),
    "devices": ("site", "role"),
    "circuits": ("id", "a", "b", "type", "carrier"),
}
#: free-text columns a sheet may carry; ignored
NOTE_COLUMNS = frozenset(
    {"notes", "note", "remark", "remarks", "comment", "comments", "备注", "说明"}
)
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
CODE_RE = re.compile(r"^[0-9A-Za-z]{1,16}$")
LIST_SPLIT = re.compile(r"[;；、|]")
COUNTY_KIND_NAMES = ("county", "district", "county_city", "dev_zone")
TOWNSHIP_KIND_NAMES = ("town", "township", "street", "ethnic_township", "other")
PARENT_TIER = {"city": "province", "county": "city", "township": "county"}
HEADER = "# IMPORTED by `egnet import csv` from {source}; edit freely (re-importing overwrites)."


class ImportFailed(ValueError):
    """Every problem of an import, each located (file:line: column 'x' must …)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class _Site:
    line: int
    tier: str
    name: str
    code: str
    parent: str
    id: str = ""
    kind: str = ""
    entry: dict[str, Any] = field(default_factory=dict)
    children: list[_Site] = field(default_factory=list)


@dataclass
class _Ctx:
    source: str
    problems: list[str] = field(default_factory=list)

    def error(self, line: int, column: str | None, message: str) -> None:
        where = f"{self.source}:{line}:"
        self.problems.append(
            f"{where} column '{column}' {message}" if column else f"{where} {message}"
        )


def _columns(
    header: list[str], spec: Mapping[str, tuple[str, ...]], required: tuple[str, ...], ctx: _Ctx
) -> dict[str, str]:
    """Map canonical column → the header as written; unknown headers and missing ones are errors."""
    norm = {re.sub(r"\s+", "", h).lower(): h for h in header}
    out: dict[str, str] = {}
    for canon, aliases in spec.items():
        for alias in aliases:
            if alias in norm:
                out[canon] = norm[alias]
                break
    known = set(out.values())
    for h in header:
        if h and h not in known and re.sub(r"\s+", "", h).lower() not in NOTE_COLUMNS:
            ctx.error(1, h, f"unknown column; known columns: {', '.join(spec)}")
    for canon in required:
        if canon not in out:
            ctx.error(1, None, f"missing column '{canon}' (or {', '.join(spec[canon][1:])})")
    return out


def _get(row: Mapping[str, str], cols: Mapping[str, str], canon: str) -> str:
    return row.get(cols.get(canon, "\0"), "") or ""


def _clean_row(row: Mapping[str, str], line: int, ctx: _Ctx) -> bool:
    ok = True
    for col, value in row.items():
        if len(value) > MAX_FIELD:
            ctx.error(line, col, f"must hold at most {MAX_FIELD} characters")
            ok = False
        elif has_control(value):
            ctx.error(line, col, "must not hold control or line-separator characters")
            ok = False
    return ok


def _int(value: str, lo: int, hi: int, line: int, col: str, ctx: _Ctx) -> int | None:
    if not re.fullmatch(r"[0-9]{1,3}", value) or not lo <= int(value) <= hi:
        ctx.error(line, col, f"must hold a whole number from {lo} to {hi}; got {value!r}")
        return None
    return int(value)


def _read_sites(text: str, source: str, ctx: _Ctx) -> list[_Site]:
    header, rows = csv_rows(text, source)
    cols = _columns(header, SITE_COLUMNS, REQUIRED["sites"], ctx)
    if ctx.problems:
        return []
    sites: list[_Site] = []
    for line, row in rows:
        if not _clean_row(row, line, ctx):
            continue
        tier = parse_level(_get(row, cols, "tier"))
        if tier is None:
            ctx.error(line, "tier", f"must hold {LEVEL_HELP}; got {_get(row, cols, 'tier')!r}")
            continue
        site = _Site(
            line, tier, _get(row, cols, "name"), _get(row, cols, "code"), _get(row, cols, "parent")
        )
        if not site.name:
            ctx.error(line, "name", "must hold the site's (Chinese) name; it is empty")
        if not CODE_RE.match(site.code):
            ctx.error(line, "code", f"must hold the division code (1-16 letters or digits); got {site.code!r}")  # fmt: skip
        site.id = _get(row, cols, "id")
        if site.id and not NAME_RE.match(site.id):
            ctx.error(line, "id", "must be lower-case ASCII letters, digits, - or _ (or empty: pinyin of the name)")  # fmt: skip
        site.kind = _get(row, cols, "kind")
        _site_overrides(site, row, cols, ctx)
        sites.append(site)
    return sites


def _site_overrides(
    site: _Site, row: Mapping[str, str], cols: Mapping[str, str], ctx: _Ctx
) -> None:
    line, e = site.line, site.entry
    township = site.tier == "township"
    kinds = TOWNSHIP_KIND_NAMES if township else COUNTY_KIND_NAMES
    if site.kind and (site.tier not in ("county", "township") or site.kind not in kinds):
        what = f"one of {', '.join(kinds)}" if site.tier in ("county", "township") else "empty"
        ctx.error(line, "kind", f"must be {what} for a {site.tier}; got {site.kind!r}")
    cores = _get(row, cols, "cores")
    if cores:
        if township:
            ctx.error(line, "cores", "must be empty for a township (one access router)")
        elif (n := _int(cores, 1, 4, line, "cores", ctx)) is not None:
            e["cores"] = n
    buildings = [b.strip() for b in LIST_SPLIT.split(_get(row, cols, "buildings")) if b.strip()]
    if buildings:
        if township:
            ctx.error(line, "buildings", "must be empty for a township")
        elif bad := [b for b in buildings if not NAME_RE.match(b)]:
            ctx.error(line, "buildings", f"must hold building names (lower-case ASCII, separated by ;); got {', '.join(bad)}")  # fmt: skip
        else:
            e["buildings"] = buildings
    model = _get(row, cols, "model")
    if model:
        e["access_model" if township else "core_model"] = model
    uplinks = []
    for n, (c_col, t_col) in enumerate((("carrier", "type"), ("carrier2", "type2")), 1):
        carrier, ctype = _get(row, cols, c_col), _get(row, cols, t_col)
        if bool(carrier) != bool(ctype):
            ctx.error(line, t_col if carrier else c_col, f"must be given with column '{c_col if carrier else t_col}' (uplink {n} needs a carrier and a circuit type)")  # fmt: skip
            continue
        if not carrier:
            continue
        for col, value in ((c_col, carrier), (t_col, ctype)):
            if not NAME_RE.match(value):
                ctx.error(line, col, f"must name a {'carrier' if col.startswith('c') else 'circuit type'} of network.yaml (lower-case ASCII); got {value!r}")  # fmt: skip
        if township:
            uplinks.append({"remote": n, "type": ctype, "carrier": carrier})
        else:
            uplinks.append({"local": n, "remote": n, "type": ctype, "carrier": carrier})
    if site.tier == "province" and uplinks:
        ctx.error(line, "carrier", "must be empty for the province (it has no parent)")
    elif uplinks:
        if township and len(uplinks) == 1:
            uplinks[0]["remote"] = "auto"  # single-homed: a parent core by a stable hash
        e["uplinks"] = uplinks


def _tree(sites: list[_Site], ctx: _Ctx) -> _Site | None:
    by_key: dict[str, _Site] = {}
    for s in sites:
        for key in (s.code, s.id):
            if key and key in by_key and by_key[key] is not s:
                ctx.error(s.line, "code" if key == s.code else "id", f"duplicate {key!r} (also on line {by_key[key].line})")  # fmt: skip
            elif key:
                by_key[key] = s
    provinces = [s for s in sites if s.tier == "province"]
    if len(provinces) != 1:
        lines = ", ".join(str(p.line) for p in provinces) or "none"
        ctx.error(1, "tier", f"must name exactly one province; found {len(provinces)} (lines {lines})")  # fmt: skip
        return None
    for s in sites:
        if s.tier == "province":
            if s.parent:
                ctx.error(s.line, "parent", "must be empty for the province")
            continue
        up = PARENT_TIER[s.tier]
        parent = by_key.get(s.parent)
        if parent is None or parent.tier != up:
            got = (
                f"{s.parent!r} is a {parent.tier}" if parent else f"{s.parent!r} is not in the file"
            )
            ctx.error(s.line, "parent", f"must hold the code or id of a {up} in this file; {got}")
            continue
        parent.children.append(s)
    return provinces[0]


def _assign_ids(province: _Site) -> None:
    taken: set[str] = set()
    province.id = (
        province.id
        or unique_slugs(
            [(split_suffix(province.name, (("省", "p"),), "p")[0], "省", province.code)], taken, ""
        )[0]
    )
    taken.add(province.id)
    for city in province.children:
        if not city.id:
            city.id = unique_slugs(
                [(split_suffix(city.name, (("市", "c"),), "c")[0], "市", city.code)], taken, ""
            )[0]
        taken.add(city.id)
    for city in province.children:
        for county in city.children:
            stem, suffix, kind = split_suffix(county.name, COUNTY_KINDS, "dev_zone")
            county.kind = county.kind or kind
            if not county.id:
                county.id = unique_slugs([(stem, suffix, county.code)], taken, f"{city.id}-")[0]
            taken.add(county.id)
            short = county.id.split("-", 1)[-1]
            for town in county.children:
                stem, suffix, kind = split_suffix(town.name, TOWNSHIP_KINDS, "other")
                town.kind = town.kind or kind
                if not town.id:
                    town.id = unique_slugs([(stem, suffix, town.code)], taken, f"{short}-")[0]
                taken.add(town.id)


def _all_sites(province: _Site) -> list[_Site]:
    out = [province]
    for city in province.children:
        out.append(city)
        for county in city.children:
            out += [county, *county.children]
    return out


def _read_devices(text: str, source: str, sites: dict[str, _Site], ctx: _Ctx) -> None:
    header, rows = csv_rows(text, source)
    cols = _columns(header, DEVICE_COLUMNS, REQUIRED["devices"], ctx)
    if any(p.startswith(f"{source}:1:") for p in ctx.problems):
        return
    cores: dict[str, dict[int, tuple[int, str, str, str]]] = {}
    for line, row in rows:
        if not _clean_row(row, line, ctx):
            continue
        key, role = _get(row, cols, "site"), _get(row, cols, "role").lower()
        site = sites.get(key)
        if site is None:
            ctx.error(line, "site", f"must hold the code or id of a site of the sites file; got {key!r}")  # fmt: skip
            continue
        hostname, model, building = (_get(row, cols, c) for c in ("hostname", "model", "building"))
        if hostname and not HOST_RE.match(hostname):
            ctx.error(line, "hostname", "must be an ASCII hostname (letters, digits, - _ .)")
            continue
        if building and not NAME_RE.match(building):
            ctx.error(line, "building", "must be a building name (lower-case ASCII)")
            continue
        if site.tier == "township":
            if role not in ("access", "ar"):
                ctx.error(line, "role", f"must be access for a township (its access router); got {role!r}")  # fmt: skip
            elif hostname or building:
                ctx.error(line, "hostname" if hostname else "building", f"must be empty for a township (its router is {site.id}-ar1)")  # fmt: skip
            elif model:
                site.entry["access_model"] = model
            continue
        if role != "core":
            ctx.error(line, "role", f"must be core for a {site.tier} (cores are listed by index); got {role!r}")  # fmt: skip
            continue
        index = _int(_get(row, cols, "index") or str(len(cores.get(site.id, {})) + 1), 1, 4, line, "index", ctx)  # fmt: skip
        if index is None:
            continue
        if index in cores.setdefault(site.id, {}):
            ctx.error(line, "index", f"core {index} of {site.id} is already on line {cores[site.id][index][0]}")  # fmt: skip
            continue
        cores[site.id][index] = (line, hostname, model, building)
    by_id = {s.id: s for s in sites.values()}
    for sid, found in cores.items():
        site = by_id[sid]
        idx = sorted(found)
        first_line = found[idx[0]][0]
        if idx != list(range(1, len(idx) + 1)):
            ctx.error(first_line, "index", f"cores of {sid} must be numbered 1..{len(idx)}; got {idx}")  # fmt: skip
            continue
        if "cores" in site.entry and site.entry["cores"] != len(idx):
            ctx.error(first_line, "site", f"{len(idx)} cores of {sid} listed, but its sites row (line {site.line}) says cores {site.entry['cores']}")  # fmt: skip
            continue
        site.entry["cores"] = len(idx)
        hostnames = [found[i][1] for i in idx]
        if any(hostnames):
            if not all(hostnames):
                ctx.error(first_line, "hostname", f"give every core of {sid} a hostname, or none")
            else:
                site.entry["hostnames"] = hostnames
        models = {found[i][2] for i in idx if found[i][2]}
        if len(models) > 1:
            ctx.error(first_line, "model", f"the cores of {sid} must share one model; got {', '.join(sorted(models))}")  # fmt: skip
        elif models:
            site.entry["core_model"] = models.pop()
        buildings = [found[i][3] for i in idx]
        if any(buildings):
            if not all(buildings):
                ctx.error(first_line, "building", f"give every core of {sid} a building, or none")
            else:
                site.entry["buildings"] = list(dict.fromkeys(buildings))


def _device_names(sites: list[_Site]) -> dict[str, _Site]:
    out: dict[str, _Site] = {}
    for s in sites:
        if s.tier == "township":
            out[f"{s.id}-ar1"] = out[f"{s.id}-sw1"] = s
            continue
        names = s.entry.get("hostnames") or [
            f"{s.id}-core{i}" for i in range(1, s.entry.get("cores", 2) + 1)
        ]
        for n in names:
            out[n] = s
    return out


def _read_circuits(text: str, source: str, sites: list[_Site], ctx: _Ctx) -> None:
    header, rows = csv_rows(text, source)
    cols = _columns(header, CIRCUIT_COLUMNS, REQUIRED["circuits"], ctx)
    if any(p.startswith(f"{source}:1:") for p in ctx.problems):
        return
    devices = _device_names(sites)
    seen: dict[str, int] = {}
    for line, row in rows:
        if not _clean_row(row, line, ctx):
            continue
        c = {k: _get(row, cols, k) for k in CIRCUIT_COLUMNS}
        if not NAME_RE.match(c["id"]):
            ctx.error(line, "id", f"must be a circuit id (lower-case ASCII, digits, - _); got {c['id']!r}")  # fmt: skip
            continue
        if c["id"] in seen:
            ctx.error(line, "id", f"duplicate circuit id {c['id']} (also on line {seen[c['id']]})")
            continue
        seen[c["id"]] = line
        bad = False
        for end in ("a", "b"):
            if c[end] not in devices:
                ctx.error(line, end, f"must name a device of the imported sites (e.g. {next(iter(devices), '-')}); got {c[end]!r}")  # fmt: skip
                bad = True
        for col in ("type", "carrier"):
            if not NAME_RE.match(c[col]):
                ctx.error(line, col, f"must name a {'circuit type' if col == 'type' else 'carrier'} of network.yaml; got {c[col]!r}")  # fmt: skip
                bad = True
        entry: dict[str, Any] = {"id": c["id"], "a": c["a"], "b": c["b"], "type": c["type"], "carrier": c["carrier"]}  # fmt: skip
        ducts = [d.strip() for d in LIST_SPLIT.split(c["ducts"]) if d.strip()]
        if ducts:
            entry["ducts"] = ducts
        if c["cost"]:
            cost = _int(c["cost"], 1, 65535, line, "cost", ctx) if len(c["cost"]) <= 5 else None
            if cost is None:
                bad = True
                if len(c["cost"]) > 5:
                    ctx.error(line, "cost", "must hold a whole number from 1 to 65535")
            else:
                entry["cost"] = cost
        if bad:
            continue
        owner = devices[c["a"]]
        if owner.tier == "township":
            ctx.error(line, "a", f"must be a core device: extra circuits start at a province, city or county core, not at township {owner.id}")  # fmt: skip
            continue
        owner.entry.setdefault("circuits", []).append(entry)


def _site_entry(s: _Site) -> dict[str, Any]:
    e: dict[str, Any] = {"id": s.id, "name": s.name, "code": s.code}
    if s.tier in ("county", "township"):
        e["kind"] = s.kind
    e.update(s.entry)
    cores = e.get("cores")
    if cores and s.tier != "township" and "uplinks" in e:  # a single-cored site uplinks from core 1
        e["uplinks"] = [{**u, "local": min(u["local"], cores)} for u in e["uplinks"]]
    return e


def _dump(data: Any, source: str) -> str:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return HEADER.format(source=source) + "\n" + text


def import_csv(
    sites_csv: str,
    devices_csv: str | None = None,
    circuits_csv: str | None = None,
    names: tuple[str, str, str] = ("sites.csv", "devices.csv", "circuits.csv"),
) -> dict[str, str]:
    """Return ``province.yaml`` and ``cities/<code>-<id>.yaml`` texts from the CSV texts.

    Raises:
        ImportFailed: with every problem found (file:line: column 'x' must …).
        ValueError: a malformed CSV file (with its line).
    """
    ctx = _Ctx(names[0])
    sites = _read_sites(sites_csv, names[0], ctx)
    header_ok = not any(p.startswith(f"{names[0]}:1:") for p in ctx.problems)
    province = _tree(sites, ctx) if header_ok else None
    if ctx.problems or province is None:
        raise ImportFailed(ctx.problems)
    _assign_ids(province)
    ordered = _all_sites(province)
    if devices_csv is not None:
        ctx.source = names[1]
        lookup = {s.code: s for s in ordered} | {s.id: s for s in ordered}
        _read_devices(devices_csv, names[1], lookup, ctx)
    if circuits_csv is not None and not ctx.problems:
        ctx.source = names[2]
        _read_circuits(circuits_csv, names[2], ordered, ctx)
    if ctx.problems:
        raise ImportFailed(ctx.problems)
    source = ", ".join(n for n, t in zip(names, (sites_csv, devices_csv, circuits_csv), strict=True) if t is not None)  # fmt: skip
    files = {"province.yaml": _dump({"province": _site_entry(province)}, source)}
    for city in province.children:
        entry = _site_entry(city)
        counties = []
        for county in city.children:
            ce = _site_entry(county)
            if county.children:
                ce["townships"] = [_site_entry(t) for t in county.children]
            counties.append(ce)
        if counties:
            entry["counties"] = counties
        files[f"cities/{city.code}-{city.id}.yaml"] = _dump({"city": entry}, source)
    return files
