"""CLI commands for the measured traffic matrix from flows: ``egnet flows collector-config|capture|
ingest|matrix``.

Production: run ``nfacctd`` (Debian ``pmacct``) on the level's NMS with the configuration
``egnet flows collector-config`` prints (a systemd unit or the pmacct service), then ingest its bins
into the poller's store from cron (``egnet flows ingest --dir … --db …``) and build the matrix for a
window (``egnet flows matrix DIR --db … --json -o matrix.json``). The lab: ``egnet flows capture
inventory/lab --db STORE --seconds N`` runs the collector in the lab's NMS namespace and an exporter
in every router namespace for N seconds, then ingests.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from egnet.output import emit_json, info, table
from poller.flowmatrix import build_matrix
from poller.flows import nfacctd_config
from poller.flowstore import bin_range, flow_window, ingest_dir, open_flow_store
from topology import load_topology
from topology.diagnostics import OperationError

DEFAULT_BIN = 60


def cmd_collector_config(args: argparse.Namespace) -> int:
    """Print the nfacctd configuration for the level's collector."""
    try:
        text = nfacctd_config(args.listen, args.port, Path(args.dir).resolve(), args.bin)
    except ValueError as exc:
        raise OperationError(f"collector-config: {exc}") from None
    print(text, end="")
    return 0


