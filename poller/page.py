"""The NOC page: one self-contained HTML document (inline CSS, JS and SVG; no CDN, no build step).

The map lays sites out as a tree (province → cities → counties); a county's townships are drawn as
one aggregate node ("N townships") until clicked, then expanded. Inter-site circuits are lines, parallel
circuits (dual uplinks) side by side; circuits inside a site are small chips under the node. Colour
is the circuit's current utilisation (worst direction) against its contracted rate. Clicking a circuit
opens its history chart; the alert list and the map refresh by themselves.

Two views (``map``/``tree`` button, ``#view=geo`` deep link): the site tree, and a geographic map that
puts province, city and county sites at their division's point (``topology/geo.py``; MIT-licensed
coordinates) with townships, development zones and clouds on a spiral around their parent. Labels are
placed greedily by rank (province first) at the first of eight positions that overlaps no node and no
other label; one that fits nowhere is left out (tooltip and search still find the site).

Search (header) finds sites by name or Chinese label and circuits by id or end device; choosing a
result (or Enter) expands the township's county, zooms to a readable scale, scrolls the target
into view and, for a circuit, opens its chart. The map opens fitted to the whole network; fit,
zoom in/out and 1:1 buttons. Times are 24-hour.

Deep links: ``#circuit=<id>`` and ``#site=<name>`` jump to (expand, scroll to, select) that circuit
or site; ``#q=<text>`` runs a search and jumps to the best match; ``#expand=<county>`` expands a
county.
"""

from __future__ import annotations

