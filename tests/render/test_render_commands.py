"""Every command form egnet renders has a row in its platform's command reference (issue 11).

``templates/<platform>/COMMANDS.yaml`` lists one row per command form (values as placeholders,
``testing/command_forms.py``), the models it is rendered for and its public source (or says that
none was found). Rendered here: the mixed-vendor test inventory, the lab and one device per
(model, role) of Jiangxi, which together carry every template branch.
"""

from __future__ import annotations

from functools import lru_cache

import pytest
import yaml
from render_testlib import LAB, MIXED, ROOT, SECRET_VALUES, rendered, secrets, topology

from configs.render import render_device
from testing.command_forms import forms, sync_rows, topology_names

JIANGXI = ROOT / "inventory" / "jiangxi"
PLATFORMS = ("cisco_ios", "frr", "hp_comware", "hp_secpath", "huawei_usg", "huawei_vrp")


@lru_cache(maxsize=1)
def observed() -> dict[str, dict[str, tuple[str, set[str]]]]:
    """platform → form → (an example line, models it was rendered for)."""
    out: dict[str, dict[str, tuple[str, set[str]]]] = {p: {} for p in PLATFORMS}
    for inv in (MIXED, LAB, JIANGXI):
        topo = topology(inv)
        names = topology_names(topo, SECRET_VALUES.values())
        if inv == JIANGXI:  # one device per (model, role, tier): 3,825 would be slow and repetitive
            hosts: dict[tuple[str, str, str], str] = {}
            for h in sorted(topo.devices):
                d = topo.devices[h]
                hosts.setdefault((d.model, d.role.value, topo.sites[d.site].tier.value), h)
            texts = {h: render_device(topo, h, secrets()) for h in hosts.values()}
        else:
            texts = rendered(inv)
        for h, text in texts.items():
            dev = topo.devices[h]
            for form, line in forms(text, names).items():
                out[dev.platform].setdefault(form, (line, set()))[1].add(dev.model)
    return out


@lru_cache(maxsize=8)
def reference(platform: str) -> dict[str, dict[str, object]]:
    path = ROOT / "templates" / platform / "COMMANDS.yaml"
    if not path.is_file():
        return {}
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["commands"]
    forms_ = [r["form"] for r in rows]
    assert len(forms_) == len(set(forms_)), f"{path}: duplicate rows"
    return {r["form"]: r for r in rows}


HEADER = """\
# Command reference of {p}: one row per command form egnet renders (values as placeholders:
# <ip> <prefix> <n> <asn:n> <if> <host> <vrf> <user> <secret> <hash> <shaper> <text>), the models
# it is rendered for, and the public document or real configuration it was checked against.
# tests/render/test_render_commands.py fails when a rendered line has no row (or a row for
# other models), and when a row is never rendered. `--update-golden` adds new forms as
# `unverified` and drops stale rows: review the diff and research the new rows' sources.
"""


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_rendered_form_has_a_row_for_its_model(platform: str, update_golden: bool) -> None:
    if update_golden:
        path = ROOT / "templates" / platform / "COMMANDS.yaml"
        rows = sync_rows(list(reference(platform).values()), observed()[platform])
        body = yaml.safe_dump(
            {"commands": rows},
            allow_unicode=True,
            sort_keys=False,
            width=200,
            default_flow_style=None,
        )
        path.write_text(HEADER.format(p=platform) + body, encoding="utf-8")
        reference.cache_clear()
    ref = reference(platform)
    missing = []
    for form, (line, models) in sorted(observed()[platform].items()):
        row = ref.get(form)
        if row is None:
            missing.append(f"no row for {form!r} (e.g. {line!r})")
            continue
        listed = row["models"]
        assert isinstance(listed, list)
        if not models <= set(listed):
            missing.append(f"{form!r}: rendered for {sorted(models - set(listed))}, not listed")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_row_is_rendered_and_names_its_source(platform: str) -> None:
    seen = observed()[platform]
    for form, row in reference(platform).items():
        assert form in seen, f"{platform}: row {form!r} is never rendered (stale)"
        assert str(row.get("source", "")).strip(), f"{platform}: row {form!r} has no source"
