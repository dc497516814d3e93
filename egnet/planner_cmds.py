"""CLI of the planner: ``egnet check`` (redundancy audit) and ``egnet plan`` (capacity plan)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from egnet.inventory_cmds import load_warning
from egnet.output import console, emit_json, info, table
from planner import html as html_report
from planner.engine import Failure
from planner.estimate import check_matrix, estimate, estimate_result, site_demands
from planner.explain import explain, parse_target, user_scenario
from planner.measured import measured_data
from planner.model import PlanModel, build_model, parse_upgrades
from planner.perclass import per_class
from planner.redundancy import audit
from planner.report import check_data, plan_result
from planner.result import (
    MATRIX_SCHEMA,
    PLAN_SCHEMA,
    Comparison,
    Explanation,
    GrowthInfo,
    Measured,
    PerClass,
    PlanResult,
    PolicyInfo,
    RunInfo,
    TrafficMatrix,
)
from planner.scenarios import combine, double_count, single_failures
from planner.sweep import Sweep, merge, run, run_doubles
from planner.whatif import compare, growth_outlook, parse_growth
from planner.whatif_extras import apply_extras, extras_data, parse_extras
from topology import load_topology
from topology.diagnostics import OperationError
from topology.source import InputFileError, read_bytes


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``check`` and ``plan``."""
    p = sub.add_parser("check", help="redundancy audit (等保 2.0 §8.1.2.1); exit 1 on violations")
    p.add_argument("dir", help="inventory folder")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser(
        "plan", help="route the demands, sweep failures, what-if; exit 1 on overload"
    )
    p.add_argument("dir", help="inventory folder")
    p.add_argument(
        "--failures",
        choices=("none", "n-1", "double"),
        default="none",
        help="n-1: every circuit, device, site, carrier, building, duct; "
        "double: n-1 plus every pair of backbone circuits",
    )
    p.add_argument(
        "--fail",
        action="append",
        default=[],
        metavar="KIND:NAME",
        help="a user scenario element (repeatable; all fail together)",
    )
    p.add_argument(
        "--growth",
        action="append",
        default=[],
        metavar="tier=TIER:PCT",
        help="demand growth per year, e.g. tier=county:15%% (repeatable)",
    )
    p.add_argument("--years", type=int, default=5, help="growth horizon in years (default 5)")
    p.add_argument(
        "--upgrade",
        action="append",
        default=[],
        metavar="SPEC",
        help="tier=township:50M or circuit:ID=1G (repeatable)",
    )
    p.add_argument(
        "--demand",
        action="append",
        default=[],
        metavar="NAME:SRC>DST=RATE",
        help="what-if: an extra one-way demand between two sites or device hostnames, "
        "e.g. backup:lab>beicheng=50M (repeatable; the inventory is not changed)",
    )
    p.add_argument(
        "--event",
        action="append",
        default=[],
        metavar="conference[:RATE]",
        help="what-if: an extra province-wide cascaded conference, RATE per stream "
        "(default 4M) x 1.2 overhead (repeatable)",
    )
    p.add_argument(
        "--no-events",
        action="store_true",
        help="what-if: drop the inventory's events (demands.yaml); --event ones still apply",
    )
    p.add_argument(
        "--measured",
        metavar="DB",
        help="the poller's SQLite store: report measured loads (last --measured-days) next to "
        "the modelled baseline, the directions where measured exceeds the model, and a worst "
        "case estimate (measured + the load failures move there per the model); the model "
        "itself is unchanged; exit 1 also when a measured load exceeds the fail threshold",
    )
    p.add_argument(
        "--measured-method",
        choices=("busy_hour", "p95"),
        default="busy_hour",
        help="busy_hour: highest clock-hour mean (default, the planning basis); "
        "p95: 95th percentile of 5-minute means",
    )
    p.add_argument(
        "--measured-days", type=float, default=30.0, help="look-back window (default 30)"
    )
    p.add_argument(
        "--demands-from",
        metavar="MATRIX.json",
        help="plan on a site-to-site traffic matrix (egnet.matrix/1: measured from flows or "
        "written by `egnet estimate --matrix`) instead of the demand model's rates; each pair "
        "keeps the model's endpoints and class, a pair the model lacks is an explicit demand",
    )
    p.add_argument(
        "--matrix-rate",
        choices=("ip", "frame"),
        default="ip",
        help="which rate of the --demands-from matrix to plan on: ip (rate_bps, IP packets, as "
        "usable capacities count; default) or frame (frame_rate_bps: + 14 B Ethernet header per "
        "packet, as interface octet counters and so measured loads count)",
    )
    p.add_argument(
        "--explain",
        action="append",
        default=[],
        metavar="CIRCUIT[:FROM]",
        help="list the demands making up a direction's load, by class and kind, under the "
        "--fail scenario if given (FROM: the sending device, or ab/ba; both without it; "
        "repeatable)",
    )
    p.add_argument(
        "--per-class",
        action="store_true",
        help="check each queued class (AF41 video: the conferences; EF voice) against its "
        "queue share of the shaped rate under every scenario swept; exit 1 when one exceeds "
        "the fail threshold",
    )
    p.add_argument(
        "--top", type=int, default=10, metavar="N", help="rows of each table (default 10)"
    )
    p.add_argument(
        "--format",
        choices=("table", "csv", "tsv"),
        default="table",
        help="tables on stdout as rich tables (default) or CSV/TSV (each headed by a '# title' "
        "line; the summary lines go to stderr)",
    )
    p.add_argument("--compare", metavar="PLAN.json", help="compare with a saved plan")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="write the plan as JSON to FILE (stdout without FILE)",
    )
    p.set_defaults(func=cmd_plan)
    _register_estimate(sub)


