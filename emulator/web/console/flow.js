// Flow: who sends to whom, drawn from GET /v1/flow (the newest 10,000
// messages and egress records): where messages come from (ingress, admin),
// the function types, and the egress topics as nodes in columns, messages
// as edges with their counts. Selecting an edge (click, or Enter on it or
// its table row) lists its newest messages, each linking to its causal
// tree. Redrawn on engine steps, at most once a second.
import { get, q } from "./api.js";
import { errorLine, fill, h, section, table, time } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const COLUMN = 290;
const ROW = 64;
const NODE_W = 180;
const NODE_H = 34;

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

function nodeLabel(flow, id) {
  return flow.nodes.find((n) => n.id === id)?.label ?? id;
}

// Columns: sources first, then function types by their distance from a
// source (a cycle keeps the first distance found), egress topics last.
export function layout(flow) {
  const column = new Map();
  const next = new Map();
  for (const e of flow.edges) {
    if (!next.has(e.from)) next.set(e.from, []);
    next.get(e.from).push(e.to);
  }
  const sources = flow.nodes.filter((n) => n.kind !== "function" && n.kind !== "egress").map((n) => n.id);
  const queue = sources.map((id) => [id, 0]);
  for (const id of sources) column.set(id, 0);
  while (queue.length) {
    const [id, depth] = queue.shift();
    for (const to of next.get(id) || []) {
      if (column.has(to)) continue;
      column.set(to, depth + 1);
      queue.push([to, depth + 1]);
    }
  }
  // Types only reached from a cycle among themselves start a column of their own.
  for (const n of flow.nodes) if (!column.has(n.id)) column.set(n.id, 1);
  const last = Math.max(1, ...flow.nodes.filter((n) => n.kind !== "egress").map((n) => column.get(n.id))) + 1;
  for (const n of flow.nodes) if (n.kind === "egress") column.set(n.id, last);
  const rows = new Map();
  const place = new Map();
  for (const n of [...flow.nodes].sort((a, b) => a.label.localeCompare(b.label))) {
    const c = column.get(n.id);
    const r = rows.get(c) || 0;
    rows.set(c, r + 1);
    place.set(n.id, { x: 10 + c * COLUMN, y: 10 + r * ROW });
  }
  return { place, columns: last + 1, rows: Math.max(1, ...rows.values()) };
}

