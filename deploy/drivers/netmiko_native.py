"""Huawei VRP 8 and H3C Comware 7 through Netmiko, with the devices' own commands.

The community NAPALM drivers for these platforms are incomplete, so egnet speaks native CLI:

- VRP 8 (two-stage commit): the candidate file is loaded with ``load configuration file ...
  replace`` into the candidate datastore and activated with ``commit trial <seconds>``; ``commit``
  confirms, ``abort trial`` (system view) rolls back; without a confirm the device reverts by
  itself (``display configuration trial status`` then shows ``INACTIVE``).
- Comware 7 (one-stage): ``configuration commit delay <minutes>`` arms the device's rollback timer,
  ``configuration replace file`` applies the candidate; ``configuration commit`` confirms.

Candidate files are copied to ``flash:/`` over SFTP. Each command waits for the device's prompt
(``<host>``, ``[host]``, ``[~host]``, ``[*host]``, sub-views ``[~host-…]``) or for a ``[Y/N]``
question, which is answered from a table (data). ``display`` outputs are parsed with TextFSM
templates (ntc-templates where it has one, else the templates in ``textfsm/`` here). The drivers
are tested through Netmiko over real SSH sessions against simulated devices
(``testing/sshsim.py``).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Protocol, cast

import paramiko
import textfsm  # type: ignore[import-untyped]

from deploy.drivers.base import DriverError, Unreachable
from deploy.transport import Credentials, Endpoint, connect
from topology.model import Platform

logger = logging.getLogger(__name__)

CANDIDATE = "egnet-candidate.cfg"
ROLLBACK = "egnet-rollback.cfg"
ERROR_MARKERS = re.compile(r"^\s*(Error:|% ?(Unrecognized|Incomplete|Invalid|Wrong))", re.M)
QUESTION = r"\[Y/N\]:?"
#: how egnet answers a device's confirmation question: first matching pattern wins.
#: Comware asks whether to save before ``configuration replace file``: no, egnet saved the
#: rollback file itself; every other question ("Continue? [Y/N]") is the one egnet asked for.
ANSWERS: tuple[tuple[str, str], ...] = (
    (r"save current configuration\?", "N"),
    (r"Continue\?", "Y"),
)
TEMPLATES = Path(__file__).resolve().parent / "textfsm"


def prompt_pattern(base: str) -> str:
    """Return the regex that ends every command's output: the device's prompt or a question.

    Examples:
        >>> p = prompt_pattern("r1")
        >>> [bool(re.search(p, s)) for s in ("<r1>", "[~r1]", "[*r1-GigabitEthernet1/0/0]", "x")]
        [True, True, True, False]
        >>> bool(re.search(p, "Continue? [Y/N]:"))
        True
    """
    return rf"(?:[<\[][~*]?{re.escape(base)}(?:-[^\]>\r\n]*)?[>\]]|{QUESTION})\s*$"


def answer_for(question: str) -> str | None:
    """Return egnet's answer to a device question, or None when it is not a question.

    Examples:
        >>> answer_for("Current configuration will be lost, save current configuration? [Y/N]:")
        'N'
        >>> answer_for("Continue? [Y/N]:"), answer_for("Info: done")
        ('Y', None)
    """
    if not re.search(QUESTION + r"\s*$", question.rstrip()):
        return None
    return next((a for pat, a in ANSWERS if re.search(pat, question)), None)


@cache
def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def parse_textfsm(template: str, output: str) -> list[dict[str, str]]:
    """Parse ``output`` with one of egnet's TextFSM templates; rows as dicts (lower-case keys).

    Raises :class:`DriverError` when the output does not match the template.
    """
    try:
        fsm = textfsm.TextFSM(io.StringIO(_template(template)))
        rows = fsm.ParseText(output)
    except textfsm.TextFSMError as exc:
        raise DriverError(f"unexpected device output for {template}: {exc}") from exc
    return [{k.lower(): str(v) for k, v in zip(fsm.header, row, strict=True)} for row in rows]


def parse_ntc(platform: str, command: str, output: str) -> list[dict[str, str]]:
    """Parse ``output`` with ntc-templates' template for ``platform`` / ``command``."""
    from ntc_templates.parse import parse_output  # type: ignore[import-untyped]

    try:
        rows = parse_output(platform=platform, command=command, data=output)
    except Exception as exc:
        raise DriverError(f"unexpected device output for '{command}': {exc}") from exc
    return [{str(k).lower(): v for k, v in row.items()} for row in rows]


