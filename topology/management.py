"""Management-plane settings of the network (NTP, syslog, AAA, SNMP, users, banner, secrets by name).

Owned by the config-rendering work (issue 4). Secrets are referenced by *name* only; values are
resolved at render time by :mod:`topology.secrets`. Every field is optional with a default that
meets the 等保 2.0 level-3 device baseline, so inventories without a ``management:`` section still
validate. Server lists and the management ACL default to empty, meaning "the NMS segment of the
management pool" (the renderer resolves that, since the pool lives elsewhere in the model).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, model_validator

from topology.text import Int, SecretName, device_text


def _ipv4(text: str) -> str:
    """Validate an IPv4 host address.

    Examples:
        >>> _ipv4("198.19.0.2")
        '198.19.0.2'
    """
    return str(ipaddress.IPv4Address(text))


def _prefix(text: str) -> str:
    """Validate an IPv4 prefix (host bits must be zero).

    Examples:
        >>> _prefix("198.19.0.0/28")
        '198.19.0.0/28'
    """
    return str(ipaddress.IPv4Network(text))


NMS_PREFIXLEN = 28  # the first /28 of the management pool is the NMS segment, reserved by IPAM


def nms_segment(mgmt_address: str) -> ipaddress.IPv4Network:
    """The NMS segment of the management pool holding ``mgmt_address`` (the pool's first /28).

    The one source of this value: IPAM reserves it, the configs' default NTP/syslog/AAA servers and
    management ACL point at it, and the lab's NMS namespace takes its first host.

    Examples:
        >>> nms_segment("198.19.0.23/24")
        IPv4Network('198.19.0.0/28')
        >>> nms_segment("10.9.8.5/29")
        IPv4Network('10.9.8.0/29')
    """
    pool = ipaddress.IPv4Interface(mgmt_address).network
    return ipaddress.IPv4Network((int(pool.network_address), max(pool.prefixlen, NMS_PREFIXLEN)))


def nms_host(mgmt_address: str) -> ipaddress.IPv4Interface:
    """The NMS host (first host of the NMS segment) with the management pool's prefix length.

    Examples:
        >>> nms_host("198.19.0.23/24")
        IPv4Interface('198.19.0.1/24')
    """
    pool = ipaddress.IPv4Interface(mgmt_address).network
    first = nms_segment(mgmt_address).network_address + 1
    return ipaddress.IPv4Interface((int(first), pool.prefixlen))


Host = Annotated[str, AfterValidator(_ipv4)]
Prefix = Annotated[str, AfterValidator(_prefix)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UserIn(_Frozen):
    """A named local user: privilege (0-15) and the *name* of the secret holding its password."""

    name: Annotated[str, Strict()] = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$")
    privilege: Int = Field(ge=0, le=15)
    secret: SecretName


class SnmpUserIn(_Frozen):
    """An SNMPv3 user (always authPriv, SHA + AES-128) with the names of its two key secrets."""

    name: Annotated[str, Strict()] = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$")
    auth_secret: SecretName
    priv_secret: SecretName


class AaaIn(_Frozen):
    """Remote AAA with local fallback. ``tacacs`` is rendered as HWTACACS on Huawei and H3C."""

    protocol: Literal["tacacs", "radius"] = "tacacs"
    servers: tuple[Host, ...] = ()
    key_secret: SecretName = "aaa_key"


class PasswordPolicyIn(_Frozen):
    """Local password policy pushed to devices that support one."""

    min_length: Int = Field(default=12, ge=8, le=32)
    max_age_days: Int = Field(default=90, ge=1, le=365)


CentreLevel = Literal["province", "city"]
TierName = Literal["province", "city", "county", "township", "cloud"]
DEFAULT_CENTRES: dict[TierName, CentreLevel] = {
    "province": "province",
    "city": "province",
    "county": "city",
    "township": "city",
    "cloud": "province",
}
FLOW_PORT = 2055  # NetFlow v9 / NetStream collector port (pmacct nfacctd's usual port)


class ManagementPlaneIn(_Frozen):
    """``management.plane``: per-site management subnets and the management centres serving them.

    With ``site_prefix`` set, every site's out-of-band management ports sit in the site's own
    subnet of the management pool (one /``site_prefix[tier]`` per site, locked in the IPAM lock;
    its first host is the site's management gateway) and every city that serves a tier gets its
    own NMS segment (a /28 of the pool, locked). Without it the pool is one flat segment (the
    FRR lab's management LAN).
    """

    site_prefix: dict[TierName, Int] = Field(
        default_factory=dict,
        description="prefix length of each tier's site management subnet (empty: one flat pool)",
    )
    centres: dict[TierName, CentreLevel] = Field(
        default_factory=lambda: dict(DEFAULT_CENTRES),
        description="which management centre serves each tier's devices: the province's, or "
        "the device's city's (default: province for province, city and cloud; city for county "
        "and township; tiers not named keep their default)",
    )
    flow_port: Int = Field(default=FLOW_PORT, ge=1, le=65535)

    @model_validator(mode="before")
    @classmethod
    def _default_centres(cls, data: object) -> object:
        """Tiers ``centres`` does not name keep their default centre.

        Examples:
            >>> ManagementPlaneIn(centres={"city": "city"}).centres["county"]
            'city'
        """
        if isinstance(data, dict) and isinstance(data.get("centres"), dict):
            return {**data, "centres": {**DEFAULT_CENTRES, **data["centres"]}}
        return data

    @model_validator(mode="after")
    def _sizes(self) -> ManagementPlaneIn:
        for tier, plen in self.site_prefix.items():
            if not 16 <= plen <= 30:
                raise ValueError(f"site_prefix.{tier}: /{plen} is not between /16 and /30")
        missing = sorted(set(DEFAULT_CENTRES) - set(self.centres))
        if missing:
            raise ValueError(f"centres: name the centre of every tier; missing {missing}")
        return self


DEFAULT_USERS = (
    UserIn(name="netadmin", privilege=15, secret="user_netadmin"),
    UserIn(name="noc", privilege=1, secret="user_noc"),
)
DEFAULT_SNMP_USERS = (
    SnmpUserIn(name="egnet-nms", auth_secret="snmp_v3_auth_key", priv_secret="snmp_v3_priv_key"),
)
DEFAULT_BANNER = "Authorised use only. All access is logged and audited."


class ManagementIn(_Frozen):
    """``management:`` section of ``network.yaml`` (all optional, with sane defaults)."""

    ntp_servers: tuple[Host, ...] = ()
    syslog_servers: tuple[Host, ...] = ()
    aaa: AaaIn = AaaIn()
    users: tuple[UserIn, ...] = DEFAULT_USERS
    snmp_users: tuple[SnmpUserIn, ...] = DEFAULT_SNMP_USERS
    lockout_tries: Int = Field(default=5, ge=1, le=20)
    lockout_minutes: Int = Field(default=10, ge=1, le=1440)
    idle_timeout_minutes: Int = Field(default=10, ge=1, le=60)
    mgmt_acl: tuple[Prefix, ...] = ()
    banner: Annotated[str, AfterValidator(device_text)] = Field(
        default=DEFAULT_BANNER,
        min_length=1,
        max_length=400,
        description="one line of device text (topology.text.device_text): no control or line "
        'separator characters, no % " # ^ ! | ? (banner delimiters and CLI specials)',
    )
    password: PasswordPolicyIn = PasswordPolicyIn()
    ospf_key_secret: SecretName = "ospf_key"
    ospf_key_id: Int = Field(default=1, ge=1, le=255)
    bgp_password_secret: SecretName = "bgp_password"
    ntp_key_secret: SecretName = "ntp_key"
    ldp_key_secret: SecretName = "ldp_key"
    ntp_key_id: Int = Field(default=1, ge=1, le=65535)
    trap_servers: tuple[Host, ...] = Field(
        default=(),
        description="SNMPv3 trap receivers (default: the NMS host, where the poller runs)",
    )
    timezone: Annotated[str, Strict()] = Field(default="CST", pattern=r"^[A-Z]{2,5}$")
    utc_offset_hours: Int = Field(default=8, ge=-12, le=14)
    jump_host: Host | None = None  # bastion that deploy/backup reach the devices through (SSH)
    jump_port: Int = Field(default=22, ge=1, le=65535)
    plane: ManagementPlaneIn = ManagementPlaneIn()

    @model_validator(mode="after")
    def _unique_users(self) -> ManagementIn:
        for kind, names in (
            ("users", [u.name for u in self.users]),
            ("snmp_users", [u.name for u in self.snmp_users]),
        ):
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"duplicate {kind}: {', '.join(dup)}")
        if not self.users:
            raise ValueError("at least one named local user is required (local fallback)")
        return self


class Management(ManagementIn):
    """Resolved management settings (same shape as the input section)."""


SNMP_COMMUNITY_SECRET = (
    "snmp_community"  # SNMPv2c read-only community (lab snmpd, poll --snmp-version 2c)
)


def nms_snmp_user(mg: ManagementIn) -> SnmpUserIn | None:
    """The SNMPv3 user the NMS polls as: the first entry of ``management.snmp_users``.

    The one source of the user name and its secret names: the configs create every listed user,
    the lab's snmpd creates this one and the poller authenticates as it. None when the list is
    empty (then SNMPv3 polling is impossible).

    Examples:
        >>> nms_snmp_user(ManagementIn()).name
        'egnet-nms'
        >>> nms_snmp_user(ManagementIn(snmp_users=())) is None
        True
    """
    return mg.snmp_users[0] if mg.snmp_users else None


def resolve_management(spec: ManagementIn) -> Management:
    """Resolve the input section into the model's management settings.

    Examples:
        >>> m = resolve_management(ManagementIn())
        >>> (m.lockout_tries, m.lockout_minutes, m.idle_timeout_minutes, m.users[0].name)
        (5, 10, 10, 'netadmin')
    """
    return Management(**spec.model_dump())
