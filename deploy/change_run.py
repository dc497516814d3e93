"""One deploy under change control: gate, backup before, deploy, backup after, verify, record.

Every step's evidence lands in the backup repository: the ``before``/``after`` snapshots are
commits of ``configs/``, and the change record gets an :class:`~deploy.change.Outcome` naming
both commits and each device's end state (committed separately). Texts that reach the record
(errors) go through ``mask`` first, so the record never holds a secret.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from configs.diff import config_diff
from configs.render import render_device
from deploy.backup_repo import BackupRepo, fetch_running, snapshot
from deploy.change import ChangeRecord, ChangeRefused, Outcome, authorize, now_utc, record_outcome
from deploy.options import DeployOptions
from deploy.result import DeployResult
from deploy.verify import DriverFactory
from topology.diagnostics import OperationError
from topology.model import Topology
from topology.secrets import SecretSource

logger = logging.getLogger(__name__)

Engine = Callable[
    [Topology, list[str], SecretSource, DeployOptions, DriverFactory], list[DeployResult]
]


def run_change(
    topo: Topology,
    repo: BackupRepo,
    rec: ChangeRecord,
    hosts: list[str],
    secrets: SecretSource,
    opts: DeployOptions,
    make: DriverFactory,
    engine: Engine,
    mask: Callable[[str], str] = lambda s: s,
    clock: Callable[[], dt.datetime] = now_utc,
) -> tuple[list[DeployResult], Outcome]:
    """Run ``engine`` on ``hosts`` under change ``rec``; raise :class:`ChangeRefused` (after
    recording the refusal) when the change may not run now."""
    started = clock()
    repo.init()

    def finish(status: str, reason: str = "", **kw: object) -> Outcome:
        out = Outcome.model_validate(
            {
                "status": status,
                "started": started,
                "finished": clock(),
                "operator": rec.operator,
                "reason": mask(reason),
                **kw,
            },
            strict=False,
        )
        record_outcome(repo, rec, out)
        return out

    try:
        authorize(rec, hosts, started)
    except ChangeRefused as exc:
        finish("refused", str(exc))
        raise
    before_cfgs, before_err = fetch_running(hosts, make, opts.workers)
    before = snapshot(repo, before_cfgs, before_err, f"before change {rec.id}") or repo.head()
    if before_err:
        outcome = finish(
            "failed",
            "no backup of every device before the change",
            backup_before=before,
            devices={h: mask(f"backup before failed: {e}") for h, e in before_err.items()},
        )
        return [], outcome
    results = engine(topo, hosts, secrets, opts, make)
    after_cfgs, after_err = fetch_running(hosts, make, opts.workers)
    after = snapshot(repo, after_cfgs, after_err, f"after change {rec.id}") or repo.head()
    devices: dict[str, str] = {}
    ok = True
    for r in results:
        state = r.stage if r.error is None else f"{r.stage}: {mask(r.error)}"
        if r.error is not None:
            ok = False
        elif opts.commit and r.changed:
            state = _verify(topo, r.device, after_cfgs, after_err, secrets)
            ok = ok and state == "verified"
        devices[r.device] = state[:500]
    status = "done" if ok else "failed"
    outcome = finish(
        status,
        "" if ok else "see devices",
        backup_before=before,
        backup_after=after,
        devices=devices,
    )
    return results, outcome


def _verify(
    topo: Topology,
    host: str,
    after: dict[str, str],
    errors: dict[str, str],
    secrets: SecretSource,
) -> str:
    """``verified`` when the device's running config after the change is its intended config."""
    if host not in after:
        return f"not verified: backup after failed: {errors.get(host, '?')}"
    try:
        intended = render_device(topo, host, secrets)
    except OperationError as exc:
        return f"not verified: {exc}"
    left = config_diff(after[host], intended, topo.devices[host].platform, host)
    return "verified" if not left else "not verified: running differs from intended after commit"
