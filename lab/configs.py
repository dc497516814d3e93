"""Configuration files the lab writes for each router's FRR, sshd and snmpd (pure text builders)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from lab.plan import LabNode
from topology.diagnostics import OperationError
from topology.management import SNMP_COMMUNITY_SECRET, Management, nms_snmp_user
from topology.secrets import SecretSource

FRR_DAEMONS = (
    "zebra",
    "staticd",
    "ospfd",
    "bgpd",
    "ldpd",
    "vrrpd",
)  # vrrpd: departments' VRRP gateways
#: NET-SNMP-AGENT-MIB::nsCacheTimeout, indexed by the cached table's OID
NS_CACHE_TIMEOUT = "1.3.6.1.4.1.8072.1.5.3.1.2"
#: net-snmp 5.9 keeps one 3 s cache for ifTable, shared by ifXTable (ifHCInOctets etc.): the only
#: IF-MIB entry in nsCacheTable. No snmpd.conf directive sets it; a SET at start does.
IF_TABLE_CACHE = NS_CACHE_TIMEOUT + ".1.3.6.1.2.1.2.2"
#: where the cache SET goes: the router namespace's own loopback (unreachable from outside)
SNMP_LOCAL_AGENT = "udp:127.0.0.1:161"


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
    def from_secrets(cls, secrets: SecretSource, mg: Management) -> LabCredentials:
        """Resolve every lab credential; raise ``MissingSecret`` naming the first one missing.

        The SNMPv3 user and its secret names are the model's NMS user
        (:func:`topology.management.nms_snmp_user`), the one the configs create and the poller
        authenticates as.
        """
        user = nms_snmp_user(mg)
        if user is None:
            raise OperationError(
                "lab up: management.snmp_users is empty; the lab's snmpd needs one"
            )
        return cls(
            ssh_username=secrets.get("ssh_username"),
            ssh_password=secrets.get("ssh_password"),
            snmp_community=secrets.get(SNMP_COMMUNITY_SECRET),
            snmp_v3_user=user.name,
            snmp_v3_auth_key=secrets.get(user.auth_secret),
            snmp_v3_priv_key=secrets.get(user.priv_secret),
        )


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


def vtysh_config(banner: str) -> str:
    """Return ``vtysh.conf``: integrated configuration and the login banner.

    vtysh shows its own "Hello, this is FRRouting (version …)" at an interactive login unless
    ``vtysh.conf`` carries a banner (等保: no version string in the banner).

    Examples:
        >>> print(vtysh_config("Authorised use only."), end="")
        service integrated-vtysh-config
        banner motd line Authorised use only.
    """
    return f"service integrated-vtysh-config\nbanner motd line {banner}\n"


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


def snmpd_config(node: LabNode, creds: LabCredentials, cache_community: str | None = None) -> str:
    """Return ``snmpd.conf``: v2c read-only community and a v3 authPriv (SHA/AES) user.

    ``ifName`` is the Linux interface name (net-snmp's default), so it equals the model's names.
    With ``cache_community`` the agent also listens on the namespace's loopback, where that
    community may write nsCacheTimeout only (see :func:`snmp_cache_off_argv`).

    Examples:
        >>> from types import SimpleNamespace as N
        >>> node = N(mgmt_address="198.19.0.16/24", hostname="r1", site="s")
        >>> creds = N(snmp_community="ro", snmp_v3_user="u", snmp_v3_auth_key="a",
        ...     snmp_v3_priv_key="p")
        >>> snmpd_config(node, creds, "tok").splitlines()[:3]  # doctest: +NORMALIZE_WHITESPACE
        ['agentAddress udp:198.19.0.16:161,udp:127.0.0.1:161',
         'rwcommunity tok 127.0.0.1 .1.3.6.1.4.1.8072.1.5.3.1.2', 'rocommunity ro default']
    """
    addr = node.mgmt_address.split("/")[0]
    cache = (
        []
        if cache_community is None
        else [f"rwcommunity {cache_community} 127.0.0.1 .{NS_CACHE_TIMEOUT}"]
    )
    local = "" if cache_community is None else f",{SNMP_LOCAL_AGENT}"
    return "\n".join(
        [
            f"agentAddress udp:{addr}:161{local}",
            *cache,
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


def snmp_cache_off_argv(cache_community: str) -> list[str]:
    """Return the ``snmpset`` (run in the router's namespace) that turns the IF-MIB cache off.

    net-snmp caches ifTable/ifXTable for 3 s, which distorts a 30 s utilisation sample by up to
    ~10 %; nsCacheTimeout 0 serves fresh counters on every request.

    Examples:
        >>> snmp_cache_off_argv("tok")[-4:]
        ['udp:127.0.0.1:161', '1.3.6.1.4.1.8072.1.5.3.1.2.1.3.6.1.2.1.2.2', 'i', '0']
    """
    return [
        "snmpset",
        "-v2c",
        "-c",
        cache_community,
        "-t",
        "1",
        "-r",
        "5",
        SNMP_LOCAL_AGENT,
        IF_TABLE_CACHE,
        "i",
        "0",
    ]


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