PAGE = r"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>egnet NOC</title>
<style>
body { margin: 0; font: 13px/1.4 system-ui, sans-serif; background: #10151c; color: #dde3ea; }
header { padding: 6px 12px; background: #1b2430; display: flex; gap: 16px; align-items: baseline; }
header h1 { font-size: 16px; margin: 0; }
#status { color: #8fa1b3; }
main { display: grid; grid-template-columns: 1fr 400px; height: calc(100vh - 34px); }
#mapbox { overflow: auto; }
aside { border-left: 1px solid #2a3646; overflow: auto; padding: 8px; }
h2 { font-size: 14px; margin: 8px 0 4px; }
.node circle { stroke: #dde3ea; stroke-width: 1.5; }
.node text { fill: #dde3ea; font-size: 11px; paint-order: stroke; stroke: #10151c; stroke-width: 3px; }
.node text.id { fill: #8fa1b3; font-size: 9px; }
.node.unreach circle { stroke: #ff4d4d; stroke-dasharray: 3 2; }
.agg { cursor: pointer; }
.agg rect { fill: #24303f; stroke: #8fa1b3; stroke-dasharray: 4 2; }
.circuit { cursor: pointer; }
line.circuit { stroke-width: 4; }
line.circuit:hover, rect.circuit:hover { stroke-width: 7; }
line.circuit.down { stroke-dasharray: 6 4; }
.sel { filter: drop-shadow(0 0 4px #fff); }
#legend span { display: inline-block; padding: 0 6px; margin-right: 2px; color: #000; }
#alerts, #am { list-style: none; padding: 0; margin: 0; }
#am li { padding: 2px 6px; border-left: 4px solid #ff4d4d; background: #1b2430; margin-bottom: 2px; }
#am li.suppressed { opacity: .5; border-color: #8fa1b3; }
#alerts li { padding: 3px 6px; margin-bottom: 3px; border-left: 4px solid #888; background: #1b2430; }
#alerts li.critical { border-color: #ff4d4d; }
#alerts li.warning { border-color: #ffb020; }
#alerts li.cleared { opacity: .55; }
#tools { margin-left: auto; position: relative; display: flex; gap: 4px; }
#tools button, #search { background: #10151c; color: #dde3ea; border: 1px solid #3a4a5e; border-radius: 3px; }
#search { width: 220px; padding: 2px 6px; }
#results { position: absolute; top: 24px; left: 0; width: 320px; max-height: 60vh; overflow: auto; margin: 0;
  padding: 0; list-style: none; background: #1b2430; border: 1px solid #3a4a5e; z-index: 5; }
#results:empty { display: none; }
#results li { padding: 3px 6px; cursor: pointer; }
#results li:hover, #results li.first { background: #2f4a66; }
.node.found circle { stroke: #fff; stroke-width: 4; }
#chart { background: #0b0f14; }
#chart .ab { fill: none; stroke: #4fc3f7; stroke-width: 1.5; }
#chart .ba { fill: none; stroke: #ffb74d; stroke-width: 1.5; }
#chart .cap { fill: none; stroke: #ff4d4d; stroke-dasharray: 4 3; }
#chart text { fill: #8fa1b3; font-size: 10px; }
</style>
</head>
<body>
<header><h1 id="title">egnet NOC</h1><span id="status">loading…</span>
<span id="legend"></span>
<span id="tools"><input id="search" type="search" placeholder="search site or circuit" autocomplete="off">
<ul id="results"></ul>
<button id="view" title="switch between the site tree and the geographic map">map</button><button id="fit" title="fit the whole network">fit</button><button id="zoomout" title="zoom out">−</button><button id="zoomin" title="zoom in">+</button><button id="zoom1" title="actual size">1:1</button></span></header>
<main>
<div id="mapbox"><svg id="map" xmlns="http://www.w3.org/2000/svg" width="800" height="400"></svg></div>
<aside>
<h2>Circuit</h2>
<div id="detail">Click a circuit on the map.</div>
<svg id="chart" width="360" height="180" xmlns="http://www.w3.org/2000/svg"></svg>
<div id="ambox" hidden><h2>Alertmanager <span id="amcount"></span></h2>
<ul id="am"></ul></div>
<h2>Alerts <span id="alertcount"></span></h2>
<ul id="alerts"></ul>
</aside>
</main>
<script>
"use strict";
const NS = "http://www.w3.org/2000/svg";
const state = { data: null, expanded: new Set(), selected: null, found: null, timer: null, zoom: null, size: null, view: "tree" };
const SCALE = [[0.3, "#3ecf5a"], [0.5, "#a6e05a"], [0.7, "#ffe14d"], [0.8, "#ff9f1a"], [Infinity, "#ff3b3b"]];

function colour(c) {
  if (c.state === "down") return "#ff3b3b";
  if (c.util === null || c.util === undefined) return "#6b7785";
  for (const [lim, col] of SCALE) if (c.util < lim) return col;
  return "#ff3b3b";
}
function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}
function mbps(v) { return v === null || v === undefined ? "-" : (v / 1e6).toFixed(2) + " Mb/s"; }
function pct(v) { return v === null || v === undefined ? "-" : (100 * v).toFixed(1) + " %"; }
function worst(cs) {
  let best = null;
  for (const c of cs) {
    if (c.state === "down") return c;
    if (best === null || (c.util ?? -1) > (best.util ?? -1)) best = c;
  }
  return best;
}

function layoutTree(d) {
  const sites = new Map(d.sites.map(s => [s.name, Object.assign({ kids: [] }, s)]));
  for (const s of sites.values()) if (s.parent && sites.has(s.parent)) sites.get(s.parent).kids.push(s);
  const root = [...sites.values()].find(s => s.tier === "province");
  const pos = new Map(); // site or aggregate key -> {x, y, label, kind}
  const owner = new Map(); // township site -> aggregate key when collapsed
  let col = 0;
  const X = 110, Y = 110;
  function place(s, depth) {
    const kids = s.kids.filter(k => k.tier !== "cloud");
    const towns = kids.filter(k => k.tier === "township");
    const others = kids.filter(k => k.tier !== "township");
    const start = col;
    for (const k of others) place(k, depth + 1);
    if (towns.length) {
      if (s.tier === "county" && !state.expanded.has(s.name)) {
        const key = "agg:" + s.name;
        pos.set(key, { x: col * X + 60, y: (depth + 1) * Y + 50, label: towns.length + " townships",
                       kind: "agg", county: s.name, count: towns.length });
        for (const t of towns) owner.set(t.name, key);
        col += 1;
      } else {
        for (const t of towns) place(t, depth + 1);
      }
    }
    if (col === start) col += 1;
    pos.set(s.name, { x: ((start + col - 1) / 2) * X + 60, y: depth * Y + 50, label: s.label,
                      kind: s.tier, site: s.name });
  }
  place(root, 0);
  for (const s of sites.values()) if (s.tier === "cloud") {
    const p = pos.get(s.parent) || pos.get(root.name);
    pos.set(s.name, { x: p.x + 150, y: p.y, label: s.label, kind: "cloud", site: s.name });
    col = Math.max(col, Math.ceil((p.x + 150) / X) + 1);
  }
  return { pos, owner, width: col * X + 80, height: 5 * Y };
}

// Geographic view: province, city and county sites at their division's point (topology/geo.py, MIT data);
// sites without their own point (townships, development zones, clouds) on a sunflower spiral around
// their nearest located ancestor, so they never sit on top of each other.
function hasGeo(d) { return d.sites.some(s => s.exact); }
function layoutGeo(d) {
  const K = 600, M = 90;  // SVG units per degree of latitude; margin
  const located = d.sites.filter(s => s.exact);
  const lat0 = located.reduce((a, s) => a + s.lat, 0) / located.length;
  const kx = K * Math.cos(lat0 * Math.PI / 180);
  const minLon = Math.min(...located.map(s => s.lon)), maxLat = Math.max(...located.map(s => s.lat));
  const sites = new Map(d.sites.map(s => [s.name, Object.assign({ kids: [] }, s)]));
  for (const s of sites.values()) if (s.parent && sites.has(s.parent)) sites.get(s.parent).kids.push(s);
  const root = [...sites.values()].find(s => s.tier === "province");
  const pos = new Map(), owner = new Map(), slots = new Map();
  const CELL = 50, grid = new Map();  // placed nodes as discs, for the nudging below
  const key = (i, j) => i + "," + j;
  function free(x, y, r) {
    const i0 = Math.floor(x / CELL), j0 = Math.floor(y / CELL);
    for (let i = i0 - 2; i <= i0 + 2; i++) for (let j = j0 - 2; j <= j0 + 2; j++)
      for (const o of grid.get(key(i, j)) || []) if (Math.hypot(o.x - x, o.y - y) < o.r + r + 6) return false;
    return true;
  }
  function put(x, y, r) {
    const k = key(Math.floor(x / CELL), Math.floor(y / CELL));
    if (!grid.has(k)) grid.set(k, []);
    grid.get(k).push({ x, y, r });
    return { x, y };
  }
  function spiral(cx, cy, i, r0) { const a = i * 2.39996, r = r0 + 17 * Math.sqrt(i); return [cx + r * Math.cos(a), cy + r * Math.sin(a)]; }
  function near(x, y, r) {  // the point itself if free, else the nearest free point on a spiral around it
    if (free(x, y, r)) return put(x, y, r);
    for (let i = 0; i < 400; i++) { const [a, b] = spiral(x, y, i, 12); if (free(a, b, r)) return put(a, b, r); }
    return put(x, y, r);
  }
  function around(anchor, owner_, r) {  // the anchor's next free spiral slot
    for (let n = 0; n < 400; n++) {
      const i = slots.get(owner_) || 0; slots.set(owner_, i + 1);
      const [a, b] = spiral(anchor.x, anchor.y, i, 34);
      if (free(a, b, r)) return put(a, b, r);
    }
    return put(anchor.x, anchor.y, r);
  }
  const queue = [root];
  while (queue.length) {
    const s = queue.shift();
    const r = radius(s.tier);
    let p;
    if (s.exact) p = near((s.lon - minLon) * kx + M, (maxLat - s.lat) * K + M, r);
    else p = around(s.parent && pos.get(s.parent) ? pos.get(s.parent) : { x: M, y: M }, s.parent || "", r);
    pos.set(s.name, { x: p.x, y: p.y, label: s.label, kind: s.tier, site: s.name });
    if (s.tier === "province" || s.tier === "city") {  // keep the room above it for its label
      const w = Math.max(textWidth(s.label || "", 11), textWidth(s.name, 9)) + 2, cy = p.y - r - 13;
      for (let x = p.x - w / 2 + 11; x < p.x + w / 2 + 11; x += 14) put(Math.min(x, p.x + w / 2 - 11), cy, 11);
    }
    const towns = s.kids.filter(k => k.tier === "township");
    if (towns.length && s.tier === "county" && !state.expanded.has(s.name)) {
      const k = "agg:" + s.name, q = around(p, s.name, 50);
      pos.set(k, { x: q.x, y: q.y, label: towns.length + " townships", kind: "agg", county: s.name, count: towns.length });
      for (const t of towns) owner.set(t.name, k);
      queue.push(...s.kids.filter(c => c.tier !== "township"));
    } else queue.push(...s.kids);
  }
  let minX = Infinity, minY = Infinity, w = 0, h = 0;
  for (const p of pos.values()) { minX = Math.min(minX, p.x); minY = Math.min(minY, p.y); }
  for (const p of pos.values()) { p.x += M - minX; p.y += M - minY; w = Math.max(w, p.x); h = Math.max(h, p.y); }
  return { pos, owner, width: w + M + 60, height: h + M };
}

// Labels: placed greedily by rank (province, city, county, cloud, township) at the first of eight
// positions (above, below, right, left, then the diagonals) that overlaps no node and no label already placed; a label
// that fits nowhere is not drawn (the node keeps its tooltip and stays findable by search).
const RANK = { province: 0, city: 1, county: 2, cloud: 3, township: 4 };
let measureCtx = null;
function textWidth(text, px) {
  if (!measureCtx) measureCtx = document.createElement("canvas").getContext("2d");
  measureCtx.font = px + "px system-ui, sans-serif";
  return measureCtx.measureText(text).width;
}
function radius(kind) { return kind === "province" ? 16 : kind === "township" ? 8 : 12; }
function placeLabels(pos, inner) {
  const CELL = 64, grid = new Map(), out = new Map();
  const cells = b => { const r = []; for (let i = Math.floor(b.x0 / CELL); i <= Math.floor(b.x1 / CELL); i++) for (let j = Math.floor(b.y0 / CELL); j <= Math.floor(b.y1 / CELL); j++) r.push(i + "," + j); return r; };
  const hit = b => cells(b).some(c => (grid.get(c) || []).some(o => b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1));
  const add = b => { for (const c of cells(b)) { if (!grid.has(c)) grid.set(c, []); grid.get(c).push(b); } };
  for (const [key, p] of pos) {  // every node (and its chips) is an obstacle
    if (p.kind === "agg") { add({ x0: p.x - 44, y0: p.y - 12, x1: p.x + 56, y1: p.y + 12 }); continue; }
    const r = radius(p.kind), chips = (inner.get(key) || []).length;
    add({ x0: Math.min(p.x - r, p.x - 14), y0: p.y - r, x1: Math.max(p.x + r, p.x - 14 + chips * 12), y1: p.y + r + (chips ? 11 : 0) });
  }
  const order = [...pos].filter(([, p]) => p.kind !== "agg").sort(([ka, a], [kb, b]) => (RANK[a.kind] ?? 9) - (RANK[b.kind] ?? 9) || ka.localeCompare(kb));
  for (const [key, p] of order) {
    const r = radius(p.kind), chips = (inner.get(key) || []).length;
    const w = Math.max(textWidth(p.label || "", 11), textWidth(key, 9)) + 2, H = 22;
    const below = p.y + r + (chips ? 13 : 3);
    const cands = [
      { x0: p.x - w / 2, y0: p.y - r - 2 - H, anchor: "middle", tx: p.x },
      { x0: p.x - w / 2, y0: below, anchor: "middle", tx: p.x },
      { x0: p.x + r + 4, y0: p.y - H / 2, anchor: "start", tx: p.x + r + 4 },
      { x0: p.x - r - 4 - w, y0: p.y - H / 2, anchor: "end", tx: p.x - r - 4 },
      { x0: p.x + r, y0: p.y - r - H, anchor: "start", tx: p.x + r },
      { x0: p.x + r, y0: p.y + r, anchor: "start", tx: p.x + r },
      { x0: p.x - r - w, y0: p.y - r - H, anchor: "end", tx: p.x - r },
      { x0: p.x - r - w, y0: p.y + r, anchor: "end", tx: p.x - r },
    ];
    for (const c of cands) {
      const b = { x0: c.x0, y0: c.y0, x1: c.x0 + w, y1: c.y0 + H };
      if (!hit(b)) { add(b); out.set(key, { anchor: c.anchor, x: c.tx, y: c.y0 }); break; }
    }
  }
  return out;
}
function layout(d) { return state.view === "geo" && hasGeo(d) ? layoutGeo(d) : layoutTree(d); }

function draw() {
  const d = state.data;
  const svg = document.getElementById("map");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const { pos, owner, width, height } = layout(d);
  state.size = { width, height };
  if (state.zoom === null) state.zoom = fitZoom();  // open on the whole network
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("width", Math.round(width * state.zoom)); svg.setAttribute("height", Math.round(height * state.zoom));
  svg.setAttribute("data-zoom", state.zoom.toFixed(3));
  const where = s => owner.get(s) || s;
  const lines = el("g", { id: "lines" }, svg), nodes = el("g", { id: "nodes" }, svg);
  const pairs = new Map(), inner = new Map(), aggs = new Map();
  for (const c of d.circuits) {
    const a = where(c.a_site), b = where(c.b_site);
    if (a.startsWith("agg:") || b.startsWith("agg:")) {
      const k = a.startsWith("agg:") ? a : b;
      if (!aggs.has(k)) aggs.set(k, []);
      aggs.get(k).push(c);
      if (a === b) continue;
      const other = k === a ? b : a, key = k + "|" + other;
      if (!pairs.has(key)) pairs.set(key, { a: k, b: other, list: [], agg: true });
      pairs.get(key).list.push(c);
    } else if (a === b) {
      if (!inner.has(a)) inner.set(a, []);
      inner.get(a).push(c);
    } else {
      const key = a < b ? a + "|" + b : b + "|" + a;
      if (!pairs.has(key)) pairs.set(key, { a, b, list: [] });
      pairs.get(key).list.push(c);
    }
  }
  for (const p of pairs.values()) {
    const A = pos.get(p.a), B = pos.get(p.b);
    if (!A || !B) continue;
    const dx = B.x - A.x, dy = B.y - A.y, len = Math.hypot(dx, dy) || 1;
    const nx = -dy / len, ny = dx / len;
    const list = p.agg ? [worst(p.list)] : p.list;
    list.forEach((c, i) => {
      const off = (i - (list.length - 1) / 2) * 7;
      const ln = el("line", { x1: A.x + nx * off, y1: A.y + ny * off, x2: B.x + nx * off, y2: B.y + ny * off,
        stroke: colour(c), class: "circuit " + c.state + (p.agg ? " aggline" : ""),
        "data-circuit": p.agg ? "" : c.id, "data-state": c.state,
        "data-util": c.util === null ? "" : c.util.toFixed(4) }, lines);
      if (p.agg) {
        ln.setAttribute("data-agg", p.a);
        ln.addEventListener("click", () => toggle(pos.get(p.a).county));
        el("title", {}, ln).textContent = p.list.length + " township circuits, worst " + c.id + " " + pct(c.util);
      } else {
        ln.addEventListener("click", () => select(c.id));
        el("title", {}, ln).textContent = c.id + " " + c.state + " " + pct(c.util);
      }
    });
  }
  const unreachable = new Set(Object.entries(d.devices).filter(([, v]) => !v.reachable).map(([k]) => k));
  const deviceSite = new Map();
  for (const c of d.circuits) { deviceSite.set(c.a, c.a_site); deviceSite.set(c.b, c.b_site); }
  const badSites = new Set([...unreachable].map(x => deviceSite.get(x)));
  const labels = placeLabels(pos, inner);
  svg.setAttribute("data-view", state.view === "geo" && hasGeo(d) ? "geo" : "tree");
  for (const [key, p] of pos) {
    if (p.kind === "agg") {
      const g = el("g", { class: "agg", "data-county": p.county, "data-count": p.count }, nodes);
      el("rect", { x: p.x - 44, y: p.y - 12, width: 88, height: 24, rx: 6 }, g);
      const t = el("text", { x: p.x, y: p.y + 4, "text-anchor": "middle", fill: "#dde3ea",
                            "font-size": 11 }, g);
      t.textContent = p.label;
      const w = worst(aggs.get(key) || []);
      if (w) el("circle", { cx: p.x + 50, cy: p.y, r: 5, fill: colour(w) }, g);
      g.addEventListener("click", () => toggle(p.county));
      continue;
    }
    const g = el("g", { class: "node" + (badSites.has(key) ? " unreach" : ""), "data-site": key }, nodes);
    const r = radius(p.kind);
    el("circle", { cx: p.x, cy: p.y, r, fill: p.kind === "cloud" ? "#5a6fd6" : "#2f4a66" }, g);
    const lb = labels.get(key);
    if (lb) {
      el("text", { x: lb.x, y: lb.y + 10, "text-anchor": lb.anchor, class: "label" }, g).textContent = p.label;
      el("text", { x: lb.x, y: lb.y + 20, "text-anchor": lb.anchor, class: "id" }, g).textContent = key;
    } else g.setAttribute("data-label", "hidden");
    el("title", {}, g).textContent = p.label + " (" + key + ")";
    if (p.kind === "county") g.addEventListener("click", () => toggle(key));
    (inner.get(key) || []).forEach((c, i) => {
      const chip = el("rect", { x: p.x - 14 + i * 12, y: p.y + r + 3, width: 10, height: 8,
        fill: colour(c), class: "circuit chip " + c.state, "data-circuit": c.id, "data-state": c.state,
        "data-util": c.util === null ? "" : c.util.toFixed(4) }, g);
      el("title", {}, chip).textContent = c.id + " " + c.state + " " + pct(c.util);
      chip.addEventListener("click", ev => { ev.stopPropagation(); select(c.id); });
    });
  }
  if (state.selected) highlight();
  if (state.found) for (const e of document.querySelectorAll('[data-site="' + state.found + '"]')) e.classList.add("found");
}

function fitZoom() {
  const box = document.getElementById("mapbox");
  if (!state.size) return 1;
  return Math.min(1, box.clientWidth / state.size.width, box.clientHeight / state.size.height);
}
function zoomTo(z) {
  const box = document.getElementById("mapbox");
  const cx = (box.scrollLeft + box.clientWidth / 2) / (state.zoom || 1), cy = (box.scrollTop + box.clientHeight / 2) / (state.zoom || 1);
  state.zoom = Math.max(0.02, Math.min(4, z));
  draw();
  box.scrollLeft = cx * state.zoom - box.clientWidth / 2; box.scrollTop = cy * state.zoom - box.clientHeight / 2;
}

// search: circuits by id or end device, sites by name or Chinese label; jump expands, zooms, scrolls
function siteMap() { return new Map(state.data.sites.map(s => [s.name, s])); }
function matches(text) {
  const q = text.trim().toLowerCase();
  if (!q || !state.data) return [];
  const out = [];
  for (const s of state.data.sites) {
    const hit = s.name.toLowerCase().includes(q) || (s.label || "").toLowerCase().includes(q);
    if (hit) out.push({ kind: "site", id: s.name, text: s.label + " (" + s.name + ")", exact: s.name.toLowerCase() === q || s.label === text.trim() });
  }
  for (const c of state.data.circuits) {
    const hit = c.id.toLowerCase().includes(q) || c.a.toLowerCase().includes(q) || c.b.toLowerCase().includes(q);
    if (hit) out.push({ kind: "circuit", id: c.id, text: c.id + "  " + c.a + " ⇄ " + c.b, exact: c.id.toLowerCase() === q });
  }
  out.sort((x, y) => (y.exact - x.exact) || (x.id.length - y.id.length) || x.id.localeCompare(y.id));
  return out.slice(0, 50);
}
function showResults() {
  const ul = document.getElementById("results");
  ul.innerHTML = "";
  matches(document.getElementById("search").value).forEach((m, i) => {
    const li = document.createElement("li");
    li.textContent = (m.kind === "site" ? "◉ " : "— ") + m.text;
    li.setAttribute("data-kind", m.kind); li.setAttribute("data-id", m.id);
    if (i === 0) li.className = "first";
    li.addEventListener("click", () => jump(m.kind, m.id));
    ul.appendChild(li);
  });
}
function openCounty(site, sites) {
  const s = sites.get(site);
  if (s && s.tier === "township" && s.parent) state.expanded.add(s.parent);
}
function reveal(selector) {
  const e = document.querySelector(selector);
  const map = document.getElementById("map");
  if (!e) { map.setAttribute("data-revealed", ""); return false; }
  const mapbox = document.getElementById("mapbox"), box = mapbox.getBoundingClientRect();
  const t = e.getBoundingClientRect();  // centre it in the map pane (the page itself never scrolls)
  mapbox.scrollLeft += t.left + t.width / 2 - (box.left + box.width / 2);
  mapbox.scrollTop += t.top + t.height / 2 - (box.top + box.height / 2);
  const r = e.getBoundingClientRect();
  const on = r.width + r.height > 0 && r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom;
  map.setAttribute("data-revealed", on ? selector : "");
  return on;
}
async function jump(kind, id) {
  document.getElementById("results").innerHTML = "";
  const sites = siteMap();
  if (state.zoom < 0.6) state.zoom = 1;  // readable labels around the target
  if (kind === "circuit") {
    const c = state.data.circuits.find(x => x.id === id);
    if (!c) return;
    openCounty(c.a_site, sites); openCounty(c.b_site, sites);
    state.found = null;
    draw();
    reveal('[data-circuit="' + id + '"]');
    location.hash = "circuit=" + encodeURIComponent(id);
    await select(id);
  } else {
    if (!sites.has(id)) return;
    openCounty(id, sites);
    state.found = id;
    draw();
    reveal('[data-site="' + id + '"]');
    location.hash = "site=" + encodeURIComponent(id);
  }
}

function toggle(county) {
  if (state.expanded.has(county)) state.expanded.delete(county); else state.expanded.add(county);
  draw();
}
function highlight() {
  for (const e of document.querySelectorAll(".sel")) e.classList.remove("sel");
  for (const e of document.querySelectorAll('[data-circuit="' + state.selected + '"]')) e.classList.add("sel");
}

async function select(id) {
  state.selected = id;
  highlight();
  const c = state.data.circuits.find(x => x.id === id);
  const det = document.getElementById("detail");
  det.innerHTML = "";
  const lines = [["circuit", id], ["ends", c.a + " ⇄ " + c.b], ["type / carrier", c.type + " / " + c.carrier],
    ["contracted", mbps(c.capacity_bps)], ["state", c.state], ["a→b", mbps(c.ab_bps)], ["b→a", mbps(c.ba_bps)],
    ["utilisation", pct(c.util)]];
  for (const [k, v] of lines) {
    const div = document.createElement("div");
    div.textContent = k + ": " + v;
    det.appendChild(div);
  }
  const r = await fetch("api/history?hours=6&circuit=" + encodeURIComponent(id));
  const h = await r.json();
  chart(h);
}

// 24-hour local time, as a NOC reads it (never 12-hour AM/PM)
function hhmm(t) {
  return new Date(t * 1000).toLocaleTimeString("en-GB", { hour12: false });
}

function chart(h) {
  const svg = document.getElementById("chart");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  svg.setAttribute("data-circuit", h.circuit);
  svg.setAttribute("data-points", h.points.length);
  const W = 360, H = 180, L = 40, B = 20;
  const pts = h.points;
  const t0 = pts.length ? pts[0][0] : 0, t1 = pts.length ? pts[pts.length - 1][0] : 1;
  // each point carries the capacity it was measured against: [ts, ab, ba, capacity, util_ab, util_ba]
  const cap = p => p[3] || h.capacity_bps;
  let ymax = h.capacity_bps;
  for (const p of pts) ymax = Math.max(ymax, cap(p), p[1] || 0, p[2] || 0);
  const sx = t => L + (W - L - 5) * (t1 > t0 ? (t - t0) / (t1 - t0) : 0.5);
  const sy = v => H - B - (H - B - 10) * (v / (ymax || 1));
  if (pts.length) {
    const d = pts.map(p => sx(p[0]).toFixed(1) + "," + sy(cap(p)).toFixed(1)).join(" ");
    el("polyline", { points: d, class: "cap" }, svg);
  } else {
    el("line", { x1: L, x2: W - 5, y1: sy(h.capacity_bps), y2: sy(h.capacity_bps), class: "cap" }, svg);
  }
  const last = pts.length ? cap(pts[pts.length - 1]) : h.capacity_bps;
  el("text", { x: 2, y: sy(last) + 3 }, svg).textContent = (last / 1e6).toFixed(0) + "M";
  el("text", { x: 2, y: H - B + 3 }, svg).textContent = "0";
  for (const [cls, i] of [["ab", 1], ["ba", 2]]) {
    const d = pts.filter(p => p[i] !== null).map(p => sx(p[0]).toFixed(1) + "," + sy(p[i]).toFixed(1)).join(" ");
    el("polyline", { points: d, class: cls }, svg);
  }
  const fmt = t => hhmm(t);
  if (pts.length) {
    el("text", { x: L, y: H - 4 }, svg).textContent = fmt(t0);
    el("text", { x: W - 70, y: H - 4 }, svg).textContent = fmt(t1);
  }
  el("text", { x: L + 5, y: 10 }, svg).textContent = "a→b (blue)  b→a (orange)  " + h.points.length + " points";
}

function alerts(list) {
  const ul = document.getElementById("alerts");
  ul.innerHTML = "";
  let open = 0;
  for (const a of list) {
    const li = document.createElement("li");
    li.className = a.severity + (a.cleared ? " cleared" : "");
    li.setAttribute("data-key", a.key);
    const when = hhmm(a.cleared || a.raised);
    li.textContent = (a.cleared ? "cleared " : "") + when + " " + a.message;
    li.addEventListener("click", () => { if (state.data.circuits.some(c => c.id === a.subject)) select(a.subject); });
    ul.appendChild(li);
    if (!a.cleared) open++;
  }
  document.getElementById("alertcount").textContent = "(" + open + " open)";
}

async function alertmanager() {
  const r = await fetch("api/alertmanager").then(x => x.json());
  const box = document.getElementById("ambox");
  if (!r.url) { box.hidden = true; return; }
  box.hidden = false;
  const cnt = document.getElementById("amcount"), ul = document.getElementById("am");
  ul.innerHTML = "";
  if (r.error) { cnt.textContent = "(unreachable: " + r.error + ")"; return; }
  cnt.textContent = "(" + r.counts.active + " active, " + r.counts.suppressed + " inhibited/silenced, " + r.silences + " silences)";
  cnt.setAttribute("data-active", r.counts.active); cnt.setAttribute("data-suppressed", r.counts.suppressed);
  const order = a => (a.state === "active" ? 0 : 1);
  for (const a of r.alerts.slice().sort((x, y) => order(x) - order(y)).slice(0, 30)) {
    const li = document.createElement("li");
    li.className = a.state;
    li.textContent = a.alertname + " " + (a.subject || "") + (a.state === "suppressed" ? (a.inhibited_by ? " (inhibited)" : " (silenced)") : "");
    ul.appendChild(li);
  }
}

async function refresh() {
  try {
    const [m, a] = await Promise.all([fetch("api/map").then(r => r.json()), fetch("api/alerts").then(r => r.json())]);
    state.data = m;
    document.getElementById("title").textContent = "egnet NOC — " + m.network;
    const up = m.circuits.filter(c => c.state === "up").length, down = m.circuits.filter(c => c.state === "down").length;
    const st = document.getElementById("status");
    st.textContent = m.circuits.length + " circuits: " + up + " up, " + down + " down · updated " + hhmm(Date.now() / 1000);
    st.setAttribute("data-loaded", "1");
    st.setAttribute("data-refreshes", String(Number(st.getAttribute("data-refreshes") || 0) + 1));
    draw();
    alerts(a.alerts);
    alertmanager().catch(e => { document.getElementById("amcount").textContent = "(" + e + ")"; });
    if (state.selected) select(state.selected);
    if (!state.timer) state.timer = setInterval(refresh, 1000 * m.refresh);
  } catch (e) {
    document.getElementById("status").textContent = "refresh failed: " + e;
    if (!state.timer) state.timer = setInterval(refresh, 30000);
  }
}

function legend() {
  const lg = document.getElementById("legend");
  const labels = ["<30%", "<50%", "<70%", "<80%", "≥80% / down"];
  SCALE.forEach(([, col], i) => { const s = document.createElement("span"); s.style.background = col; s.textContent = labels[i]; lg.appendChild(s); });
  const s = document.createElement("span"); s.style.background = "#6b7785"; s.textContent = "no data"; lg.appendChild(s);
}

function tools() {
  const input = document.getElementById("search");
  input.addEventListener("input", showResults);
  input.addEventListener("keydown", ev => {
    if (ev.key === "Enter") { const m = matches(input.value)[0]; if (m) jump(m.kind, m.id); }
    if (ev.key === "Escape") document.getElementById("results").innerHTML = "";
  });
  document.getElementById("view").addEventListener("click", () => setView(state.view === "geo" ? "tree" : "geo"));
  document.getElementById("fit").addEventListener("click", () => { state.zoom = 1; state.zoom = fitZoom(); draw(); });
  document.getElementById("zoomin").addEventListener("click", () => zoomTo(state.zoom * 1.5));
  document.getElementById("zoomout").addEventListener("click", () => zoomTo(state.zoom / 1.5));
  document.getElementById("zoom1").addEventListener("click", () => zoomTo(1));
}

function setView(v) {
  state.view = v;
  document.getElementById("view").textContent = v === "geo" ? "tree" : "map";
  state.zoom = null;  // fit the new layout
  if (state.data) draw();
}
async function start() {
  legend();
  tools();
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("view") === "geo") setView("geo");
  for (const c of hash.getAll("expand")) state.expanded.add(c);
  await refresh();
  const q = hash.get("q"), sel = hash.get("circuit"), site = hash.get("site");
  if (q !== null) {  // as if typed into the search box and Enter pressed
    const input = document.getElementById("search");
    input.value = q; showResults();
    const m = matches(q)[0];
    if (m) await jump(m.kind, m.id);
  } else if (sel) await jump("circuit", sel);
  else if (site) await jump("site", site);
}
start();
</script>
</body>
</html>
"""
