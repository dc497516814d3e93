"""Cisco IOS XE configs carry no line the device accepts but never shows in its running config.

Such a line is never in what drift reads back from the device, so the hier_config remediation
that drift reports for IOS would ask for it on every device, forever. Each entry names the public
document that says the device hides it.
"""

from __future__ import annotations

import re

import pytest
from render_testlib import MIXED, rendered, topology

from configs.diff import config_diff

HIDDEN_DEFAULTS = {
    # DISA Cisco IOS XE Router NDM STIG V3R4, V-215837: "Informational is the default severity
    # level; hence, if the severity level is configured to informational, the logging trap command
    # will not be shown in the configuration."
    "logging trap informational": r"^logging trap informational\s*$",
}


def ios_configs() -> dict[str, str]:
    topo = topology(MIXED)
    return {h: t for h, t in rendered(MIXED).items() if topo.devices[h].platform == "cisco_ios"}


def test_the_mixed_inventory_renders_cisco_ios_devices() -> None:
    assert ios_configs(), "no cisco_ios device in the mixed test inventory"


@pytest.mark.parametrize(("line", "pattern"), sorted(HIDDEN_DEFAULTS.items()))
def test_no_hidden_default_line_is_rendered(line: str, pattern: str) -> None:
    rx = re.compile(pattern)
    assert rx.match(line), "the pattern must match the line it stands for"
    offenders = {
        host: ln for host, text in ios_configs().items() for ln in text.splitlines() if rx.match(ln)
    }
    assert not offenders, f"IOS XE never shows {line!r}, drift would report it: {offenders}"


def test_drift_does_not_ask_for_snmp_users_the_device_never_shows() -> None:
    # IOS keeps SNMPv3 users out of its running config (RFC 3414 localized keys): a running config
    # read back right after a deploy has every rendered line except `snmp-server user`.
    host, intended = next(iter(sorted(ios_configs().items())))
    assert re.search(r"^snmp-server user ", intended, re.M), "fixture renders no SNMPv3 user"
    running = "\n".join(
        ln for ln in intended.splitlines() if not ln.startswith("snmp-server user ")
    )
    assert config_diff(running, intended, "cisco_ios", host) == ""


def test_drift_still_reports_a_changed_snmp_group() -> None:
    host, intended = next(iter(sorted(ios_configs().items())))
    running = intended.replace("snmp-server group EGOV v3 priv", "snmp-server group EGOV v3 auth")
    assert running != intended
    assert "snmp-server group EGOV v3 priv" in config_diff(running, intended, "cisco_ios", host)
