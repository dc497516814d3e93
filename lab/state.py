"""The lab's state file: every namespace, veth, bridge, process, user and path ``up`` created.

``down`` removes exactly what is recorded here. The recorder writes the file after every creation,
so a crash half-way through ``up`` still leaves a complete record.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from pydantic import BaseModel, ConfigDict

STATE_VERSION = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VethRecord(_Frozen):
    """A veth pair (both ends)."""

    namespace: str
    name: str
    peer_namespace: str
    peer_name: str
    purpose: str


class BridgeRecord(_Frozen):
    """A Linux bridge."""

    namespace: str
    name: str


class ProcessRecord(_Frozen):
    """A daemon started in a namespace, identified by PID and the namespace's inode."""

    namespace: str
    device: str
    name: str
    pid: int
    ns_inode: int


class DeviceRecord(_Frozen):
    """Where tools reach a lab router."""

    namespace: str
    mgmt_address: str
    loopback: str


class LabState(_Frozen):
    """Everything one ``lab up`` created."""

    version: int = STATE_VERSION
    network: str
    inventory: str
    root: str
    nms_namespace: str
    nms_address: str
    namespaces: tuple[str, ...] = ()
    veths: tuple[VethRecord, ...] = ()
    bridges: tuple[BridgeRecord, ...] = ()
    processes: tuple[ProcessRecord, ...] = ()
    user: str | None = None
    user_created: bool = False
    paths: tuple[str, ...] = ()
    devices: dict[str, DeviceRecord] = {}


def load_state(path: Path) -> LabState | None:
    """Return the recorded lab state, or None when no lab is recorded."""
    if not path.is_file():
        return None
    return LabState.model_validate(json.loads(path.read_text(encoding="utf-8")))


class StateRecorder:
    """Thread-safe, write-through recorder of a :class:`LabState`."""

    def __init__(self, path: Path, state: LabState) -> None:
        self.path = path
        self._state = state
        self._lock = threading.Lock()
        self._write()

    @property
    def state(self) -> LabState:
        """The current state."""
        return self._state

    def add(self, field: str, item: object) -> None:
        """Append ``item`` to the tuple ``field`` (once) and write the file."""
        with self._lock:
            current = getattr(self._state, field)
            if item in current:
                return
            self._state = self._state.model_copy(update={field: (*current, item)})
            self._write()

    def remove(self, field: str, item: object) -> None:
        """Remove ``item`` from the tuple ``field`` and write the file."""
        with self._lock:
            current = getattr(self._state, field)
            kept = tuple(x for x in current if x != item)
            self._state = self._state.model_copy(update={field: kept})
            self._write()

    def set(self, **values: object) -> None:
        """Set scalar fields and write the file."""
        with self._lock:
            self._state = self._state.model_copy(update=values)
            self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(self._state.model_dump_json(indent=1), encoding="utf-8")
        tmp.replace(self.path)
