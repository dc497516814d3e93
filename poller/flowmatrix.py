"""Site-to-site, per-DSCP demand matrix from flow records (pure).

Each flow aggregate is mapped to sites by longest-prefix match over the model's addresses (device
loopbacks, interface and management addresses, zone site blocks). A flow is counted where it enters
the network: only records exported by a device of the flow's **source site** count; the same flow
reported by routers along its path is transit and is ignored (counted in the result). This is how
NetStream is deployed on an extranet (inbound on the access-facing interfaces of the site's PE); in
the lab each router's exporter sees only the traffic the router itself originates.

Rates are averages over the window. ``rate_bps`` is the IP-layer rate that NetFlow counts;
``frame_rate_bps`` adds the 14-byte Ethernet header per packet, which is what interface octet
counters (SNMP ``ifHCOutOctets`` on Linux) and hence measured circuit loads include.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from poller.flows import FlowRecord, dscp_name
from topology.model import Topology

SCHEMA = "egnet.matrix/1"
ETHERNET_HEADER = 14


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class MatrixDemand(_Frozen):
    """One measured demand: source site → destination site, one DSCP, mean rate over the window."""

    src: str
    dst: str
    dscp: str
    rate_bps: float = Field(ge=0)
    frame_rate_bps: float = Field(ge=0)
    packets: int = Field(ge=0)


class MatrixWindow(_Frozen):
    start: int
    end: int
    seconds: int = Field(gt=0)


class Unmapped(_Frozen):
    """Traffic whose source or destination is in no prefix of the model."""

    records: int = 0
    bytes: int = 0
    addresses: tuple[str, ...] = ()


class TrafficMatrix(_Frozen):
    """A site-to-site demand matrix with the provenance of its numbers (schema ``egnet.matrix/1``)."""

    schema_: str = Field(SCHEMA, alias="schema")
    method: str
    inventory: str
    window: MatrixWindow
    demands: tuple[MatrixDemand, ...]
    transit_records: int = 0
    unknown_exporters: tuple[str, ...] = ()
    unmapped: Unmapped = Unmapped()


class AddressMap:
    """Longest-prefix match from an IPv4 address to the site (and device) that holds it."""

    def __init__(self, topo: Topology) -> None:
        self._by_len: dict[int, dict[int, str]] = defaultdict(dict)
        self.device_of: dict[str, str] = {}
        for dev in topo.devices.values():
            addrs = [dev.loopback, dev.mgmt_address]
            addrs += [i.address for i in dev.interfaces if i.address]
            for text in addrs:
                iface = ipaddress.ip_interface(text)
                self.device_of.setdefault(str(iface.ip), dev.hostname)
                self._add(ipaddress.ip_network(f"{iface.ip}/32"), dev.site)
        for zone in topo.zones.values():
            for block in zone.blocks:
                self._add(ipaddress.ip_network(block.prefix, strict=False), block.site)
        self._lengths = sorted(self._by_len, reverse=True)
        self._site_of_device = {d.hostname: d.site for d in topo.devices.values()}

    def _add(self, net: ipaddress.IPv4Network | ipaddress.IPv6Network, site: str) -> None:
        if net.version == 4:
            self._by_len[net.prefixlen].setdefault(int(net.network_address), site)

    def site(self, address: str) -> str | None:
        """Return the site of ``address`` (longest prefix), or None."""
        ip = ipaddress.ip_address(address)
        if ip.version != 4:
            return None
        value = int(ip)
        for plen in self._lengths:
            key = value & ((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF)
            site = self._by_len[plen].get(key)
            if site is not None:
                return site
        return None

    def exporter_site(self, address: str) -> str | None:
        """Return the site of the device that exported from ``address``, or None."""
        dev = self.device_of.get(address)
        return self._site_of_device[dev] if dev else None


def build_matrix(
    topo: Topology,
    records: Iterable[FlowRecord],
    start: int,
    end: int,
    method: str = "flows",
) -> TrafficMatrix:
    """Aggregate flow records of the window ``[start, end)`` into a site-to-site matrix."""
    if end <= start:
        raise ValueError("empty window")
    amap = AddressMap(topo)
    seconds = end - start
    sums: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0])
    transit = unmapped_records = unmapped_bytes = 0
    unmapped_addrs: set[str] = set()
    unknown_exporters: set[str] = set()
    for rec in records:
        exp_site = amap.exporter_site(rec.exporter)
        if exp_site is None:
            unknown_exporters.add(rec.exporter)
            continue
        src_site, dst_site = amap.site(rec.src), amap.site(rec.dst)
        if src_site is None or dst_site is None:
            unmapped_records += 1
            unmapped_bytes += rec.bytes
            for addr, site in ((rec.src, src_site), (rec.dst, dst_site)):
                if site is None and len(unmapped_addrs) < 20:
                    unmapped_addrs.add(addr)
            continue
        if exp_site != src_site:
            transit += 1
            continue
        if src_site == dst_site:
            continue
        acc = sums[(src_site, dst_site, rec.dscp)]
        acc[0] += rec.bytes
        acc[1] += rec.packets
    demands = tuple(
        MatrixDemand(
            src=s,
            dst=d,
            dscp=dscp_name(dscp),
            rate_bps=nbytes * 8 / seconds,
            frame_rate_bps=(nbytes + ETHERNET_HEADER * packets) * 8 / seconds,
            packets=packets,
        )
        for (s, d, dscp), (nbytes, packets) in sorted(sums.items())
    )
    return TrafficMatrix(
        method=method,
        inventory=topo.name,
        window=MatrixWindow(start=start, end=end, seconds=seconds),
        demands=demands,
        transit_records=transit,
        unknown_exporters=tuple(sorted(unknown_exporters)),
        unmapped=Unmapped(
            records=unmapped_records, bytes=unmapped_bytes, addresses=tuple(sorted(unmapped_addrs))
        ),
    )


def site_totals(matrix: TrafficMatrix) -> dict[tuple[str, str], float]:
    """Sum a matrix over DSCP: ``(src, dst) → rate_bps``.

    Examples:
        >>> m = TrafficMatrix(method="flows", inventory="x",
        ...     window=MatrixWindow(start=0, end=10, seconds=10),
        ...     demands=(MatrixDemand(src="a", dst="b", dscp="ef", rate_bps=1.0,
        ...                           frame_rate_bps=1.0, packets=1),
        ...              MatrixDemand(src="a", dst="b", dscp="be", rate_bps=2.0,
        ...                           frame_rate_bps=2.0, packets=1)))
        >>> site_totals(m)
        {('a', 'b'): 3.0}
    """
    out: dict[tuple[str, str], float] = defaultdict(float)
    for d in matrix.demands:
        out[(d.src, d.dst)] += d.rate_bps
    return dict(out)