def _register_estimate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "estimate",
        help="estimate the site-to-site traffic matrix from the poller's measured loads "
        "(tomogravity on the planner's routing)",
    )
    p.add_argument("dir", help="inventory folder")
    p.add_argument("--db", required=True, metavar="STORE", help="the poller's SQLite store")
    p.add_argument(
        "--window",
        type=float,
        default=30.0,
        metavar="DAYS",
        help="look-back window in days (default 30)",
    )
    p.add_argument(
        "--method",
        choices=("busy_hour", "p95"),
        default="busy_hour",
        help="per direction: busy_hour (highest clock-hour mean, default) or p95",
    )
    p.add_argument(
        "--flows",
        metavar="MATRIX.json",
        help="site pairs measured from flows (egnet.matrix/1): fixed in the estimate",
    )
    p.add_argument(
        "--matrix", metavar="FILE", help="write the estimated matrix (egnet.matrix/1) to FILE"
    )
    p.add_argument(
        "--write-demands",
        metavar="FILE",
        help="also calibrate the demand model (profile rates, conference stream rate) to the "
        "measured loads and write it as a demands.yaml with the fit stated in its header",
    )
    p.add_argument("--top", type=int, default=10, help="residual rows shown (default 10)")
    p.add_argument(
        "--json", nargs="?", const="-", metavar="FILE", help="write the estimate as JSON"
    )
    p.set_defaults(func=cmd_estimate)


