"""The Ansible engine: the same pipeline as the native one, with the device work done by
``playbooks/backup.yml``, ``deploy.yml`` and ``verify.yml`` run through ansible-runner.

Python still renders and audits (refusing bad configs before Ansible starts), computes the diffs
from the backups the playbook fetched, stages the rollout and reports one result per device.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from configs.diff import config_diff
from configs.frr_output import strip_running_header
from deploy.backup import backup_name
from deploy.engine import refused_results
from deploy.intent import prepare
from deploy.options import DeployOptions
from deploy.push import DeviceJob, RolloutContext
from deploy.result import DeployResult
from deploy.rollout import run_staged
from deploy.transport import Credentials
from topology.diagnostics import OperationError
from topology.export import ansible_inventory
from topology.model import Topology
from topology.private_files import private_dir, write_private
from topology.secrets import ENV_PREFIX, SecretSource

logger = logging.getLogger(__name__)

#: runs ansible-playbook's argv elsewhere, e.g. in the lab's NMS namespace (``lab.system.in_ns``,
#: handed over by the CLI: deploy never imports lab)
CommandWrapper = Callable[[list[str]], list[str]]

PLAYBOOKS = Path(__file__).resolve().parent.parent / "playbooks"


class AnsibleWorkspace:
    """The ansible-runner folder: inventory, rendered configs, results, the namespace wrapper."""

    def __init__(
        self,
        work: Path,
        topo: Topology,
        jobs: list[DeviceJob],
        creds: Credentials,
        wrap: CommandWrapper | None,
        opts: DeployOptions,
    ) -> None:
        if not creds.key_file:
            raise OperationError(
                "--engine ansible logs in with an SSH key: set secret "
                "'ssh_key_file' (EGNET_SECRET_SSH_KEY_FILE)"
            )
        self.work = work.resolve()
        self.opts = opts
        self.creds = creds
        for sub in ("inventory/host_vars", "configs", "results", "runner"):
            private_dir(self.work / sub)
        inv = ansible_inventory(topo)
        (self.work / "inventory" / "hosts.yml").write_text(
            yaml.safe_dump(inv, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        for job in jobs:
            write_private(self.work / "configs" / f"{job.hostname}.cfg", job.intended)
        self.wrap = wrap

    def host_vars(self, host: str, expected: list[str]) -> None:
        """Write the host's expected peers for the post-check."""
        (self.work / "inventory" / "host_vars" / f"{host}.yml").write_text(
            yaml.safe_dump({"egnet_expected_peers": expected}), encoding="utf-8"
        )

    def run(self, playbook: str, hosts: list[str], extra: dict[str, Any]) -> dict[str, Any]:
        """Run one playbook on ``hosts``; return ansible-runner's per-host stats.

        The environment handed to Ansible is scrubbed of ``EGNET_SECRET_*`` (ansible-runner
        records it in its artifacts); in the lab the command runs inside the NMS namespace.
        """
        from ansible_runner import Runner, RunnerConfig  # type: ignore[import-untyped]

        extravars = {
            "egnet_targets": ",".join(hosts),
            "ansible_user": self.creds.username,
            "ansible_ssh_private_key_file": self.creds.key_file,
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no "
            "-o UserKnownHostsFile=/dev/null",
            "egnet_result_dir": str(self.work / "results"),
            **extra,
        }
        rc = RunnerConfig(
            private_data_dir=str(self.work / "runner"),
            playbook=str(PLAYBOOKS / playbook),
            inventory=str(self.work / "inventory" / "hosts.yml"),
            extravars=extravars,
            limit=",".join(hosts),
            quiet=True,
            forks=self.opts.workers,
            envvars={"ANSIBLE_HOST_KEY_CHECKING": "False"},
        )
        rc.prepare()
        rc.env = {k: v for k, v in rc.env.items() if not k.startswith(ENV_PREFIX)}
        exe = str(Path(sys.executable).parent / "ansible-playbook")
        rc.command = [exe, *rc.command[1:]]
        if self.wrap is not None:
            rc.command = self.wrap(rc.command)
        runner = Runner(config=rc)
        runner.run()
        stats: dict[str, Any] = runner.stats or {}
        return stats


def ansible_deploy(
    topo: Topology,
    inventory_dir: Path,
    hosts: list[str],
    secrets: SecretSource,
    opts: DeployOptions,
    wrap: CommandWrapper | None,
    work: Path,
    overrides: dict[str, str] | None = None,
) -> list[DeployResult]:
    """Deploy ``hosts`` through Ansible with the native engine's staging and reporting.

    ``overrides`` replaces rendered configs (still audited), as for the native engine.
    """
    del inventory_dir  # the inventory comes from the model (topology.export), not the YAML files
    jobs, refused = prepare(topo, hosts, secrets, None, overrides)
    if refused:
        return refused_results(refused, [(j.hostname, j.platform) for j in jobs])
    ws = AnsibleWorkspace(work, topo, jobs, Credentials.from_secrets(secrets), wrap, opts)
    by_host = {j.hostname: j for j in jobs}
    ctx = RolloutContext()

    def run_batch(members: list[str], index: int) -> list[DeployResult]:
        return _batch(ws, [by_host[h] for h in members], index, ctx)

    return run_staged(
        [j.hostname for j in jobs], {j.hostname: j.platform for j in jobs}, run_batch, opts
    )


