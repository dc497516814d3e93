"""CLI of the NOC poller: ``egnet poll`` and ``egnet serve``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

from egnet.argtypes import DAYS, PORT, SECONDS, http_url, integer, number
from egnet.output import emit_json, info, table
from lab.manager import DEFAULT_ROOT
from poller.alerts import (
    Alert,
    AlertEngine,
    AlertPolicy,
    AlertSink,
    LogSink,
    SyslogSink,
    WebhookSink,
)
from poller.clients import DEFAULT_ENGINE, ENGINES, make_client
from poller.cycle import CycleResult, Poller
from poller.service import Service
from poller.store import Retention, Store, measured_loads
from poller.targets import build_targets, circuit_specs, credentials
from topology import Topology, load_topology
from topology.diagnostics import OperationError
from topology.secrets import Secrets


def _hostport(text: str, default_port: int) -> tuple[str, int]:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    try:
        number = int(port) if port else default_port
    except ValueError:
        number = 0
    if (
        not 1 <= number <= 65535
        or not host
        or any(ch.isspace() or not ch.isprintable() for ch in host)
    ):
        raise OperationError(f"bad address {text[:80]!r}: expected HOST[:PORT] with PORT 1..65535")
    return host, number


def _overrides(
    items: list[str], port: int, devices: Collection[str]
) -> dict[str, tuple[str, int, str]]:
    out = {}
    for item in items:
        dev, sep, rest = item.partition("=")
        if not sep:
            raise OperationError(f"bad --target '{item}': expected DEVICE=HOST[:PORT][/CONTEXT]")
        if dev not in devices:
            raise OperationError(f"--target {item[:80]!r}: no device {dev[:60]!r} in the inventory")
        addr, _, context = rest.partition("/")
        out[dev] = (*_hostport(addr, port), context)
    return out


def _mbps(v: float | None) -> str:
    return "-" if v is None else f"{v / 1e6:.2f}"


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}"


def _print(result: CycleResult, alerts: list[Alert], as_json: bool) -> None:
    if as_json:
        data: dict[str, Any] = result.model_dump(mode="json")
        data["alerts"] = [a.model_dump(mode="json") for a in alerts]
        emit_json(data)
        return
    rows = [
        (
            c.circuit,
            c.state.value,
            f"{c.capacity_bps / 1000000.0:g}",
            _mbps(c.ab_bps),
            _mbps(c.ba_bps),
            _pct(c.util_ab),
            _pct(c.util_ba),
            "-" if c.errors_ps is None else f"{c.errors_ps:.2f}",
            c.note,
        )
        for c in result.circuits
    ]
    cols = ["circuit", "state", "contract Mb/s", "a→b Mb/s", "b→a Mb/s", "a→b %", "b→a %"]
    table(
        time.strftime("Circuits at %H:%M:%S", time.localtime(result.at)),
        [*cols, "err/s", "note"],
        rows,
    )
    down = [d for d in result.devices if not d.reachable]
    info(f"{len(result.devices) - len(down)}/{len(result.devices)} devices answered, "
         f"{result.interface_rows()} interface rows in {result.seconds:.2f} s")  # fmt: skip
    for d in down:
        info(f"  unreachable: {d.device}: {d.error}")
    for a in alerts:
        info(f"alert {a.action} [{a.severity}] {a.message}")


def _sinks(args: argparse.Namespace, topo: Topology) -> list[AlertSink]:
    sinks: list[AlertSink] = [LogSink()]
    if args.alertmanager:
        from poller.alertmanager import AlertmanagerSink, alert_labels

        try:
            sinks.append(AlertmanagerSink(args.alertmanager, alert_labels(topo)))
        except ValueError as exc:
            raise OperationError(str(exc)) from None
    if args.webhook:
        sinks.append(WebhookSink(args.webhook))
    if args.syslog:
        sinks.append(SyslogSink(*_hostport(args.syslog, 514)))
    return sinks


async def _poll(args: argparse.Namespace) -> int:
    topo = load_topology(args.dir)
    cred = credentials(topo.management, Secrets(), args.snmp_version)
    unknown = [d for d in args.device if d not in topo.devices]
    if unknown:
        raise OperationError(f"--device {unknown[0][:60]!r}: no such device in the inventory")
    overrides = _overrides(args.target, args.port, topo.devices)
    targets = build_targets(topo, cred, args.port, overrides, args.device or None)
    client = make_client(args.engine, args.timeout, args.retries, args.deadline)
    policy = AlertPolicy(warn=topo.policy.warn_utilisation, fail=topo.policy.fail_utilisation,
                         window=args.alert_window)  # fmt: skip
    store = Store(args.db, Retention(args.raw_days, args.rollup_days)) if args.db else None
    polled = {t.device for t in targets}
    specs = [c for c in circuit_specs(topo) if {c.a_device, c.b_device} & polled]
    service = Service(
        poller=Poller(client, targets, specs, concurrency=args.concurrency),
        store=store,
        alerts=AlertEngine(policy),
        sinks=_sinks(args, topo),
        on_result=None if args.once else (lambda r, a: _print(r, a, args.json)),
    )
    try:
        if args.once:
            await service.once()
            await asyncio.sleep(args.gap)
            result, alerts = await service.once()
            _print(result, alerts, args.json)
        else:
            await service.run(args.interval, args.cycles)
    finally:
        client.close()
        if store is not None:
            store.close()
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    """Poll every device of the inventory (``--once``: two readings ``--gap`` s apart, print)."""
    _enter_netns(args)
    return asyncio.run(_poll(args))


def _enter_netns(args: argparse.Namespace) -> None:
    """Move this process into the management namespace when one applies (``--netns``).

    The lab's routers are reachable only from its NMS namespace; :func:`lab.netns.enter_netns`
    moves the main thread there before any socket or thread exists (the poller itself never
    knows about namespaces).
    """
    from lab.manager import resolve_netns
    from lab.netns import enter_netns

    topo = load_topology(args.dir)
    ns = resolve_netns(args.netns, topo, list(args.device or topo.devices), Path(args.lab_root))
    if ns is None:
        return
    if os.geteuid() != 0:
        raise OperationError(f"polling from namespace {ns} needs root (or pass --netns none)")
    info(f"polling from network namespace {ns}")
    try:
        enter_netns(ns)
    except OSError as exc:
        raise OperationError(f"cannot enter network namespace {ns}: {exc}") from None


def cmd_loads(args: argparse.Namespace) -> int:
    """Print the measured load per circuit and direction (what the planner reads)."""
    loads = measured_loads(args.db, days=args.days, method=args.method)
    if args.json:
        emit_json({c: {"ab_bps": ab, "ba_bps": ba} for c, (ab, ba) in sorted(loads.items())})
    else:
        rows = [(c, _mbps(ab), _mbps(ba)) for c, (ab, ba) in sorted(loads.items())]
        table(
            f"Measured load ({args.method}, last {args.days:g} days)",
            ["circuit", "a→b Mb/s", "b→a Mb/s"],
            rows,
        )
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Fill a poller database with plausible data (a demo of the NOC page without the lab)."""
    from poller.simulate import simulate

    topo = load_topology(args.dir)
    store = Store(args.db)
    try:
        end = time.time() if args.end is None else args.end
        got = simulate(topo, store, end, args.hours, args.step, args.seed, args.alert_window)
    except ValueError as exc:
        raise OperationError(str(exc)) from None
    finally:
        store.close()
    info(f"{args.db}: {got.cycles} cycles, {got.samples} samples, {got.alerts} alerts raised; "
         f"circuit {got.down_circuit} down and device {got.dead_device} silent at the end")  # fmt: skip
    return 0