#: longest remediation (lines) typed into one session
MAX_COMMAND_LINES = 5000


def command_lines(commands: str) -> list[str]:
    """The lines of a remediation to type, indentation kept, blank lines dropped; refuses control
    characters and over-long input (the text reaches a device CLI).

    Examples:
        >>> command_lines("interface GE1/0/4.1003\\n description x\\n quit\\n\\n")
        ['interface GE1/0/4.1003', ' description x', ' quit']
    """
    lines = [ln.rstrip() for ln in commands.split("\n") if ln.strip()]  # only \n ends a line
    if len(lines) > MAX_COMMAND_LINES:
        raise DriverError(f"{len(lines)} command lines: more than {MAX_COMMAND_LINES}")
    bad = [ln for ln in lines if re.search(r"[\x00-\x1f\x7f\u2028\u2029]", ln) or len(ln) > 4096]
    if bad:
        raise DriverError(f"refused to type a command with control characters: {bad[0][:80]!r}")
    return lines


class NetmikoConnection(Protocol):
    """The part of a Netmiko connection the drivers use."""

    base_prompt: str

    def send_command(self, command_string: str, **kwargs: Any) -> str:
        """Send one command, read until ``expect_string``."""

    def disconnect(self) -> None:
        """Close the session."""


Connector = Callable[..., NetmikoConnection]
Uploader = Callable[[Endpoint, Credentials, str, str], None]


def sftp_upload(ep: Endpoint, creds: Credentials, remote: str, text: str) -> None:
    """Copy ``text`` to ``remote`` on the device over SFTP (through the jump host if any)."""
    try:
        transport = paramiko.Transport(connect(ep))
        pkey = paramiko.PKey.from_path(creds.key_file) if creds.key_file else None
        transport.connect(username=creds.username, password=creds.password, pkey=pkey)
        sftp = paramiko.SFTPClient.from_transport(transport)
        if sftp is None:
            raise paramiko.SSHException("no SFTP channel")
        sftp.putfo(io.BytesIO(text.encode("utf-8")), remote)
        transport.close()
    except (OSError, paramiko.SSHException) as exc:
        raise Unreachable(f"{ep.host}: SFTP upload of {remote} failed: {exc}") from exc


def _netmiko_connect(**kwargs: Any) -> NetmikoConnection:
    from netmiko import ConnectHandler

    return cast(NetmikoConnection, ConnectHandler(**kwargs))


def device_errors(output: str) -> list[str]:
    """Return the error lines a VRP/Comware/IOS CLI printed.

    Examples:
        >>> device_errors("ok\\nError: Unrecognized command found at '^' position.\\n")
        ["Error: Unrecognized command found at '^' position."]
    """
    return [ln.strip() for ln in output.splitlines() if ERROR_MARKERS.match(ln)]


def parse_peers(output: str) -> dict[str, str]:
    """Parse VRP ``display ospf peer brief`` (TextFSM): neighbour router id → state.

    Examples:
        >>> parse_peers(" Area Id   Interface   Neighbor id   State\\n"
        ...             " 0.0.0.0  GE1/0/1   198.18.0.5   Full\\n 0.0.0.0  GE1/0/2  198.18.0.6  Init")
        {'198.18.0.5': 'Full', '198.18.0.6': 'Init'}
    """
    rows = parse_textfsm("huawei_vrp_display_ospf_peer_brief.textfsm", output)
    return {r["neighbor_id"]: r["state"].capitalize() for r in rows}


def parse_comware_peers(output: str) -> dict[str, str]:
    """Parse Comware ``display ospf peer`` (TextFSM): neighbour router id → state.

    Examples:
        >>> parse_comware_peers(" Area: 0.0.0.0\\n"
        ...   " Router ID  Address  Pri Dead-Time  State  Interface\\n"
        ...   " 198.18.0.5  198.18.16.2  1  37  Full/BDR  GE0/1")
        {'198.18.0.5': 'Full'}
    """
    rows = parse_textfsm("hp_comware_display_ospf_peer.textfsm", output)
    return {r["router_id"]: r["state"].capitalize() for r in rows}


def parse_trial_status(output: str) -> tuple[str, int]:
    """Parse VRP ``display configuration trial status``: (status, seconds left).

    Examples:
        >>> parse_trial_status("Trial status:  ACTIVE\\nTrial time left (sec): 51\\n")
        ('ACTIVE', 51)
    """
    rows = parse_textfsm("huawei_vrp_display_configuration_trial_status.textfsm", output)
    if not rows:
        raise DriverError(f"no trial status in device output: {output[:200]!r}")
    return rows[0]["status"].upper(), int(rows[0]["seconds_left"] or 0)