def _batch(
    ws: AnsibleWorkspace, jobs: list[DeviceJob], index: int, ctx: RolloutContext
) -> list[DeployResult]:
    start = time.monotonic()
    stamp = backup_name(time.time()).removesuffix(".cfg")
    for job in jobs:
        private_dir(ws.opts.backups / job.hostname)
    stats = ws.run(
        "backup.yml",
        [j.hostname for j in jobs],
        {"egnet_backup_dir": str(ws.opts.backups.resolve()), "egnet_stamp": stamp},
    )
    results: dict[str, DeployResult] = {}
    todo: list[DeviceJob] = []
    for job in jobs:
        path = ws.opts.backups / job.hostname / f"{stamp}.cfg"
        base = {"device": job.hostname, "platform": job.platform, "batch": index}
        if not path.is_file():
            results[job.hostname] = DeployResult(
                **base, stage="connect", error=f"backup failed ({_stat(stats, job)})"
            )
            continue
        path.chmod(0o600)  # written by Ansible under the umask; it holds keys
        running = strip_running_header(path.read_text(encoding="utf-8").replace("\r", ""))
        diff = config_diff(running, job.intended, job.platform, job.hostname)
        results[job.hostname] = DeployResult(
            **base, changed=bool(diff), diff=diff, backup=str(path), stage="diff"
        )
        if diff and ws.opts.commit:
            todo.append(job)
        elif not diff:
            ctx.confirm(job.hostname)
    if todo:
        results |= _commit(ws, todo, results, ctx)
    took = round(time.monotonic() - start, 3)
    return [results[j.hostname].model_copy(update={"timings": {"total": took}}) for j in jobs]


def _stat(stats: dict[str, Any], job: DeviceJob) -> str:
    if job.hostname in stats.get("dark", {}):
        return "unreachable"
    if job.hostname in stats.get("failures", {}):
        return "task failed"
    return "no result"


def _commit(
    ws: AnsibleWorkspace, todo: list[DeviceJob], done: dict[str, DeployResult], ctx: RolloutContext
) -> dict[str, DeployResult]:
    for job in todo:
        ws.host_vars(job.hostname, sorted(ctx.expected_peers(job)))
        (ws.work / "results" / f"{job.hostname}.deploy.json").unlink(missing_ok=True)
    stats = ws.run(
        "deploy.yml",
        [j.hostname for j in todo],
        {
            "egnet_config_dir": str(ws.work / "configs"),
            "egnet_revert_in": ws.opts.revert_in,
            "egnet_commit_timeout": max(5, ws.opts.revert_in // 2),
            "egnet_verify_retries": max(1, int(ws.opts.verify_timeout)),
        },
    )
    out: dict[str, DeployResult] = {}
    for job in todo:
        prior = done[job.hostname]
        path = ws.work / "results" / f"{job.hostname}.deploy.json"
        if not path.is_file():
            out[job.hostname] = prior.model_copy(
                update={
                    "stage": "commit",
                    "error": f"no result from deploy.yml ({_stat(stats, job)})",
                }
            )
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("committed"):
            ctx.confirm(job.hostname)
            out[job.hostname] = prior.model_copy(update={"committed": True, "stage": "confirm"})
            continue
        before = Path(prior.backup or "").read_text(encoding="utf-8")
        after = strip_running_header(str(data.get("running_after", "")).replace("\r", ""))
        restored = (
            config_diff(strip_running_header(before.replace("\r", "")), after, job.platform) == ""
        )
        how = "rolled back automatically" if restored else "ROLLBACK FAILED"
        out[job.hostname] = prior.model_copy(
            update={
                "stage": "verify",
                "rolled_back": restored,
                "error": f"post-check failed: {data.get('error')}; {how}",
            }
        )
    return out


def ansible_verify(
    topo: Topology,
    hosts: list[str],
    secrets: SecretSource,
    opts: DeployOptions,
    wrap: CommandWrapper | None,
    work: Path,
) -> dict[str, list[str] | None]:
    """Run ``playbooks/verify.yml``: per host, the Full OSPF neighbours (None: no answer)."""
    ws = AnsibleWorkspace(work, topo, [], Credentials.from_secrets(secrets), wrap, opts)
    for host in hosts:
        (ws.work / "results" / f"{host}.verify.json").unlink(missing_ok=True)
    ws.run("verify.yml", hosts, {})
    out: dict[str, list[str] | None] = {}
    for host in hosts:
        path = ws.work / "results" / f"{host}.verify.json"
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        out[host] = [str(x) for x in data["full"]] if data else None
    return out