export function render(main, params, bus) {
  const summary = h("p", { id: "flow-summary", class: "dim" }, "Loading…");
  const graph = h("div", { id: "flow-graph", class: "scroll flow" });
  const edges = h("div", { id: "flow-edges" });
  const detail = h("div", { id: "flow-detail", role: "status", "aria-live": "polite" });
  const error = h("div");
  fill(main, h("h1", {}, "Message flow"), error, summary, graph, detail, section("Edges", edges));

  let selected = params.edge || null;  // "from>to>kind"
  const key = (e) => `${e.from}>${e.to}>${e.kind}`;

  function show(flow, e) {
    selected = key(e);
    for (const el of main.querySelectorAll("[data-edge]")) {
      el.classList.toggle("selected", el.dataset.edge === selected);
    }
    const label = (id) => nodeLabel(flow, id);
    const items = e.recent.map((id) => e.kind === "egress"
      ? h("li", {}, `record at offset ${id} on `, h("a", { href: "#/topics" }, label(e.to)))
      : h("li", {}, h("a", { href: `#/tree/message/${id}`, "data-message": id }, `message ${id}`), " — its causal tree"));
    fill(detail, h("div", { class: "card" },
      h("h2", {}, `${label(e.from)} → ${label(e.to)}`),
      h("p", {}, `${e.count} ${e.kind === "egress" ? "egress record(s)" : e.kind === "delayed" ? "delayed message(s)" : "message(s)"}, the last `, time(e.last_at), "."),
      h("p", { class: "dim" }, "Newest first:"), h("ul", { id: "flow-recent" }, items)));
  }

  function draw(flow) {
    fill(summary, flow.messages === 0 && flow.egress_records === 0
      ? ["No message yet. ", h("a", { href: "#/send" }, "Send one"), "."]
      : [`The newest ${flow.messages} message(s) and ${flow.egress_records} egress record(s), since `, time(flow.since), "."]);
    const { place, columns, rows } = layout(flow);
    const width = 20 + (columns - 1) * COLUMN + NODE_W;
    const height = 20 + rows * ROW;
    const label = (id) => nodeLabel(flow, id);
    const edgeEls = flow.edges.map((e) => {
      const a = place.get(e.from);
      const b = place.get(e.to);
      const self = e.from === e.to;
      const x1 = a.x + NODE_W;
      const y1 = a.y + NODE_H / 2;
      const x2 = b.x;
      const y2 = b.y + NODE_H / 2;
      const d = self
        ? `M${x1 - 20},${a.y} C${x1 + 30},${a.y - 40} ${x1 + 40},${y1} ${x1},${y1}`
        : x2 > x1
          ? `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`
          : `M${a.x},${y1} C${a.x - 60},${y1 + 50} ${b.x + NODE_W + 60},${y2 + 50} ${b.x + NODE_W},${y2}`;
      const mid = self ? [x1 + 24, a.y - 14] : x2 > x1 ? [(x1 + x2) / 2, (y1 + y2) / 2 - 4] : [(a.x + b.x + NODE_W) / 2, (y1 + y2) / 2 + 40];
      const name = `${label(e.from)} to ${label(e.to)}: ${e.count} ${e.kind}`;
      return svg("g", { class: `edge edge-${e.kind}`, "data-edge": key(e), tabindex: 0, role: "button", "aria-label": name,
        onclick: () => show(flow, e), onkeydown: (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); show(flow, e); } } },
      svg("title", {}, name),
      svg("path", { d, "marker-end": "url(#arrow)" }),
      svg("text", { x: mid[0], y: mid[1], "text-anchor": "middle" }, String(e.count)));
    });
    const nodeEls = flow.nodes.map((n) => {
      const p = place.get(n.id);
      const text = n.label.length > 24 ? `${n.label.slice(0, 23)}…` : n.label;
      const box = svg("g", { class: `node node-${n.kind}`, "data-node": n.id },
        svg("title", {}, `${n.label}: ${n.in} in, ${n.out} out`),
        svg("rect", { x: p.x, y: p.y, width: NODE_W, height: NODE_H, rx: n.kind === "function" ? 6 : 17 }),
        svg("text", { x: p.x + NODE_W / 2, y: p.y + NODE_H / 2 + 5, "text-anchor": "middle" }, text));
      if (n.kind !== "function") return box;
      return svg("a", { href: `#/entities?q=${encodeURIComponent(n.label + "/")}` }, box);
    });
    fill(graph, flow.nodes.length
      ? svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Message flow graph" },
        svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" },
          svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }))),
        edgeEls, nodeEls)
      : null);
    fill(edges, flow.edges.length
      ? table(["from", "to", "kind", "count", "last"], flow.edges.map((e) => h("tr", { "data-edge": key(e), tabindex: 0,
        onclick: () => show(flow, e), onkeydown: (ev) => { if (ev.key === "Enter") show(flow, e); } },
        h("td", {}, label(e.from)), h("td", {}, label(e.to)), h("td", { class: "dim" }, e.kind),
        h("td", { class: "num" }, String(e.count)), h("td", {}, time(e.last_at)))), { id: "flow-table" })
      : h("p", { class: "dim" }, "No edges yet."));
    const again = flow.edges.find((e) => key(e) === selected);
    if (again) show(flow, again);
  }

  async function refresh() {
    try {
      draw(await get(`/v1/flow${q({ window: params.window })}`));
      fill(error);
    } catch (e) {
      fill(error, errorLine(e));
    }
  }

  let timer = null;
  let last = 0;
  const off = bus.on((kind) => {
    if (kind !== "step" || timer) return;
    timer = setTimeout(() => { timer = null; last = Date.now(); refresh(); }, Math.max(0, 1000 - (Date.now() - last)));
  });
  refresh();
  return () => {
    off();
    clearTimeout(timer);
  };
}
