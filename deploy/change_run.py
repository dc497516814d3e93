"""One deploy under change control: gate, backup before, deploy, backup after, verify, record.

A record that carries a remediation (filed by ``egnet change …``) is deployed as exactly that:
after the backup, each device's commands are computed again from its running config and the
inventory, and must equal the record's (masked) commands; any difference — the device or the
inventory changed since the change was filed — refuses the whole change before a device is
touched (re-file it). Then VRP and Comware get the commands typed in (a merge under
``commit trial`` / ``configuration commit delay``, :class:`~deploy.drivers.base.CommandDriver`);
FRR and IOS, whose safe commit replaces the whole config (frr-reload, ``configure replace``), get
the intended config, whose difference from the running config is by that check exactly the
record's diff. A record without a remediation (written by hand) deploys its devices' intended
configs through the normal pipeline.

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
from deploy.engine import deploy_jobs
from deploy.intent import prepare
from deploy.options import DeployOptions
from deploy.push import DeviceJob
from deploy.remediate import commands
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
    mask_commands: Callable[[str, str], str] | None = None,
) -> tuple[list[DeployResult], Outcome]:
    """Run ``rec`` on ``hosts``: its remediation when it has one, else ``engine`` (intended
    configs); raise :class:`ChangeRefused` (after recording the refusal) when the change may not
    run now, or when a device's commands now differ from the record's.

    ``mask_commands(text, platform)`` masks commands as ``egnet change`` did when it filed them
    (default: ``mask``)."""
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
    if rec.remediation:
        masked = mask_commands or (lambda text, _platform: mask(text))
        try:
            jobs = remediation_jobs(topo, rec, hosts, before_cfgs, secrets, masked)
        except ChangeRefused as exc:
            finish("refused", str(exc), backup_before=before)
            raise
        results = deploy_jobs(topo, jobs, opts, make)
    else:
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


#: platforms that get the record's commands typed in (a merge); the others get the intended config
MERGE_PLATFORMS = frozenset({"huawei_vrp", "hp_comware"})


def remediation_jobs(
    topo: Topology,
    rec: ChangeRecord,
    hosts: list[str],
    running: dict[str, str],
    secrets: SecretSource,
    mask: Callable[[str, str], str],
) -> list[DeviceJob]:
    """The jobs that apply exactly ``rec.remediation`` to ``hosts`` (see the module docstring).

    Raises:
        ChangeRefused: a config fails render or audit, or a device's commands computed now from
            its running config differ from the record's.
    """
    prepared, refused = prepare(topo, hosts, secrets)
    if refused:
        r = refused[0]
        raise ChangeRefused(f"change {rec.id}: {r.hostname}: {r.stage}: {r.reason[:300]}")
    jobs: list[DeviceJob] = []
    stale: list[str] = []
    for job in prepared:
        now = commands(running[job.hostname], job.intended, job.platform)
        if mask(now, job.platform) != rec.remediation.get(job.hostname, ""):
            stale.append(job.hostname)
        elif now:
            merge = now if job.platform in MERGE_PLATFORMS else ""
            jobs.append(DeviceJob(job.hostname, job.platform, job.intended, job.peers, merge))
    if stale:
        raise ChangeRefused(
            f"change {rec.id}: the commands for {', '.join(stale[:10])} are no longer the "
            "record's: the device's running config or the inventory changed since the change "
            "was filed\n  hint: file the change again (egnet change … --changes) and have it "
            "approved"
        )
    return jobs