class _NetmikoDriver:
    """Shared plumbing: one Netmiko session, error detection, file upload."""

    running_command = ""
    peers_command = ""

    def __init__(
        self,
        hostname: str,
        platform: Platform,
        endpoint: Endpoint,
        creds: Credentials,
        connector: Connector = _netmiko_connect,
        uploader: Uploader = sftp_upload,
    ) -> None:
        self.hostname = hostname
        self.platform = platform
        self.endpoint = endpoint
        self.creds = creds
        self.connector = connector
        self.uploader = uploader
        self.conn: NetmikoConnection | None = None

    def open(self) -> None:
        """Connect with Netmiko (through the management namespace when there is one)."""
        extra: dict[str, Any] = {}
        try:
            if self.endpoint.opener or self.endpoint.jump is not None:
                extra["sock"] = connect(self.endpoint)
            self.conn = self.connector(
                device_type=self.platform.netmiko_device_type,
                host=self.endpoint.host,
                port=self.endpoint.port,
                username=self.creds.username,
                password=self.creds.password,
                key_file=self.creds.key_file,
                use_keys=self.creds.key_file is not None,
                allow_agent=False,
                timeout=self.endpoint.timeout,
                **extra,
            )
        except Exception as exc:
            raise Unreachable(f"{self.hostname}: cannot connect: {exc}") from exc

    def close(self) -> None:
        """Disconnect."""
        if self.conn is not None:
            try:
                self.conn.disconnect()
            finally:
                self.conn = None

    def send(self, *commands: str, fail_on_error: bool = True) -> str:
        """Send commands one by one, answering device questions; raise on a device error line
        when asked."""
        if self.conn is None:
            self.open()
        assert self.conn is not None
        outputs = []
        for cmd in commands:
            out = self._one(cmd)
            answer = answer_for(out)
            if answer is not None:
                out += "\n" + self._one(answer)
            outputs.append(out)
            errors = device_errors(out)
            if errors and fail_on_error:
                raise DriverError(f"{self.hostname}: '{cmd}' failed: {errors[0]}")
        return "\n".join(outputs)

    def _one(self, cmd: str) -> str:
        assert self.conn is not None
        try:
            return self.conn.send_command(
                cmd,
                expect_string=prompt_pattern(self.conn.base_prompt),
                read_timeout=120,
                strip_prompt=False,
            )
        except Exception as exc:
            raise Unreachable(f"{self.hostname}: session lost during '{cmd}': {exc}") from exc

    def show(self, command: str) -> str:
        """Run a ``display`` command; its output without the echoed command and trailing prompt."""
        out = self.strip_output(self.send(command))
        first, _, rest = out.partition("\n")
        return rest if first.rstrip().endswith(command) else out

    def get_running(self) -> str:
        """Return the running configuration."""
        return self.show(self.running_command)

    def ospf_neighbors(self) -> dict[str, str]:
        """Return OSPF peers by router id."""
        return parse_peers(self.show(self.peers_command))

    def strip_output(self, out: str) -> str:
        """Drop the trailing prompt line Netmiko leaves in (``strip_prompt=False``)."""
        lines = out.rstrip().splitlines()
        if lines and re.fullmatch(
            prompt_pattern(self.conn.base_prompt if self.conn else ""), lines[-1]
        ):
            lines = lines[:-1]
        return "\n".join(lines) + "\n"

    def upload(self, name: str, text: str) -> None:
        """Copy a config file to ``flash:/``."""
        self.uploader(self.endpoint, self.creds, name, text)


