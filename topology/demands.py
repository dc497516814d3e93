"""Demand model: busy-hour profiles per tier, explicit demands and events (``demands.yaml``).

Owned by the planner work (issue 3). Parsed here because only ``topology`` opens inventory files.
Every default comes from ``shared/design/DOMAIN.md`` §3 and is labelled as an assumption, so reports
can say which numbers were measured and which were assumed.

File layout (every key optional)::

    profiles:            # per tier, per site, busy hour; up = from the site, down = toward it
      township:
        province_cloud: {up: 0.16M, down: 0.64M}
        city_cloud: {up: 0.12M, down: 0.48M}
        egress: {up: 0.08M, down: 0.32M}
        parent: {up: 0.04M, down: 0.16M}
        service_share: 30%   # share generated behind the township service-centre switch
    demands:             # explicit one-way demands between sites or devices
      - {name: backup, src: lab, dst: beicheng, rate: 50M}
    events:
      - {name: conference, kind: cascaded_conference, rate: 4M, overhead: 1.2}
    sources:             # source-side split of a dual-cored site (default load_share)
      beicheng: {split: active_standby, master: beicheng-core1}
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from difflib import get_close_matches
from pathlib import Path as FsPath
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, StringConstraints

from topology.diagnostics import Diagnostic, InventoryError, known
from topology.source import SourceFile
from topology.text import HOSTNAME_PATTERN, Hostname
from topology.units import parse_rate, parse_ratio

TARGETS = ("province_cloud", "city_cloud", "egress", "parent")
PROFILE_TIERS = ("province", "city", "county", "township")
DEMANDS_FILE = "demands.yaml"

# Defaults of the demand model and where each comes from (issue 14 §6; planner/DEMANDS.md has the
# review and the busy-hour picture they give on inventory/jiangxi). Where each class goes:
#   egress          internet traffic: to the egress of the site's own level (分级出口, DOMAIN.md §1:
#                   "Internet traffic leaves at its own level and does not load the trunks above
#                   it"): a county's and its townships' at the county, a city's at the city
#   province_cloud  applications of the province cloud (DOMAIN.md §1: 45 of 1,000+ applications are
#                   province-wide; counties and townships reach them over the extranet)
#   city_cloud      applications of the city cloud (the province's when the city has none)
#   parent          office traffic with the level above (documents, mail, the parent's systems)
#   events          the cascaded video conference (topology.demands CONFERENCE_*, DOMAIN.md §3)
# PER_TERMINAL_BPS x CONCURRENCY: DOMAIN.md §3 gives 0.2-0.5 Mb/s x 0.3-0.6; 0.25 x 0.3 is taken
#   because the documented terminal count at mid-range rates (0.35 x 0.45) would put the median
#   county egress of the as-built network at 118 % in the busy hour, which the calibration
#   evidence (DOMAIN.md §3: 120+ province-wide conferences a year with zero incidents) rules out.
# TERMINALS per site: sized so that the as-built Jiangxi network (1 province, 11 cities, 122
#   county-level nodes, 1,767 townships: DOMAIN.md §1, ../shared/data/jiangxi_divisions_2023.csv)
#   has the documents' 280,000+ terminals (DOMAIN.md §1): 16,000 + 11 x 6,000 + 122 x 750 +
#   1,767 x 60 = 279,520; the split between tiers is an assumption.
# SHARES: internet 80 % (an assumption: most terminal traffic is internet traffic, issue 14 §6);
#   province cloud 4 % (45 of 1,000+ applications are province-wide, DOMAIN.md §1); city cloud and
#   parent 8 % each (assumptions).
# UP_RATIO (upload = 25 % of download) and SERVICE_SHARE (30 % of a township's traffic behind its
#   service-centre switch) are assumptions. Every default used is listed in each report.
PER_TERMINAL_BPS = 250_000
CONCURRENCY = 0.3
TERMINALS = {"province": 16_000, "city": 6_000, "county": 750, "township": 60}
SHARES = {"province_cloud": 0.04, "city_cloud": 0.08, "egress": 0.8, "parent": 0.08}
UP_RATIO = 0.25
SERVICE_SHARE = 0.3


def parse_rate_or_zero(value: object) -> int:
    """Parse a rate like :func:`topology.units.parse_rate`, also accepting zero.

    Examples:
        >>> parse_rate_or_zero("0")
        0
        >>> parse_rate_or_zero("0.64M")
        640000
    """
    if value in (0, "0", 0.0):
        return 0
    return parse_rate(value)


Rate = Annotated[int, BeforeValidator(parse_rate)]
DemandName = Annotated[
    str, Strict(), StringConstraints(pattern=HOSTNAME_PATTERN, min_length=1, max_length=64)
]
RateOrZero = Annotated[int, BeforeValidator(parse_rate_or_zero)]
Ratio = Annotated[float, BeforeValidator(parse_ratio)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FlowIn(_Frozen):
    """Busy-hour rates of one site toward one target: ``up`` from the site, ``down`` toward it."""

    up: RateOrZero = 0
    down: RateOrZero = 0


class ProfileIn(_Frozen):
    """Per-site busy-hour profile of one tier."""

    province_cloud: FlowIn | None = None
    city_cloud: FlowIn | None = None
    egress: FlowIn | None = None
    parent: FlowIn | None = None
    service_share: Ratio | None = None


class ProfilesIn(_Frozen):
    province: ProfileIn | None = None
    city: ProfileIn | None = None
    county: ProfileIn | None = None
    township: ProfileIn | None = None


class DemandIn(_Frozen):
    """An explicit one-way demand between two sites or devices (names or hostnames)."""

    name: DemandName
    src: Hostname
    dst: Hostname
    rate: Rate
    symmetric: Annotated[bool, Strict()] = False


# The one source of the cascaded-conference defaults (inventory events, the built-in event and
# the planner's ``--event conference``): a 1080p stream of 4 Mb/s x 1.2, MCUs at province, city and
# county, every county and township taking part.
CONFERENCE_RATE_BPS = 4_000_000
CONFERENCE_OVERHEAD = 1.2
CONFERENCE_MCU_TIERS: tuple[Literal["province", "city", "county"], ...] = (
    "province",
    "city",
    "county",
)
CONFERENCE_PARTICIPANTS: tuple[Literal["city", "county", "township"], ...] = ("county", "township")


class EventIn(_Frozen):
    """An event such as a province-wide cascaded video conference."""

    name: DemandName
    kind: Literal["cascaded_conference"] = "cascaded_conference"
    rate: Rate = CONFERENCE_RATE_BPS
    overhead: float = Field(default=CONFERENCE_OVERHEAD, ge=1.0, le=3.0)
    mcu_tiers: tuple[Literal["province", "city", "county"], ...] = CONFERENCE_MCU_TIERS
    participants: tuple[Literal["city", "county", "township"], ...] = CONFERENCE_PARTICIPANTS
    enabled: Annotated[bool, Strict()] = True


class SourceIn(_Frozen):
    """How a dual-cored site's own traffic leaves it: ``load_share`` (evenly from every core that
    is up, the default, as the design documents describe) or ``active_standby`` (all from
    ``master``, a core of the site; from the other cores only while the master is down)."""

    split: Literal["load_share", "active_standby"] = "load_share"
    master: str | None = Field(default=None, max_length=64)


class DemandsFile(_Frozen):
    """``demands.yaml`` (optional)."""

    profiles: ProfilesIn = ProfilesIn()
    demands: tuple[DemandIn, ...] = ()
    events: tuple[EventIn, ...] | None = None
    sources: dict[str, SourceIn] = Field(default_factory=dict, max_length=100_000)


class FlowRates(_Frozen):
    """Resolved busy-hour rates in bit/s."""

    up_bps: int
    down_bps: int


class TierProfile(_Frozen):
    """Resolved profile of one tier: rates per target and the service-centre share (townships)."""

    tier: str
    flows: dict[str, FlowRates]
    service_share: float


class ExplicitDemand(_Frozen):
    """A resolved explicit demand; ``where`` is ``file:line:col`` of its definition."""

    name: str
    src: str
    dst: str
    rate_bps: int
    where: str = ""


class Event(_Frozen):
    """A resolved event."""

    name: str
    kind: str
    rate_bps: int
    overhead: float
    mcu_tiers: tuple[str, ...]
    participants: tuple[str, ...]


class DemandModel(_Frozen):
    """Resolved demand model (empty by default; :func:`resolve_demands` fills in the defaults).

    ``masters``: sites whose own traffic leaves active/standby, with the master core's hostname
    (every other site load-shares over its cores).
    """

    source: str | None = None
    profiles: dict[str, TierProfile] = {}
    demands: tuple[ExplicitDemand, ...] = ()
    events: tuple[Event, ...] = ()
    assumptions: tuple[str, ...] = ()
    masters: dict[str, str] = {}


def default_flow(tier: str, target: str) -> FlowRates:
    """Default busy-hour rates of one site of ``tier`` toward ``target`` (an assumption).

    Examples:
        >>> default_flow("township", "province_cloud")
        FlowRates(up_bps=45000, down_bps=180000)
        >>> default_flow("province", "parent")
        FlowRates(up_bps=0, down_bps=0)
    """
    if tier == "province" and target == "parent":
        return FlowRates(up_bps=0, down_bps=0)
    down = round(TERMINALS[tier] * PER_TERMINAL_BPS * CONCURRENCY * SHARES[target])
    return FlowRates(up_bps=round(down * UP_RATIO), down_bps=down)


def conference_event(name: str, rate_bps: int = CONFERENCE_RATE_BPS) -> Event:
    """A province-wide cascaded conference with the default overhead, MCU tiers and participants.

    Examples:
        >>> e = conference_event("x", 8_000_000)
        >>> e.kind, e.rate_bps, e.overhead, e.mcu_tiers, e.participants
        ('cascaded_conference', 8000000, 1.2, ('province', 'city', 'county'), ('county', 'township'))
    """
    return Event(
        name=name,
        kind="cascaded_conference",
        rate_bps=rate_bps,
        overhead=CONFERENCE_OVERHEAD,
        mcu_tiers=CONFERENCE_MCU_TIERS,
        participants=CONFERENCE_PARTICIPANTS,
    )


def _profile(tier: str, spec: ProfileIn | None, assumed: list[str]) -> TierProfile:
    flows: dict[str, FlowRates] = {}
    for target in TARGETS:
        given: FlowIn | None = getattr(spec, target) if spec is not None else None
        if given is None:
            flows[target] = default_flow(tier, target)
            assumed.append(
                f"profile {tier}.{target}: default {flows[target].down_bps} bit/s down, "
                f"{flows[target].up_bps} bit/s up"
            )
        else:
            flows[target] = FlowRates(up_bps=given.up, down_bps=given.down)
    share = spec.service_share if spec is not None else None
    if share is None:
        share = SERVICE_SHARE if tier == "township" else 0.0
        if tier == "township":
            assumed.append(f"profile township.service_share: default {SERVICE_SHARE:.0%}")
    return TierProfile(tier=tier, flows=flows, service_share=share)


def _base_assumptions() -> list[str]:
    return [
        f"office terminal busy-hour demand {PER_TERMINAL_BPS / 1e6:g} Mb/s x concurrency {CONCURRENCY:g} "
        "(DOMAIN.md: 0.2-0.5 Mb/s x 0.3-0.6)",
        "terminals per site: " + ", ".join(f"{t} {n}" for t, n in TERMINALS.items()),
        "split toward targets: "
        + ", ".join(f"{t} {s:.0%}" for t, s in SHARES.items())
        + f"; up = {UP_RATIO:.0%} of down",
    ]


def resolve_demands(spec: DemandsFile | None, src: SourceFile | None = None) -> DemandModel:
    """Resolve the demand file (or its absence) into the model's demands, filling in defaults.

    Args:
        spec: the parsed ``demands.yaml``, or None when the inventory has none.
        src: where ``spec`` came from, to record the location of each explicit demand.

    Examples:
        >>> m = resolve_demands(None)
        >>> sorted(m.profiles), m.events[0].rate_bps, m.source
        (['city', 'county', 'province', 'township'], 4000000, None)
    """
    spec = spec or DemandsFile()
    assumed = _base_assumptions()
    profiles = {t: _profile(t, getattr(spec.profiles, t), assumed) for t in PROFILE_TIERS}
    if spec.events is None:
        events: tuple[Event, ...] = (conference_event("province-video-conference"),)
        assumed.append(
            f"event: province-wide cascaded 1080p conference, {CONFERENCE_RATE_BPS / 1e6:g} Mb/s x "
            f"{CONFERENCE_OVERHEAD:g} per stream, "
            "MCUs at province/city/county, every county and township taking part"
        )
    else:
        events = tuple(
            Event(
                name=e.name,
                kind=e.kind,
                rate_bps=e.rate,
                overhead=e.overhead,
                mcu_tiers=e.mcu_tiers,
                participants=e.participants,
            )
            for e in spec.events
            if e.enabled
        )
    demands: list[ExplicitDemand] = []
    for i, d in enumerate(spec.demands):
        where = _where(src, ("demands", i))
        demands.append(
            ExplicitDemand(name=d.name, src=d.src, dst=d.dst, rate_bps=d.rate, where=where)
        )
        if d.symmetric:
            demands.append(
                ExplicitDemand(
                    name=f"{d.name}/return", src=d.dst, dst=d.src, rate_bps=d.rate, where=where
                )
            )
    masters = {
        site: so.master
        for site, so in spec.sources.items()
        if so.split == "active_standby" and so.master is not None
    }
    return DemandModel(
        source=src.name if src else None,
        profiles=profiles,
        demands=tuple(demands),
        events=events,
        assumptions=tuple(assumed),
        masters=masters,
    )


def _where(src: SourceFile | None, path: tuple[str | int, ...]) -> str:
    if src is None:
        return ""
    line, col = src.where(path)
    return f"{src.name}:{line}:{col}"


def unknown_endpoint(name: str, sites: Collection[str], hosts: Collection[str]) -> str | None:
    """The error message when ``name`` is neither a site nor a device hostname, else None.

    Examples:
        >>> unknown_endpoint("beichen", ["beicheng"], ["lab-core1"])
        "unknown site or device 'beichen'"
        >>> unknown_endpoint("lab-core1", ["lab"], ["lab-core1"]) is None
        True
    """
    if name in sites or name in hosts:
        return None
    return f"unknown site or device '{name}'"


def close_names(name: str, sites: Collection[str], hosts: Collection[str]) -> str:
    """A hint for an unknown endpoint: the closest site and device names, else the known sites.

    Examples:
        >>> close_names("beichen", ["beicheng", "lab"], ["lab-core1"])
        'did you mean: beicheng'
        >>> close_names("zzz", ["lab"], ["lab-core1"])
        'known: lab'
    """
    close = get_close_matches(name, [*sites, *hosts], n=5, cutoff=0.6)
    return "did you mean: " + ", ".join(close) if close else known(sites)


def endpoint_site(name: str, sites: Collection[str], hosts: Collection[str]) -> str | None:
    """The site an endpoint belongs to: a site name itself, or a device's site when ``hosts``
    maps hostnames to objects with a ``site``; None when unknown.

    Examples:
        >>> from types import SimpleNamespace as NS
        >>> endpoint_site("lab", ["lab"], {}), endpoint_site("r1", [], {"r1": NS(site="lab")})
        ('lab', 'lab')
    """
    if name in sites:
        return name
    if isinstance(hosts, Mapping):
        site = getattr(hosts.get(name), "site", None)
        return site if isinstance(site, str) else None
    return None


def same_site(src: str, dst: str, sites: Collection[str], hosts: Collection[str]) -> str | None:
    """The error message when a demand runs from a site to itself, else None.

    A site name stands for the site's endpoints, so a demand from a site to itself (or to one of
    its own devices) would load nothing: it is refused. Two different devices of one site are
    allowed: their traffic crosses the site's own circuits (interconnect, service link).

    Examples:
        >>> same_site("lab", "lab", ["lab"], {})
        "source and destination are the same site 'lab'"
        >>> same_site("lab", "beicheng", ["lab", "beicheng"], {}) is None
        True
    """
    if src == dst:
        return f"source and destination are the same {'site' if src in sites else 'device'} '{src}'"
    if src not in sites and dst not in sites:
        return None
    a, b = endpoint_site(src, sites, hosts), endpoint_site(dst, sites, hosts)
    if a is not None and a == b:
        return f"source and destination are the same site '{a}'"
    return None


def check_references(
    spec: DemandsFile, src: SourceFile, sites: Collection[str], hosts: Collection[str]
) -> list[Diagnostic]:
    """Every explicit demand must name a known site or device at both ends, and two different
    sites."""
    errors: list[Diagnostic] = []
    for i, d in enumerate(spec.demands):
        bad = False
        for end in ("src", "dst"):
            message = unknown_endpoint(getattr(d, end), sites, hosts)
            if message is not None:
                bad = True
                errors.append(src.error(("demands", i, end), message, known(sites)))
        message = None if bad else same_site(d.src, d.dst, sites, hosts)
        if message is not None:
            errors.append(
                src.error(
                    ("demands", i, "dst"),
                    message,
                    "a demand runs between two sites (or two devices of one site)",
                )
            )
    for name, so in spec.sources.items():
        errors += _check_source(name, so, src, sites, hosts)
    return errors


def _check_source(
    name: str, so: SourceIn, src: SourceFile, sites: Collection[str], hosts: Collection[str]
) -> list[Diagnostic]:
    """A ``sources`` entry names a site; active/standby names one of its cores as master."""
    if name not in sites:
        return [src.error(("sources", name), f"unknown site '{name}'", known(sites))]
    cores = [
        h
        for h, dev in (hosts.items() if isinstance(hosts, Mapping) else ())
        if getattr(dev, "site", None) == name
        and str(getattr(getattr(dev, "role", None), "value", "")) in ("core", "cloud_gw")
    ]
    if so.split == "load_share":
        if so.master is not None:
            return [
                src.error(("sources", name, "master"), "a master only goes with active_standby")
            ]
        return []
    if len(cores) < 2:
        return [
            src.error(
                ("sources", name, "split"),
                f"active_standby needs two cores; site '{name}' has {len(cores)}",
            )
        ]
    if so.master not in cores:
        found = "no master" if so.master is None else f"master '{so.master}' is not a core of it"
        return [
            src.error(
                ("sources", name, "master" if so.master is not None else "split"),
                f"active_standby of site '{name}': {found}",
                "cores: " + ", ".join(cores),
            )
        ]
    return []


ParseFn = Callable[
    [FsPath, str, type[DemandsFile]], tuple[DemandsFile | None, SourceFile, list[Diagnostic]]
]


def load_demands(
    root: FsPath, parse: ParseFn, sites: Collection[str], hosts: Collection[str]
) -> DemandModel:
    """Read ``<root>/demands.yaml`` when present (with the loader's ``parse``) and resolve it.

    Raises:
        InventoryError: with every located error of the file.
    """
    path = root / DEMANDS_FILE
    if not path.exists() and not path.is_symlink():  # a FIFO or a device here is an error
        return resolve_demands(None)
    spec, src, errors = parse(path, f"{root}/{DEMANDS_FILE}", DemandsFile)
    if spec is not None:
        errors = errors + check_references(spec, src, sites, hosts)
    if errors or spec is None:
        raise InventoryError(errors)
    return resolve_demands(spec, src)
