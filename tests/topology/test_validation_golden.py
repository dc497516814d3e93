"""Golden error cases: each case breaks a copy of inventory/lab in one way; the diagnostics must match.

Cases live in ``cases/<name>.yaml`` (what to change) next to ``cases/<name>.expected`` (what
``egnet validate`` prints on stderr). Regenerate the expected files with ``pytest --update-golden``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from egnet.cli import main

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))


def apply_edits(inv: Path, edits: list[dict[str, object]]) -> None:
    """Apply a case's edits to a copy of an inventory.

    Kinds: ``replace: [old, new]`` (once; with ``repeat: N`` the new text is repeated N times),
    ``content`` (whole text), ``content_bytes`` (whole file, ``!!binary``), ``append`` (with optional
    ``repeat``), ``delete``, ``fifo: true`` (replace the file by a named pipe), ``symlink: TARGET``.
    """
    for edit in edits:
        path = inv / str(edit["file"])
        repeat = int(str(edit.get("repeat", 1)))
        if edit.get("delete"):
            path.unlink()
        elif edit.get("fifo"):
            path.unlink(missing_ok=True)
            os.mkfifo(path)
        elif "symlink" in edit:
            path.unlink(missing_ok=True)
            path.symlink_to(str(edit["symlink"]))
        elif "content_bytes" in edit:
            data = edit["content_bytes"]
            assert isinstance(data, bytes)
            path.write_bytes(data)
        elif "content" in edit:
            path.write_text(str(edit["content"]), encoding="utf-8")
        elif "append" in edit:
            path.write_text(
                path.read_text(encoding="utf-8") + str(edit["append"]) * repeat, encoding="utf-8"
            )
        else:
            replace = edit["replace"]
            assert isinstance(replace, list) and len(replace) == 2
            old, new = str(replace[0]), str(replace[1]) * repeat
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
    # issue 9: config injection (§1) and bounded, strict input (§4)
    rules |= {
        "inject_newline_circuit_id",
        "inject_extra_circuit_id",
        "inject_control_label",
        "inject_line_separator",
        "inject_banner_cr",
        "inject_cli_special",
        "bound_file_size",
        "bound_alias_bomb",
        "bound_alias_recursive",
        "bound_nesting",
        "bound_values",
        "file_special_demands",
        "bound_huge_number",
        "bound_inf",
        "rate_rounds_to_zero",
        "file_fifo",
        "file_symlink_device",
        "lock_not_utf8",
        "lock_wrong_type",
        "tag_binary",
        "strict_types",
        "long_value",
    }
    assert rules <= {c.stem for c in CASES}
