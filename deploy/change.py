"""Change control: a change record (id, operator, approver, window, devices) as a YAML file in the
backup repository (``REPO/changes/<ID>.yaml``), the gate ``egnet deploy --change ID`` passes, and
the result written back into the record and committed.

A record an engineer writes::

    id: CHG-2026-0042
    title: connect 县公安局 at pingxiang-lianhua
    operator: zhang.wei            # logs in with their own account (secret user_zhang.wei_password)
    approver: li.na                # must differ from the operator
    approved_at: 2026-11-28T16:00:00+08:00
    window: {start: 2026-11-29T00:00:00+08:00, end: 2026-11-29T04:00:00+08:00}
    devices: [pingxiang-lianhua-core1, pingxiang-lianhua-core2]

The gate refuses (and records the refusal) without an approval, when the approver is the
operator, outside the window, or when the run would touch a device the record does not name.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from deploy.backup_repo import BackupRepo
from topology.diagnostics import OperationError
from topology.private_files import private_dir, write_private

logger = logging.getLogger(__name__)

CHANGES = "changes"
MAX_RECORD = 256 * 1024
NAME = r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$"
HOST = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"
CHANGE_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Window(_Frozen):
    """When the change may run (both ends with a time zone)."""

    start: dt.datetime
    end: dt.datetime

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse(cls, v: object) -> object:
        if isinstance(v, str):
            v = dt.datetime.fromisoformat(v)
        if isinstance(v, dt.datetime) and v.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-11-29T00:00:00+08:00")
        return v

    def contains(self, now: dt.datetime) -> bool:
        """True when ``now`` is inside the window."""
        return self.start <= now <= self.end


class Outcome(_Frozen):
    """What one run under the change did (appended to the record)."""

    status: Literal["done", "failed", "refused"]
    started: dt.datetime
    finished: dt.datetime
    operator: str
    reason: str = ""
    backup_before: str | None = None
    backup_after: str | None = None
    devices: dict[str, str] = Field(default_factory=dict)  # device -> stage / error summary


class ChangeRecord(_Frozen):
    """A change as the engineer files it, plus the outcomes of every run under it."""

    id: str = Field(pattern=CHANGE_ID)
    title: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f\u2028\u2029]*$")
    operator: str = Field(pattern=NAME)
    approver: str | None = Field(default=None, pattern=NAME)
    approved_at: dt.datetime | None = None
    window: Window
    devices: tuple[str, ...] = Field(min_length=1, max_length=5000)
    # written by `egnet change add-department|…` (deploy/remediate.py): who asked for it, the
    # commands per device (hier_config remediation from the last backup; a canonical diff on FRR),
    # and affected devices egnet does not manage (the department's CE)
    requester: str | None = Field(default=None, pattern=NAME)
    remediation: dict[str, str] = Field(default_factory=dict, max_length=5000)
    unmanaged: tuple[str, ...] = Field(default=(), max_length=100)
    outcomes: tuple[Outcome, ...] = ()

    @field_validator("approved_at", mode="before")
    @classmethod
    def _parse_approved(cls, v: object) -> object:
        return dt.datetime.fromisoformat(v) if isinstance(v, str) else v

    @field_validator("devices", "unmanaged")
    @classmethod
    def _hosts(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [h for h in v if not re.match(HOST, h)]
        if bad:
            raise ValueError(f"not a hostname: {bad[0]!r}")
        return v

    @field_validator("remediation")
    @classmethod
    def _commands(cls, v: dict[str, str]) -> dict[str, str]:
        bad = [h for h in v if not re.match(HOST, h)]
        if bad:
            raise ValueError(f"not a hostname: {bad[0]!r}")
        if any(re.search(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]", t) for t in v.values()):
            raise ValueError("control characters in a remediation")
        return v


class ChangeRefused(OperationError):
    """The change may not run now (not approved, outside its window, devices it does not name)."""


def record_path(repo: BackupRepo, change_id: str) -> Path:
    """``REPO/changes/<ID>.yaml`` (the id is checked first)."""
    if not re.match(CHANGE_ID, change_id):
        raise OperationError(f"not a change id: {change_id!r}")
    return repo.path / CHANGES / f"{change_id}.yaml"


def load_change(repo: BackupRepo, change_id: str) -> ChangeRecord:
    """Read and validate a change record; errors name the file and the field."""
    path = record_path(repo, change_id)
    if not path.is_file():
        raise OperationError(f"{path}: no such change record")
    if path.stat().st_size > MAX_RECORD:
        raise OperationError(f"{path}: larger than {MAX_RECORD} bytes")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise OperationError(f"{path}: not YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise OperationError(f"{path}: a change record is a mapping")
    try:
        rec = ChangeRecord.model_validate(data, strict=False)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise OperationError(f"{path}: {where}: {err['msg']}") from exc
    if rec.id != change_id:
        raise OperationError(f"{path}: id {rec.id!r} does not match the file name")
    return rec


def authorize(rec: ChangeRecord, hosts: list[str], now: dt.datetime) -> None:
    """Raise :class:`ChangeRefused` unless ``rec`` allows deploying ``hosts`` at ``now``."""
    if not rec.approver or rec.approved_at is None:
        raise ChangeRefused(f"change {rec.id} is not approved (approver and approved_at)")
    if rec.approver == rec.operator:
        raise ChangeRefused(
            f"change {rec.id}: the approver may not be the operator ({rec.operator})"
        )
    if rec.approved_at > now:
        raise ChangeRefused(f"change {rec.id}: approval is dated in the future")
    if not rec.window.contains(now):
        raise ChangeRefused(
            f"change {rec.id}: now ({now.isoformat(timespec='seconds')}) is outside its window "
            f"{rec.window.start.isoformat()} .. {rec.window.end.isoformat()}"
        )
    extra = sorted(set(hosts) - set(rec.devices))
    if extra:
        raise ChangeRefused(f"change {rec.id} does not name device(s): {', '.join(extra[:10])}")


def record_outcome(repo: BackupRepo, rec: ChangeRecord, outcome: Outcome) -> str | None:
    """Append ``outcome`` to the record, write it (0600) and commit it; return the commit."""
    updated = rec.model_copy(update={"outcomes": (*rec.outcomes, outcome)})
    path = record_path(repo, rec.id)
    write_private(path, _dump(updated))
    return repo.commit(f"change {rec.id}: {outcome.status} ({outcome.operator})", (CHANGES,))


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (remediations) as literal blocks, readable in the record and in git."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(rec: ChangeRecord) -> str:
    data = rec.model_dump(mode="json", exclude_defaults=False)
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=200)


def file_change(repo: BackupRepo, rec: ChangeRecord) -> str | None:
    """Write a new change record (refusing to overwrite one) and commit it; return the commit."""
    path = record_path(repo, rec.id)
    repo.init()
    if path.exists():
        raise OperationError(f"{path}: change {rec.id} exists\n  hint: choose another --change-id")
    private_dir(path.parent)
    write_private(path, _dump(rec))
    return repo.commit(f"change {rec.id}: filed by {rec.requester or rec.operator}", (CHANGES,))


def approve(
    repo: BackupRepo, change_id: str, approver: str, now: dt.datetime
) -> tuple[ChangeRecord, str | None]:
    """Record ``approver``'s approval of a change at ``now`` and commit it.

    Raises:
        ChangeRefused: the approver is the operator or the requester, the change is approved
            already or has run (a refused attempt does not count: it touched nothing).
    """
    rec = load_change(repo, change_id)
    if approver in (rec.operator, rec.requester):
        raise ChangeRefused(
            f"change {rec.id}: {approver} operates or requested it: not an approver"
        )
    if rec.approver is not None:
        raise ChangeRefused(f"change {rec.id} is approved already (by {rec.approver})")
    if any(o.status != "refused" for o in rec.outcomes):  # a refused attempt touched nothing
        raise ChangeRefused(f"change {rec.id} has run already")
    try:
        updated = ChangeRecord.model_validate(
            {**rec.model_dump(), "approver": approver, "approved_at": now}, strict=False
        )
    except ValidationError as exc:
        raise OperationError(f"approver: {exc.errors()[0]['msg']}") from None
    write_private(record_path(repo, rec.id), _dump(updated))
    return updated, repo.commit(f"change {rec.id}: approved by {approver}", (CHANGES,))


def now_utc() -> dt.datetime:
    """The current time, with its zone."""
    return dt.datetime.now(dt.UTC)
