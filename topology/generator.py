"""Generate an inventory's ``cities/*.yaml`` from an administrative-division CSV.

Deterministic and re-runnable: the same CSV and overrides always give byte-identical files. Chinese names
stay Chinese; site ids (and so hostnames) are ASCII pinyin, unique and stable: a collision is resolved by
keeping the suffix's pinyin, then by appending the division code, never by position.

Inputs (in ``<inventory>/source/``):

* ``divisions.csv`` — ``level,code,name,parent_code`` rows (province, city, county, township);
* ``overrides.yaml`` — extra county-level nodes (development zones) per city, and per-site overrides
  (keys of the site entry, e.g. ``cores``, ``uplinks``, ``core_model``) by division code.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pypinyin import Style, lazy_pinyin

TOWNSHIP_KINDS = (
    ("民族乡", "ethnic_township"),
    ("街道", "street"),
    ("镇", "town"),
    ("乡", "township"),
)
MAX_SLUG = 24  # pinyin longer than this is replaced by its initials (hostnames stay short)
COUNTY_KINDS = (("区", "district"), ("县", "county"), ("市", "county_city"))


def pinyin_slug(name: str) -> str:
    """Return an ASCII slug of a Chinese name.

    Examples:
        >>> pinyin_slug("章贡")
        'zhanggong'
        >>> pinyin_slug("绿水")
        'lvshui'
        >>> pinyin_slug("A工业园")
        'agongyeyuan'
        >>> pinyin_slug("江西青山湖高新技术产业园区")  # long names fall back to initials
        'jxqshgxjscyyq'
    """
    full = re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(name)).lower())
    if len(full) <= MAX_SLUG:
        return full
    return re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower())


def split_suffix(name: str, kinds: Iterable[tuple[str, str]], default: str) -> tuple[str, str, str]:
    """Split a division name into (stem, suffix, kind).

    Examples:
        >>> split_suffix("八一桥街道", TOWNSHIP_KINDS, "other")
        ('八一桥', '街道', 'street')
        >>> split_suffix("龙门林场", TOWNSHIP_KINDS, "other")
        ('龙门林场', '', 'other')
    """
    for suffix, kind in kinds:
        if name.endswith(suffix) and len(name) > len(suffix) + 0:
            stem = name[: -len(suffix)]
            if len(stem) >= 1:
                return stem, suffix, kind
    return name, "", default


@dataclass
class Division:
    level: str
    code: str
    name: str
    parent: str
    children: list[Division] = field(default_factory=list)


LEVELS = ("province", "city", "county", "township")
#: accepted spellings of a level (tier) column: names, Chinese names and NBS level numbers 1-4
LEVEL_ALIASES: dict[str, str] = {
    **{name: name for name in LEVELS},
    **{str(i): name for i, name in enumerate(LEVELS, 1)},
    "省": "province", "省级": "province",
    "市": "city", "市级": "city", "地市": "city", "地级": "city",
    "县": "county", "县级": "county", "区县": "county",
    "乡": "township", "乡镇": "township", "乡级": "township", "镇": "township", "街道": "township",
}  # fmt: skip
LEVEL_HELP = "province, city, county or township (or 1-4, or 省/市/县/乡镇)"
CODE_RE = re.compile(r"^[0-9A-Za-z]{1,16}$")
MAX_ROWS = 200_000
MAX_FIELD = 200
DIVISION_COLUMNS = ("level", "code", "name", "parent_code")


def parse_level(value: str) -> str | None:
    """Return the level a column value names, or ``None``.

    Examples:
        >>> parse_level("1"), parse_level(" City "), parse_level("乡镇"), parse_level("5")
        ('province', 'city', 'township', None)
    """
    return LEVEL_ALIASES.get(value.strip().lower())


def has_control(text: str) -> bool:
    r"""True when text holds control or line-separator characters.

    Examples:
        >>> has_control("东湖区"), has_control("a\u2028b"), has_control("a\rb")
        (False, True, True)
    """
    return any(not c.isprintable() for c in text)


def csv_rows(text: str, source: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Parse CSV text (a UTF-8 BOM from Excel is ignored) into its header and (line, row) pairs.

    Raises:
        ValueError: naming the line when the CSV is malformed or too large.
    """
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValueError(f"{source}: empty file (needs a header line)") from None
    except csv.Error as exc:
        raise ValueError(f"{source}:1: malformed CSV: {exc}") from None
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise ValueError(f"{source}:{line}: more than {MAX_ROWS} rows")
            if len(values) > len(header):
                raise ValueError(
                    f"{source}:{line}: {len(values)} values but the header has {len(header)} columns"
                )
            rows.append((line, {h: v.strip() for h, v in zip(header, values, strict=False)}))
    except csv.Error as exc:
        raise ValueError(f"{source}:{reader.line_num}: malformed CSV: {exc}") from None
    return header, rows


