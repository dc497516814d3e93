"""CLI: ``egnet egress`` — internet egress utilisation per level and each egress's failover."""

from __future__ import annotations

import argparse

from egnet.output import emit_json, info, table
from planner.egress import egress_loads
from topology import load_inventory
from topology.units import format_rate


def cmd_egress(args: argparse.Namespace) -> int:
    topo = load_inventory(args.dir).topology
    loads = egress_loads(topo)
    fail = topo.policy.fail_utilisation
    over = [e for e in loads if e.utilisation > fail or (e.failover_utilisation or 0.0) > fail]
    if args.json:
        emit_json(
            {
                "schema": "egnet.egress/1",
                "fail_utilisation": fail,
                "egress": [e.model_dump(mode="json") for e in loads],
                "over_threshold": [e.site for e in over],
            }
        )
    else:
        table(
            "internet egress (busy hour; failover = the nearest other egress)",
            [
                "site",
                "level",
                "device",
                "capacity",
                "up",
                "down",
                "util %",
                "failover",
                "fo util %",
            ],
            [
                (
                    e.site,
                    e.level,
                    e.device,
                    format_rate(e.capacity_bps),
                    format_rate(int(e.up_bps)),
                    format_rate(int(e.down_bps)),
                    f"{100 * e.utilisation:.1f}",
                    e.failover_site or "-",
                    "-"
                    if e.failover_utilisation is None
                    else f"{100 * e.failover_utilisation:.1f}",
                )
                for e in loads
            ],
        )
    info(f"{len(loads)} egress site(s); {len(over)} over {100 * fail:.0f}% (own or after failover)")
    return 1 if over else 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("egress", help="internet egress utilisation per level and failover")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_egress)
