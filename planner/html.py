"""A self-contained HTML report (inline SVG, no external assets) rendered from the plan data."""

from __future__ import annotations

import html
import math
from collections import Counter

from planner.result import Comparison, Measured, PlanResult, WhatIf

TIERS = ("cloud", "province", "city", "county", "township")
BINS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]


def colour(util: float | None, warn: float, fail: float) -> str:
    """Map colour for a utilisation: grey unknown, green, amber (warn), red (fail).

    Examples:
        >>> colour(0.5, 0.7, 0.8), colour(0.75, 0.7, 0.8), colour(None, 0.7, 0.8)
        ('#2e8b57', '#e0a000', '#999999')
    """
    if util is None:
        return "#999999"
    return "#c0392b" if util > fail else "#e0a000" if util > warn else "#2e8b57"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _bars(title: str, labels: list[str], values: list[float], width: int = 360) -> str:
    """A small vertical bar chart."""
    h, top = 140, max(values, default=0) or 1
    bw = width / max(len(values), 1)
    out = [
        f'<svg width="{width}" height="{h + 40}" viewBox="0 -14 {width} {h + 40}" '
        f'role="img"><title>{_esc(title)}</title>'
    ]
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        bh = v / top * h
        x = i * bw
        out.append(
            f'<rect x="{x + 2:.1f}" y="{h - bh:.1f}" width="{bw - 4:.1f}" height="{bh:.1f}" '
            f'fill="#4a78b5"><title>{_esc(lab)}: {v:g}</title></rect>'
        )
        out.append(
            f'<text x="{x + bw / 2:.1f}" y="{h + 14}" font-size="9" text-anchor="middle">'
            f"{_esc(lab)}</text>"
        )
        if v:
            out.append(
                f'<text x="{x + bw / 2:.1f}" y="{h - bh - 3:.1f}" font-size="9" '
                f'text-anchor="middle">{v:g}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def histograms(plan: PlanResult) -> str:
    """Worst-case utilisation distribution of circuits, one chart per tier."""
    parts = []
    labels = [f"{int(b * 100)}" for b in BINS[:-1]] + ["100+"]
    for tier in TIERS:
        utils = [
            max(d.worst_utilisation for d in c.directions) for c in plan.circuits if c.tier == tier
        ]
        if not utils:
            continue
        counts = Counter(min(int(u * 10), 10) for u in utils)
        vals = [float(counts.get(i, 0)) for i in range(11)]
        parts.append(
            f"<figure><figcaption>{tier} ({len(utils)} circuits), worst-case %"
            f"</figcaption>{_bars(tier, labels, vals)}</figure>"
        )
    return "".join(parts)


def top_chart(plan: PlanResult, n: int = 25) -> str:
    """Horizontal bars: baseline and worst case of the most loaded circuit directions."""
    pol = plan.policy
    rows = sorted(plan.directions(), key=lambda x: -x[1].worst_utilisation)[:n]
    w, lw, rh = 900, 330, 18
    scale = max([1.0] + [d.worst_utilisation for _, d in rows])
    px = (w - lw - 60) / scale
    out = [f'<svg width="{w}" height="{rh * len(rows) + 30}" role="img">']
    for k, (cid, d) in enumerate(rows):
        y = 20 + k * rh
        fill = colour(d.worst_utilisation, pol.warn_utilisation, pol.fail_utilisation)
        worst_name = d.worst_scenarios[0].name if d.worst_scenarios else "baseline"
        out.append(
            f'<text x="{lw - 6}" y="{y + 12}" font-size="11" text-anchor="end">'
            f"{_esc(cid)} {_esc(d.src)}→</text>"
        )
        out.append(
            f'<rect x="{lw}" y="{y + 2}" width="{d.worst_utilisation * px:.1f}" '
            f'height="{rh - 4}" fill="{fill}"><title>worst {d.worst_utilisation:.1%} '
            f"({_esc(worst_name)})</title></rect>"
        )
        out.append(
            f'<rect x="{lw}" y="{y + 6}" width="{d.baseline_utilisation * px:.1f}" '
            f'height="{rh - 12}" fill="#222" opacity="0.5"><title>baseline '
            f"{d.baseline_utilisation:.1%}</title></rect>"
        )
        out.append(
            f'<text x="{lw + d.worst_utilisation * px + 4:.1f}" y="{y + 12}" '
            f'font-size="10">{d.worst_utilisation:.0%}</text>'
        )
    for t in (pol.warn_utilisation, pol.fail_utilisation):
        x = lw + t * px
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="10" y2="{20 + rh * len(rows)}" '
            f'stroke="#c0392b" stroke-dasharray="4 3"/><text x="{x:.1f}" y="10" '
            f'font-size="9">{t:.0%}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def exhaustion_chart(plan: PlanResult) -> str:
    """Circuit directions crossing the fail threshold, per year."""
    years = [d.exhaustion_year for _, d in plan.directions() if d.exhaustion_year is not None]
    if plan.run.growth is None:
        return "<p>No growth given (<code>--growth tier=county:15% --years 5</code>).</p>"
    horizon = plan.run.growth.years
    counts = Counter(years)
    labels = [f"y{y}" for y in range(horizon + 1)]
    return _bars("exhaustion", labels, [float(counts.get(y, 0)) for y in range(horizon + 1)], 480)


def hierarchy_map(plan: PlanResult, size: int = 820) -> str:
    """Radial map of the site tree, each site coloured by its uplinks' worst-case utilisation."""
    pol = plan.policy
    sites = {s.name: s for s in plan.sites}
    kids: dict[str | None, list[str]] = {}
    for s in plan.sites:
        kids.setdefault(s.parent, []).append(s.name)
    leaves: dict[str, int] = {}

    def count(name: str) -> int:
        leaves[name] = max(1, sum(count(k) for k in kids.get(name, [])))
        return leaves[name]

    roots = kids.get(None, [])
    total = sum(count(r) for r in roots) or 1
    pos: dict[str, tuple[float, float]] = {}
    ring = {"province": 0, "cloud": 1, "city": 1, "county": 2, "township": 3}
    c = size / 2

    def place(name: str, a0: float, a1: float) -> None:
        r = ring.get(sites[name].tier, 3) * (size / 2 - 20) / 3
        a = (a0 + a1) / 2
        pos[name] = (c + r * math.cos(a), c + r * math.sin(a))
        start = a0
        for k in kids.get(name, []):
            span = (a1 - a0) * leaves[k] / leaves[name]
            place(k, start, start + span)
            start += span

    start = 0.0
    for r in roots:
        place(r, start, start + 2 * math.pi * leaves[r] / total)
        start += 2 * math.pi * leaves[r] / total
    out = [
        f'<svg id="tree" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
        f'role="img" data-size="{size}">'
    ]
    for name, (x, y) in pos.items():
        parent = sites[name].parent
        if parent is not None and parent in pos:
            px, py = pos[parent]
            col = colour(
                sites[name].uplink_worst_utilisation,
                pol.warn_utilisation,
                pol.fail_utilisation,
            )
            out.append(
                f'<line x1="{px:.1f}" y1="{py:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
                f'stroke="{col}" stroke-width="0.8"/>'
            )
    for name, (x, y) in pos.items():
        s = sites[name]
        u = s.uplink_worst_utilisation
        rad = {"province": 8, "cloud": 6, "city": 6, "county": 3.5}.get(s.tier, 1.6)
        tip = f"{s.label} ({name}) {'' if u is None else f'uplinks worst {u:.0%}'}"
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{rad}" class="site" '
            f'data-name="{_esc(name)}" data-label="{_esc(s.label)}" fill="'
            f'{colour(u, pol.warn_utilisation, pol.fail_utilisation)}">'
            f"<title>{_esc(tip)}</title></circle>"
        )
    for name, (x, y) in pos.items():  # labels: above township level always, townships on zoom
        s = sites[name]
        cls = "lbl tl" if s.tier == "township" else "lbl"
        fs = {"province": 11, "cloud": 8, "city": 9, "county": 6}.get(s.tier, 2.2)
        out.append(
            f'<text x="{x + 2:.1f}" y="{y - 2:.1f}" class="{cls}" font-size="{fs}">'
            f"{_esc(s.label)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def geo_map(plan: PlanResult, width: int = 820) -> str:
    """Province, city and county sites at their division's point, coloured like the tree; a line to
    each site's parent. Townships have no public coordinates and are not drawn here."""
    pol = plan.policy
    at = {s.name: (s.lon, s.lat) for s in plan.sites if s.lon is not None and s.lat is not None}
    if len(at) < 2:
        return "<p>No division coordinates for this inventory's site codes.</p>"
    lons = [p[0] for p in at.values()]
    lats = [p[1] for p in at.values()]
    kx = math.cos(math.radians(sum(lats) / len(lats)))
    span = max((max(lons) - min(lons)) * kx, max(lats) - min(lats)) or 1.0
    k = (width - 80) / span
    height = int((max(lats) - min(lats)) * k) + 60
    pos = {
        n: (40 + (lo - min(lons)) * kx * k, 30 + (max(lats) - la) * k) for n, (lo, la) in at.items()
    }
    sites = {s.name: s for s in plan.sites}
    out = [f'<svg id="geo" width="{width}" height="{height}" role="img">']
    for name, (x, y) in pos.items():
        parent = sites[name].parent
        if parent in pos:
            px, py = pos[parent]
            out.append(
                f'<line x1="{px:.1f}" y1="{py:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#bbb" '
                f'stroke-width="0.6"/>'
            )
    for name, (x, y) in pos.items():
        s = sites[name]
        u = s.uplink_worst_utilisation
        rad = {"province": 7, "city": 5}.get(s.tier, 3)
        tip = f"{s.label} ({name}) {'' if u is None else f'uplinks worst {u:.0%}'}"
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{rad}" class="site" data-name="{_esc(name)}" '
            f'fill="{colour(u, pol.warn_utilisation, pol.fail_utilisation)}">'
            f"<title>{_esc(tip)}</title></circle>"
        )
        if s.tier in ("province", "city"):
            out.append(
                f'<text x="{x + rad + 2:.1f}" y="{y - rad:.1f}" font-size="11">{_esc(s.label)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


TREE_TOOLS = """<div class="tools"><input id="find" type="search" placeholder="site name or label"
 aria-label="find a site"> <button id="zin" type="button">+</button> <button id="zout"
 type="button">−</button> <button id="zfit" type="button">fit</button> <span id="found"></span></div>"""

TREE_SCRIPT = """<script>
(function () {
  var svg = document.getElementById("tree"); if (!svg) return;
  var size = +svg.dataset.size, view = [0, 0, size, size];
  function show() {
    svg.setAttribute("viewBox", view.join(" "));
    svg.classList.toggle("zoomed", view[2] < size / 3);
  }
  function zoom(f, cx, cy) {
    if (cx === undefined) { cx = view[0] + view[2] / 2; cy = view[1] + view[3] / 2; }
    var w = Math.min(size, Math.max(size / 200, view[2] * f));
    view = [cx - (cx - view[0]) * w / view[2], cy - (cy - view[1]) * w / view[3], w, w];
    show();
  }
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = svg.getBoundingClientRect();
    zoom(e.deltaY > 0 ? 1.25 : 0.8, view[0] + (e.clientX - r.left) / r.width * view[2],
         view[1] + (e.clientY - r.top) / r.height * view[3]);
  }, {passive: false});
  var drag = null;
  svg.addEventListener("mousedown", function (e) { drag = [e.clientX, e.clientY]; });
  window.addEventListener("mouseup", function () { drag = null; });
  svg.addEventListener("mousemove", function (e) {
    if (!drag) return;
    var r = svg.getBoundingClientRect(), k = view[2] / r.width;
    view[0] -= (e.clientX - drag[0]) * k; view[1] -= (e.clientY - drag[1]) * k;
    drag = [e.clientX, e.clientY]; show();
  });
  document.getElementById("zin").onclick = function () { zoom(0.5); };
  document.getElementById("zout").onclick = function () { zoom(2); };
  document.getElementById("zfit").onclick = function () { view = [0, 0, size, size]; show(); };
  function find(text) {
    var q = text.trim().toLowerCase(), hit = null, n = 0;
    svg.querySelectorAll("circle.site").forEach(function (c) {
      var ok = q && (c.dataset.name.toLowerCase().indexOf(q) >= 0 ||
                     c.dataset.label.toLowerCase().indexOf(q) >= 0);
      c.classList.toggle("hit", !!ok);
      if (ok) { n += 1; if (!hit) hit = c; }
    });
    document.getElementById("found").textContent = q ? n + " found" : "";
    if (hit) {
      var w = size / 12, x = +hit.getAttribute("cx"), y = +hit.getAttribute("cy");
      view = [x - w / 2, y - w / 2, w, w]; show();
    }
  }
  var box = document.getElementById("find");
  box.addEventListener("keydown", function (e) { if (e.key === "Enter") find(box.value); });
  var m = /[#&]find=([^&]*)/.exec(location.hash);  // deep link: report.html#find=NAME
  if (m) { box.value = decodeURIComponent(m[1]); find(box.value); }
})();
</script>"""


def _table(head: list[str], rows: list[list[str]]) -> str:
    ths = "".join(f"<th>{_esc(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{ths}</tr>{trs}</table>"


def _mbps(bps: float) -> str:
    return f"{bps / 1e6:.1f}"


def measured_section(m: Measured | None, limit: int = 500) -> str:
    """Measured loads (``--measured``): directions above the model and utilisation per circuit.

    Examples:
        >>> measured_section(None) == ""
        True
        >>> from planner.measured import measured_direction
        >>> from planner.result import AboveModel
        >>> d = measured_direction("c1", ("a", "b"), (2e6, 1e6, 1e6), 1e8, 0.7, 0.8)
        >>> up = AboveModel(circuit="c1", src="a", to="b", measured_bps=2e6, modelled_bps=1e6,
        ...                 ratio=2.0)
        >>> m = Measured(database="x.db", method="p95", days=30.0, circuits=1, fail=0, warn=0,
        ...              unmeasured_circuits=3, unknown_circuits=(), directions=(d,),
        ...              above_model=(up,))
        >>> page = measured_section(m)
        >>> page.count("<td>c1</td>"), "<td>2.00</td>" in page
        (2, True)
    """
    if m is None:
        return ""
    above = [
        [
            _esc(d.circuit),
            f"{_esc(d.src)}→{_esc(d.to)}",
            _mbps(d.measured_bps),
            _mbps(d.modelled_bps),
            "-" if d.ratio is None else f"{d.ratio:.2f}",
        ]
        for d in m.above_model[:limit]
    ]
    per_circuit = [
        [
            _esc(d.circuit),
            f"{_esc(d.src)}→{_esc(d.to)}",
            _mbps(d.measured_bps),
            f"{d.measured_utilisation:.1%}",
            _esc(d.status),
            f"{d.worst_estimate_utilisation:.1%}",
        ]
        for d in sorted(m.directions, key=lambda d: (-d.measured_utilisation, d.circuit))[:limit]
    ]
    return f"""<h2 id="measured">Measured loads</h2>
<p>{_esc(m.method)} over the last {m.days:g} days from {_esc(m.database)}:
{m.circuits} circuits measured, {m.unmeasured_circuits} without data,
{len(m.unknown_circuits)} unknown to the topology; {m.fail} direction(s) fail, {m.warn} warn
on the measured utilisation. The model is unchanged; the worst estimate is measured + the load
failures move there per the model.</p>
<h3>Measured above the modelled baseline ({len(m.above_model)})</h3>
{_table(["circuit", "direction", "measured Mb/s", "modelled Mb/s", "ratio"], above)}
<h3>Measured utilisation per circuit direction</h3>
{_table(["circuit", "direction", "measured Mb/s", "utilisation", "status", "worst estimate"], per_circuit)}
"""


def comparison_section(c: Comparison | None, limit: int = 500) -> str:
    """``--compare``: changed directions and the circuits and sites added or removed."""
    if c is None:
        return ""
    rows = [
        [
            _esc(ch.circuit),
            f"{_esc(ch.src)}→{_esc(ch.to)}",
            f"{ch.before:.1%}",
            f"{ch.after:.1%}",
            _esc(ch.status_before if ch.status_before == ch.status_after
                 else f"{ch.status_before} → {ch.status_after}"),
        ]
        for ch in c.changes[:limit]
    ]  # fmt: skip
    lists = "".join(
        f"<p>{label} ({len(names)}): {_esc(', '.join(names))}</p>"
        for label, names in (
            ("Added circuits", c.added_circuits),
            ("Removed circuits", c.removed_circuits),
            ("Added sites", c.added_sites),
            ("Removed sites", c.removed_sites),
        )
        if names
    )
    return f"""<h2 id="comparison">Comparison with {_esc(c.against)}</h2>
<p>{len(c.changes)} circuit direction(s) changed their worst case or status, {c.unchanged}
unchanged.</p>{lists}
{_table(["circuit", "direction", "before", "after", "status"], rows)}
"""


def growth_section(plan: PlanResult, limit: int = 500) -> str:
    """With ``--growth``: each exhausted direction, its year and the smallest upgrade."""
    growth = plan.run.growth
    if growth is None:
        return ""
    cap = {c.id: c.capacity_bps for c in plan.circuits}
    hit = sorted(
        ((cid, d) for cid, d in plan.directions() if d.exhaustion_year is not None),
        key=lambda x: (x[1].exhaustion_year or 0, -(x[1].horizon_bps or 0.0), x[0]),
    )
    rows = [
        [
            _esc(cid),
            f"{_esc(d.src)}→{_esc(d.to)}",
            f"year {d.exhaustion_year}",
            _mbps(cap[cid]),
            _mbps(d.horizon_bps or 0.0),
            _esc(f"{d.upgrade_type} ({(d.upgrade_bps or 0) / 1e6:g} Mb/s)")
            if d.upgrade_type
            else "none in the inventory",
        ]
        for cid, d in hit[:limit]
    ]
    return f"""<h3>Exhaustion and the smallest upgrade that fixes it ({len(hit)})</h3>
{_table(["circuit", "direction", "exhausted", "capacity Mb/s", f"year {growth.years} Mb/s",
         "smallest upgrade"], rows)}
"""  # fmt: skip


def losses_section(plan: PlanResult, limit: int = 200) -> str:
    """Scenarios losing traffic, expected (accepted by design) apart from unexpected."""
    s = plan.summary
    if not s.scenarios_with_unrouted:
        return ""
    bad = sorted(
        (i for i in plan.scenarios.items if i.expected_loss is False),
        key=lambda i: -i.unrouted_bps,
    )
    rows = [
        [_esc(i.name), _mbps(i.unrouted_bps), _esc(", ".join(i.sites_lost))] for i in bad[:limit]
    ]
    return f"""<h2 id="losses">Scenarios losing traffic</h2>
<p>{s.scenarios_with_unrouted} scenario(s) lose traffic: {s.expected_losses} expected (townships
that are single-homed or lose one of their own devices or circuits, or sites the scenario fails
wholly: accepted by design) and <b>{s.unexpected_losses} unexpected</b> (a site that should survive
loses traffic).</p>
{_table(["scenario", "unrouted Mb/s", "sites losing traffic"], rows)}
"""


def whatif_line(w: WhatIf) -> str:
    """The what-if options applied (``--demand``, ``--event``, ``--no-events``), if any.

    Examples:
        >>> whatif_line(WhatIf())
        ''
        >>> from planner.result import WhatIfDemand
        >>> w = WhatIf(demands=(WhatIfDemand(name="b", src="x", dst="y", rate_bps=50_000_000),),
        ...            events_dropped=("conf",))
        >>> whatif_line(w)
        '<br>What-if: demand b x→y 50 Mb/s; dropped event conf.'
    """
    parts = [f"demand {d.name} {d.src}→{d.dst} {d.rate_bps / 1e6:g} Mb/s" for d in w.demands]
    parts += [f"event {e.name} {e.rate_bps / 1e6:g} Mb/s × {e.overhead:g}" for e in w.events]
    parts += [f"dropped event {n}" for n in w.events_dropped]
    return f"<br>What-if: {_esc('; '.join(parts))}." if parts else ""


def render(plan: PlanResult) -> str:
    """The complete HTML document."""
    s = plan.summary
    net = plan.network
    pol = plan.policy
    assumptions = "".join(f"<li>{_esc(a)}</li>" for a in plan.assumptions)
    viol = "".join(
        f"<tr><td>{_esc(v.circuit)}</td><td>{_esc(v.src)}→{_esc(v.to)}</td>"
        f"<td>{v.level}</td><td>{v.baseline_utilisation:.1%}</td>"
        f"<td>{v.worst_utilisation:.1%}</td><td>{_esc(v.scenario)}</td></tr>"
        for v in sorted(plan.violations, key=lambda v: -v.worst_utilisation)[:200]
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>egnet plan: {_esc(net.label)}</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}}figure{{display:inline-block;margin:0 1em 1em 0}}
table{{border-collapse:collapse;font-size:12px}}td,th{{border:1px solid #ccc;padding:2px 6px}}
.legend span{{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}}
#tree{{border:1px solid #ddd;cursor:grab}}#tree .lbl{{pointer-events:none;fill:#333}}
#tree .tl{{display:none}}#tree.zoomed .tl{{display:inline}}
#tree circle.hit{{stroke:#000;stroke-width:2}}</style></head><body>
<h1>Capacity plan — {_esc(net.label)} ({_esc(net.name)})</h1>
<p>Failures: <b>{_esc(plan.run.failures)}</b>, {plan.scenarios.count} scenarios;
{s.directions} circuit directions: {s.status.get("fail", 0)} fail, {s.status.get("warn", 0)} warn
(thresholds {pol.warn_utilisation:.0%} / {pol.fail_utilisation:.0%}).
Baseline unrouted: {plan.baseline_unrouted.bps / 1e6:.2f} Mb/s.{whatif_line(plan.run.whatif)}</p>
<p class="legend"><span style="background:#2e8b57"></span>ok<span style="background:#e0a000"></span>warn
<span style="background:#c0392b"></span>fail<span style="background:#999"></span>no uplink</p>
<h2>Hierarchy, coloured by worst-case uplink utilisation</h2>{TREE_TOOLS}{hierarchy_map(plan)}
<h2>Map (province, city and county sites at their division's point)</h2>{geo_map(plan)}
<h2>Worst-case utilisation per tier</h2>{histograms(plan)}
<h2>Top circuit directions by worst case</h2>{top_chart(plan)}
<h2>Time to exhaustion</h2>{exhaustion_chart(plan)}{growth_section(plan)}
{losses_section(plan)}
<h2>Violations</h2><table><tr><th>circuit</th><th>direction</th><th>level</th><th>baseline</th>
<th>worst</th><th>worst scenario</th></tr>{viol}</table>
{measured_section(plan.measured)}{comparison_section(plan.comparison)}
<h2>Assumptions</h2><ul>{assumptions}</ul>
<p>Each finding relates to 等保 2.0 §8.1.2.1 (bandwidth of every part meets the business peak).</p>
{TREE_SCRIPT}
</body></html>
"""
