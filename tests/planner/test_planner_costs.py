"""Per-direction IGP costs in the inventory (``cost_ab`` / ``cost_ba`` on uplinks and circuits)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.model import build_model
from topology import load_topology
from topology.diagnostics import InventoryError

LINE = "- {local: 1, remote: 1, type: mstp_100m, carrier: telecom, ducts: [lab-duct-1]}"


def _lab(tmp_path: Path, extra: str) -> Path:
    root = tmp_path / "lab"
    shutil.copytree("inventory/lab", root)
    city = root / "cities" / "9901-beicheng.yaml"
    text = city.read_text(encoding="utf-8")
    assert LINE in text
    city.write_text(text.replace(LINE, LINE[:-1] + extra + "}"), encoding="utf-8")
    return root


def _loads(topo_dir: Path | str) -> dict[tuple[str, str], float]:
    pm = build_model(load_topology(str(topo_dir)))
    loads = pm.engine.baseline.loads
    return {pm.arc_name(a)[:2]: float(loads[a]) for a in range(len(loads))}


def test_cost_per_direction_steers_one_direction_only(tmp_path: Path) -> None:
    root = _lab(tmp_path, ", cost_ab: 60000")
    topo = load_topology(str(root))
    up1 = topo.circuits["beicheng-xiqu-up1"]
    default = load_topology("inventory/lab").circuits["beicheng-xiqu-up1"]
    assert up1.cost_ab == 60000 and up1.cost_ba == default.cost_ba
    before, after = _loads("inventory/lab"), _loads(root)
    up, down = ("beicheng-xiqu-up1", up1.a.device), ("beicheng-xiqu-up1", up1.b.device)
    assert before[up] > 0 and after[up] < before[up]  # upward traffic avoids the costly direction
    assert after[down] == pytest.approx(before[down])  # the other direction is unchanged


def test_both_directions_and_plain_cost(tmp_path: Path) -> None:
    topo = load_topology(str(_lab(tmp_path, ", cost: 7, cost_ba: 9")))
    c = topo.circuits["beicheng-xiqu-up1"]
    assert (c.cost_ab, c.cost_ba) == (7, 9)


def test_bad_cost_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryError) as exc:
        load_topology(str(_lab(tmp_path, ", cost_ab: 0")))
    text = exc.value.render()
    assert "9901-beicheng.yaml" in text and "cost_ab" in text


# ---- a demand between a site and itself is refused (issue 14 item 7) ----------------------------


@pytest.mark.parametrize(
    "line",
    [
        "  - {name: loop, src: beicheng, dst: beicheng, rate: 1M}",
        "  - {name: loop, src: beicheng-core1, dst: beicheng, rate: 1M}",  # a device of the site
    ],
)
def test_demand_within_one_site_is_a_located_error(tmp_path: Path, line: str) -> None:
    root = tmp_path / "lab"
    shutil.copytree("inventory/lab", root)
    f = root / "demands.yaml"
    text = f.read_text(encoding="utf-8").replace("demands:\n", "demands:\n" + line + "\n", 1)
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InventoryError) as exc:
        load_topology(str(root))
    out = exc.value.render()
    assert "demands.yaml:3:" in out and "same site 'beicheng'" in out


def test_what_if_demand_within_one_site_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from egnet.cli import main

    rc = main(["plan", "inventory/lab", "--demand", "x:beicheng-core2>beicheng=5M"])
    assert rc in (1, 2)
    err = capsys.readouterr().err
    assert "bad --demand" in err and "same site 'beicheng'" in err
