"""Departments (接入单位): who connects where, to which zones, through which CE, under which approval.

File ``<inventory>/departments.yaml`` (optional)::

    departments:
      - id: beicheng-czj                 # safe identifier: [a-z][a-z0-9-]{1,47}
        name: 北城市财政局                # label (no control or line-separator characters)
        code: 11360100MB1234567X          # unified social credit code (18) or organisation code (9)
        site: beicheng                    # the site (level) whose PE cores it connects to
        contact: {name: 张三, phone: 0791-86000000}
        registration: {approval: 北政外网〔2024〕12号, date: 2024-03-01}
        zones: [public, internet]         # zones it joins (its private VPN zone when it has one)
        ce: {model: S5735-L24T4X-A}       # CE device model (an access switch or a firewall)
        prefix_len: 28                    # size of its block in every zone (default /28)
        dhcp_relay: 10.0.0.10             # optional DHCP server the PE relays to
        internet: level-egress            # level-egress (default when it joins an internet zone) or none

Allocation (deterministic, kept in ``departments.lock.json`` beside ``ipam.lock.json``): one VLAN per
(department, zone) from 1001 upward, unique per site; one block of ``prefix_len`` per zone, carved
from the **top** of the zone's block of the site (the bottom of the block belongs to the site's own
zone interfaces), lowest free first going down. Locked entries are kept as long as they remain valid.
The gateway of every block is its first host, owned by the site's PE cores (VRRP virtual address on
dual-cored sites; the cores take the next two addresses).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from topology.diagnostics import Diagnostic

DEPARTMENTS_FILE = "departments.yaml"
DEPARTMENTS_LOCK = "departments.lock.json"
VLAN_FIRST, VLAN_LAST = 1001, 3999
ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,47}$")
CODE_PATTERN = re.compile(r"^(?:[0-9A-HJ-NPQRTUWXY]{18}|[0-9A-Z]{8}-?[0-9X])$")
PHONE_PATTERN = re.compile(r"^[0-9+][0-9 ()-]{4,23}$")


def safe_text(value: str) -> str:
    """Reject control, format and line/paragraph-separator characters and over-long text.

    Examples:
        >>> safe_text("北城市财政局")
        '北城市财政局'
        >>> safe_text("a\\u2028b")
        Traceback (most recent call last):
        ValueError: control or line-separator character U+2028 is not allowed
    """
    if len(value) > 64:
        raise ValueError(f"at most 64 characters (found {len(value)})")
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            raise ValueError(f"control or line-separator character U+{ord(ch):04X} is not allowed")
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _ident(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError("expected [a-z][a-z0-9-]{1,47}")
    return value


def _code(value: str) -> str:
    if not CODE_PATTERN.match(value):
        raise ValueError(
            "expected an 18-character unified social credit code or a 9-character organisation code"
        )
    return value


def _phone(value: str) -> str:
    if not PHONE_PATTERN.match(value):
        raise ValueError("expected a phone number (digits, +, spaces, parentheses, -)")
    return value


SafeText = Annotated[str, AfterValidator(safe_text)]
Ident = Annotated[str, AfterValidator(_ident)]


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ContactIn(_In):
    name: SafeText
    phone: Annotated[str, AfterValidator(_phone)]


class RegistrationIn(_In):
    """The approval a connecting unit needs (since 2019): approval number and date."""

    approval: SafeText
    date: dt.date = Field(strict=False)


class CeIn(_In):
    model: str
    hostname: Ident | None = None


class DepartmentIn(_In):
    id: Ident
    name: SafeText
    code: Annotated[str, AfterValidator(_code)]
    site: str
    contact: ContactIn
    registration: RegistrationIn
    zones: list[str] = Field(min_length=1, max_length=8)
    ce: CeIn
    prefix_len: int = Field(28, ge=24, le=29)
    dhcp_relay: str | None = None
    internet: Literal["level-egress", "none"] | None = None


class DepartmentsFile(_In):
    departments: list[DepartmentIn] = Field(default_factory=list, max_length=50_000)


# --- resolved -----------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DepartmentAttachment(_Out):
    """One zone of a department: its VLAN on the PE–CE trunk and its block."""

    zone: str
    vlan: int
    prefix: str
    gateway: str
    pe_addresses: tuple[str, ...]


class Department(_Out):
    """A resolved department (see the module docstring)."""

    id: str
    name: str
    code: str
    site: str
    contact_name: str
    contact_phone: str
    approval: str
    approval_date: str
    ce_model: str
    ce_hostname: str
    pe: tuple[str, ...]
    attachments: tuple[DepartmentAttachment, ...]
    dhcp_relay: str | None
    internet: Literal["level-egress", "none"]


class SiteView(_Out):
    """What resolution needs of a site: its tier, PE cores and zone blocks (zone → prefix)."""

    tier: str
    pe: tuple[str, ...]
    blocks: dict[str, str]


LockData = dict[str, dict[str, dict[str, object]]]


def read_lock(path: Path) -> tuple[LockData, list[Diagnostic]]:
    """Read ``departments.lock.json`` (absent: empty); malformed entries are located errors."""
    if not path.exists():
        return {}, []
    name = str(path)
    try:
        if not path.is_file() or path.stat().st_size > 32 * 1024 * 1024:
            raise ValueError("not a regular file of at most 32 MiB")
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return {}, [Diagnostic(name, 1, 1, "", f"unreadable lock: {str(exc)[:120]}",
                               "delete it; `egnet change` re-allocates")]  # fmt: skip
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, dict)
        and all(isinstance(z, str) and isinstance(e, dict) for z, e in v.items())
        for k, v in data.items()
    ):  # fmt: skip
        return {}, [Diagnostic(name, 1, 1, "", "expected {department: {zone: {vlan, prefix}}}",
                               "delete it; `egnet change` re-allocates")]  # fmt: skip
    return data, []


def dump_lock(depts: Collection[Department]) -> str:
    """Serialise the allocations of ``depts`` (sorted, stable)."""
    data = {
        d.id: {a.zone: {"vlan": a.vlan, "prefix": a.prefix} for a in d.attachments}
        for d in sorted(depts, key=lambda d: d.id)
    }
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def resolve(
    spec: DepartmentsFile,
    sites: Mapping[str, SiteView],
    zones: Mapping[str, str],
    ce_models: Collection[str],
    lock: LockData,
) -> tuple[dict[str, Department], list[tuple[tuple[str | int, ...], str, str | None]]]:
    """Resolve the file against the model; return departments and ``(path, message, hint)``
    problems (the caller locates them in the file).

    ``zones`` maps zone name → kind (``internet`` zones enable ``internet: level-egress``).
    """
    problems: list[tuple[tuple[str | int, ...], str, str | None]] = []
    seen: set[str] = set()
    hostnames: set[str] = set()
    used_vlans: dict[str, set[int]] = {}
    used_nets: dict[tuple[str, str], list[ipaddress.IPv4Network]] = {}
    plans: list[tuple[int, DepartmentIn]] = []
    for i, d in enumerate(spec.departments):
        path: tuple[str | int, ...] = ("departments", i)
        ok = True
        if d.id in seen:
            problems.append(((*path, "id"), f"duplicate department id '{d.id}'", None))
            ok = False
        seen.add(d.id)
        site = sites.get(d.site)
        if site is None:
            problems.append(((*path, "site"), f"unknown site '{d.site}'", None))
            continue
        if site.tier == "township":
            problems.append(((*path, "site"),
                             f"site '{d.site}' is a township: its access router carries no "
                             "department sub-interfaces (the township's multi-VRF CE config is "
                             "not rendered yet)",
                             "attach the department at its county"))  # fmt: skip
            continue
        if not site.pe:
            problems.append(((*path, "site"), f"site '{d.site}' has no PE core", None))
            ok = False
        for j, z in enumerate(d.zones):
            if z not in zones:
                problems.append(((*path, "zones", j), f"unknown zone '{z}'",
                                 "known: " + ", ".join(sorted(zones))))  # fmt: skip
                ok = False
            elif z not in site.blocks:
                problems.append(((*path, "zones", j),
                                 f"zone '{z}' has no block at site '{d.site}' (tier {site.tier})",
                                 "attach the department at a site that serves this zone"))  # fmt: skip
                ok = False
        if len(set(d.zones)) != len(d.zones):
            problems.append(((*path, "zones"), "a zone is listed twice", None))
            ok = False
        if d.ce.model not in ce_models:
            problems.append(((*path, "ce", "model"), f"unknown CE model '{d.ce.model}'",
                             "known: " + ", ".join(sorted(ce_models))))  # fmt: skip
            ok = False
        host = d.ce.hostname or f"{d.id}-ce1"
        if host in hostnames:
            problems.append(((*path, "ce", "hostname"), f"duplicate CE hostname '{host}'", None))
            ok = False
        hostnames.add(host)
        if d.dhcp_relay is not None:
            try:
                ipaddress.IPv4Address(d.dhcp_relay)
            except ValueError:
                problems.append(((*path, "dhcp_relay"), "expected an IPv4 address", None))
                ok = False
        if d.internet == "level-egress" and not any(zones.get(z) == "internet" for z in d.zones):
            problems.append(((*path, "internet"),
                             "internet: level-egress needs an internet zone among its zones", None))  # fmt: skip
            ok = False
        if ok:
            plans.append((i, d))
    # keep valid locked allocations first, then allocate the rest in file order
    locked: dict[tuple[str, str], tuple[int, ipaddress.IPv4Network]] = {}
    for _, d in plans:
        site = sites[d.site]
        for z in d.zones:
            entry = lock.get(d.id, {}).get(z)
            if not entry:
                continue
            vlan, prefix = entry.get("vlan"), entry.get("prefix")
            try:
                net = ipaddress.IPv4Network(str(prefix))
                block = ipaddress.IPv4Network(site.blocks[z])
            except ValueError:
                continue
            if (
                type(vlan) is int
                and VLAN_FIRST <= vlan <= VLAN_LAST
                and vlan not in used_vlans.get(d.site, set())
                and net.prefixlen == d.prefix_len
                and net.subnet_of(block)
                and not any(net.overlaps(o) for o in used_nets.get((d.site, z), []))
            ):
                locked[(d.id, z)] = (vlan, net)
                used_vlans.setdefault(d.site, set()).add(vlan)
                used_nets.setdefault((d.site, z), []).append(net)
    out: dict[str, Department] = {}
    for i, d in plans:
        site = sites[d.site]
        atts: list[DepartmentAttachment] = []
        for j, z in enumerate(d.zones):
            got = locked.get((d.id, z))
            if got is None:
                free_vlan = next(
                    (
                        v
                        for v in range(VLAN_FIRST, VLAN_LAST + 1)
                        if v not in used_vlans.get(d.site, set())
                    ),
                    None,
                )
                free_net = _free_from_top(
                    ipaddress.IPv4Network(site.blocks[z]),
                    d.prefix_len,
                    used_nets.get((d.site, z), []),
                )
                if free_vlan is None or free_net is None:
                    what = (
                        "VLANs"
                        if free_vlan is None
                        else f"/{d.prefix_len} blocks in {site.blocks[z]}"
                    )
                    problems.append((("departments", i, "zones", j),
                                     f"no free {what} at site '{d.site}'",
                                     "use a smaller prefix_len or a larger zone block"))  # fmt: skip
                    break
                got = (free_vlan, free_net)
                used_vlans.setdefault(d.site, set()).add(free_vlan)
                used_nets.setdefault((d.site, z), []).append(free_net)
            vlan, net = got
            hosts = list(net.hosts())
            pe_addrs = (
                tuple(str(h) for h in hosts[1 : 1 + len(site.pe)])
                if len(site.pe) > 1
                else (str(hosts[0]),)
            )
            atts.append(
                DepartmentAttachment(
                    zone=z, vlan=vlan, prefix=str(net), gateway=str(hosts[0]), pe_addresses=pe_addrs
                )
            )
        else:
            internet = d.internet or (
                "level-egress" if any(zones.get(z) == "internet" for z in d.zones) else "none"
            )
            out[d.id] = Department(
                id=d.id,
                name=d.name,
                code=d.code,
                site=d.site,
                contact_name=d.contact.name,
                contact_phone=d.contact.phone,
                approval=d.registration.approval,
                approval_date=d.registration.date.isoformat(),
                ce_model=d.ce.model,
                ce_hostname=d.ce.hostname or f"{d.id}-ce1",
                pe=site.pe,
                attachments=tuple(atts),
                dhcp_relay=d.dhcp_relay,
                internet=internet,
            )
    return out, problems


def _free_from_top(
    block: ipaddress.IPv4Network, plen: int, used: list[ipaddress.IPv4Network]
) -> ipaddress.IPv4Network | None:
    """Return the highest free ``/plen`` of ``block`` not overlapping ``used``, keeping the bottom
    half of the block (the site's own zone interfaces) out of reach.

    Examples:
        >>> b = ipaddress.IPv4Network("10.0.0.0/26")
        >>> str(_free_from_top(b, 28, []))
        '10.0.0.48/28'
        >>> str(_free_from_top(b, 28, [ipaddress.IPv4Network("10.0.0.48/28")]))
        '10.0.0.32/28'
        >>> _free_from_top(b, 28, [ipaddress.IPv4Network("10.0.0.32/27")]) is None
        True
    """
    if plen <= block.prefixlen:
        return None
    top_half = list(block.subnets(prefixlen_diff=1))[1]
    if plen < top_half.prefixlen:
        return None
    for net in reversed(list(top_half.subnets(new_prefix=plen))):
        if not any(net.overlaps(u) for u in used):
            return net
    return None


# --- the department register as CSV ---------------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "name",
    "code",
    "site",
    "contact_name",
    "contact_phone",
    "approval",
    "approval_date",
    "zones",
    "ce_model",
    "prefix_len",
    "dhcp_relay",
    "internet",
)
CSV_REQUIRED = CSV_COLUMNS[:10]


def departments_from_csv(text: str, name: str) -> tuple[list[dict[str, object]], list[Diagnostic]]:
    """Parse the department register (CSV, UTF-8, header row) into ``departments.yaml`` entries.

    Columns: ``id, name, code, site, contact_name, contact_phone, approval, approval_date
    (YYYY-MM-DD), zones (separated by ';'), ce_model`` and optionally ``prefix_len, dhcp_relay,
    internet``. Each entry is validated like the YAML file; errors name the row and column.

    Examples:
        >>> rows, errs = departments_from_csv(
        ...     "id,name,code,site,contact_name,contact_phone,approval,approval_date,zones,ce_model\\n"
        ...     "bc-czj,北城财政局,11360100MB1234567X,beicheng,张三,0791-8600000,批01,2024-03-01,"
        ...     "public;internet,S5735\\n", "reg.csv")
        >>> errs, rows[0]["zones"], rows[0]["registration"]
        ([], ['public', 'internet'], {'approval': '批01', 'date': '2024-03-01'})
    """
    errors: list[Diagnostic] = []
    if len(text) > 64 * 1024 * 1024:
        return [], [Diagnostic(name, 1, 1, "", "file larger than 64 MiB", None)]
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        msg = "; ".join(
            part
            for part in (
                f"missing columns: {', '.join(missing)}" if missing else "",
                f"unknown columns: {', '.join(unknown)}" if unknown else "",
            )
            if part
        )
        return [], [Diagnostic(name, 1, 1, "header", msg, "columns: " + ", ".join(CSV_COLUMNS))]
    out: list[dict[str, object]] = []
    for n, row in enumerate(reader, start=2):
        if None in row:
            errors.append(Diagnostic(name, n, 1, f"row {n}", "more fields than columns", None))
            continue
        entry: dict[str, object] = {
            "id": row["id"].strip(),
            "name": row["name"].strip(),
            "code": row["code"].strip(),
            "site": row["site"].strip(),
            "contact": {"name": row["contact_name"].strip(), "phone": row["contact_phone"].strip()},
            "registration": {
                "approval": row["approval"].strip(),
                "date": row["approval_date"].strip(),
            },
            "zones": [z.strip() for z in (row["zones"] or "").split(";") if z.strip()],
            "ce": {"model": row["ce_model"].strip()},
        }
        if (row.get("prefix_len") or "").strip():
            text_len = row["prefix_len"].strip()
            if not text_len.isdigit():
                errors.append(Diagnostic(name, n, header.index("prefix_len") + 1,
                                         f"row {n}.prefix_len", "expected an integer 24..29", None))  # fmt: skip
                continue
            entry["prefix_len"] = int(text_len)
        for col in ("dhcp_relay", "internet"):
            if (row.get(col) or "").strip():
                entry[col] = row[col].strip()
        try:
            DepartmentIn.model_validate({**entry, "registration": {
                "approval": row["approval"].strip(), "date": row["approval_date"].strip()}})  # fmt: skip
        except ValueError as exc:
            from pydantic import ValidationError

            if not isinstance(exc, ValidationError):
                raise
            for e in exc.errors():
                col = _csv_column(e["loc"])
                colno = header.index(col) + 1 if col in header else 1
                errors.append(
                    Diagnostic(
                        name,
                        n,
                        colno,
                        f"row {n}.{col}",
                        str(e["msg"])[:200],
                        f"column {col} must hold: {_COLUMN_HELP.get(col, 'see README')}",
                    )
                )
            continue
        out.append(entry)
    return out, errors


_COLUMN_HELP = {
    "id": "a safe identifier [a-z][a-z0-9-]{1,47}",
    "name": "the unit's name (≤ 64 characters, no control characters)",
    "code": "an 18-character unified social credit code or a 9-character organisation code",
    "contact_phone": "a phone number",
    "approval_date": "a date YYYY-MM-DD",
    "zones": "zone names separated by ';'",
    "prefix_len": "an integer 24..29",
    "internet": "level-egress or none",
}


def _csv_column(loc: tuple[int | str, ...]) -> str:
    head = str(loc[0]) if loc else "row"
    if head == "contact" and len(loc) > 1:
        return f"contact_{loc[1]}"
    if head == "registration" and len(loc) > 1:
        return "approval" if loc[1] == "approval" else "approval_date"
    if head == "ce":
        return "ce_model"
    return head


# --- loading (called by the loader; the only reader of departments.yaml) ---------------------------


def site_views(
    sites: Mapping[str, tuple[str, tuple[str, ...]]], zone_blocks: Mapping[str, Mapping[str, str]]
) -> dict[str, SiteView]:
    """Build :class:`SiteView` per site from ``site → (tier, PE hostnames)`` and
    ``zone → {site: prefix}``."""
    return {
        name: SiteView(
            tier=tier,
            pe=pe,
            blocks={z: blocks[name] for z, blocks in zone_blocks.items() if name in blocks},
        )
        for name, (tier, pe) in sites.items()
    }
