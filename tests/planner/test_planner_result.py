"""Typed plan results: the JSON document, its generated schema and SCHEMA.md agree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from egnet.cli import main
from planner.result import (
    SCHEMA_BEGIN,
    SCHEMA_END,
    PlanResult,
    field_rows,
    json_schema_text,
    schema_markdown,
)

PLANNER = Path(__file__).resolve().parents[2] / "planner"


def test_schema_md_field_table_is_generated_from_the_types() -> None:
    text = (PLANNER / "SCHEMA.md").read_text(encoding="utf-8")
    start, end = text.index(SCHEMA_BEGIN), text.index(SCHEMA_END) + len(SCHEMA_END)
    assert text[start:end] == schema_markdown(), "run .venv/bin/python -m planner.result"


def test_json_schema_file_is_generated_from_the_types() -> None:
    stored = (PLANNER / "plan.schema.json").read_text(encoding="utf-8")
    assert stored == json_schema_text(), "run .venv/bin/python -m planner.result"


def test_every_field_of_the_hand_written_table_exists() -> None:
    """Each top-level field SCHEMA.md's egnet.plan/1 table describes is a field of PlanResult."""
    text = (PLANNER / "SCHEMA.md").read_text(encoding="utf-8")
    section = text.split("→ `egnet.plan/1`", 1)[1].split("### ", 1)[0]
    described = {
        line.split("`")[1].split(".")[0].split("[")[0]
        for line in section.splitlines()
        if line.startswith("| `") and not line.startswith("| `…")  # … continues a row above
    }
    top = {p for p, _, _ in field_rows(PlanResult) if "." not in p and "[" not in p}
    assert described <= top, described - top
    assert top - described <= set(), top - described


@pytest.fixture(scope="module")
def lab_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("plan") / "p.json"
    main(["plan", "inventory/lab", "--failures", "n-1", "--growth", "tier=all:25%",
          "--json", str(out)])  # fmt: skip
    data: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return data


def test_written_json_round_trips_through_the_types(lab_plan: dict[str, object]) -> None:
    typed = PlanResult.model_validate(lab_plan, strict=False)
    assert typed.to_json_data() == lab_plan
    assert list(typed.to_json_data()) == list(lab_plan)  # key order kept
    assert "comparison" not in lab_plan and "measured" not in lab_plan


def test_types_reject_a_bad_document(lab_plan: dict[str, object]) -> None:
    bad = json.loads(json.dumps(lab_plan))
    bad["circuits"][0]["directions"][0]["status"] = "great"
    with pytest.raises(ValidationError):
        PlanResult.model_validate(bad, strict=False)
    extra = json.loads(json.dumps(lab_plan)) | {"surprise": 1}
    with pytest.raises(ValidationError):
        PlanResult.model_validate(extra, strict=False)


def test_compare_with_a_broken_plan_is_a_located_error(
    tmp_path: Path, lab_plan: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = json.loads(json.dumps(lab_plan))
    bad["circuits"][1]["directions"][0]["worst_utilisation"] = "high"
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(bad), encoding="utf-8")
    assert main(["plan", "inventory/lab", "--compare", str(f)]) in (1, 2)  # bad input (main: 2)
    err = capsys.readouterr().err
    assert "circuits.1.directions.0.worst_utilisation" in err
    assert "Traceback" not in err


def test_runs_with_different_string_hashing_give_the_same_plan(tmp_path: Path) -> None:
    plans = []
    for seed in ("1", "2"):
        out = tmp_path / f"p{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "egnet.cli", "plan", "inventory/lab", "--failures", "n-1",
             "--json", str(out)],
            check=False, env=env, capture_output=True,
        )  # fmt: skip
        plans.append(json.loads(out.read_text(encoding="utf-8")))
    assert plans[0]["scenarios"] == plans[1]["scenarios"]
    assert plans[0]["circuits"] == plans[1]["circuits"]
