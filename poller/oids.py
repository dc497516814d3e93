"""The OIDs the poller reads (IF-MIB, SNMPv2-MIB), as dotted strings and integer tuples."""

from __future__ import annotations

SYS_UPTIME = "1.3.6.1.2.1.1.3"
SYS_UPTIME_0 = "1.3.6.1.2.1.1.3.0"

IF_TABLE = "1.3.6.1.2.1.2.2.1"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1.1"

#: column name -> column OID (the table walk reads exactly these, one row per ifIndex)
COLUMNS: dict[str, str] = {
    "name": IF_X_TABLE + ".1",  # ifName
    "in_octets": IF_X_TABLE + ".6",  # ifHCInOctets (Counter64)
    "out_octets": IF_X_TABLE + ".10",  # ifHCOutOctets (Counter64)
    "high_speed": IF_X_TABLE + ".15",  # ifHighSpeed (Mb/s)
    "discontinuity": IF_X_TABLE + ".19",  # ifCounterDiscontinuityTime
    "oper_status": IF_TABLE + ".8",  # ifOperStatus
    "in_discards": IF_TABLE + ".13",  # ifInDiscards (Counter32)
    "in_errors": IF_TABLE + ".14",  # ifInErrors (Counter32)
    "out_discards": IF_TABLE + ".19",  # ifOutDiscards (Counter32)
    "out_errors": IF_TABLE + ".20",  # ifOutErrors (Counter32)
}

OPER_UP = 1


def parse_oid(text: str) -> tuple[int, ...]:
    """Return a dotted OID as a tuple of integers.

    Examples:
        >>> parse_oid("1.3.6.1.2.1.1.3.0")
        (1, 3, 6, 1, 2, 1, 1, 3, 0)
        >>> parse_oid(".1.3.6")
        (1, 3, 6)
    """
    return tuple(int(p) for p in text.strip(".").split("."))


def row_index(column: tuple[int, ...], oid: tuple[int, ...]) -> int | None:
    """Return the ifIndex of ``oid`` when it lies in table column ``column``, else None.

    Examples:
        >>> row_index((1, 3, 6, 1, 2, 1, 2, 2, 1, 8), (1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 12))
        12
        >>> row_index((1, 3, 6, 1, 2, 1, 2, 2, 1, 8), (1, 3, 6, 1, 2, 1, 2, 2, 1, 9, 1)) is None
        True
    """
    n = len(column)
    if len(oid) == n + 1 and oid[:n] == column:
        return oid[n]
    return None