def read_divisions(text: str, source: str = "divisions.csv") -> Division:
    """Parse the CSV text into a tree rooted at the province.

    Columns: ``level`` (province, city, county, township; or 1-4 as in the NBS tables), ``code``
    (the division code, letters and digits), ``name`` (Chinese name), ``parent_code`` (the code of
    the division one level up, defined on an earlier line; empty for the province).

    Raises:
        ValueError: with the line, the column and what it must hold, for the first bad row.
    """
    header, rows = csv_rows(text, source)
    missing = [c for c in DIVISION_COLUMNS if c not in header]
    if missing:
        raise ValueError(
            f"{source}:1: missing column(s) {', '.join(missing)}; the header must be "
            f"{','.join(DIVISION_COLUMNS)}"
        )
    by_code: dict[str, Division] = {}
    root: Division | None = None
    for lineno, row in rows:
        where = f"{source}:{lineno}"
        for col in DIVISION_COLUMNS:
            if len(row.get(col, "")) > MAX_FIELD or has_control(row.get(col, "")):
                raise ValueError(
                    f"{where}: column '{col}' must hold at most {MAX_FIELD} printable characters"
                )
        level = parse_level(row.get("level", ""))
        if level is None:
            raise ValueError(
                f"{where}: column 'level' must hold {LEVEL_HELP}; got {row.get('level', '')!r}"
            )
        code, name, parent = row.get("code", ""), row.get("name", ""), row.get("parent_code", "")
        if not CODE_RE.match(code):
            raise ValueError(
                f"{where}: column 'code' must hold the division code (1-16 letters or digits); "
                f"got {code!r}"
            )
        if not name:
            raise ValueError(f"{where}: column 'name' must hold the division's name; it is empty")
        if code in by_code:
            raise ValueError(f"{where}: column 'code': duplicate code {code} (each code once)")
        div = Division(level, code, name, parent)
        if level == "province":
            if root is not None:
                raise ValueError(f"{where}: a second province row (the file holds one province)")
            if parent:
                raise ValueError(f"{where}: column 'parent_code' must be empty for the province")
            root = div
            by_code[code] = div
            continue
        up = LEVELS[LEVELS.index(level) - 1]
        if parent not in by_code:
            raise ValueError(
                f"{where}: column 'parent_code' must hold the code of a {up} defined on an "
                f"earlier line; {parent!r} of {name} is not"
            )
        if by_code[parent].level != up:
            raise ValueError(
                f"{where}: column 'parent_code': the parent of a {level} must be a {up}; "
                f"{parent} is a {by_code[parent].level}"
            )
        by_code[code] = div
        by_code[parent].children.append(div)
    if root is None:
        raise ValueError(f"{source}: no province row (level province or 1)")
    return root


def unique_slugs(
    items: list[tuple[str, str, str]],
    taken: set[str],
    prefix: str,
    existing: Mapping[str, str] | None = None,
) -> list[str]:
    """Assign unique slugs to (stem, suffix, code) items.

    A code already in ``existing`` (ids of the previous generation) keeps its id, so re-running after
    the CSV gains or loses a division never renames another site. New items get the stem's pinyin;
    on a collision the suffix's pinyin is kept, then the code's last digits are appended.

    Examples:
        >>> unique_slugs([("东湖", "区", "1"), ("东湖", "镇", "2"), ("西湖", "区", "3")], set(), "p-")
        ['p-donghu', 'p-donghuzhen', 'p-xihu']
        >>> unique_slugs([("东湖", "区", "1")], set(), "p-", {"1": "p-old"})
        ['p-old']
    """
    existing = existing or {}
    out: dict[str, str] = {code: existing[code] for _, _, code in items if code in existing}
    taken.update(out.values())
    for stem, suffix, code in items:
        if code in out:
            continue
        slug = prefix + pinyin_slug(stem)
        if slug in taken or slug == prefix:
            slug = prefix + pinyin_slug(stem + suffix)
        if slug in taken or slug == prefix:
            slug = f"{slug}-{code[-3:]}"
        out[code] = slug
        taken.add(slug)
    return [out[code] for _, _, code in items]


