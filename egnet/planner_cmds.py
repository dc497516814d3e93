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

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from egnet.inventory_cmds import load_warning
from egnet.output import console, emit_json, info, table
from planner import html as html_report
from planner.measured import measured_data
from planner.model import PlanModel, build_model, parse_upgrades
from planner.redundancy import audit
from planner.report import check_data, plan_data
from planner.scenarios import combine, double_count, single_failures
from planner.sweep import Sweep, merge, run, run_doubles
from planner.whatif import compare, exhaustion, parse_growth
from planner.whatif_extras import apply_extras, extras_data, parse_extras
from topology import load_topology
from topology.diagnostics import OperationError
from topology.source import LIMITS, InputFileError, read_bytes


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
    pm = build_model(topo, model, parse_upgrades(topo, args.upgrade))
    sweep = _sweep(pm, args.failures, args.fail)
    years = exhaustion(pm, sweep, growth) if growth is not None else None
    meta: dict[str, Any] = {
        "failures": args.failures,
        "user_failures": args.fail,
        "upgrades": pm.upgrades,
        "growth": {"rates": growth.rates, "years": growth.years} if growth else None,
        "whatif": extras_data(topo.demands, extras),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    plan = plan_data(pm, sweep, meta, years)
    if args.measured:
        plan["measured"] = _measured(pm, sweep, args)
    if args.compare:
        plan["comparison"] = {
            "against": args.compare,
            "changes": compare(_read(args.compare), plan),
        }
    if args.html:
        _write(args.html, html_report.render(plan))
    if args.json == "-":
        emit_json(plan)
    else:
        if args.json:
            _write(args.json, json.dumps(plan, indent=1, ensure_ascii=False))
        _print_plan(plan)
    failing = plan["summary"]["fail"] or plan.get("measured", {}).get("fail", 0)
    return 1 if failing or plan["baseline_unrouted"]["bps"] > 0 else 0


def _measured(pm: PlanModel, sweep: Sweep | None, args: argparse.Namespace) -> dict[str, Any]:
    """Read the poller's store here (the composition root) and hand plain data to the planner."""
    from poller.store import measured_loads

    loads = measured_loads(args.measured, days=args.measured_days, method=args.measured_method)
    source = {"database": args.measured, "method": args.measured_method, "days": args.measured_days}
    return measured_data(pm, sweep, loads, source)


def _read(path: str) -> dict[str, Any]:
    try:  # a regular file of bounded size: never hang on a FIFO or read /dev/zero forever
        data = json.loads(read_bytes(Path(path), LIMITS.max_lock_bytes).decode("utf-8"))
    except (InputFileError, ValueError, RecursionError) as exc:
        raise OperationError(f"cannot read plan {path}: {str(exc)[:200]}") from None
    if not isinstance(data, dict) or data.get("schema") != "egnet.plan/1":
        raise OperationError(f"{path}: not an egnet plan (schema egnet.plan/1)")
    try:  # the parts --compare reads, typed (a hand-edited plan is input like any other)
        _SavedPlan.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise OperationError(f"{path}: not a valid egnet plan: {where}: {err['msg']}") from None
    return data


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class _SavedDirection(_Loose):
    from_: str = Field(alias="from", max_length=200)
    worst_utilisation: float = Field(allow_inf_nan=False)
    status: str = Field(max_length=40)


class _SavedCircuit(_Loose):
    id: str = Field(max_length=200)
    directions: list[_SavedDirection]


class _SavedPlan(_Loose):
    circuits: list[_SavedCircuit]


def _write(path: str, text: str) -> None:
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OperationError(f"cannot write {path}: {exc}") from None
    info(f"wrote {path}")


def _print_plan(plan: dict[str, Any]) -> None:
    s, pol = plan["summary"], plan["policy"]
    console.print(
        f"[bold]{plan['network']['label']}[/]: {plan['demands']['count']} demands "
        f"({plan['demands']['total_bps'] / 1e9:.2f} Gb/s busy hour), "
        f"{s['directions']} circuit directions, failures {plan['run']['failures']} "
        f"({plan['scenarios']['count']} scenarios) in {plan['run']['seconds']:.2f} s"
    )
    console.print(
        f"  fail {s['fail']}, warn {s['warn']} (> {pol['fail_utilisation']:.0%} / "
        f"> {pol['warn_utilisation']:.0%} worst case); scenarios losing traffic: "
        f"{s['scenarios_with_unrouted']} (max {s['max_unrouted_bps'] / 1e6:.1f} Mb/s); "
        f"baseline unrouted {plan['baseline_unrouted']['bps'] / 1e6:.1f} Mb/s"
    )
    w = plan["run"]["whatif"]
    if w["demands"] or w["events"] or w["events_dropped"]:
        console.print(
            f"  what-if: {len(w['demands'])} extra demand(s), {len(w['events'])} extra event(s)"
            + (f", dropped {', '.join(w['events_dropped'])}" if w["events_dropped"] else "")
        )
    table(
        "Most loaded circuit directions (worst case)",
        ["circuit", "direction", "baseline %", "worst %", "worst scenario", "exhausted"],
        [
            (
                t["circuit"],
                f"{t['from']}→{t['to']}",
                f"{t['baseline_utilisation']:.0%}",
                f"{t['worst_utilisation']:.0%}",
                t["scenario"],
                "" if t["exhaustion_year"] is None else f"year {t['exhaustion_year']}",
            )
            for t in s["top"][:5]
        ],
    )
    for item in plan["scenarios"]["items"]:
        if item["kind"] == "user":
            lost = item["sites_lost"]
            console.print(
                f"  scenario {item['name']}: {item['unrouted_bps'] / 1e6:.1f} Mb/s unrouted, "
                f"{len(lost)} site(s) lose service{': ' + ', '.join(lost[:5]) if lost else ''}"
                f"{' …' if len(lost) > 5 else ''}; max utilisation "
                f"{item['max_utilisation'] or 0:.0%}, {item['overloaded']} direction(s) over "
                f"{pol['fail_utilisation']:.0%}"
            )
    if "measured" in plan:
        _print_measured(plan["measured"], pol)
    for change in plan.get("comparison", {}).get("changes", [])[:5]:
        info(
            f"  {change['circuit']} {change['from']}: {change['before']:.0%} → "
            f"{change['after']:.0%} ({change['status_before']} → {change['status_after']})"
        )


def _print_measured(m: dict[str, Any], pol: dict[str, Any]) -> None:
    info(
        f"measured ({m['method']}, {m['days']:g} days): {m['circuits']} circuits, "
        f"{m['unmeasured_circuits']} without data, {len(m['unknown_circuits'])} unknown; "
        f"{m['fail']} direction(s) over {pol['fail_utilisation']:.0%}, {m['warn']} over "
        f"{pol['warn_utilisation']:.0%}; {len(m['above_model'])} above the model"
    )
    table(
        "Measured above the modelled baseline",
        ["circuit", "direction", "measured Mb/s", "modelled Mb/s", "ratio"],
        [
            (
                d["circuit"],
                f"{d['from']}→{d['to']}",
                f"{d['measured_bps'] / 1e6:.1f}",
                f"{d['modelled_bps'] / 1e6:.1f}",
                "-" if d["ratio"] is None else f"{d['ratio']:.2f}",
            )
            for d in m["above_model"][:5]
        ],
    )