class VrpDriver(_NetmikoDriver):
    """Huawei VRP 8: two-stage commit with ``commit trial``."""

    running_command = "display current-configuration"
    peers_command = "display ospf peer brief"

    def check(self, candidate: str) -> str | None:
        """Load the candidate into the candidate datastore, report errors, then abort it."""
        self.upload(CANDIDATE, candidate)
        out = self.send(
            "system-view",
            f"load configuration file flash:/{CANDIDATE} replace",
            fail_on_error=False,
        )
        self.send("abort", "return", fail_on_error=False)
        errors = device_errors(out)
        return "; ".join(errors) if errors else None

    def commit_confirmed(self, candidate: str, revert_in: int) -> None:
        """Replace the candidate and ``commit trial``: the device reverts unless confirmed."""
        self.upload(CANDIDATE, candidate)
        try:
            self.send(
                "system-view",
                f"load configuration file flash:/{CANDIDATE} replace",
                f"commit trial {max(60, revert_in)}",
                "return",
            )
        except DriverError:
            self.send("abort", "return", fail_on_error=False)
            raise

    def commit_commands(self, commands: str, revert_in: int) -> None:
        """Type ``commands`` (a remediation: sections closed with ``quit``) in system view into
        the candidate, then ``commit trial``: a merge of exactly these lines, never a replace;
        the device reverts unless confirmed. A refused line discards the candidate (``abort``)."""
        lines = command_lines(commands)
        try:
            self.send("system-view", *lines, f"commit trial {max(60, revert_in)}", "return")
        except DriverError:
            self.send("abort", "return", fail_on_error=False)
            raise

    def confirm(self) -> None:
        """``commit`` ends the trial and keeps the change."""
        self.send("system-view", "commit", "return")

    def rollback(self) -> None:
        """``abort trial`` (system view) restores the previous configuration now."""
        self.send("system-view", "abort trial", "return")

    def trial_status(self) -> tuple[str, int]:
        """``display configuration trial status``: (``ACTIVE``/``INACTIVE``/…, seconds left)."""
        return parse_trial_status(self.show("display configuration trial status"))

    def rollback_happened(self) -> bool:
        """True when no trial is running any more (the device reverted it)."""
        return self.trial_status()[0] == "INACTIVE"

    def version(self) -> dict[str, str]:
        """``display version`` parsed with ntc-templates' ``huawei_vrp`` template."""
        rows = parse_ntc("huawei_vrp", "display version", self.show("display version"))
        if not rows:
            raise DriverError(f"{self.hostname}: 'display version' gave no version")
        return {k: str(v) for k, v in rows[0].items()}


class ComwareDriver(_NetmikoDriver):
    """H3C Comware 7: ``configuration commit delay`` then ``configuration replace file``."""

    running_command = "display current-configuration"
    peers_command = "display ospf peer"

    def ospf_neighbors(self) -> dict[str, str]:
        """Return OSPF peers by router id (``display ospf peer``)."""
        return parse_comware_peers(self.show(self.peers_command))

    def check(self, candidate: str) -> str | None:
        """Comware has no candidate datastore: verify the uploaded file is complete on flash.

        The syntax itself is checked by ``configuration replace file`` at commit time, which
        refuses a file with errors (and the delay timer restores the old config).
        """
        self.upload(CANDIDATE, candidate)
        out = self.send(f"dir flash:/{CANDIDATE}", fail_on_error=False)
        size = len(candidate.encode("utf-8"))
        return None if re.search(rf"\b{size}\b", out) else f"flash:/{CANDIDATE} missing or short"

    def commit_confirmed(self, candidate: str, revert_in: int) -> None:
        """Save a rollback file, arm the delay timer, replace the configuration."""
        self.upload(CANDIDATE, candidate)
        minutes = max(1, (revert_in + 59) // 60)
        self.send(f"save flash:/{ROLLBACK}")
        try:
            self.send(
                "system-view",
                f"configuration commit delay {minutes}",
                f"configuration replace file flash:/{CANDIDATE}",
                "return",
            )
        except DriverError:
            self.send("return", fail_on_error=False)  # back to user view; the timer stays armed
            raise

    def commit_commands(self, commands: str, revert_in: int) -> None:
        """Save a rollback file, arm the delay timer, then type ``commands`` (a remediation) in
        system view: a merge of exactly these lines. Comware applies each line at once; without
        ``configuration commit`` the timer restores the configuration of before the delay."""
        lines = command_lines(commands)
        minutes = max(1, (revert_in + 59) // 60)
        self.send(f"save flash:/{ROLLBACK}")
        try:
            self.send("system-view", f"configuration commit delay {minutes}", *lines, "return")
        except DriverError:
            self.send("return", fail_on_error=False)  # the timer stays armed: rollback undoes it
            raise

    def confirm(self) -> None:
        """``configuration commit`` stops the timer and keeps the change."""
        self.send("system-view", "configuration commit", "return")

    def rollback(self) -> None:
        """Replace back to the saved file and stop the timer."""
        self.send(
            "system-view",
            f"configuration replace file flash:/{ROLLBACK}",
            "configuration commit",
            "return",
        )

    def rollback_happened(self) -> bool:
        """True when the device logged an automatic rollback of the delayed commit."""
        out = self.send("display logbuffer | include CFGMAN", fail_on_error=False)
        return "rollback" in out.lower()
