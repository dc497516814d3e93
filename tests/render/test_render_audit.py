"""The 等保 audit: every rendered config passes, and every rule catches a config that breaks it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from render_testlib import HERE, LAB, MIXED, ROOT, rendered, secrets, topology

from configs.audit import RULE_IDS, AuditPolicy, audit_config, load_rules
from configs.render import render_device

BREAKS: dict[str, dict[str, dict[str, Any] | list[dict[str, Any]]]] = yaml.safe_load(
    (HERE / "audit_breaks.yaml").read_text(encoding="utf-8")
)
SAMPLE = {  # a core (BGP, MPLS, QoS, unused ports) of each platform
    "huawei_vrp": (MIXED, "lab-core1"),
    "hp_comware": (MIXED, "beicheng-core1"),
    "cisco_ios": (MIXED, "beicheng-dongxian-core1"),
    "frr": (LAB, "lab-core1"),
    "huawei_usg": (MIXED, "lab-fw1"),  # the egress firewalls (§8.1.3 boundary rules)
    "hp_secpath": (MIXED, "beicheng-fw1"),
}


def statuses(text: str, platform: str, policy: AuditPolicy | None = None) -> dict[str, str]:
    return {r.rule: r.status for r in audit_config(text, platform, policy)}


# rules that apply to one kind of device only: their sample (the cloud border firewalls)
RULE_SAMPLE = {
    ("hp_secpath", "cloud-border"): (MIXED, "lab-cloud-fw1"),
    ("huawei_usg", "cloud-border"): (ROOT / "inventory" / "jiangxi", "jiangxi-cloud-fw1"),
}


def sample(platform: str, rule: str | None = None) -> str:
    inv, host = RULE_SAMPLE.get((platform, rule or ""), SAMPLE[platform])
    topo = topology(inv)
    assert topo.devices[host].platform == platform
    if inv in (MIXED, LAB):
        return rendered(inv)[host]
    return render_device(topo, host, secrets())


def apply_break(text: str, op: dict[str, Any]) -> str:
    """Apply one mutation from audit_breaks.yaml."""
    ((kind, arg),) = op.items()
    if kind == "append":
        return f"{text}{arg}\n"
    if kind in ("delete", "delete_first"):
        rx = re.compile(arg)
        lines, out, done = text.splitlines(), [], False
        for ln in lines:
            if rx.search(ln) and not (done and kind == "delete_first"):
                done = True
                continue
            out.append(ln)
        assert done, f"/{arg}/ matched nothing"
        return "\n".join(out) + "\n"
    pattern, repl = arg
    new, n = re.subn(pattern, repl, text, count=1 if kind == "sub_first" else 0, flags=re.M)
    assert n, f"/{pattern}/ matched nothing"
    return new


@pytest.mark.parametrize("inv", [MIXED, LAB], ids=lambda p: p.name)
def test_every_rendered_config_passes(inv: Path) -> None:
    topo = topology(inv)
    for host, text in rendered(inv).items():
        failed = [r for r in audit_config(text, topo.devices[host].platform) if r.status == "fail"]
        assert not failed, f"{host}: {[(r.rule, r.reason) for r in failed]}"


@pytest.mark.parametrize("platform", sorted(SAMPLE))
def test_rule_sets_are_complete(platform: str) -> None:
    """Every rule is defined per platform; n/a rules carry a reason; every other rule has a break."""
    rules = load_rules(platform).rules
    assert sorted(r.id for r in rules) == sorted(RULE_IDS)
    applicable = {r.id for r in rules if r.na is None}
    assert all(r.na for r in rules if r.id not in applicable)
    assert set(BREAKS[platform]) == applicable


def break_ops(platform: str, rule: str) -> list[dict[str, Any]]:
    """The breaks of one rule: one mapping or a list of alternatives."""
    ops = BREAKS[platform][rule]
    return ops if isinstance(ops, list) else [ops]


CASES = [
    (p, rule, i)
    for p in sorted(BREAKS)
    for rule in BREAKS[p]
    for i in range(len(break_ops(p, rule)))
]


@pytest.mark.parametrize(
    ("platform", "rule", "i"), CASES, ids=[f"{p}-{r}-{i}" for p, r, i in CASES]
)
def test_rule_catches_a_broken_config(platform: str, rule: str, i: int) -> None:
    good = sample(platform, rule)
    assert statuses(good, platform)[rule] == "pass"
    bad = apply_break(good, break_ops(platform, rule)[i])
    results = {r.rule: r for r in audit_config(bad, platform)}
    assert results[rule].status == "fail", results[rule]
    assert results[rule].reason != "ok"


AREA_LINE = r"^ area \S+ authentication message-digest$"
IF_AUTH = r"^ ip ospf authentication message-digest$"


@pytest.mark.parametrize(
    ("ops", "status"),
    [
        ([{"delete": AREA_LINE}], "pass"),  # per-interface MD5 on every interface
        ([{"delete": IF_AUTH}], "pass"),  # area-wide MD5 covers every interface
        ([{"delete": IF_AUTH}, {"sub": [r"area 0\.0\.0\.0 auth", "area 0 auth"]}], "pass"),
        ([{"delete": IF_AUTH}, {"sub": [r"area 0\.0\.0\.0 auth", "area 9 auth"]}], "fail"),
        (
            [
                {"delete": IF_AUTH},
                {"sub": [r"^( ip ospf cost \d+)$", r"\1\n ip ospf passive"]},
                {"delete": AREA_LINE},
            ],
            "pass",
        ),  # passive interfaces form no adjacency
        ([{"sub": [r"^ network (\S+) area \S+$", r" network \1 area 0.0.0.1"]}], "pass"),
        (
            [{"delete": IF_AUTH}, {"sub": [r"^ network (\S+) area \S+$", r" network \1 area 1"]}],
            "fail",
        ),  # the interfaces are in area 1, MD5 is set for area 0 only
    ],
)
def test_frr_ospf_auth_area_or_interface(ops: list[dict[str, Any]], status: str) -> None:
    """OSPF MD5 may come from the area or the interface; it must cover every OSPF interface."""
    text = sample("frr")
    for op in ops:
        text = apply_break(text, op)
    assert statuses(text, "frr")["routing-auth"] == status


def test_na_rules_report_a_reason_not_a_pass() -> None:
    results = audit_config(sample("frr"), "frr")
    na = [r for r in results if r.status == "na"]
    assert {r.rule for r in na} >= {"ssh-v2", "snmpv3-authpriv", "aaa-local-fallback", "ntp"}
    assert "banner" in {r.rule for r in na}  # vtysh.conf's, never in frr.conf or running config
    assert all(len(r.reason) > 10 and not r.evidence for r in na)


@pytest.mark.parametrize("platform", ["cisco_ios", "huawei_vrp", "hp_comware"])
@pytest.mark.parametrize(
    ("policy", "rule"),
    [
        (AuditPolicy(lockout_tries=3), "login-lockout"),
        (AuditPolicy(lockout_minutes=30), "login-lockout"),
        (AuditPolicy(idle_timeout_minutes=5), "idle-timeout"),
        (AuditPolicy(password_min_length=16), "password-length"),
    ],
)
def test_thresholds_are_policy(platform: str, policy: AuditPolicy, rule: str) -> None:
    """A stricter policy than the rendered settings fails the rule; the default passes it."""
    text = sample(platform)
    assert statuses(text, platform)[rule] == "pass"
    assert statuses(text, platform, policy)[rule] == "fail"


def test_evidence_names_lines() -> None:
    results = {r.rule: r for r in audit_config(sample("cisco_ios"), "cisco_ios")}
    assert any(
        e.split(":")[0].isdigit() and "ip ssh version 2" in e for e in results["ssh-v2"].evidence
    )


def test_parallel_audit_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import configs.audit as audit_mod

    topo = topology(MIXED)
    files = {}
    for host, text in rendered(MIXED).items():
        path = tmp_path / f"{host}.cfg"
        path.write_text(text, encoding="utf-8")
        files[path] = topo.devices[host].platform
    monkeypatch.setattr(audit_mod, "AUDIT_CHUNK", 3)
    ticks: list[int] = []
    par = audit_mod.audit_files(files, jobs=2, progress=ticks.append)
    assert sum(ticks) == len(files) and len(ticks) > 1
    assert par == audit_mod.audit_files(files, jobs=1)


def running_config_style(text: str) -> str:
    """Indent one-line global commands by a space, as VRP and Comware display them."""
    lines = text.splitlines()
    out = []
    for i, ln in enumerate(lines):
        single = i + 1 == len(lines) or not lines[i + 1].startswith(" ")
        if ln and not ln.startswith((" ", "#")) and ln != "return" and single:
            ln = " " + ln
        out.append(ln)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("platform", ["huawei_vrp", "hp_comware"])
def test_rules_accept_running_config_indentation(platform: str) -> None:
    """Backed-up running configs indent global commands; the audit still passes them."""
    text = running_config_style(sample(platform))
    assert text != sample(platform)
    failed = [r for r in audit_config(text, platform) if r.status == "fail"]
    assert not failed, [(r.rule, r.reason) for r in failed]


def test_cisco_show_run_header_is_not_a_banner_version() -> None:
    """`show running-config` starts with a version line; only the banner must not carry one."""
    head = "Building configuration...\n\nCurrent configuration : 9999 bytes\n!\nversion 15.9\n"
    text = head + sample("cisco_ios")
    assert statuses(text, "cisco_ios")["banner"] == "pass"


def test_real_frr_running_config_backup_passes(tmp_path: Path) -> None:
    """A `show running-config` captured from real FRR (defaults hidden, no banner) passes, and
    the folder audit takes the platform from --platform (no manifest)."""
    from configs.audit import audit_files

    backup = HERE / "backups" / "frr" / "lab-core1.cfg"
    text = backup.read_text(encoding="utf-8")
    assert "exec-timeout" not in text and "banner" not in text
    (result,) = audit_files({backup: "frr"})
    assert not result.failed, [(r.rule, r.reason) for r in result.results if r.status == "fail"]
    by_rule = {r.rule: r for r in result.results}
    assert by_rule["routing-auth"].status == "pass"
    assert len(by_rule["routing-auth"].evidence) == 4  # eth1-eth4: OSPF, not passive
    assert by_rule["banner"].status == "na" and "vtysh.conf" in by_rule["banner"].reason
    broken = tmp_path / "lab-core1.cfg"
    broken.write_text(text.replace("line vty\n", "line vty\n exec-timeout 0 0\n"), encoding="utf-8")
    (result,) = audit_files({broken: "frr"})
    assert [r.rule for r in result.results if r.status == "fail"] == ["idle-timeout"]
