"""Golden error cases: each case breaks a copy of inventory/lab in one way; the diagnostics must match.

Cases live in ``cases/<name>.yaml`` (what to change) next to ``cases/<name>.expected`` (what
``egnet validate`` prints on stderr). Regenerate the expected files with ``pytest --update-golden``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from egnet.cli import main

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))


def apply_edits(inv: Path, edits: list[dict[str, object]]) -> None:
    """Apply a case's edits: replace text once, set whole content, append, or delete a file."""
    for edit in edits:
        path = inv / str(edit["file"])
        if edit.get("delete"):
            path.unlink()
        elif "content" in edit:
            path.write_text(str(edit["content"]), encoding="utf-8")
        elif "append" in edit:
            path.write_text(
                path.read_text(encoding="utf-8") + str(edit["append"]), encoding="utf-8"
            )
        else:
            replace = edit["replace"]
            assert isinstance(replace, list) and len(replace) == 2
            old, new = str(replace[0]), str(replace[1])
            text = path.read_text(encoding="utf-8")
            assert old in text, f"case edit does not apply: {old!r} not in {path.name}"
            path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_error_case(
    case: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    update_golden: bool,
) -> None:
    spec = yaml.safe_load(case.read_text(encoding="utf-8"))
    inv = tmp_path / "inv"
    shutil.copytree(ROOT / "inventory" / "lab", inv)
    apply_edits(inv, spec["edits"])
    monkeypatch.chdir(tmp_path)
    rc = main(["validate", "inv"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err and "internal error" not in err
    expected = case.with_suffix(".expected")
    if update_golden:
        expected.write_text(err, encoding="utf-8")
    assert expected.exists(), f"no golden file for {case.name}: run pytest --update-golden"
    assert err == expected.read_text(encoding="utf-8")
    for needle in spec.get("must_mention", []):
        assert needle in err


def test_every_rule_has_a_case() -> None:
    """The rules the source-of-truth issue names each have a golden case."""
    rules = {
        "yaml_syntax",
        "duplicate_key",
        "unknown_key",
        "missing_field",
        "bad_unit",
        "capacity_zero",
        "unknown_carrier",
        "unknown_device",
        "unknown_model",
        "unknown_zone",
        "circuit_same_device",
        "duplicate_circuit_id",
        "duplicate_hostname",
        "overlapping_pools",
        "duplicate_address",
        "platform_feature",
        "empty_file",
        "pool_exhausted",
        "duplicate_site_id",
        "unknown_duct",
    }
    assert rules <= {c.stem for c in CASES}
