"""Export the model as NetBox bulk-import CSV tables (one file per object type, in import order).

Column names are those of NetBox's import forms (``dcim``/``circuits``/``ipam`` ``bulk_import.py``,
NetBox 4.x): objects refer to each other by ``name`` (sites, devices, roles, providers …), ``model``
(device types), ``cid`` (circuits) and VRF ``name``. Import the files in their numbered order in
NetBox's *Import* pages (or with ``pynetbox``).

A link between two devices of one site (core interconnect, core to firewall, township router to its
service switch) is a **cable** between the two interfaces (``15-cables.csv``: ``side_a_device``,
``side_a_type`` ``dcim.interface``, ``side_a_name`` …, as NetBox's ``CableImportForm`` reads them). A
link between sites is a **circuit** of its provider. Circuit terminations are not exported: NetBox
4.2+ imports them by ``termination_type`` and the numeric ``termination_id`` of the site, which only
exists after the import, and a cable from an interface to a circuit termination cannot be imported
by CSV at all (the form resolves cable ends by device); each circuit's description names its two
ends instead.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable

from topology.export import city_of
from topology.model import Circuit, Tier, Topology

Row = dict[str, str]
TIME_ZONE = "Asia/Shanghai"


def slug(text: str) -> str:
    """Return a NetBox slug (lower-case letters, digits, hyphens, underscores).

    Examples:
        >>> slug("NE40E-X8A")
        'ne40e-x8a'
        >>> slug("vpn gongan")
        'vpn-gongan'
    """
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "x"


def _names(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """id → display name: the label where it is unique among the items, else the id."""
    pairs = list(items)
    labels = [label for _, label in pairs]
    return {i: label if label and labels.count(label) == 1 else i for i, label in pairs}


def netbox_tables(topo: Topology) -> dict[str, list[Row]]:
    """Return file name → CSV rows, in the order NetBox must import them."""
    province = next(s for s in topo.sites.values() if s.tier is Tier.PROVINCE)
    cities = sorted(n for n, s in topo.sites.items() if s.tier is Tier.CITY)
    region = _names([(province.name, province.label), *((c, topo.sites[c].label) for c in cities)])
    provider = _names((c.name, c.label) for c in topo.carriers.values())
    ctype = _names((t.name, t.label) for t in topo.circuit_types.values())
    vendors = sorted({m.vendor for m in topo.device_models.values()})
    used_models = sorted({d.model for d in topo.devices.values()})
    t: dict[str, list[Row]] = {}
    t["01-regions.csv"] = [
        {"name": region[province.name], "slug": slug(province.name), "parent": "",
         "description": f"{province.label} {province.code}"},
        *({"name": region[c], "slug": slug(c), "parent": region[province.name],
           "description": f"{topo.sites[c].label} {topo.sites[c].code}"} for c in cities),
    ]  # fmt: skip
    t["02-sites.csv"] = [
        {
            "name": name,
            "slug": slug(name),
            "status": "active",
            "region": region[city_of(topo, name) or province.name],
            "facility": site.code,
            "time_zone": TIME_ZONE,
            "description": f"{site.label} ({site.tier.value}, {site.kind})",
        }
        for name, site in topo.sites.items()
    ]
    t["03-manufacturers.csv"] = [{"name": v, "slug": slug(v)} for v in vendors]
    t["04-device-types.csv"] = [
        {
            "manufacturer": topo.device_models[m].vendor,
            "model": m,
            "slug": slug(m),
            "description": f"{topo.device_models[m].kind}, {topo.device_models[m].ports} ports",
        }
        for m in used_models
    ]
    roles = sorted({d.role.value for d in topo.devices.values()})
    t["05-device-roles.csv"] = [{"name": r, "slug": slug(r), "color": "9e9e9e"} for r in roles]
    platforms = sorted({d.platform for d in topo.devices.values()})
    t["06-platforms.csv"] = [{"name": p, "slug": slug(p)} for p in platforms]
    t["07-devices.csv"] = [
        {
            "name": d.hostname,
            "role": d.role.value,
            "manufacturer": topo.device_models[d.model].vendor,
            "device_type": d.model,
            "platform": d.platform,
            "status": "active",
            "site": d.site,
            "description": f"{topo.sites[d.site].label} building {d.building}",
        }
        for d in topo.devices.values()
    ]
    t["08-interfaces.csv"] = [
        {
            "device": d.hostname,
            "name": i.name,
            "type": "virtual" if i.kind == "loopback" else "other",
            "speed": str(topo.circuits[i.circuit].capacity_bps // 1000) if i.circuit else "",
            "enabled": "true",
            "mgmt_only": "true" if i.kind == "mgmt" else "false",
            "description": i.description,
        }
        for d in topo.devices.values()
        for i in d.interfaces
    ]
    t["09-providers.csv"] = [
        {"name": provider[c.name], "slug": slug(c.name), "description": c.label}
        for c in topo.carriers.values()
    ]
    t["10-circuit-types.csv"] = [
        {"name": ctype[c.name], "slug": slug(c.name), "description": c.label}
        for c in topo.circuit_types.values()
    ]
    t["11-circuits.csv"] = [
        {
            "cid": c.id,
            "provider": provider[c.carrier],
            "type": ctype[c.type],
            "status": "active",
            "commit_rate": str(c.capacity_bps // 1000),
            "description": f"{c.role.value}: {c.a.device} {c.a.interface} - "
            f"{c.b.device} {c.b.interface}",
        }
        for c in topo.circuits.values()
        if not _in_site(topo, c)
    ]
    t["12-vrfs.csv"] = [
        {"name": z.vrf, "rd": z.rd, "enforce_unique": "true", "description": z.label}
        for z in topo.zones.values()
    ]
    zone_vrfs = {z.vrf for z in topo.zones.values()}
    builtin = sorted(  # a model's own management VRF (__LOCAL_OAM_VPN__, Mgmt-intf): no RD
        {i.vrf for d in topo.devices.values() for i in d.interfaces if i.vrf} - zone_vrfs
    )
    t["12-vrfs.csv"] += [
        {"name": v, "rd": "", "enforce_unique": "false", "description": "built-in management VRF"}
        for v in builtin
    ]
    prefixes: list[Row] = []
    for z in topo.zones.values():
        prefixes.append(_prefix(z.pool, z.vrf, "container", "", f"{z.label} pool"))
        for b in z.blocks:
            prefixes.append(_prefix(b.prefix, z.vrf, "active", b.site, f"{z.label} {b.site}"))
    for c in topo.circuits.values():
        prefixes.append(_prefix(c.subnet, "", "active", "", f"circuit {c.id}"))
    for s in topo.sites.values():  # the per-site management plane (topology/mgmt_plane.py)
        if s.mgmt_subnet:
            desc = f"out-of-band management {s.name} (gateway {s.mgmt_gateway})"
            prefixes.append(_prefix(s.mgmt_subnet, "", "active", s.name, desc))
    for site, segment in topo.nms.items():
        prefixes.append(
            _prefix(segment, "", "active", site, f"NMS of the {site} management centre")
        )
    t["13-prefixes.csv"] = prefixes
    t["14-ip-addresses.csv"] = [
        {
            "address": i.address,
            "vrf": i.vrf or "",
            "status": "active",
            "role": "loopback" if i.kind == "loopback" else "",
            "device": d.hostname,
            "interface": i.name,
            "is_primary": "true" if i.kind == "mgmt" else "false",
            "description": i.description,
        }
        for d in topo.devices.values()
        for i in d.interfaces
        if i.address
    ]
    t["15-cables.csv"] = [
        {
            "side_a_device": c.a.device,
            "side_a_type": "dcim.interface",
            "side_a_name": c.a.interface,
            "side_b_device": c.b.device,
            "side_b_type": "dcim.interface",
            "side_b_name": c.b.interface,
            "status": "connected",
            "label": c.id,
            "description": f"{c.role.value} {ctype[c.type]}",
        }
        for c in topo.circuits.values()
        if _in_site(topo, c)
    ]
    return t


def _in_site(topo: Topology, c: Circuit) -> bool:
    """True for a link whose two ends are devices of one site (a cable, not a carrier circuit)."""
    return topo.devices[c.a.device].site == topo.devices[c.b.device].site


def _prefix(prefix: str, vrf: str, status: str, site: str, description: str) -> Row:
    return {
        "prefix": prefix,
        "vrf": vrf,
        "status": status,
        "scope_type": "dcim.site" if site else "",
        "scope_name": site,
        "description": description,
    }


def to_csv(rows: list[Row], safe: Callable[[str], str] | None = None) -> str:
    """Return rows as CSV text (header from the first row; every row has the same keys)."""
    if not rows:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    clean = safe or _no_formula
    w.writerows({k: clean(v) for k, v in r.items()} for r in rows)
    return buf.getvalue()


def _no_formula(value: str) -> str:
    """Neutralise spreadsheet formulas (a cell starting with = + - @ is read as one).

    Examples:
        >>> _no_formula("=1+1")
        "'=1+1"
        >>> _no_formula("10.0.0.0/8")
        '10.0.0.0/8'
    """
    return "'" + value if value[:1] in ("=", "+", "@") else value
