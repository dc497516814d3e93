"""A newcomer's first hour: init, validate, secrets init, render, plan in a fresh folder (issue 12)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import onboarding_env
import pytest

from egnet.cli import build_parser, main

clean_env = onboarding_env.clean_env  # the shared fixture


def test_newcomer_init_validate_secrets_render_plan(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "mynet"]) == 0
    assert (clean_env / "mynet" / "ipam.lock.json").is_file()
    assert "#" in (clean_env / "mynet" / "network.yaml").read_text(encoding="utf-8")  # commented
    capsys.readouterr()
    assert main(["validate", "mynet"]) == 0
    out = capsys.readouterr()
    assert "inventory is valid" in out.out and "warning" not in out.out + out.err
    # rendering before any secret exists names every missing one in one message
    assert main(["render", "mynet", "--out", "build/configs"]) == 2  # bad input
    err = " ".join(capsys.readouterr().err.split())
    for name in ("ospf_key", "bgp_password", "aaa_key", "user_netadmin", "snmp_v3_priv_key"):
        assert f"{name}: missing" in err
    assert main(["secrets", "init"]) == 0
    assert (clean_env / ".vault.yaml").stat().st_mode & 0o777 == 0o600
    assert main(["secrets", "check", "mynet"]) == 0
    assert main(["render", "mynet", "--out", "build/configs"]) == 0
    configs = sorted((clean_env / "build" / "configs").glob("*.cfg"))
    assert len(configs) == 10
    assert main(["audit", "build/configs"]) == 0
    assert main(["check", "mynet"]) == 0
    capsys.readouterr()
    # findings (exit 1), all from failures that take an internet egress down: a city's internet
    # traffic then leaves by the province's egress over the city's 155M uplinks (the N-1 sweep
    # moves it as routing would, planner/egress_failover.py); nothing fails in the baseline
    assert main(["plan", "mynet", "--failures", "n-1", "--json"]) == 1
    plan = json.loads(capsys.readouterr().out)
    assert plan["baseline_unrouted"]["bps"] == 0
    assert plan["violations"]
    for v in plan["violations"]:
        assert v["baseline_utilisation"] < 0.7
        assert v["scenario"].startswith(("egress:", "carrier:")), v


def test_init_refuses_a_non_empty_folder(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (clean_env / "mine").mkdir()
    (clean_env / "mine" / "notes.txt").write_text("keep", encoding="utf-8")
    assert main(["init", "mine"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (clean_env / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep"
    assert not (clean_env / "mine" / "network.yaml").exists()


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("egnet ")


def _walk(parser: argparse.ArgumentParser, path: str) -> list[tuple[str, argparse.Action]]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += _walk(sub, f"{path} {name}")
        else:
            out.append((path, action))
    return out


def test_every_positional_has_help_and_defaults_are_shown() -> None:
    parser = build_parser()
    actions = _walk(parser, "egnet")
    missing = [f"{p} {a.dest}" for p, a in actions if not a.option_strings and not a.help]
    assert missing == []
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    poll_help = sub.choices["poll"].format_help()
    assert "(default: 60.0)" in poll_help  # --interval, registered without its default in the help
    secrets_help = sub.choices["secrets"]._actions[-1].choices["check"].format_help()
    assert "render,deploy,poll" in " ".join(secrets_help.split())
