"""Results a person can read (issue 12): comparison table, growth with upgrades, expected and
unexpected losses, CSV/TSV tables, and the report's searchable site tree."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from egnet.cli import main
from planner.model import build_model
from topology import load_topology

CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved plan, edited: one circuit and one site gone, a circuit and a site that no longer
    exist added."""
    out = tmp_path_factory.mktemp("cmp") / "before.json"
    main(["plan", "inventory/lab", "--json", str(out)])
    plan: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    gone = next(c for c in plan["circuits"] if c["id"] == "xiqu-hexi-sc")
    plan["circuits"].remove(gone)
    ghost = json.loads(json.dumps(gone)) | {"id": "old-circuit"}
    plan["circuits"].append(ghost)
    plan["sites"] = [s for s in plan["sites"] if s["name"] != "xiqu-hexi"]
    plan["sites"].append(
        {"name": "old-site", "label": "旧", "tier": "township", "parent": "beicheng-xiqu",
         "uplink_worst_utilisation": None}
    )  # fmt: skip
    out.write_text(json.dumps(plan), encoding="utf-8")
    return out


def test_compare_prints_a_headed_table_of_changes_only(
    saved: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    main(["plan", "inventory/lab", "--upgrade", "circuit:beicheng-up1=1G", "--compare", str(saved),
          "--html", str(tmp_path / "r.html"), "--top", "1000"])  # fmt: skip
    out = capsys.readouterr().out
    head = re.search(r"comparison with \S+: (\d+) direction\(s\) changed, (\d+) unchanged", out)
    assert head, out
    changed, unchanged = int(head.group(1)), int(head.group(2))
    assert changed == 2 and unchanged > 0  # only the upgraded circuit's two directions
    table = out[out.index("Changes against the saved plan") :]
    assert table.count("beicheng-up1") == 2 and "beicheng-up2" not in table
    assert "added circuits (1): xiqu-hexi-sc" in out
    assert "removed circuits (1): old-circuit" in out
    assert "added sites (1): xiqu-hexi" in out and "removed sites (1): old-site" in out
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="comparison"' in page and "Removed sites (1): old-site" in page
    assert page.count("<td>beicheng-up1</td>") >= 2


def test_growth_lists_exhaustion_and_the_smallest_upgrade(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    main(["plan", "inventory/lab", "--failures", "n-1", "--growth", "tier=all:25%", "--years",
          "6", "--json", str(tmp_path / "p.json"), "--html", str(tmp_path / "r.html")])  # fmt: skip
    out = capsys.readouterr().out
    assert "Exhaustion within 6 years and the smallest upgrade that fixes it" in out
    plan = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    topo = load_topology("inventory/lab")
    fail = plan["policy"]["fail_utilisation"]
    types = sorted(t.usable_bps for t in topo.circuit_types.values())
    hit = [d for c in plan["circuits"] for d in c["directions"] if d["exhaustion_year"] is not None]
    assert hit
    for d in hit:
        need = d["horizon_bps"] / fail
        assert d["upgrade_bps"] >= need
        smaller = [t for t in types if t < d["upgrade_bps"]]
        assert not smaller or smaller[-1] < need  # nothing smaller would do
        assert topo.circuit_types[d["upgrade_type"]].usable_bps == d["upgrade_bps"]
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "smallest upgrade that fixes it" in page


def test_losses_split_into_expected_and_unexpected(capsys: pytest.CaptureFixture[str]) -> None:
    main(["plan", "inventory/lab", "--failures", "n-1", "--json"])
    plan = json.loads(capsys.readouterr().out)
    s = plan["summary"]
    assert s["expected_losses"] + s["unexpected_losses"] == s["scenarios_with_unrouted"]
    items = {i["name"]: i for i in plan["scenarios"]["items"]}
    # the deliberate shared duct cuts a county off: a design fault, not an accepted risk
    assert items["duct:lab-duct-1"]["expected_loss"] is False
    # a single-homed township losing its only uplink, a site failing wholly: accepted
    assert items["circuit:dongxian-qiaotou-up1"]["expected_loss"] is True
    assert items["site:beicheng-xiqu"]["expected_loss"] is True
    assert items["circuit:lab-ic1"]["expected_loss"] is None  # nothing lost


def test_csv_and_tsv_tables(capsys: pytest.CaptureFixture[str]) -> None:
    for fmt, sep in (("csv", ","), ("tsv", "\t")):
        main(["plan", "inventory/lab", "--failures", "n-1", "--format", fmt, "--top", "3"])
        captured = capsys.readouterr()
        blocks = [b for b in captured.out.split("\n\n") if b.strip()]
        titles = [b.splitlines()[0] for b in blocks]
        assert "# Most loaded circuit directions (worst case)" in titles
        block = blocks[titles.index("# Most loaded circuit directions (worst case)")]
        rows = list(csv.reader(io.StringIO(block.split("\n", 1)[1]), delimiter=sep))
        assert rows[0][:2] == ["circuit", "direction"] and len(rows) == 4
        assert "demands" in captured.err  # the prose goes to stderr


def test_upgrade_choice_is_the_inventory_type() -> None:
    from planner.whatif import smallest_upgrade

    pm = build_model(load_topology("inventory/lab"))
    name, rate = smallest_upgrade(pm, 10e6) or ("", 0)
    fits = [t for t in pm.topo.circuit_types.values() if 0.8 * t.usable_bps >= 10e6]
    assert rate == min(t.usable_bps for t in fits) and name in pm.topo.circuit_types


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium")
def test_report_tree_search_zooms_to_the_site(tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    main(["plan", "inventory/lab", "--html", str(page)])
    assert CHROMIUM
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000",
           "--dump-dom", f"{page.as_uri()}#find=河西"]  # fmt: skip
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=True).stdout
    assert re.search(r'<circle[^>]*class="site hit"[^>]*data-name="xiqu-hexi"', dom)
    view = re.search(r'<svg id="tree"[^>]*viewBox="([^"]+)"', dom)
    assert view and view.group(1) != "0 0 820 820"  # zoomed in on it
    assert "1 found" in dom
    assert ">河西街道</text>" in dom  # labels are in the tree


def test_report_map_puts_sites_at_their_division_point(tmp_path: Path) -> None:
    """Issue 12: the report has a geographic view (MIT coordinates, topology/data/README.md)."""
    page = tmp_path / "jx.html"
    main(["plan", "inventory/jiangxi", "--failures", "none", "--html", str(page)])
    svg = re.search(r'<svg id="geo".*?</svg>', page.read_text(encoding="utf-8"))
    assert svg is not None
    at = {
        m[3]: (float(m[1]), float(m[2]))
        for m in re.finditer(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="[\d.]+" class="site" '
                             r'data-name="([^"]+)"', svg.group(0))
    }  # fmt: skip
    topo = load_topology(Path("inventory/jiangxi"))
    tiers = {n: s.tier.value for n, s in topo.sites.items()}
    assert {tiers[n] for n in at} == {"province", "city", "county"}
    assert sum(tiers[n] == "city" for n in at) == 11
    # 九江 north of 南昌 north of 赣州; 萍乡 west of 南昌 west of 上饶
    assert at["jiujiang"][1] < at["nanchang"][1] < at["ganzhou"][1]
    assert at["pingxiang"][0] < at["nanchang"][0] < at["shangrao"][0]
    # the lab's made-up codes have no point: the section says so instead of drawing nothing
    lab = tmp_path / "lab.html"
    main(["plan", "inventory/lab", "--failures", "none", "--html", str(lab)])
    assert "No division coordinates" in lab.read_text(encoding="utf-8")