def cmd_am_config(args: argparse.Namespace) -> int:
    """Print (or write) an alertmanager.yml with inhibit rules generated from the topology."""
    import yaml

    from poller.alertmanager import alertmanager_config

    topo = load_topology(args.dir)
    text = yaml.safe_dump(alertmanager_config(topo, args.webhook), sort_keys=False, width=100)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        info(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_maintenance(args: argparse.Namespace) -> int:
    """Silence a site (and everything below it) or circuits in Alertmanager for a window."""
    from poller.alertmanager import silence

    topo = load_topology(args.dir)
    start = time.time() if args.start is None else args.start
    try:
        sid = silence(args.alertmanager, topo, start, start + args.hours * 3600, args.comment,
                      site=args.site, circuits=args.circuit)  # fmt: skip
    except ValueError as exc:
        raise OperationError(str(exc)) from None
    except OSError as exc:
        raise OperationError(f"alertmanager {args.alertmanager}: {exc}") from None
    info(
        f"silence {sid} until {time.strftime('%Y-%m-%d %H:%M', time.localtime(start + args.hours * 3600))}"
    )
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    """Print (or write) Prometheus recording/alerting rules from the inventory's thresholds."""
    import yaml

    from poller.promrules import prometheus_rules

    topo = load_topology(args.dir)
    text = yaml.safe_dump(prometheus_rules(topo, args.interval, args.window), sort_keys=False,
                          allow_unicode=True, width=100)  # fmt: skip
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        info(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _check_db_file(db: Path) -> None:
    """A poller database that exists must be a regular SQLite file (serve only reads it)."""
    if not db.exists():
        return
    if not db.is_file():
        raise OperationError(f"{db}: not a regular file (the poller database is an SQLite file)")
    with db.open("rb") as fh:
        head = fh.read(16)
    if head and head != b"SQLite format 3\x00":
        raise OperationError(f"{db}: not an SQLite database")


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the NOC page, its JSON API and /metrics."""
    from poller.web import ServerLimits, is_loopback, load_auth, serve

    if args.auth == "none" and not is_loopback(args.host):
        raise OperationError(f"--host {args.host} is not a loopback address: pass --auth token "
                             "(secret noc_token) or --auth basic (secrets noc_user, noc_password)")  # fmt: skip
    if args.alertmanager:
        from poller.alertmanager import check_url

        try:
            check_url(args.alertmanager)
        except ValueError as exc:
            raise OperationError(str(exc)) from None
    _check_db_file(Path(args.db))
    topo = load_topology(args.dir)
    auth = load_auth(args.auth, Secrets())
    limits = ServerLimits(threads=args.threads, connections=args.max_connections,
                          timeout=args.conn_timeout)  # fmt: skip
    serve(topo, args.db, args.host, args.port, refresh=args.refresh, auth=auth, limits=limits,
          alertmanager=args.alertmanager)  # fmt: skip
    return 0


def _positive(text: str) -> int:
    """An integer from 1 to 100,000 (argparse type)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text[:40]!r}") from None
    if not 1 <= n <= 100_000:
        raise argparse.ArgumentTypeError(f"must be 1..100000, got {n}")
    return n


def _poll_output_args(p: argparse.ArgumentParser) -> None:
    """Alerting and storage options of ``poll``."""
    p.add_argument(
        "--alert-window",
        type=SECONDS,
        default=300.0,
        help="seconds a utilisation/error condition must hold",
    )
    p.add_argument("--webhook", type=http_url, help="POST alert events as JSON to this URL")
    p.add_argument("--alertmanager", metavar="URL",
                   help="send alerts to this Prometheus Alertmanager (v2 API)")  # fmt: skip
    p.add_argument("--syslog", metavar="HOST[:PORT]", help="send alert events to syslog over UDP")
    p.add_argument("--raw-days", type=DAYS, default=14.0, help="keep raw samples this long")
    p.add_argument(
        "--rollup-days", type=DAYS, default=190.0, help="keep 5-minute roll-ups this long"
    )


def _register_poll(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("poll", help="poll circuits over SNMP (v3 authPriv by default)")
    p.add_argument("dir")
    p.add_argument(
        "--once", action="store_true", help="take two readings --gap s apart, print, exit"
    )
    p.add_argument(
        "--gap", type=number(0, 3600), default=10.0, help="seconds between the --once readings"
    )
    p.add_argument("--interval", type=SECONDS, default=60.0, help="seconds between cycles")
    p.add_argument(
        "--cycles", type=integer(1, 10**9), default=None, help="stop after this many cycles"
    )
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.add_argument("--db", help="SQLite database to store samples, roll-ups and alerts")
    p.add_argument("--snmp-version", choices=["3", "2c"], default="3")
    p.add_argument("--engine", choices=sorted(ENGINES), default=DEFAULT_ENGINE,
                   help="SNMP implementation: fast (own BER/USM codec, checks every reply field)")  # fmt: skip
    p.add_argument("--port", type=PORT, default=161, help="agent UDP port")
    p.add_argument("--target", action="append", default=[], metavar="DEVICE=HOST[:PORT][/CONTEXT]",
                   help="reach DEVICE's agent (and SNMPv3 context) here, not at its mgmt address")  # fmt: skip
    p.add_argument(
        "--device", action="append", default=[], help="poll only this device (repeatable)"
    )
    p.add_argument(
        "--concurrency", type=integer(1, 100_000), default=200, help="devices in flight at once"
    )
    p.add_argument(
        "--timeout", type=number(0, 300, above=True), default=2.0, help="seconds per request"
    )
    p.add_argument("--retries", type=integer(0, 10), default=1, help="retransmissions per request")
    p.add_argument(
        "--deadline",
        type=number(0, 3600, above=True),
        default=20.0,
        help="seconds per device, all requests",
    )
    p.add_argument("--netns", default="auto",
                   help="namespace to poll from: auto (the lab's NMS when the lab of this "
                   "inventory is up), none, or a name")  # fmt: skip
    p.add_argument("--lab-root", default=str(DEFAULT_ROOT), help="lab folder for --netns auto")
    _poll_output_args(p)
    p.set_defaults(func=cmd_poll)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``poll``, ``poll-loads``, ``simulate``, ``prometheus-rules`` and ``serve``."""
    _register_poll(sub)

    p = sub.add_parser("poll-loads", help="measured load per circuit from the poller database")
    p.add_argument("db")
    p.add_argument("--days", type=DAYS, default=30.0, help="look-back window")
    p.add_argument("--method", choices=["busy_hour", "p95"], default="busy_hour")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_loads)

    p = sub.add_parser("simulate", help="fill a poller database with plausible data for a demo")
    p.add_argument("dir", help="inventory folder")
    p.add_argument("--db", default="build/poller.db", help="the poller's SQLite database")
    p.add_argument("--hours", type=float, default=24.0, help="how much history, ending now")
    p.add_argument("--step", type=float, default=300.0, help="seconds between simulated cycles")
    p.add_argument("--seed", type=int, default=1,
                   help="random seed (same seed and --end, same data)")  # fmt: skip
    p.add_argument(
        "--end", type=float, default=None, help="Unix time the history ends (default: now)"
    )
    p.add_argument("--alert-window", type=SECONDS, default=300.0,
                   help="seconds a utilisation condition must hold")  # fmt: skip
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("alertmanager-config",
                       help="alertmanager.yml with inhibit rules generated from the topology")  # fmt: skip
    p.add_argument("dir", help="inventory folder")
    p.add_argument(
        "--webhook",
        type=http_url,
        help="a receiver webhook URL (default: none, Alertmanager only shows)",
    )
    p.add_argument("-o", "--output", help="write the file here instead of stdout")
    p.set_defaults(func=cmd_am_config)

    p = sub.add_parser(
        "maintenance", help="a maintenance window: silence a site or circuits in Alertmanager"
    )
    p.add_argument("dir", help="inventory folder")
    p.add_argument("--alertmanager", required=True, metavar="URL")
    p.add_argument("--site", help="silence this site and every site below it")
    p.add_argument(
        "--circuit", action="append", default=[], help="silence this circuit (repeatable)"
    )
    p.add_argument(
        "--hours", type=number(0, 24 * 366, above=True), default=2.0, help="length of the window"
    )
    p.add_argument("--start", type=float, default=None, help="Unix time it starts (default: now)")
    p.add_argument("--comment", default="maintenance", help="why (shown in Alertmanager)")
    p.set_defaults(func=cmd_maintenance)

    p = sub.add_parser("prometheus-rules",
                       help="Prometheus recording/alerting rules from the inventory's thresholds")  # fmt: skip
    p.add_argument("dir", help="inventory folder")
    p.add_argument("--interval", type=SECONDS, default=60.0, help="poll interval, seconds")
    p.add_argument("--window", type=SECONDS, default=300.0,
                   help="seconds a utilisation condition must hold")  # fmt: skip
    p.add_argument("-o", "--output", help="write the rule file here instead of stdout")
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser("serve", help="serve the NOC page (map, history, alerts) and /metrics")
    p.add_argument("dir")
    p.add_argument("--db", default="build/poller.db", help="the poller's SQLite database")
    p.add_argument("--port", type=integer(0, 65_535), default=8080, help="0: any free port")
    p.add_argument("--host", default="127.0.0.1",
                   help="bind address; anything but loopback needs --auth")  # fmt: skip
    p.add_argument("--refresh", type=SECONDS, default=30.0, help="page auto-refresh, seconds")
    p.add_argument("--auth", choices=["none", "token", "basic"], default="none",
                   help="require a bearer token (secret noc_token) or basic auth (secrets "
                   "noc_user, noc_password)")  # fmt: skip
    p.add_argument("--threads", type=_positive, default=8, help="request worker threads")
    p.add_argument(
        "--alertmanager", metavar="URL", help="show this Alertmanager's state on the page"
    )
    p.add_argument("--max-connections", type=_positive, default=500,
                   help="open connections at most (idle and half-sent ones included)")  # fmt: skip
    p.add_argument("--conn-timeout", type=_positive, default=30,
                   help="seconds before an idle connection is closed")  # fmt: skip
    p.set_defaults(func=cmd_serve)
