"""Unit parsing at the boundary."""

from __future__ import annotations

import pytest

from topology.units import parse_rate, parse_ratio


@pytest.mark.parametrize(
    ("text", "bps"),
    [
        ("155M", 155_000_000),
        ("2.5G", 2_500_000_000),
        ("100Mbps", 100_000_000),
        ("20 Mb/s", 20_000_000),
        ("64k", 64_000),
        ("149.76M", 149_760_000),
        (1000, 1000),
    ],
)
def test_rates_parse(text: object, bps: int) -> None:
    assert parse_rate(text) == bps


@pytest.mark.parametrize("bad", ["fast", "", "M", "-5M", "0", 0, -1, True, None, "10 furlongs"])
def test_bad_rates_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rate(bad)


@pytest.mark.parametrize("bad", ["0%", "101%", "x%", 1.5, "70"])
def test_bad_ratios_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_ratio(bad)
