"""The platform registry: vendors plug in as data, keyed by netutils' normalised names.

Adding a platform is an entry here, a ``templates/<name>/`` folder and a golden case; no core code
branches on a platform name. ``interface_template`` formats a port index (1-based) into the platform's
canonical interface name.
"""

from __future__ import annotations

from topology.model import Platform

_COMMON = ("ospf", "isis", "bgp", "l3vpn", "ssh", "snmpv3", "syslog", "ntp")
_FIREWALL = ("firewall", "security_policy", "nat", "session_log")

PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform(
            name="huawei_vrp",
            features=(*_COMMON, "qos", "aaa", "hwtacacs", "radius", "commit_trial"),
            napalm_driver=None,
            netmiko_device_type="huawei_vrpv8",
            ansible_network_os="community.network.ce",
            interface_template="GigabitEthernet0/0/{n}",
            loopback_name="LoopBack0",
            mgmt_interface="MEth0/0/0",
            mgmt_vrf=True,
        ),
        Platform(
            name="hp_comware",
            features=(*_COMMON, "qos", "aaa", "hwtacacs", "radius", "commit_delay"),
            napalm_driver=None,
            netmiko_device_type="hp_comware",
            ansible_network_os="community.network.comware",
            interface_template="GigabitEthernet1/0/{n}",
            loopback_name="LoopBack0",
            mgmt_interface="M-GigabitEthernet0/0/0",
            mgmt_vrf=True,
        ),
        Platform(
            name="cisco_ios",
            features=(*_COMMON, "qos", "aaa", "radius", "tacacs", "commit_revert"),
            napalm_driver="ios",
            netmiko_device_type="cisco_ios",
            ansible_network_os="cisco.ios.ios",
            interface_template="GigabitEthernet0/{n}",
            loopback_name="Loopback0",
            mgmt_interface="GigabitEthernet0",
            mgmt_vrf=True,
        ),
        # Egress firewalls (a level's internet exit). netutils has no name for them; the Netmiko
        # driver is the OS's (USG runs VRP, SecPath runs Comware 7).
        Platform(
            name="huawei_usg",
            features=("ssh", "snmpv3", "syslog", "ntp", "aaa", "hwtacacs", "radius", *_FIREWALL),
            napalm_driver=None,
            netmiko_device_type="huawei",
            ansible_network_os="community.network.ce",
            interface_template="GigabitEthernet1/0/{n}",
            loopback_name="LoopBack0",
            mgmt_interface="GigabitEthernet0/0/0",
            mgmt_vrf=False,
        ),
        Platform(
            name="hp_secpath",
            features=("ssh", "snmpv3", "syslog", "ntp", "aaa", "hwtacacs", "radius", *_FIREWALL),
            napalm_driver=None,
            netmiko_device_type="hp_comware",
            ansible_network_os="community.network.comware",
            interface_template="GigabitEthernet1/0/{n}",
            loopback_name="LoopBack0",
            mgmt_interface="GigabitEthernet1/0/0",
            mgmt_vrf=False,
        ),
        Platform(
            name="frr",
            features=(*_COMMON, "commit_reload"),
            napalm_driver=None,
            netmiko_device_type="linux",
            ansible_network_os="frr.frr.frr",
            interface_template="eth{n}",
            loopback_name="lo",
            mgmt_interface="mgmt0",
            mgmt_vrf=False,
        ),
    )
}


def interface_name(platform: Platform, index: int) -> str:
    """Return the canonical name of port ``index`` (1-based) on ``platform``.

    Examples:
        >>> interface_name(PLATFORMS["huawei_vrp"], 3)
        'GigabitEthernet0/0/3'
        >>> interface_name(PLATFORMS["frr"], 1)
        'eth1'
    """
    return platform.interface_template.format(n=index)
