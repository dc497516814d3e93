"""Expand the compact site tree into draft sites, devices and circuits, checking references.

A draft remembers the file and data path it came from, so every later error is located.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from topology.diagnostics import Diagnostic, Path, known
from topology.model import CircuitRole, Role, Tier
from topology.schema import (
    CityIn,
    CloudIn,
    CountyIn,
    EgressIn,
    ExtraCircuitIn,
    FirewallIn,
    NetworkFile,
    ProvinceIn,
    TierIn,
    TownshipIn,
    UplinkIn,
)
from topology.source import SourceFile


@dataclass
class SiteDraft:
    name: str
    label: str
    code: str
    tier: Tier
    kind: str
    parent: str | None
    src: SourceFile
    path: Path
    buildings: tuple[str, ...] = ()
    devices: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    cloud: CloudIn | None = None
    cloud_of: str | None = None
    egress: tuple[EgressIn, ...] = ()
    accepted_risks: tuple[str, ...] = ()
    zones: tuple[str, ...] | None = None  # township's own zone choice (topology/zones.py)
    firewall: FirewallIn | None = None  # the level's egress firewall (topology/egress.py)
    border: FirewallIn | None = None  # a cloud's border firewall (topology/border.py)


@dataclass
class DeviceDraft:
    hostname: str
    site: str
    role: Role
    model: str
    building: str
    src: SourceFile
    path: Path


@dataclass
class CircuitDraft:
    id: str
    role: CircuitRole
    type: str
    carrier: str
    a: str
    b: str
    ducts: tuple[str, ...]
    cost: int | None
    tail: bool
    src: SourceFile
    path: Path
    cost_ab: int | None = None  # per direction, over ``cost``
    cost_ba: int | None = None


@dataclass
class Drafts:
    sites: dict[str, SiteDraft] = field(default_factory=dict)
    devices: dict[str, DeviceDraft] = field(default_factory=dict)
    circuits: dict[str, CircuitDraft] = field(default_factory=dict)
    errors: list[Diagnostic] = field(default_factory=list)


def core_name(site: str, index: int) -> str:
    """Hostname of core ``index`` of ``site``.

    Examples:
        >>> core_name("nanchang", 2)
        'nanchang-core2'
    """
    return f"{site}-core{index}"


def auto_core(code: str, cores: int) -> int:
    """Pick a parent core for a single-homed site by a stable hash of its code (1-based).

    Stable under insertion or removal of siblings, so adding a township never moves another.

    Examples:
        >>> auto_core("360102001", 2) in (1, 2)
        True
    """
    return zlib.crc32(code.encode()) % cores + 1


class Expander:
    """Walks province → cities → counties → townships and builds the drafts."""

    def __init__(self, net: NetworkFile, net_src: SourceFile) -> None:
        self.net = net
        self.net_src = net_src
        self.d = Drafts()
        self.core_count: dict[str, int] = {}
        self.core_names: dict[str, list[str]] = {}
        self.pending: list[tuple[SiteDraft, tuple[ExtraCircuitIn, ...]]] = []

    # -- helpers ---------------------------------------------------------------------------------
    def err(self, src: SourceFile, path: Path, msg: str, hint: str | None = None) -> None:
        self.d.errors.append(src.error(path, msg, hint))

    def _check_ref(
        self, src: SourceFile, path: Path, value: str, table: dict[str, object], what: str
    ) -> bool:
        if value in table:
            return True
        self.err(src, path, f"unknown {what} '{value}'", known(table))
        return False

    def add_site(self, site: SiteDraft) -> bool:
        if site.name in self.d.sites:
            other = self.d.sites[site.name]
            line, _ = other.src.where(other.path)
            self.err(
                site.src,
                (*site.path, "id"),
                f"duplicate site id '{site.name}'",
                f"first used in {other.src.name}:{line}; site ids must be unique",
            )
            return False
        self.d.sites[site.name] = site
        if site.parent:
            self.d.sites[site.parent].children.append(site.name)
        return True

    def add_device(self, dev: DeviceDraft) -> None:
        if dev.hostname in self.d.devices:
            self.err(
                dev.src,
                dev.path,
                f"duplicate hostname '{dev.hostname}'",
                "hostnames must be unique across the network (they derive from site ids)",
            )
            return
        self.d.devices[dev.hostname] = dev
        self.d.sites[dev.site].devices.append(dev.hostname)

    def add_circuit(self, c: CircuitDraft) -> None:
        ok = self._check_ref(
            c.src, (*c.path, "type"), c.type, dict(self.net.circuit_types), "circuit type"
        )
        ok &= self._check_ref(
            c.src, (*c.path, "carrier"), c.carrier, dict(self.net.carriers), "carrier"
        )
        for i, duct in enumerate(c.ducts):
            ok &= self._check_ref(c.src, (*c.path, "ducts", i), duct, dict(self.net.ducts), "duct")
        for end, host in (("a", c.a), ("b", c.b)):
            if host not in self.d.devices:
                self.err(
                    c.src,
                    (*c.path, end),
                    f"unknown device '{host}'",
                    "circuit ends name device hostnames such as '<site>-core1'",
                )
                ok = False
        if c.a == c.b:
            self.err(
                c.src,
                c.path,
                f"circuit '{c.id}' has both ends on device '{c.a}'",
                "a circuit joins two different devices",
            )
            ok = False
        if c.id in self.d.circuits:
            other = self.d.circuits[c.id]
            line, _ = other.src.where(other.path)
            self.err(
                c.src,
                (*c.path, "id") if c.role is CircuitRole.EXTRA else c.path,
                f"duplicate circuit id '{c.id}'",
                f"first used in {other.src.name}:{line}",
            )
            ok = False
        if ok:
            self.d.circuits[c.id] = c

    def _model(self, src: SourceFile, path: Path, model: str | None, role: str) -> str:
        if model is None:
            self.err(src, path, f"no device model for role {role}", "set it in network.yaml tiers")
            return ""
        self._check_ref(src, path, model, dict(self.net.device_models), "device model")
        return model

    # -- cores, uplinks and cloud ------------------------------------------------------------------
    def cored_site(
        self, site: SiteDraft, spec: ProvinceIn | CityIn | CountyIn, tier: TierIn
    ) -> None:
        cores = spec.cores or tier.cores
        site.buildings = tuple(f"{site.name}/{b}" for b in (spec.buildings or tier.buildings))
        src = site.src if spec.core_model else self.net_src
        path = (
            (*site.path, "core_model")
            if spec.core_model
            else ("tiers", site.tier.value, "core_model")
        )
        model = self._model(src, path, spec.core_model or tier.core_model, "core")
        names = self._name_cores(site, spec, cores)
        for i, name in enumerate(names):
            building = site.buildings[i % len(site.buildings)]
            self.add_device(
                DeviceDraft(name, site.name, Role.CORE, model, building, site.src, site.path)
            )
        if cores >= 2 and tier.interconnect:
            pairs = [(i, i + 1) for i in range(1, cores)] + ([(cores, 1)] if cores > 2 else [])
            for n, (i, j) in enumerate(pairs, 1):
                self.add_circuit(
                    CircuitDraft(
                        f"{site.name}-ic{n}",
                        CircuitRole.INTERCONNECT,
                        tier.interconnect,
                        "own",
                        names[i - 1],
                        names[j - 1],
                        (),
                        None,
                        False,
                        self.net_src,
                        ("tiers", site.tier.value, "interconnect"),
                    )
                )
        site.accepted_risks = spec.accepted_risks
        self._egress(site, spec, tier, cores)
        self._firewall(site, spec, tier, names)

    def _firewall(
        self, site: SiteDraft, spec: ProvinceIn | CityIn | CountyIn, tier: TierIn, cores: list[str]
    ) -> None:
        """Add the level's egress firewall ``<site>-fw1`` and its inside links to every core."""
        fw = spec.firewall or tier.firewall
        if fw is None or not site.egress:
            return
        src, path = (
            (site.src, (*site.path, "firewall"))
            if spec.firewall
            else (self.net_src, ("tiers", site.tier.value, "firewall"))
        )
        model = self._model(src, (*path, "model"), fw.model, "firewall")
        host = f"{site.name}-fw1"
        self.add_device(
            DeviceDraft(host, site.name, Role.FIREWALL, model, site.buildings[0], src, path)
        )
        for j, core in enumerate(cores, 1):
            self.add_circuit(
                CircuitDraft(
                    f"{site.name}-fw1c{j}",
                    CircuitRole.FIREWALL,
                    tier.interconnect or "",
                    "own",
                    core,
                    host,
                    (),
                    65535,  # not in the backbone IGP: never a transit path for the planner
                    False,
                    self.net_src,
                    ("tiers", site.tier.value, "interconnect"),
                )
            )
        site.firewall = fw

    def _name_cores(
        self, site: SiteDraft, spec: ProvinceIn | CityIn | CountyIn, cores: int
    ) -> list[str]:
        names = [core_name(site.name, i) for i in range(1, cores + 1)]
        if spec.hostnames is not None:
            if len(spec.hostnames) != cores:
                self.err(
                    site.src,
                    (*site.path, "hostnames"),
                    f"{len(spec.hostnames)} hostname(s) for {cores} core(s)",
                    "give one hostname per core, in core order",
                )
            for i, name in enumerate(spec.hostnames[:cores]):
                names[i] = name
        self.core_names[site.name] = names
        self.core_count[site.name] = cores
        return names

    def _egress(
        self, site: SiteDraft, spec: ProvinceIn | CityIn | CountyIn, tier: TierIn, cores: int
    ) -> None:
        if spec.egress is not None:
            site.egress, esrc, epath = spec.egress, site.src, (*site.path, "egress")
        else:
            site.egress, esrc, epath = (
                tier.egress,
                self.net_src,
                ("tiers", site.tier.value, "egress"),
            )
        for i, eg in enumerate(site.egress):
            path = (*epath, i)
            self._check_ref(
                esrc, (*path, "carrier"), eg.carrier, dict(self.net.carriers), "carrier"
            )
            if eg.core > cores:
                self.err(
                    esrc,
                    (*path, "core"),
                    f"egress on core {eg.core} but site '{site.name}' has {cores} core(s)",
                )

    def uplinks(
        self,
        site: SiteDraft,
        specs: tuple[UplinkIn, ...],
        path: Path,
        src: SourceFile,
        local: str,
        tail: bool,
    ) -> None:
        parent = site.parent
        assert parent is not None
        pcores = self.core_count.get(parent, 0)
        for i, up in enumerate(specs):
            upath = (*path, i)
            remote = auto_core(site.code, pcores) if up.remote == "auto" else up.remote
            if remote > pcores:
                self.err(
                    src,
                    (*upath, "remote"),
                    f"uplink to core {remote} but parent '{parent}' has {pcores} core(s)",
                )
                continue
            lcount = self.core_count.get(site.name, 1)
            if up.local > lcount:
                self.err(
                    src,
                    (*upath, "local"),
                    f"uplink from core {up.local} but site '{site.name}' has {lcount} core(s)",
                    "a single-cored site needs its own 'uplinks' list with local: 1",
                )
                continue
            a = local if local else self.core_names[site.name][up.local - 1]
            self.add_circuit(
                CircuitDraft(
                    up.id or f"{site.name}-up{i + 1}",
                    CircuitRole.UPLINK,
                    up.type,
                    up.carrier,
                    a,
                    self.core_names[parent][remote - 1],
                    up.ducts,
                    up.cost,
                    tail,
                    src,
                    upath,
                    up.cost_ab,
                    up.cost_ba,
                )
            )

    def cloud(self, host: SiteDraft, cloud: CloudIn) -> None:
        tier = self.net.tiers.cloud
        path = (*host.path, "cloud")
        site = SiteDraft(
            cloud.id,
            cloud.label,
            host.code,
            Tier.CLOUD,
            "cloud",
            host.name,
            host.src,
            path,
            buildings=(f"{cloud.id}/dc",),
            cloud=cloud,
            cloud_of=host.name,
        )
        if not self.add_site(site):
            return
        host.cloud = cloud
        for i, zone in enumerate(cloud.zones):
            self._check_ref(host.src, (*path, "zones", i), zone, dict(self.net.zones), "zone")
        for i, app in enumerate(cloud.applications):
            self._check_ref(
                host.src, (*path, "applications", i, "zone"), app.zone, dict(self.net.zones), "zone"
            )
        model = self._model(
            self.net_src, ("tiers", "cloud", "gateway_model"), tier.gateway_model, "cloud_gw"
        )
        gws = cloud.gateways or tier.gateways
        for g in range(1, gws + 1):
            host_name = f"{cloud.id}-gw{g}"
            self.add_device(
                DeviceDraft(
                    host_name, cloud.id, Role.CLOUD_GW, model, site.buildings[0], host.src, path
                )
            )
            for c in range(1, self.core_count.get(host.name, 0) + 1):
                self.add_circuit(
                    CircuitDraft(
                        f"{cloud.id}-g{g}c{c}",
                        CircuitRole.CLOUD,
                        tier.cloud_link or "",
                        "own",
                        host_name,
                        self.core_names[host.name][c - 1],
                        (),
                        None,
                        False,
                        self.net_src,
                        ("tiers", "cloud", "cloud_link"),
                    )
                )
        self._border(site, host, cloud, path)

    def _border(self, site: SiteDraft, host: SiteDraft, cloud: CloudIn, path: Path) -> None:
        """Add a cloud's border firewall ``<cloud>-fw1`` (topology/border.py)."""
        fw = cloud.firewall or self.net.tiers.cloud.firewall
        if fw is None:
            return
        src, where = (
            (host.src, (*path, "firewall"))
            if cloud.firewall
            else (self.net_src, ("tiers", "cloud", "firewall"))
        )
        model = self._model(src, (*where, "model"), fw.model, "firewall")
        self.add_device(
            DeviceDraft(
                f"{cloud.id}-fw1", cloud.id, Role.FIREWALL, model, site.buildings[0], src, where
            )
        )
        site.border = fw

    def extras(self, site: SiteDraft, circuits: tuple[ExtraCircuitIn, ...]) -> None:
        """Queue extra circuits; they may name devices anywhere, so they are added last."""
        if circuits:
            self.pending.append((site, circuits))

    def finish(self) -> Drafts:
        """Add the queued extra circuits and return the drafts."""
        for site, circuits in self.pending:
            self._add_extras(site, circuits)
        return self.d

    def _add_extras(self, site: SiteDraft, circuits: tuple[ExtraCircuitIn, ...]) -> None:
        for i, ex in enumerate(circuits):
            self.add_circuit(
                CircuitDraft(
                    ex.id,
                    CircuitRole.EXTRA,
                    ex.type,
                    ex.carrier,
                    ex.a,
                    ex.b,
                    ex.ducts,
                    ex.cost,
                    False,
                    site.src,
                    (*site.path, "circuits", i),
                    ex.cost_ab,
                    ex.cost_ba,
                )
            )

    # -- the tree ------------------------------------------------------------------------------------
    def province(self, src: SourceFile, p: ProvinceIn) -> None:
        site = SiteDraft(p.id, p.name, p.code, Tier.PROVINCE, "province", None, src, ("province",))
        self.add_site(site)
        self.cored_site(site, p, self.net.tiers.province)
        if p.cloud:
            self.cloud(site, p.cloud)
        self.extras(site, p.circuits)

    def city(self, src: SourceFile, c: CityIn, province: str) -> None:
        site = SiteDraft(c.id, c.name, c.code, Tier.CITY, "city", province, src, ("city",))
        if not self.add_site(site):
            return
        tier = self.net.tiers.city
        self.cored_site(site, c, tier)
        self._site_uplinks(site, c, tier)
        if c.cloud:
            self.cloud(site, c.cloud)
        for i, county in enumerate(c.counties):
            self.county(src, county, site.name, ("city", "counties", i))
        self.extras(site, c.circuits)

    def _site_uplinks(self, site: SiteDraft, spec: CityIn | CountyIn, tier: TierIn) -> None:
        if spec.uplinks is not None:
            self.uplinks(site, spec.uplinks, (*site.path, "uplinks"), site.src, "", False)
        else:
            self.uplinks(
                site, tier.uplinks, ("tiers", site.tier.value, "uplinks"), self.net_src, "", False
            )

    def county(self, src: SourceFile, c: CountyIn, city: str, path: Path) -> None:
        site = SiteDraft(c.id, c.name, c.code, Tier.COUNTY, c.kind, city, src, path)
        if not self.add_site(site):
            return
        tier = self.net.tiers.county
        self.cored_site(site, c, tier)
        self._site_uplinks(site, c, tier)
        for i, t in enumerate(c.townships):
            self.township(src, t, site.name, (*path, "townships", i))
        self.extras(site, c.circuits)

    def township(self, src: SourceFile, t: TownshipIn, county: str, path: Path) -> None:
        site = SiteDraft(
            t.id,
            t.name,
            t.code,
            Tier.TOWNSHIP,
            t.kind,
            county,
            src,
            path,
            buildings=(f"{t.id}/main",),
            zones=t.zones,
        )
        if not self.add_site(site):
            return
        tier = self.net.tiers.township
        ar = f"{t.id}-ar1"
        mpath = (*path, "access_model") if t.access_model else ("tiers", "township", "access_model")
        model = self._model(
            src if t.access_model else self.net_src,
            mpath,
            t.access_model or tier.access_model,
            "access",
        )
        self.add_device(DeviceDraft(ar, t.id, Role.ACCESS, model, site.buildings[0], src, path))
        if t.uplinks is not None:
            self.uplinks(site, t.uplinks, (*path, "uplinks"), src, ar, True)
        else:
            self.uplinks(
                site, tier.uplinks, ("tiers", "township", "uplinks"), self.net_src, ar, True
            )
        if tier.service is not None:
            sw = f"{t.id}-sw1"
            smodel = self._model(
                self.net_src, ("tiers", "township", "service_model"), tier.service_model, "service"
            )
            self.add_device(
                DeviceDraft(sw, t.id, Role.SERVICE, smodel, site.buildings[0], src, path)
            )
            self.add_circuit(
                CircuitDraft(
                    f"{t.id}-sc",
                    CircuitRole.SERVICE,
                    tier.service.type,
                    tier.service.carrier,
                    ar,
                    sw,
                    (),
                    None,
                    True,
                    self.net_src,
                    ("tiers", "township", "service"),
                )
            )
