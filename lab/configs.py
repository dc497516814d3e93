"""Configuration files the lab writes for each router's FRR, sshd and snmpd (pure text builders)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from lab.plan import LabNode
from topology.secrets import Secrets

FRR_DAEMONS = ("zebra", "staticd", "ospfd", "bgpd", "ldpd")


class LabCredentials(BaseModel):
    """Lab credentials, resolved from :mod:`topology.secrets` (never from the inventory)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ssh_username: str
    ssh_password: str
    snmp_community: str
    snmp_v3_user: str
    snmp_v3_auth_key: str
    snmp_v3_priv_key: str

    @classmethod
    def from_secrets(cls, secrets: Secrets) -> LabCredentials:
        """Resolve every lab credential; raise ``MissingSecret`` naming the first one missing."""
        return cls(**{name: secrets.get(name) for name in cls.model_fields})


class NodePaths(BaseModel):
    """Where one router's files live: ``<root>/<namespace>/{etc,run,log,ssh,snmp,var}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base: Path

    @property
    def etc(self) -> Path:
        """FRR configuration folder (``frr.conf``, ``vtysh.conf``)."""
        return self.base / "etc"

    @property
    def run(self) -> Path:
        """vty sockets, zserv socket and pid files."""
        return self.base / "run"

    @property
    def log(self) -> Path:
        """Daemon logs."""
        return self.base / "log"

    @property
    def ssh(self) -> Path:
        """sshd configuration and host keys."""
        return self.base / "ssh"

    @property
    def snmp(self) -> Path:
        """snmpd configuration and persistent state."""
        return self.base / "snmp"

    @property
    def var(self) -> Path:
        """Device-side state of the management shell (rollback files, commit timers)."""
        return self.base / "var"


def bootstrap_config(node: LabNode) -> str:
    """Return the minimal FRR config a lab router boots with: hostname and management only.

    Examples:
        >>> from lab.plan import LabNode
        >>> n = LabNode(hostname="r1", namespace="eg-r1", site="s", mgmt_interface="mgmt0",
        ...             mgmt_address="198.19.0.20/24", mgmt_peer="mg-1", loopback="198.18.0.1/32",
        ...             interfaces=("eth1",))
        >>> print(bootstrap_config(n), end="")
        frr defaults traditional
        hostname r1
        service integrated-vtysh-config
        !
        interface mgmt0
         ip address 198.19.0.20/24
        exit
        !
        end
    """
    return (
        "frr defaults traditional\n"
        f"hostname {node.hostname}\n"
        "service integrated-vtysh-config\n"
        "!\n"
        f"interface {node.mgmt_interface}\n"
        f" ip address {node.mgmt_address}\n"
        "exit\n"
        "!\n"
        "end\n"
    )


def vtysh_config() -> str:
    """Return ``vtysh.conf``: integrated configuration (one ``frr.conf``)."""
    return "service integrated-vtysh-config\n"


def sshd_config(node: LabNode, paths: NodePaths, user: str, authorized_keys: Path) -> str:
    """Return the router's ``sshd_config``: listens on the management address only.

    The login shell of ``user`` is the lab's vtysh shell; ``EGNET_LAB_DIR`` tells it which
    router's sockets and files to use.
    """
    addr = node.mgmt_address.split("/")[0]
    return "\n".join(
        [
            f"ListenAddress {addr}",
            "Port 22",
            f"HostKey {paths.ssh / 'ssh_host_ed25519_key'}",
            f"PidFile {paths.run / 'sshd.pid'}",
            "UsePAM no",
            "PasswordAuthentication yes",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            f"AuthorizedKeysFile {authorized_keys}",
            "StrictModes no",
            "PermitRootLogin no",
            f"AllowUsers {user}",
            "X11Forwarding no",
            "AllowTcpForwarding no",
            "PrintMotd no",
            "UseDNS no",
            "MaxStartups 64:30:128",
            "MaxSessions 32",
            "LoginGraceTime 30",
            "ClientAliveInterval 15",
            f"SetEnv EGNET_LAB_DIR={paths.base}",
            "Subsystem sftp internal-sftp",
            "",
        ]
    )


def snmpd_config(node: LabNode, creds: LabCredentials) -> str:
    """Return ``snmpd.conf``: v2c read-only community and a v3 authPriv (SHA/AES) user.

    ``ifName`` is the Linux interface name (net-snmp's default), so it equals the model's names.
    """
    addr = node.mgmt_address.split("/")[0]
    return "\n".join(
        [
            f"agentAddress udp:{addr}:161",
            f"rocommunity {creds.snmp_community} default",
            f'createUser {creds.snmp_v3_user} SHA "{creds.snmp_v3_auth_key}" '
            f'AES "{creds.snmp_v3_priv_key}"',
            f"rouser {creds.snmp_v3_user} priv",
            f"sysName {node.hostname}",
            f"sysLocation {node.site}",
            "sysContact egnet lab",
            "sysServices 72",
            "",
        ]
    )


def frr_daemon_argv(daemon: str, paths: NodePaths) -> list[str]:
    """Return the command line that starts one FRR daemon with the router's own paths.

    Examples:
        >>> argv = frr_daemon_argv("ospfd", NodePaths(base=Path("/b/eg-r1")))
        >>> argv[:2], argv[-2:]
        (['/usr/lib/frr/ospfd', '-d'], ['-z', '/b/eg-r1/run/zserv.api'])
    """
    return [
        f"/usr/lib/frr/{daemon}",
        "-d",
        "-u",
        "frr",
        "-g",
        "frr",
        "-A",
        "127.0.0.1",
        "--vty_socket",
        str(paths.run),
        "-i",
        str(paths.run / f"{daemon}.pid"),
        "-f",
        str(paths.etc / f"{daemon}.conf"),
        "--log",
        f"file:{paths.log / (daemon + '.log')}",
        "-z",
        str(paths.run / "zserv.api"),
    ]