def _ingest(db: Path, folder: Path, bin_seconds: int, now: float | None = None) -> None:
    if not folder.is_dir():
        raise OperationError(f"{folder}: not a folder of collector bins")
    con = open_flow_store(db)
    try:
        res = ingest_dir(con, folder, bin_seconds, now)
    finally:
        con.close()
    info(
        f"ingested {res.files} bin files ({res.records} records) into {db}; "
        f"{res.pending} still open"
        + (f"; {res.rejected_lines} bad lines skipped" if res.rejected_lines else "")
        + (
            f"; not ours or unreadable: {', '.join(res.rejected_files)}"
            if res.rejected_files
            else ""
        )
    )


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest finished collector bins into the store."""
    _ingest(Path(args.db), Path(args.dir), args.bin)
    return 0


def cmd_capture(args: argparse.Namespace) -> int:
    """Collect flows from the running lab for N seconds, then ingest them."""
    from lab.flows import COLLECTOR_PORT, Exporter, FlowCapture
    from lab.manager import DEFAULT_ROOT, state_path
    from lab.state import load_state
    from lab.system import require_root

    require_root("flows capture")
    topo = load_topology(Path(args.dir))
    state = load_state(state_path(Path(args.root or DEFAULT_ROOT)))
    if state is None or state.network != topo.name:
        raise OperationError(f"no lab of '{topo.name}' is up\n  hint: egnet lab up {args.dir}")
    nms_ip = state.nms_address.split("/")[0]
    out = Path(args.out).resolve()
    exporters = tuple(
        Exporter(host, rec.namespace, rec.loopback) for host, rec in sorted(state.devices.items())
    )
    with FlowCapture(
        collector_namespace=state.nms_namespace,
        collector_ip=nms_ip,
        collector_config=nfacctd_config(nms_ip, COLLECTOR_PORT, out, args.bin),
        exporters=exporters,
        out_dir=out,
        bin_seconds=args.bin,
        active_timeout=max(1, min(args.bin // 2, 60)),
    ):
        info(f"collecting flows from {len(exporters)} routers for {args.seconds:.0f}s into {out}")
        time.sleep(args.seconds)
    _ingest(Path(args.db), out, args.bin, now=time.time() + 2 * args.bin)
    return 0


def cmd_matrix(args: argparse.Namespace) -> int:
    """Build the site-to-site matrix of a window from the stored flows."""
    topo = load_topology(Path(args.dir))
    con = open_flow_store(Path(args.db))
    try:
        span = bin_range(con)
        if span is None:
            raise OperationError(f"{args.db}: holds no flows\n  hint: egnet flows ingest")
        end = int(args.end) if args.end is not None else span[1] + args.bin
        start = (
            int(args.start)
            if args.start is not None
            else (end - int(args.last) if args.last is not None else span[0])
        )
        if end <= start:
            raise OperationError(f"empty window: start {start} ≥ end {end}")
        matrix = build_matrix(topo, (r for _, r in flow_window(con, start, end)), start, end)
    finally:
        con.close()
    data = matrix.model_dump(mode="json", by_alias=True)
    if args.output:
        Path(args.output).write_text(
            matrix.model_dump_json(by_alias=True, indent=2) + "\n", encoding="utf-8"
        )
        info(f"wrote {args.output}: {len(matrix.demands)} demands over {end - start}s")
    if args.json:
        emit_json(data)
    elif not args.output:
        table(
            f"Measured demands {start}–{end} ({end - start}s, method {matrix.method})",
            ["src", "dst", "dscp", "Mb/s (IP)", "Mb/s (frames)", "packets"],
            (
                (d.src, d.dst, d.dscp, f"{d.rate_bps / 1e6:.3f}", f"{d.frame_rate_bps / 1e6:.3f}",
                 d.packets)
                for d in matrix.demands
            ),
        )  # fmt: skip
        info(
            f"transit records ignored: {matrix.transit_records}; unmapped records: "
            f"{matrix.unmapped.records}; unknown exporters: {len(matrix.unknown_exporters)}"
        )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``egnet flows``."""
    p = sub.add_parser("flows", help="measured traffic matrix from NetFlow/IPFIX (nfacctd)")
    fl = p.add_subparsers(dest="flows_command", required=True, metavar="ACTION")
    q = fl.add_parser("collector-config", help="print the nfacctd configuration of a collector")
    q.add_argument("--listen", required=True, help="address nfacctd listens on")
    q.add_argument("--port", type=int, default=2055, help="UDP port (default 2055)")
    q.add_argument("--dir", required=True, help="folder nfacctd writes its bin files into")
    q.add_argument(
        "--bin", type=int, default=DEFAULT_BIN, help="bin length in seconds (default 60)"
    )
    q.set_defaults(func=cmd_collector_config)
    q = fl.add_parser("ingest", help="read finished collector bins into the store")
    q.add_argument("--dir", required=True, help="folder of the collector's bin files")
    q.add_argument("--db", required=True, help="the poller's SQLite store")
    q.add_argument(
        "--bin", type=int, default=DEFAULT_BIN, help="bin length in seconds (default 60)"
    )
    q.set_defaults(func=cmd_ingest)
    q = fl.add_parser("capture", help="lab: collect flows from every router for N seconds (root)")
    q.add_argument("dir", help="inventory folder of the running lab, e.g. inventory/lab")
    q.add_argument("--db", required=True, help="SQLite store to ingest into")
    q.add_argument("--seconds", type=float, default=60.0, help="how long to collect (default 60)")
    q.add_argument("--bin", type=int, default=10, help="bin length in seconds (default 10)")
    q.add_argument("--out", default="build/flows", help="bin folder (default build/flows)")
    q.add_argument("--root", default=None, help="lab folder (default build/lab)")
    q.set_defaults(func=cmd_capture)
    q = fl.add_parser("matrix", help="site-to-site, per-DSCP demand matrix of a window")
    q.add_argument("dir", help="inventory folder")
    q.add_argument("--db", required=True, help="SQLite store holding the flows")
    q.add_argument("--start", type=float, help="window start, epoch seconds (default: first bin)")
    q.add_argument("--end", type=float, help="window end, epoch seconds (default: after last bin)")
    q.add_argument("--last", type=float, help="window of the last N seconds before --end")
    q.add_argument(
        "--bin", type=int, default=DEFAULT_BIN, help="bin length in seconds (default 60)"
    )
    q.add_argument("--json", action="store_true", help="print the matrix as JSON")
    q.add_argument("-o", "--output", help="write the matrix JSON (schema egnet.matrix/1) here")
    q.set_defaults(func=cmd_matrix)
