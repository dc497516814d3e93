"""SNMP access with pysnmp 7 (asyncio, v3arch): one engine, many devices in flight.

:class:`PysnmpClient` reads ``sysUpTime`` and the interface columns of :data:`poller.oids.COLUMNS`
with GETBULK, walking every column in parallel in the same request. It configures targets and users
with the hlapi's LCD (``UdpTransportTarget.create``, ``UsmUserData`` SHA/AES-128, ``CommunityData``)
and sends through the v3arch ``BulkCommandGenerator`` with raw OIDs: ``bulk_cmd`` resolves every
OID through a MIB view, which instantiates the pysmi MIB compiler on first use when pysmi is
installed (3-4 s blocking the event loop) and costs per request. The UDP socket gets a large receive
buffer so that many replies in flight are not dropped by the kernel.

Test and benchmark harness only: a comparison peer for :mod:`poller.fastsnmp` (the only poll engine),
never offered by ``egnet poll``. pysnmp 7.1 matches a reply by its ids from any source address and
port, and applies no time window to authenticated replies (RFC 3414 §3.2 step 7b), so it fails
issue 9 §2 (see tests/poller/test_poller_spoof.py). pyasn1 decoding also costs ~170 µs per
variable binding, and after an agent restart it keeps sending the old engine boots/time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp  # type: ignore[import-untyped]
from pysnmp.entity.rfc3413 import cmdgen  # type: ignore[import-untyped]
from pysnmp.hlapi.v3arch.asyncio import (  # type: ignore[import-untyped]
    CommunityData,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    usmAesCfb128Protocol,
    usmHMACSHAAuthProtocol,
)
from pysnmp.hlapi.v3arch.asyncio.lcd import (  # type: ignore[import-untyped]
    CommandGeneratorLcdConfigurator,
)
from pysnmp.proto import rfc1902, rfc1905  # type: ignore[import-untyped]

from poller.clients import make_client
from poller.oids import COLUMNS, SYS_UPTIME, parse_oid, row_index
from poller.readings import Credentials, DeviceReading, IfReading, Target
from poller.snmp_client import DEFAULT_RCVBUF, SnmpClient, SnmpReadError, set_rcvbuf

logger = logging.getLogger(__name__)

_END = (rfc1905.EndOfMibView, rfc1905.NoSuchObject, rfc1905.NoSuchInstance)
_LCD = CommandGeneratorLcdConfigurator()
_NULL = rfc1902.Null("")


class _BigBufferUdp(udp.UdpAsyncioTransport):  # type: ignore[misc]
    """pysnmp's UDP transport with a large socket receive buffer."""

    rcvbuf = DEFAULT_RCVBUF

    def connection_made(self, transport: asyncio.DatagramTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            set_rcvbuf(sock, self.rcvbuf)
        super().connection_made(transport)


class _Target(UdpTransportTarget):  # type: ignore[misc]
    PROTO_TRANSPORT = _BigBufferUdp


def auth_data(cred: Credentials) -> Any:
    """Return pysnmp auth data: v3 authPriv SHA/AES-128, or a v2c community."""
    if cred.version == "2c":
        return CommunityData(cred.community, mpModel=1)
    return UsmUserData(
        cred.user,
        authKey=cred.auth_key,
        privKey=cred.priv_key,
        authProtocol=usmHMACSHAAuthProtocol,
        privProtocol=usmAesCfb128Protocol,
    )


class _Walk:
    """State of a parallel walk over the interface columns of one device."""

    def __init__(self) -> None:
        self.names = list(COLUMNS)
        self.bases = {n: parse_oid(COLUMNS[n]) for n in self.names}
        self.cursor: dict[str, tuple[int, ...]] = dict(self.bases)
        self.active = list(self.names)
        self.rows: dict[int, dict[str, Any]] = {}
        self.uptime: int | None = None

    def absorb(self, var_binds: Sequence[Any], non_repeaters: int) -> None:
        """Take one GETBULK response (wire order) into the rows; retire finished columns."""
        if non_repeaters:
            self.uptime = int(var_binds[0][1])
        active = self.active
        width = len(active)
        done: set[str] = set()
        body = var_binds[non_repeaters:]
        for pos, (oid, value) in enumerate(body):
            col = active[pos % width]
            if col in done:
                continue
            key = tuple(oid)
            idx = row_index(self.bases[col], key)
            if idx is None or isinstance(value, _END):
                done.add(col)
                continue
            self.rows.setdefault(idx, {})[col] = value
            self.cursor[col] = key
        self.active = [c for c in active if c not in done]

    def readings(self) -> tuple[IfReading, ...]:
        """Return the complete rows as readings (rows missing a column are skipped)."""
        out = []
        for idx in sorted(self.rows):
            row = self.rows[idx]
            if any(c not in row for c in self.names if c != "discontinuity"):
                continue
            disc = row.get("discontinuity")
            out.append(
                IfReading(
                    index=idx,
                    name=bytes(row["name"].asOctets()).decode("utf-8", "replace"),
                    in_octets=int(row["in_octets"]),
                    out_octets=int(row["out_octets"]),
                    high_speed=int(row["high_speed"]),
                    oper_status=int(row["oper_status"]),
                    in_errors=int(row["in_errors"]),
                    out_errors=int(row["out_errors"]),
                    in_discards=int(row["in_discards"]),
                    out_discards=int(row["out_discards"]),
                    discontinuity=None if disc is None else int(disc),
                )
            )
        return tuple(out)


class PysnmpClient:
    """An :class:`SnmpClient` on one pysnmp engine (create and use it inside one event loop).

    Args:
        timeout: seconds to wait for each reply before retrying.
        retries: retransmissions per request.
        max_repetitions: GETBULK max-repetitions (rows per column per request).
        deadline: hard limit in seconds for reading one whole device.
    """

    def __init__(
        self,
        timeout: float = 2.0,
        retries: int = 1,
        max_repetitions: int = 25,
        deadline: float = 20.0,
    ) -> None:
        self.engine = SnmpEngine()
        self.timeout = timeout
        self.retries = retries
        self.max_repetitions = max_repetitions
        self.deadline = deadline
        self._targets: dict[tuple[str, int], Any] = {}
        self._auth: dict[Credentials, Any] = {}
        self._uptime = parse_oid(SYS_UPTIME)

    async def _transport(self, target: Target) -> Any:
        key = (target.host, target.port)
        tt = self._targets.get(key)
        if tt is None:
            tt = await _Target.create(key, timeout=self.timeout, retries=self.retries)
            self._targets[key] = tt
        return tt

    async def _bulk(
        self,
        auth: Any,
        transport: Any,
        non_repeaters: int,
        oids: Sequence[tuple[int, ...]],
        context: bytes = b"",
    ) -> tuple[Any, Any, Any, Sequence[Any]]:
        """Send one GETBULK with raw OIDs (no MIB resolution) and await the response."""
        addr_name, _ = _LCD.configure(self.engine, auth, transport, context)
        future: asyncio.Future[tuple[Any, Any, Any, Sequence[Any]]]
        future = asyncio.get_running_loop().create_future()

        def done(
            _engine: Any,
            _handle: Any,
            err_ind: Any,
            err_stat: Any,
            err_idx: Any,
            vbs: Any,
            _ctx: Any,
        ) -> None:
            if not future.cancelled():
                future.set_result((err_ind, err_stat, err_idx, vbs))

        var_binds = [(rfc1902.ObjectName(o), _NULL) for o in oids]
        cmdgen.BulkCommandGenerator().send_varbinds(
            self.engine,
            addr_name,
            None,
            context,
            non_repeaters,
            self.max_repetitions,
            var_binds,
            done,
        )
        return await future

    async def _walk(self, target: Target) -> _Walk:
        cred = target.credentials
        auth = self._auth.get(cred)
        if auth is None:
            auth = self._auth[cred] = auth_data(cred)
        transport = await self._transport(target)
        walk = _Walk()
        non_rep = 1
        while walk.active:
            oids = ([self._uptime] if non_rep else []) + [walk.cursor[c] for c in walk.active]
            err_ind, err_stat, err_idx, var_binds = await self._bulk(
                auth, transport, non_rep, oids, target.context.encode()
            )
            if err_ind:
                raise SnmpReadError(str(err_ind))
            if err_stat:
                raise SnmpReadError(f"{err_stat.prettyPrint()} at index {err_idx}")
            if not var_binds:
                break
            walk.absorb(var_binds, non_rep)
            non_rep = 0
        return walk

    async def read_device(self, target: Target) -> DeviceReading:
        """Read ``sysUpTime`` and every interface row; errors become ``DeviceReading.error``."""
        started = time.monotonic()
        at = time.time()
        try:
            walk = await asyncio.wait_for(self._walk(target), self.deadline)
        except (SnmpReadError, TimeoutError, OSError) as exc:
            msg = str(exc) or type(exc).__name__
            logger.info("%s (%s:%d): %s", target.device, target.host, target.port, msg)
            return DeviceReading(
                target.device, at, None, error=msg, duration=time.monotonic() - started
            )
        return DeviceReading(
            device=target.device,
            at=at,
            uptime=walk.uptime,
            interfaces=walk.readings(),
            duration=time.monotonic() - started,
        )

    def close(self) -> None:
        """Close the engine's sockets."""
        self.engine.close_dispatcher()


def peer_client(
    engine: str, timeout: float = 2.0, retries: int = 1, deadline: float = 20.0
) -> SnmpClient:
    """Return the poll engine ``engine`` of :mod:`poller.clients`, or this peer for ``"pysnmp"``
    (tests and benchmarks comparing both against the same agent)."""
    if engine == "pysnmp":
        return PysnmpClient(timeout=timeout, retries=retries, deadline=deadline)
    return make_client(engine, timeout=timeout, retries=retries, deadline=deadline)