def _q(value: Any) -> str:
    """YAML scalar: JSON strings are valid double-quoted YAML strings."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def _flow(data: Mapping[str, Any]) -> str:
    parts = []
    for k, v in data.items():
        if isinstance(v, Mapping):
            parts.append(f"{k}: {_flow(v)}")
        elif isinstance(v, list | tuple):
            items = ", ".join(_flow(x) if isinstance(x, Mapping) else _q(x) for x in v)
            parts.append(f"{k}: [{items}]")
        else:
            parts.append(f"{k}: {_q(v)}")
    return "{" + ", ".join(parts) + "}"


def _block(data: Mapping[str, Any], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for k, v in data.items():
        if isinstance(v, list | tuple) and v and isinstance(v[0], Mapping):
            lines.append(f"{pad}{k}:")
            lines += [f"{pad}  - {_flow(item)}" for item in v]
        elif isinstance(v, Mapping):
            lines.append(f"{pad}{k}: {_flow(v)}")
        elif isinstance(v, list | tuple):
            lines.append(f"{pad}{k}: [{', '.join(_q(x) for x in v)}]")
        else:
            lines.append(f"{pad}{k}: {_q(v)}")
    return lines


def city_yaml(
    city: Division,
    overrides: Mapping[str, Any],
    taken: set[str],
    header: str,
    existing: Mapping[str, str],
) -> tuple[str, str]:
    """Return (file name, YAML text) for one city."""
    stem, _, _ = split_suffix(city.name, (("市", "city"),), "city")
    city_id = unique_slugs([(stem, "市", city.code)], taken, "", existing)[0]
    site_over = overrides.get("sites", {})
    city_entry: dict[str, Any] = {"id": city_id, "name": city.name, "code": city.code}
    county_defaults, town_defaults = _vendor_defaults(city.code, overrides, city_entry)
    clouds = overrides.get("city_clouds")
    if clouds:
        city_entry["cloud"] = {"id": f"{city_id}-cloud", "label": f"{city.name}政务云", **clouds}
    city_entry.update(site_over.get(city.code, {}))
    lines = [header, "city:", *_block(city_entry, 2), "  counties:"]
    counties = list(city.children) + [
        Division("county", z["code"], z["name"], city.code)
        for z in overrides.get("dev_zones", {}).get(city.code, [])
    ]
    split = [split_suffix(c.name, COUNTY_KINDS, "dev_zone") for c in counties]
    slugs = unique_slugs(
        [(s, suf, c.code) for (s, suf, _), c in zip(split, counties, strict=True)],
        taken,
        f"{city_id}-",
        existing,
    )
    for county, (_, _, kind), cid in zip(counties, split, slugs, strict=True):
        if county.code in {z["code"] for z in overrides.get("dev_zones", {}).get(city.code, [])}:
            kind = "dev_zone"
        entry: dict[str, Any] = {"id": cid, "name": county.name, "code": county.code, "kind": kind}
        entry.update(county_defaults)
        entry.update(site_over.get(county.code, {}))
        lines.append(f"    - id: {_q(cid)}")
        lines += _block({k: v for k, v in entry.items() if k != "id"}, 6)
        lines += _townships(county, cid, {**site_over}, taken, existing, town_defaults)
    return f"{city.code}-{city_id}.yaml", "\n".join(lines) + "\n"


def _vendor_defaults(
    code: str, overrides: Mapping[str, Any], city_entry: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply the vendor mix: cities listed in ``h3c_cities`` get the ``h3c_models`` at every level."""
    if code not in overrides.get("h3c_cities", []):
        return {}, {}
    models = overrides.get("h3c_models", {})
    city_entry["core_model"] = models["city"]
    return {"core_model": models["county"]}, {"access_model": models["township"]}


def _townships(
    county: Division,
    county_id: str,
    site_over: Mapping[str, Any],
    taken: set[str],
    existing: Mapping[str, str],
    defaults: Mapping[str, Any],
) -> list[str]:
    if not county.children:
        return []
    parts = [split_suffix(t.name, TOWNSHIP_KINDS, "other") for t in county.children]
    short = county_id.split("-", 1)[-1]
    slugs = unique_slugs(
        [(s, suf, t.code) for (s, suf, _), t in zip(parts, county.children, strict=True)],
        taken,
        f"{short}-",
        existing,
    )
    lines = ["      townships:"]
    for town, (_, _, kind), tid in zip(county.children, parts, slugs, strict=True):
        entry: dict[str, Any] = {"id": tid, "name": town.name, "code": town.code, "kind": kind}
        entry.update(defaults)
        entry.update(site_over.get(town.code, {}))
        lines.append(f"        - {_flow(entry)}")
    return lines


def generate(
    csv_text: str,
    overrides: Mapping[str, Any],
    source_note: str,
    existing: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return ``cities/<file>`` name → YAML text for every city in the CSV.

    ``existing`` maps division codes to the site ids of the previous generation (kept as they are).
    """
    existing = existing or {}
    root = read_divisions(csv_text, source_note)
    taken: set[str] = set(overrides.get("reserved_ids", []))
    header = f"# GENERATED by `egnet generate` from {source_note}: do not edit by hand;\n# change source/ and re-run."
    out: dict[str, str] = {}
    for city in root.children:
        name, text = city_yaml(city, overrides, taken, header, existing)
        out[name] = text
    return out


def existing_ids(texts: Iterable[str]) -> dict[str, str]:
    """Collect division code → site id from previously generated city files."""
    import yaml

    out: dict[str, str] = {}
    for text in texts:
        data = yaml.safe_load(text) or {}
        city = data.get("city", {})
        out[str(city.get("code"))] = str(city.get("id"))
        for county in city.get("counties", []) or []:
            out[str(county.get("code"))] = str(county.get("id"))
            for town in county.get("townships", []) or []:
                out[str(town.get("code"))] = str(town.get("id"))
    return out
