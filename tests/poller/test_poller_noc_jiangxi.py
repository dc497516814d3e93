"""Issue 12: the NOC page at full Jiangxi scale (3,983 circuits, 1,913 sites) in headless Chromium:
it opens fitted to the whole province, search finds a township circuit and a site by its Chinese
label, and the jump puts them on screen."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from poller.simulate import simulate
from poller.store import Store
from poller.web import NocServer
from topology import Topology, load_topology

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium")


@pytest.fixture(scope="module")
def jiangxi() -> Topology:
    return load_topology(ROOT / "inventory" / "jiangxi")


@pytest.fixture(scope="module")
def server(jiangxi: Topology, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("jx") / "poller.db"
    store = Store(db)
    simulate(jiangxi, store, end=1_800_000_000, hours=0.25, step=300, seed=3)
    store.close()
    srv = NocServer(jiangxi, db, "127.0.0.1", 0, refresh=600)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()
    t.join(10)


def _dom(url: str, tmp: Path, size: str = "1400,800") -> str:
    assert CHROMIUM
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--window-size={size}",
           f"--user-data-dir={tmp / 'profile'}", "--virtual-time-budget=20000", "--dump-dom", url]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=True).stdout


def _township_circuit(topo: Topology) -> str:
    for c in sorted(topo.circuits.values(), key=lambda c: c.id):
        site = topo.sites[topo.devices[c.a.device].site]
        if site.tier.value == "township" and c.id.startswith("luxi-yinhe"):
            return c.id
    raise AssertionError("no township circuit")


def test_opens_fitted_to_the_whole_province(server: str, tmp_path: Path) -> None:
    dom = _dom(server + "/", tmp_path)
    svg = re.search(r'<svg id="map"[^>]*>', dom)
    assert svg is not None and 'data-loaded="1"' in dom
    zoom = float(re.search(r'data-zoom="([\d.]+)"', svg.group(0)).group(1))  # type: ignore[union-attr]
    width = int(re.search(r' width="(\d+)"', svg.group(0)).group(1))  # type: ignore[union-attr]
    assert zoom < 1 and width <= 1400  # the whole province in the window, not one city
    status = re.search(r'<span id="status"[^>]*>([^<]*)</span>', dom)
    assert status is not None and re.search(r"updated \d{2}:\d{2}:\d{2}$", status.group(1))  # 24 h


def test_search_finds_a_circuit_and_shows_it_on_screen(
    server: str, jiangxi: Topology, tmp_path: Path
) -> None:
    cid = _township_circuit(jiangxi)
    dom = _dom(f"{server}/#q={cid}", tmp_path)
    assert f'data-revealed="[data-circuit=&quot;{cid}&quot;]"' in dom
    line = re.search(rf'<(line|rect)[^>]*data-circuit="{cid}"[^>]*>', dom)
    assert line is not None and " sel" in line.group(0)
    assert re.search(rf'<svg id="chart"[^>]*data-circuit="{cid}"', dom)
    county = jiangxi.sites[jiangxi.devices[jiangxi.circuits[cid].a.device].site].parent
    assert f'data-county="{county}"' not in dom  # its county was expanded to show it


def test_deep_link_to_a_site_by_label_scrolls_to_it(
    server: str, jiangxi: Topology, tmp_path: Path
) -> None:
    site = jiangxi.sites["luxi-yinhe"]
    dom = _dom(f"{server}/#q={site.label}", tmp_path)
    assert 'data-revealed="[data-site=&quot;luxi-yinhe&quot;]"' in dom
    assert re.search(r'<g class="node found[^"]*" data-site="luxi-yinhe"', dom)


def _label_boxes(dom: str) -> list[tuple[str, float, float, float, float]]:
    """Every drawn label line as (text, x0, y0, x1, y1), widths estimated independently of the page:
    CJK 0.95 em, other characters 0.5 em (both under what the bundled fonts draw)."""
    boxes = []
    for m in re.finditer(
        r'<text x="([-\d.]+)" y="([-\d.]+)" text-anchor="(\w+)" class="(label|id)">([^<]*)</text>',
        dom,
    ):
        x, y, anchor, cls, text = float(m[1]), float(m[2]), m[3], m[4], m[5]
        px = 11 if cls == "label" else 9
        w = sum(0.95 * px if ord(ch) >= 0x2E80 else 0.5 * px for ch in text)
        x0 = x - w / 2 if anchor == "middle" else x if anchor == "start" else x - w
        boxes.append((text, x0, y - 0.7 * px, x0 + w, y))
    return boxes


def _overlaps(boxes: list[tuple[str, float, float, float, float]]) -> list[tuple[str, str]]:
    out = []
    boxes = sorted(boxes, key=lambda b: b[1])
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if b[1] >= a[3]:
                break
            if a[2] < b[4] and b[2] < a[4]:
                out.append((a[0], b[0]))
    return out


@pytest.mark.parametrize("view", ["tree", "geo"])
def test_labels_never_overlap(server: str, jiangxi: Topology, tmp_path: Path, view: str) -> None:
    # one county expanded too, so townships' labels compete with their neighbours'
    dom = _dom(f"{server}/#view={view}&expand=pingxiang-luxi", tmp_path)
    assert f'data-view="{view}"' in dom
    boxes = _label_boxes(dom)
    assert _overlaps(boxes) == []
    drawn = {b[0] for b in boxes}
    for name, site in jiangxi.sites.items():  # the province and every city keep their labels
        if site.tier.value in ("province", "city"):
            assert site.label in drawn and name in drawn, name
    assert len(drawn) > 200  # most labels fit (the rest keep their tooltip and search)


def test_geographic_view_puts_sites_where_they_are(server: str, tmp_path: Path) -> None:
    dom = _dom(f"{server}/#view=geo", tmp_path)

    def at(site: str) -> tuple[float, float]:
        m = re.search(
            rf'<g class="node[^"]*" data-site="{site}"[^>]*><circle cx="([-\d.]+)" cy="([-\d.]+)"',
            dom,
        )
        assert m is not None, site
        return float(m[1]), float(m[2])

    # 九江 is north of 赣州, 上饶 east of 萍乡, 南昌 between them (NBS division points)
    assert at("jiujiang")[1] < at("nanchang")[1] < at("ganzhou")[1]
    assert at("pingxiang")[0] < at("nanchang")[0] < at("shangrao")[0]