def cmd_check(args: argparse.Namespace) -> int:
    """Run the redundancy audit."""
    topo = load_topology(args.dir)
    report = audit(topo)
    if args.json:
        emit_json(check_data(topo.name, report))
    else:
        rows = [
            (
                f.severity,
                f.rule,
                f.site,
                f.message,
                ", ".join(f.elements[:4]) + (" …" if len(f.elements) > 4 else ""),
            )
            for f in report.findings
        ]
        table(
            f"Redundancy audit of {topo.name} ({report.findings[0].clause if rows else ''})",
            ["severity", "rule", "site", "finding", "elements"],
            rows,
        )
        t = report.townships
        info(
            f"accepted risk: {int(t['single_homed'])} of {int(t['townships'])} townships "
            f"single-homed, {t['exposed_bps'] / 1e6:.1f} Mb/s busy-hour traffic exposed"
        )
        info(
            f"backbone: {len(report.articulation_points)} articulation points, "
            f"{len(report.bridges)} bridges; {len(report.violations)} violation(s)"
        )
    return 1 if report.violations else 0


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr when it is a terminal; otherwise nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    from egnet.output import errconsole

    with Progress(console=errconsole, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


def _sweep(pm: PlanModel, mode: str, user: list[str]) -> Sweep | None:
    result: Sweep | None = None
    if mode in ("n-1", "double"):
        scenarios = single_failures(pm)
        with _progress(len(scenarios), "N-1") as cb:
            result = run(pm, scenarios, cb)
    if mode == "double":
        with _progress(double_count(pm), "double failures") as cb:
            doubles = run_doubles(pm, cb)
        result = doubles if result is None else merge(result, doubles)
    if user:
        mine = run(pm, [combine(pm, user)])
        result = mine if result is None else merge(result, mine)
    return result


def cmd_plan(args: argparse.Namespace) -> int:
    """Build the model, sweep failures, apply what-if, write reports."""
    t0 = time.perf_counter()
    topo = load_warning(args.dir)  # warns when the IPAM lock is out of date
    extras = parse_extras(args.demand, args.event, args.no_events, topo.sites, topo.devices)
    model = apply_extras(topo.demands, extras)
    growth = parse_growth(args.growth, args.years) if args.growth else None
    before = _read(args.compare) if args.compare else None
    upgrades = parse_upgrades(topo, args.upgrade)
    pm = build_model(topo, model, upgrades)
    if args.matrix_rate != "ip" and not args.demands_from:
        raise OperationError("--matrix-rate: only with --demands-from MATRIX.json")
    if args.demands_from:
        matrix = check_matrix(
            _read_matrix(args.demands_from), pm, args.demands_from, rate=args.matrix_rate
        )
        assumed = (
            f"demands: the site-to-site matrix {args.demands_from} ({len(matrix)} pairs, "
            f"{sum(matrix.values()) / 1e9:.3f} Gb/s, {args.matrix_rate} rates); the profiles "
            "below only split a pair over its endpoints",
        )
        model = model.model_copy(update={"assumptions": assumed + model.assumptions})
        pm = build_model(topo, model, upgrades, site_demands=site_demands(pm, matrix))
    if not 0 <= args.top <= 100_000:
        raise OperationError(f"--top {args.top}: expected 0 to 100000")
    targets = [parse_target(pm, spec) for spec in args.explain]
    user = combine(pm, args.fail) if args.fail else None
    sweep = _sweep(pm, args.failures, args.fail)
    outlook = growth_outlook(pm, sweep, growth) if growth is not None else None
    run = RunInfo(
        failures=args.failures,
        user_failures=tuple(args.fail),
        upgrades=dict(pm.upgrades),
        growth=GrowthInfo(rates=dict(growth.rates), years=growth.years) if growth else None,
        whatif=extras_data(topo.demands, extras),
        seconds=round(time.perf_counter() - t0, 3),
        demands_from=args.demands_from,
    )
    plan = plan_result(pm, sweep, run, outlook)
    extra: dict[str, Any] = {}
    if args.measured:
        extra["measured"] = _measured(pm, sweep, args)
    if before is not None:
        extra["comparison"] = compare(before, plan, args.compare)
    if user is not None:
        extra["user_scenario"] = user_scenario(pm, user.name, user.failure)
    if args.per_class:
        extra["per_class"] = per_class(
            pm,
            single_failures(pm) if args.failures in ("n-1", "double") else [],
            args.failures == "double",
            user,
        )
    if targets:
        failure, name = (user.failure, user.name) if user is not None else (Failure(), "baseline")
        extra["explain"] = tuple(
            e for arcs in targets for e in explain(pm, arcs, failure, name, args.top)
        )
    if extra:
        plan = plan.model_copy(update=extra)
    if args.html:
        _write(args.html, html_report.render(plan))
    if args.json == "-":
        emit_json(plan.to_json_data())
    else:
        if args.json:
            _write(args.json, json.dumps(plan.to_json_data(), indent=1, ensure_ascii=False))
        _print_plan(plan, args.top, args.format)
    failing = (
        plan.summary.fail
        or (plan.measured.fail if plan.measured else 0)
        or (plan.per_class.fail if plan.per_class else 0)
    )
    return 1 if failing or plan.baseline_unrouted.bps > 0 else 0


def _measured(pm: PlanModel, sweep: Sweep | None, args: argparse.Namespace) -> Measured:
    """Read the poller's store here (the composition root) and hand plain data to the planner."""
    from poller.store import measured_loads

    loads = measured_loads(args.measured, days=args.measured_days, method=args.measured_method)
    return measured_data(
        pm, sweep, loads, (args.measured, args.measured_method, float(args.measured_days))
    )


MAX_PLAN_BYTES = 256 * 1024 * 1024  # a province's plan with every listed scenario: ~10 MB


def _read(path: str) -> PlanResult:
    """A saved plan (``--compare``), validated against the result types."""
    text = _read_text(path)
    try:
        head = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise OperationError(f"{path}: not JSON: {str(exc)[:200]}") from None
    if not isinstance(head, dict) or head.get("schema") != PLAN_SCHEMA:
        raise OperationError(f"{path}: not an egnet plan (schema {PLAN_SCHEMA})")
    try:
        return PlanResult.model_validate(head, strict=False)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise OperationError(
            f"{path}: {where}: {err['msg']} ({exc.error_count()} error(s))"
        ) from None


def _read_matrix(path: str) -> TrafficMatrix:
    """A traffic matrix file (``egnet.matrix/1``), validated."""
    text = _read_text(path)
    try:
        return TrafficMatrix.model_validate_json(text)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise OperationError(
            f"{path}: {where}: {err['msg']} ({exc.error_count()} error(s); "
            f"expected {MATRIX_SCHEMA}, as `egnet flows matrix` or `egnet estimate --matrix` "
            "write it)"
        ) from None


def _read_text(path: str) -> str:
    """A regular file of bounded size (never blocks on a FIFO or reads a device forever)."""
    try:
        return read_bytes(Path(path), MAX_PLAN_BYTES).decode("utf-8")
    except (InputFileError, UnicodeDecodeError) as exc:
        raise OperationError(f"cannot read {path}: {str(exc)[:200]}") from None


def cmd_estimate(args: argparse.Namespace) -> int:
    """Estimate the traffic matrix from the poller's store (tomogravity)."""
    from poller.store import measured_loads

    if not 0 < args.window <= 3650:
        raise OperationError(f"--window {args.window:g}: expected days in (0, 3650]")
    topo = load_topology(args.dir)
    pm = build_model(topo)
    flows = (
        check_matrix(_read_matrix(args.flows), pm, args.flows, rate="frame") if args.flows else None
    )
    loads = measured_loads(args.db, days=args.window, method=args.method)
    if not any(cid in pm.circuit_index for cid in loads):
        raise OperationError(
            f"{args.db}: no measurements of {topo.name}'s circuits in the last {args.window:g} days"
        )
    est = estimate(pm, loads, flows)
    now = int(time.time())
    span = (now - int(args.window * 86400), now)
    result = estimate_result(pm, est, (args.db, args.method, args.window), args.flows, span)
    if args.matrix:
        _write(args.matrix, json.dumps(result.matrix.to_json_data(), indent=1, ensure_ascii=False))
    if args.write_demands:
        from planner.calibrate import calibrate, demands_yaml

        cal = calibrate(pm, loads)
        note = f"measured: {args.db} ({args.method}, last {args.window:g} days)"
        _write(args.write_demands, demands_yaml(pm.demand_model, cal, note))
        info(
            f"calibrated demand model: relative residual {cal.relative_residual:.3g}, "
            f"R² {cal.r2:.4f} over {cal.directions} directions"
        )
    if args.json == "-":
        emit_json(result.to_json_data())
        return 0
    if args.json:
        _write(args.json, json.dumps(result.to_json_data(), indent=1, ensure_ascii=False))
    f = result.fit
    console.print(
        f"[bold]{topo.label}[/]: {f.unknowns} site pairs from {f.measured_directions} measured "
        f"directions ({args.method}, {args.window:g} days); {f.determined} determined, "
        f"{f.undetermined} not distinguishable by link loads, {f.fixed_by_flows} fixed by flows, "
        f"{f.exact_sites} leaf sites measured exactly"
    )
    console.print(
        f"  fit: rms residual {f.rms_residual_bps / 1e6:.3f} Mb/s, max "
        f"{f.max_abs_residual_bps / 1e6:.3f} Mb/s, relative {f.relative_residual:.2e}; "
        f"prior scale {f.prior_scale:.3f}"
    )
    table(
        "Largest residuals (fitted - measured)",
        ["circuit", "direction", "measured Mb/s", "fitted Mb/s", "residual Mb/s"],
        [
            (
                r.circuit,
                f"{r.src}→{r.to}",
                f"{r.measured_bps / 1e6:.3f}",
                f"{r.fitted_bps / 1e6:.3f}",
                f"{r.residual_bps / 1e6:+.3f}",
            )
            for r in result.residuals[: max(args.top, 0)]
        ],
    )
    return 0


def _write(path: str, text: str) -> None:
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OperationError(f"cannot write {path}: {exc}") from None
    info(f"wrote {path}")


class _Out:
    """Where the plan's text goes: rich tables on the terminal, or CSV/TSV tables on stdout
    (each headed by a ``# title`` line, a blank line between tables) with the prose on stderr."""

    def __init__(self, fmt: str = "table") -> None:
        self.fmt = fmt
        self.tables = 0

    def line(self, text: str) -> None:
        if self.fmt == "table":
            console.print(text, markup=False, highlight=False)
        else:
            info(text)

    def table(self, title: str, columns: list[str], rows: list[tuple[str, ...]]) -> None:
        if self.fmt == "table":
            table(title, columns, rows)
            return
        import csv

        if self.tables:
            sys.stdout.write("\n")
        self.tables += 1
        sys.stdout.write(f"# {title}\n")
        writer = csv.writer(sys.stdout, delimiter="\t" if self.fmt == "tsv" else ",")
        writer.writerow(columns)
        writer.writerows(rows)


def _print_per_class(out: _Out, pc: PerClass, pol: PolicyInfo, top: int) -> None:
    shares = ", ".join(f"{k} {v:.0%}" for k, v in pc.shares.items())
    out.line(
        f"  per class (queue shares {shares}): {pc.fail} direction(s) over "
        f"{pol.fail_utilisation:.0%} of their share, {pc.warn} over {pol.warn_utilisation:.0%}"
    )
    out.table(
        "Queued classes above the warn threshold of their share (worst case)",
        ["circuit", "direction", "class", "worst Mb/s", "of share", "worst scenario"],
        [
            (
                r.circuit,
                f"{r.src}→{r.to}",
                r.traffic_class,
                f"{r.worst_bps / 1e6:.2f}",
                f"{r.worst_utilisation:.0%}",
                r.scenario,
            )
            for r in pc.directions[:top]
        ],
    )


def _print_explain(out: _Out, e: Explanation) -> None:
    parts = ", ".join(f"{k} {v / 1e6:.2f}" for k, v in e.by_class_bps.items())
    out.line(
        f"{e.circuit} {e.src}→{e.to} ({e.scenario}): {e.load_bps / 1e6:.2f} Mb/s, "
        f"{e.utilisation:.0%} of {e.capacity_bps / 1e6:g} Mb/s; by class (Mb/s): {parts or '-'}"
    )
    out.table(
        f"Demands on {e.circuit} {e.src}→{e.to}"
        + (f" (largest {len(e.demands)}; {e.more} more)" if e.more else ""),
        ["from site", "to site", "kind", "class", "rate Mb/s", "share", "load Mb/s"],
        [
            (
                d.src_site,
                d.dst_site,
                d.kind,
                d.traffic_class,
                f"{d.rate_bps / 1e6:.3f}",
                f"{d.fraction:.0%}",
                f"{d.load_bps / 1e6:.3f}",
            )
            for d in e.demands
        ],
    )


def _print_growth(out: _Out, plan: PlanResult, top: int) -> None:
    growth = plan.run.growth
    if growth is None:
        return
    hit = sorted(
        ((cid, d) for cid, d in plan.directions() if d.exhaustion_year is not None),
        key=lambda x: (x[1].exhaustion_year or 0, -(x[1].horizon_bps or 0.0), x[0], x[1].src),
    )
    capacity = {c.id: c.capacity_bps for c in plan.circuits}
    out.line(
        f"  growth over {growth.years} years: {len(hit)} circuit direction(s) exceed "
        f"{plan.policy.fail_utilisation:.0%} in their worst case"
    )
    out.table(
        f"Exhaustion within {growth.years} years and the smallest upgrade that fixes it",
        ["circuit", "direction", "exhausted", "capacity Mb/s", f"year {growth.years} Mb/s",
         "smallest upgrade"],
        [
            (
                cid,
                f"{d.src}→{d.to}",
                f"year {d.exhaustion_year}",
                f"{capacity[cid] / 1e6:g}",
                f"{(d.horizon_bps or 0.0) / 1e6:.1f}",
                f"{d.upgrade_type} ({(d.upgrade_bps or 0) / 1e6:g} Mb/s)"
                if d.upgrade_type
                else "none in the inventory",
            )
            for cid, d in hit[:top]
        ],
    )  # fmt: skip


def _print_losses(out: _Out, plan: PlanResult, top: int) -> None:
    s = plan.summary
    if not s.scenarios_with_unrouted:
        return
    out.line(
        f"  scenarios losing traffic: {s.scenarios_with_unrouted}: {s.expected_losses} expected "
        "(townships that are single-homed or lose their own device, or sites the scenario fails "
        f"wholly: accepted by design), {s.unexpected_losses} unexpected"
    )
    bad = [i for i in plan.scenarios.items if i.expected_loss is False]
    if bad:
        out.table(
            "Unexpected losses (a site that should survive loses traffic)",
            ["scenario", "unrouted Mb/s", "sites losing traffic"],
            [
                (
                    i.name,
                    f"{i.unrouted_bps / 1e6:.2f}",
                    ", ".join(i.sites_lost[:6]) + (" …" if len(i.sites_lost) > 6 else ""),
                )
                for i in sorted(bad, key=lambda i: -i.unrouted_bps)[:top]
            ],
        )


def _print_comparison(out: _Out, c: Comparison, top: int) -> None:
    out.line(
        f"  comparison with {c.against}: {len(c.changes)} direction(s) changed, "
        f"{c.unchanged} unchanged"
    )
    out.table(
        "Changes against the saved plan (worst-case utilisation)",
        ["circuit", "direction", "before %", "after %", "status"],
        [
            (
                ch.circuit,
                f"{ch.src}→{ch.to}" if ch.to else ch.src,
                f"{ch.before:.1%}",
                f"{ch.after:.1%}",
                ch.status_before
                if ch.status_before == ch.status_after
                else f"{ch.status_before} → {ch.status_after}",
            )
            for ch in c.changes[:top]
        ],
    )
    for label, names in (
        ("added circuits", c.added_circuits),
        ("removed circuits", c.removed_circuits),
        ("added sites", c.added_sites),
        ("removed sites", c.removed_sites),
    ):
        if names:
            out.line(f"  {label} ({len(names)}): {', '.join(names[:top])}"
                     + (" …" if len(names) > top else ""))  # fmt: skip


def _print_plan(plan: PlanResult, top: int = 10, fmt: str = "table") -> None:
    out = _Out(fmt)
    s, pol = plan.summary, plan.policy
    out.line(
        f"{plan.network.label}: {plan.demands.count} demands "
        f"({plan.demands.total_bps / 1e9:.2f} Gb/s busy hour), "
        f"{s.directions} circuit directions, failures {plan.run.failures} "
        f"({plan.scenarios.count} scenarios) in {plan.run.seconds:.2f} s"
    )
    out.line(
        f"  fail {s.fail}, warn {s.warn} (> {pol.fail_utilisation:.0%} / "
        f"> {pol.warn_utilisation:.0%} worst case); scenarios losing traffic: "
        f"{s.scenarios_with_unrouted} (max {s.max_unrouted_bps / 1e6:.1f} Mb/s); "
        f"baseline unrouted {plan.baseline_unrouted.bps / 1e6:.1f} Mb/s"
    )
    w = plan.run.whatif
    if w.demands or w.events or w.events_dropped:
        out.line(
            f"  what-if: {len(w.demands)} extra demand(s), {len(w.events)} extra event(s)"
            + (f", dropped {', '.join(w.events_dropped)}" if w.events_dropped else "")
        )
    if plan.run.demands_from:
        out.line(f"  demands: the traffic matrix {plan.run.demands_from}")
    _print_losses(out, plan, top)
    rows = sorted(plan.directions(), key=lambda x: (-x[1].worst_utilisation, x[0], x[1].src))
    out.table(
        "Most loaded circuit directions (worst case)",
        ["circuit", "direction", "baseline %", "worst %", "worst scenario", "exhausted"],
        [
            (
                cid,
                f"{d.src}→{d.to}",
                f"{d.baseline_utilisation:.0%}",
                f"{d.worst_utilisation:.0%}",
                d.worst_scenarios[0].name if d.worst_scenarios else "baseline",
                "" if d.exhaustion_year is None else f"year {d.exhaustion_year}",
            )
            for cid, d in rows[:top]
        ],
    )
    for item in plan.scenarios.items:
        if item.kind == "user":
            lost = item.sites_lost
            out.line(
                f"  scenario {item.name}: {item.unrouted_bps / 1e6:.1f} Mb/s unrouted, "
                f"{len(lost)} site(s) lose service{': ' + ', '.join(lost[:5]) if lost else ''}"
                f"{' …' if len(lost) > 5 else ''}; max utilisation "
                f"{item.max_utilisation or 0:.0%}, {item.overloaded} direction(s) over "
                f"{pol.fail_utilisation:.0%}"
            )
    _print_growth(out, plan, top)
    if plan.measured is not None:
        _print_measured(out, plan.measured, pol, top)
    if plan.per_class is not None:
        _print_per_class(out, plan.per_class, pol, top)
    for e in plan.explain or ():
        _print_explain(out, e)
    if plan.comparison is not None:
        _print_comparison(out, plan.comparison, top)


def _print_measured(out: _Out, m: Measured, pol: PolicyInfo, top: int) -> None:
    out.line(
        f"measured ({m.method}, {m.days:g} days): {m.circuits} circuits, "
        f"{m.unmeasured_circuits} without data, {len(m.unknown_circuits)} unknown; "
        f"{m.fail} direction(s) over {pol.fail_utilisation:.0%}, {m.warn} over "
        f"{pol.warn_utilisation:.0%}; {len(m.above_model)} above the model"
    )
    out.table(
        "Measured above the modelled baseline",
        ["circuit", "direction", "measured Mb/s", "modelled Mb/s", "ratio"],
        [
            (
                d.circuit,
                f"{d.src}→{d.to}",
                f"{d.measured_bps / 1e6:.1f}",
                f"{d.modelled_bps / 1e6:.1f}",
                "-" if d.ratio is None else f"{d.ratio:.2f}",
            )
            for d in m.above_model[:top]
        ],
    )
