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


def read_divisions(text: str) -> Division:
    """Parse the CSV text into a tree rooted at the province.

    Raises:
        ValueError: with the line number when a row is malformed or dangling.
    """
    rows = list(csv.DictReader(io.StringIO(text)))
    by_code: dict[str, Division] = {}
    root: Division | None = None
    for lineno, row in enumerate(rows, 2):
        try:
            div = Division(row["level"], row["code"], row["name"], row["parent_code"] or "")
        except KeyError as exc:
            raise ValueError(f"line {lineno}: missing column {exc}") from None
        if div.code in by_code:
            raise ValueError(f"line {lineno}: duplicate code {div.code}")
        by_code[div.code] = div
        if div.level == "province":
            root = div
        elif div.parent not in by_code:
            raise ValueError(
                f"line {lineno}: parent {div.parent!r} of {div.name} not defined before it"
            )
        else:
            by_code[div.parent].children.append(div)
    if root is None:
        raise ValueError("no province row")
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
    root = read_divisions(csv_text)
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
