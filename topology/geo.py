"""Where the sites are, for the NOC map's geographic view.

Province-, city- and county-level sites take the coordinates of their division code from the bundled
table (``topology/data/division_coords.csv``, MIT, see ``topology/data/README.md``). A site whose code
is not in the table — a township, a development zone run as a county-level node, a government cloud, a
county created after the table — takes its nearest located ancestor's point and is marked ``exact:
False``; the map then draws it schematically around that point.
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass
from pathlib import Path

from topology.model import Tier, Topology

DATA = Path(__file__).with_name("data") / "division_coords.csv"

# Counties renamed or re-coded after the table's snapshot: new code -> the same area's former code.
RENAMED = {
    "360404": "360421",  # 柴桑区 <- 九江县 (2017)
    "360603": "360622",  # 余江区 <- 余江县 (2018)
    "360704": "360721",  # 赣县区 <- 赣县 (2016)
    "360783": "360727",  # 龙南市 <- 龙南县 (2020)
    "361003": "361029",  # 东乡区 <- 东乡县 (2016)
    "361104": "361121",  # 广信区 <- 上饶县 (2019)
}


@dataclass(frozen=True)
class Place:
    """A site's point (degrees, WGS-84-ish) and whether it is its own division's point."""

    lon: float
    lat: float
    exact: bool


@functools.cache
def division_points() -> dict[str, tuple[float, float]]:
    """Return division code (without trailing zeros) → (longitude, latitude)."""
    out: dict[str, tuple[float, float]] = {}
    with DATA.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            lon, lat = float(row["lon"]), float(row["lat"])
            if math.isfinite(lon) and math.isfinite(lat):
                out[row["code"]] = (lon, lat)
    return out


def _key(code: str) -> str:
    """Normalise a division code to the table's form (trailing zeros of a 6/12-digit code dropped).

    Examples:
        >>> _key("360102000000"), _key("360100"), _key("36"), _key("360102002")
        ('360102', '3601', '36', '360102002')
    """
    c = code.strip()
    if len(c) in (6, 12) and c.isdigit() and c[6:].strip("0") == "":
        c = c[:6]
        if c[4:] == "00":
            c = c[:4]
            if c[2:] == "00":
                c = c[:2]
    return c


def site_places(topo: Topology) -> dict[str, Place]:
    """Return site → place for every site that has a located ancestor (or is located itself)."""
    points = division_points()
    own: dict[str, tuple[float, float]] = {}
    for name, site in topo.sites.items():
        if site.tier not in (Tier.PROVINCE, Tier.CITY, Tier.COUNTY):
            continue  # a cloud shares its city's code; townships are not in the table
        key = _key(site.code)
        p = points.get(key) or points.get(RENAMED.get(key, ""))
        if p is not None:
            own[name] = p
    out: dict[str, Place] = {}
    for name in topo.sites:
        cur: str | None = name
        seen: set[str] = set()
        while cur is not None and cur not in own and cur not in seen:
            seen.add(cur)
            cur = topo.sites[cur].parent if cur in topo.sites else None
        if cur is not None and cur in own:
            lon, lat = own[cur]
            out[name] = Place(lon, lat, exact=cur == name)
    return out
