"""Adding or removing a township must not renumber any other device (issue 2, IPAM)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from topology import load_inventory
from topology.ipam import Lock, Pool
from topology.model import Topology

ROOT = Path(__file__).resolve().parents[2]
NEW_TOWN = '        - {id: dongxian-xincun, name: 新村镇, code: "990121102"}\n'


def addressing(topo: Topology) -> dict[str, object]:
    """Every device's interfaces (name, address, circuit) and every circuit's subnet."""
    out: dict[str, object] = {
        h: [(i.name, i.address, i.circuit) for i in d.interfaces] for h, d in topo.devices.items()
    }
    out.update({f"circuit:{c.id}": c.subnet for c in topo.circuits.values()})
    out.update({f"zone:{z.name}:{b.site}": b.prefix for z in topo.zones.values() for b in z.blocks})
    return out


def synced(inv: Path) -> Topology:
    """Load, write the lock as `egnet ipam sync` does, and load again from the lock."""
    res = load_inventory(inv)
    res.lock_path.write_text(res.lock.dumps(), encoding="utf-8")
    again = load_inventory(inv)
    assert again.lock_current
    return again.topology


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    dst = tmp_path / "lab"
    shutil.copytree(ROOT / "inventory" / "lab", dst)
    return dst


def test_committed_lab_lock_is_current() -> None:
    assert load_inventory(ROOT / "inventory" / "lab").lock_current


def test_adding_a_township_renumbers_nothing(inv: Path) -> None:
    before = addressing(synced(inv))
    city = inv / "cities" / "9901-beicheng.yaml"
    text = city.read_text(encoding="utf-8")
    anchor = '        - {id: dongxian-qiaotou, name: 桥头镇, code: "990121101"}\n'
    city.write_text(text.replace(anchor, anchor + NEW_TOWN), encoding="utf-8")
    after = addressing(synced(inv))
    new_keys = set(after) - set(before)
    assert any(k.startswith("dongxian-xincun") for k in new_keys)
    changed = {k for k in before if k in after and before[k] != after[k]}
    # the new township's uplink lands on a county core: only that core gains an interface
    assert all(k.startswith("beicheng-dongxian-core") for k in changed), changed
    for k in changed:
        old, new = before[k], after[k]
        assert isinstance(old, list) and isinstance(new, list)
        assert set(old) <= set(new)


def test_removing_a_township_renumbers_nothing(inv: Path) -> None:
    before = addressing(synced(inv))
    city = inv / "cities" / "9901-beicheng.yaml"
    text = city.read_text(encoding="utf-8")
    gone = '        - {id: dongxian-qiaotou, name: 桥头镇, code: "990121101"}\n'
    city.write_text(text.replace(gone, ""), encoding="utf-8")
    after = addressing(synced(inv))
    assert not any(k.startswith("dongxian-qiaotou") for k in after)
    for k, v in after.items():
        if k in before and before[k] != v:
            assert k.startswith("beicheng-dongxian-core"), k
            old = before[k]
            assert isinstance(v, list) and isinstance(old, list) and set(v) <= set(old)


def test_lock_round_trip() -> None:
    lock = load_inventory(ROOT / "inventory" / "lab").lock
    assert Lock.loads(lock.dumps()) == lock


def test_pool_reserve_then_allocate_skips_reserved() -> None:
    pool = Pool("t", "10.0.0.0/29")
    assert pool.reserve("10.0.0.0/30")
    assert pool.allocate(31) == "10.0.0.4/31"
    assert pool.allocate(31) == "10.0.0.6/31"
    assert not pool.reserve("10.0.0.6/31")
    assert not pool.reserve("10.0.1.0/31")
