"""Flow records from a real NetFlow/IPFIX collector (pmacct's ``nfacctd``): its configuration, its
output files, and the records parsed from them.

egnet does not decode NetFlow itself: ``nfacctd`` (Debian package ``pmacct``) receives the export of
the routers (NetStream/NetFlow v9/IPFIX) and writes one JSON file per time bin with the ``print``
plugin, aggregated by exporter, source and destination address and ToS byte. This module renders that
configuration and reads the files back, treating them as hostile input: bounded size, one JSON object
per line, strict field types, anything else counted and skipped.

Examples:
    >>> rec = parse_line('{"peer_ip_src": "198.19.0.2", "ip_src": "10.0.0.1", '
    ...                  '"ip_dst": "10.0.1.1", "tos": 136, "packets": 10, "bytes": 14280}')
    >>> (rec.exporter, rec.src, rec.dst, rec.dscp, rec.bytes)
    ('198.19.0.2', '10.0.0.1', '10.0.1.1', 34, 14280)
    >>> dscp_name(34), dscp_name(0), dscp_name(46), dscp_name(7)
    ('af41', 'be', 'ef', 'dscp7')
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path

#: nfacctd's print plugin writes one file per bin; the name carries the bin's start (epoch seconds)
FILE_PATTERN = re.compile(r"^flows-(\d{1,12})\.json$")
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_LINE_BYTES = 4096
MAX_COUNTER = 2**64 - 1

# RFC 4594 / RFC 2474 code point names (the standard ones; others print as dscpN)
_DSCP_NAMES = {
    0: "be",
    8: "cs1",
    10: "af11",
    12: "af12",
    14: "af13",
    16: "cs2",
    18: "af21",
    20: "af22",
    22: "af23",
    24: "cs3",
    26: "af31",
    28: "af32",
    30: "af33",
    32: "cs4",
    34: "af41",
    36: "af42",
    38: "af43",
    40: "cs5",
    44: "voice-admit",
    46: "ef",
    48: "cs6",
    56: "cs7",
}


def dscp_name(dscp: int) -> str:
    """Return the standard name of a DSCP value (``be`` for 0, ``dscpN`` when it has none)."""
    return _DSCP_NAMES.get(dscp, f"dscp{dscp}")


class FlowFileError(ValueError):
    """A collector output file or line that is not what nfacctd writes."""


@dataclass(frozen=True, slots=True)
class FlowRecord:
    """Bytes and packets of one (exporter, source, destination, DSCP) aggregate within one bin."""

    exporter: str
    src: str
    dst: str
    dscp: int
    packets: int
    bytes: int


def _address(value: object, field: str) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise FlowFileError(f"{field}: expected an IP address, found {type(value).__name__}")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise FlowFileError(f"{field}: not an IP address: {value[:64]!r}") from None


def _counter(value: object, field: str, limit: int = MAX_COUNTER) -> int:
    if type(value) is not int or not 0 <= value <= limit:
        raise FlowFileError(f"{field}: expected an integer 0..{limit}, found {str(value)[:40]!r}")
    return value


def parse_line(line: str) -> FlowRecord:
    """Parse one JSON line of nfacctd's print plugin (aggregate ``peer_src_ip, src_host, dst_host,
    tos``); raise :class:`FlowFileError` for anything else.

    Examples:
        >>> parse_line('{"peer_ip_src": "1.1.1.1", "ip_src": "x", "ip_dst": "1.1.1.2", '
        ...            '"tos": 0, "packets": 1, "bytes": 1}')
        Traceback (most recent call last):
        poller.flows.FlowFileError: ip_src: not an IP address: 'x'
        >>> parse_line('{"peer_ip_src": "1.1.1.1", "ip_src": "1.1.1.3", "ip_dst": "1.1.1.2", '
        ...            '"tos": 256, "packets": 1, "bytes": 1}')
        Traceback (most recent call last):
        poller.flows.FlowFileError: tos: expected an integer 0..255, found '256'
    """
    if len(line) > MAX_LINE_BYTES:
        raise FlowFileError(f"line of {len(line)} characters (limit {MAX_LINE_BYTES})")
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        raise FlowFileError("not a JSON object") from None
    if not isinstance(obj, dict):
        raise FlowFileError("not a JSON object")
    tos = _counter(obj.get("tos"), "tos", 255)
    return FlowRecord(
        exporter=_address(obj.get("peer_ip_src"), "peer_ip_src"),
        src=_address(obj.get("ip_src"), "ip_src"),
        dst=_address(obj.get("ip_dst"), "ip_dst"),
        dscp=tos >> 2,
        packets=_counter(obj.get("packets"), "packets"),
        bytes=_counter(obj.get("bytes"), "bytes"),
    )


@dataclass(frozen=True, slots=True)
class FlowFile:
    """The records of one bin file, and how many lines were rejected."""

    name: str
    bin_start: int
    records: tuple[FlowRecord, ...]
    rejected: int


def bin_start_of(name: str) -> int | None:
    """Return the bin start encoded in an output file name, or None when it is not one of ours.

    Examples:
        >>> bin_start_of("flows-1764400000.json"), bin_start_of("../etc/passwd")
        (1764400000, None)
    """
    m = FILE_PATTERN.match(name)
    return int(m.group(1)) if m else None


def read_flow_file(path: Path) -> FlowFile:
    """Read one nfacctd bin file (a regular file of at most 64 MiB; bad lines are counted)."""
    start = bin_start_of(path.name)
    if start is None:
        raise FlowFileError(f"{path}: not a collector bin file (flows-<epoch>.json)")
    if not path.is_file() or path.is_symlink():
        raise FlowFileError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FlowFileError(f"{path}: {size} bytes (limit {MAX_FILE_BYTES})")
    records: list[FlowRecord] = []
    rejected = 0
    with path.open("rb") as fh:
        for raw in fh:
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                records.append(parse_line(text))
            except FlowFileError:
                rejected += 1
    return FlowFile(path.name, start, tuple(records), rejected)


def nfacctd_config(listen_ip: str, port: int, out_dir: Path, bin_seconds: int) -> str:
    """Return an ``nfacctd`` configuration: listen on ``listen_ip:port``, one JSON file per bin.

    ``nfacctd_time_new`` bins flows by arrival time at the collector, so a bin holds what the
    exporters reported during it; with the exporters' active timeout shorter than a bin, a long flow
    is spread over the bins it lasted.

    Examples:
        >>> print(nfacctd_config("198.19.0.1", 2055, Path("/x"), 10))  # doctest: +ELLIPSIS
        daemonize: false
        nfacctd_ip: 198.19.0.1
        nfacctd_port: 2055
        nfacctd_time_new: true
        plugins: print[egnet]
        aggregate[egnet]: peer_src_ip, src_host, dst_host, tos
        print_output[egnet]: json
        print_output_file[egnet]: /x/flows-%s.json
        print_refresh_time[egnet]: 10
        print_history[egnet]: 10s
        print_history_roundoff[egnet]: s
        ...
    """
    ipaddress.ip_address(listen_ip)
    if not 1 <= port <= 65535 or not 1 <= bin_seconds <= 3600:
        raise ValueError("port or bin length out of range")
    lines = [
        "daemonize: false",
        f"nfacctd_ip: {listen_ip}",
        f"nfacctd_port: {port}",
        "nfacctd_time_new: true",
        "plugins: print[egnet]",
        "aggregate[egnet]: peer_src_ip, src_host, dst_host, tos",
        "print_output[egnet]: json",
        f"print_output_file[egnet]: {out_dir}/flows-%s.json",
        f"print_refresh_time[egnet]: {bin_seconds}",
        f"print_history[egnet]: {bin_seconds}s",
        "print_history_roundoff[egnet]: s",
        "print_output_file_append[egnet]: true",
    ]
    return "\n".join(lines) + "\n"
