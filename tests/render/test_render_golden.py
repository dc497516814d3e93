"""Golden configs per platform and role, discovered by glob; regenerate with --update-golden."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_testlib import GOLDEN, cases, rendered

GOLDEN_FILES = sorted(GOLDEN.glob("*/*.cfg"))


def _case_of(path: Path) -> tuple[str, str]:
    return (path.parent.name, path.stem)


def test_golden_set_matches_platforms_and_roles(update_golden: bool) -> None:
    """Every (platform, role) of the test inventories has a golden file and no golden is stale."""
    wanted = set(cases())
    if update_golden:
        for (platform, role), (inv, host) in cases().items():
            path = GOLDEN / platform / f"{role}.cfg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rendered(inv)[host], encoding="utf-8")
        for path in GOLDEN_FILES:
            if _case_of(path) not in wanted:
                path.unlink()
        return
    have = {_case_of(p) for p in GOLDEN_FILES}
    assert have == wanted, "golden files out of date: run pytest tests/render --update-golden"
    assert {p for p, _ in wanted} == {
        *("huawei_vrp", "hp_comware", "cisco_ios", "frr"),
        *("huawei_usg", "hp_secpath"),  # the egress firewalls
    }


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_config(path: Path, update_golden: bool) -> None:
    case = _case_of(path)
    if case not in cases():
        pytest.fail(f"{path}: stale golden (no such platform/role): run --update-golden")
    inv, host = cases()[case]
    text = rendered(inv)[host]
    if update_golden:
        path.write_text(text, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{path} differs from the render of {host}: review, then --update-golden"
    )
