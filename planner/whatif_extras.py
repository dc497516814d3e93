"""What-if demands and events from the command line (``--demand``, ``--event``, ``--no-events``).

They extend (or, for events, replace) the inventory's demand model in a new :class:`DemandModel`;
the topology and its model are never changed.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from planner.result import WhatIf, WhatIfDemand, WhatIfEvent
from topology.demands import (
    DemandModel,
    Event,
    ExplicitDemand,
    close_names,
    conference_event,
    same_site,
    unknown_endpoint,
)
from topology.diagnostics import OperationError
from topology.text import HOSTNAME_PATTERN
from topology.units import parse_rate


@dataclass(frozen=True)
class Extras:
    """Parsed what-if options: extra demands and events, and whether to drop the inventory's."""

    demands: tuple[ExplicitDemand, ...] = ()
    events: tuple[Event, ...] = ()
    no_events: bool = False


def _rate(flag: str, spec: str, text: str) -> int:
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise OperationError(f"bad {flag} '{spec}': {exc}") from None


def parse_demand(spec: str, sites: Collection[str], hosts: Collection[str]) -> ExplicitDemand:
    """Parse ``NAME:SRC>DST=RATE``; SRC and DST are site names or device hostnames.

    Raises:
        OperationError: naming the flag, with close names for an unknown site or device.

    Examples:
        >>> d = parse_demand("backup:lab>beicheng=50M", ["lab", "beicheng"], [])
        >>> d.name, d.src, d.dst, d.rate_bps
        ('backup', 'lab', 'beicheng', 50000000)
    """
    name, _, rest = spec.partition(":")
    src, _, rest = rest.partition(">")
    dst, _, rate = rest.partition("=")
    name, src, dst, rate = name.strip(), src.strip(), dst.strip(), rate.strip()
    if not (name and src and dst and rate):
        raise OperationError(f"bad --demand '{spec}': expected NAME:SRC>DST=RATE, e.g. b:lab>x=50M")
    if len(name) > 64:
        raise OperationError(f"bad --demand '{spec}': the name is longer than 64 characters")
    if not re.fullmatch(HOSTNAME_PATTERN, name):  # as in demands.yaml: no control characters
        raise OperationError(f"bad --demand {spec!r}: the name must match {HOSTNAME_PATTERN}")
    for end in (src, dst):
        message = unknown_endpoint(end, sites, hosts)
        if message is not None:
            hint = close_names(end, sites, hosts)
            raise OperationError(f"bad --demand '{spec}': {message} (hint: {hint})")
    message = same_site(src, dst, sites, hosts)
    if message is not None:
        raise OperationError(f"bad --demand '{spec}': {message}")
    return ExplicitDemand(
        name=name, src=src, dst=dst, rate_bps=_rate("--demand", spec, rate), where="--demand"
    )


def parse_event(spec: str, index: int = 1) -> Event:
    """Parse ``conference[:RATE]``: a province-wide cascaded conference (default 4M x 1.2).

    Examples:
        >>> e = parse_event("conference:8M")
        >>> e.name, e.rate_bps, e.overhead, e.participants
        ('cli-conference', 8000000, 1.2, ('county', 'township'))
        >>> parse_event("conference", 2).name, parse_event("conference").rate_bps
        ('cli-conference-2', 4000000)
    """
    kind, _, rate = spec.partition(":")
    if kind.strip() != "conference":
        raise OperationError(
            f"bad --event '{spec}': expected conference[:RATE], e.g. conference:8M"
        )
    name = "cli-conference" + (f"-{index}" if index > 1 else "")
    if rate.strip():
        return conference_event(name, _rate("--event", spec, rate.strip()))
    return conference_event(name)


def parse_extras(
    demands: list[str],
    events: list[str],
    no_events: bool,
    sites: Collection[str],
    hosts: Collection[str],
) -> Extras:
    """Parse every ``--demand`` and ``--event`` option.

    Examples:
        >>> x = parse_extras(["a:lab>city=1M"], ["conference"], True, ["lab", "city"], [])
        >>> len(x.demands), x.events[0].name, x.no_events
        (1, 'cli-conference', True)
    """
    return Extras(
        demands=tuple(parse_demand(s, sites, hosts) for s in demands),
        events=tuple(parse_event(s, i) for i, s in enumerate(events, 1)),
        no_events=no_events,
    )


def apply_extras(model: DemandModel, extras: Extras) -> DemandModel:
    """A new demand model with the extras applied (``model`` itself is unchanged).

    Examples:
        >>> from topology.demands import resolve_demands
        >>> base = resolve_demands(None)
        >>> new = apply_extras(base, parse_extras([], ["conference:2M"], True, [], []))
        >>> [e.name for e in new.events], [e.name for e in base.events]
        (['cli-conference'], ['province-video-conference'])
    """
    if not (extras.demands or extras.events or extras.no_events):
        return model
    kept = () if extras.no_events else model.events
    return model.model_copy(
        update={"demands": model.demands + extras.demands, "events": kept + extras.events}
    )


def extras_data(model: DemandModel, extras: Extras) -> WhatIf:
    """What the report lists under ``run.whatif``: the applied extras and the dropped events.

    Examples:
        >>> from topology.demands import resolve_demands
        >>> x = parse_extras(["a:lab>city=1M"], [], True, ["lab", "city"], [])
        >>> d = extras_data(resolve_demands(None), x)
        >>> d.demands[0].rate_bps, d.events_dropped
        (1000000, ('province-video-conference',))
    """
    return WhatIf(
        demands=tuple(
            WhatIfDemand(name=d.name, src=d.src, dst=d.dst, rate_bps=d.rate_bps)
            for d in extras.demands
        ),
        events=tuple(
            WhatIfEvent(name=e.name, kind=e.kind, rate_bps=e.rate_bps, overhead=e.overhead)
            for e in extras.events
        ),
        events_dropped=tuple(e.name for e in model.events) if extras.no_events else (),
    )
