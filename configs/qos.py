"""QoS per RFC 4594 as data: the traffic classes every platform with the ``qos`` feature renders.

Percentages are of the shaped (contracted) rate of the circuit. EF voice gets a strict-priority
queue; video, routing and critical business get guaranteed bandwidth; the rest is best effort.
"""

from __future__ import annotations

from dataclasses import dataclass

QOS_POLICY = "EGOV-QOS"


@dataclass(frozen=True, slots=True)
class QosClass:
    """One traffic class: DSCP names it matches and its queueing treatment."""

    name: str
    dscp: tuple[str, ...]
    dscp_values: tuple[int, ...]
    priority: bool
    percent: int
    queue: str


QOS_CLASSES: tuple[QosClass, ...] = (
    QosClass("VOICE", ("ef",), (46,), True, 10, "ef"),
    QosClass("VIDEO", ("af41",), (34,), False, 30, "af4"),
    QosClass("ROUTING", ("cs6",), (48,), False, 5, "af4"),
    QosClass("CRITICAL", ("af31", "af21"), (26, 18), False, 20, "af3"),
)


def shaper_name(rate_bps: int) -> str:
    """Name of the parent shaping policy for a contracted rate.

    Examples:
        >>> shaper_name(20_000_000), shaper_name(149_760_000), shaper_name(1_000_000_000)
        ('SHAPE-20000K', 'SHAPE-149760K', 'SHAPE-1000000K')
    """
    return f"SHAPE-{rate_bps // 1000}K"
