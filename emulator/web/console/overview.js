// Overview: the counters of /v1/status, function types with their queues and
// live rates, the processes statefun dev runs, egress topics, and the newest
// steps. Refreshed on every engine event (throttled), and every few seconds
// for what has no event (a process restarting).
import { get } from "./api.js";
import { addressLink, errorLine, fill, h, section, table, time } from "./dom.js";

const RATE_WINDOW_MS = 10000;
const RECENT = 25;

export function render(main, params, bus) {
  const counters = h("div", { class: "counters", id: "counters" });
  const types = h("div", { id: "types" });
  const processes = h("div", { id: "processes" });
  const topics = h("div", { id: "topics" });
  const recent = h("ol", { class: "steps", id: "recent", "aria-live": "off" });
  const error = h("div");
  fill(main,
    h("h1", {}, "Overview"), error, counters,
    section("Function types", types),
    section("Processes", processes),
    section("Egress topics", topics),
    section("Latest steps", recent));

  // Per function type, the times and sizes of recent steps, for rates.
  const seen = new Map();
  const rate = (type, field) => {
    const cutoff = Date.now() - RATE_WINDOW_MS;
    const list = (seen.get(type) || []).filter((s) => s.at >= cutoff);
    seen.set(type, list);
    return list.reduce((n, s) => n + s[field], 0) / (RATE_WINDOW_MS / 1000);
  };

  let status = null;
  async function refresh() {
    try {
      const [s, egress] = await Promise.all([get("/v1/status"), get("/v1/egress")]);
      status = s;
      fill(error);
      draw(egress.topics);
    } catch (e) {
      fill(error, errorLine(e));
    }
  }

  function draw(egressTopics) {
    const s = status;
    const counter = (label, value, id, warn) =>
      h("div", { class: `counter${warn ? " warn" : ""}`, id },
        h("span", { class: "n" }, String(value)), h("span", { class: "label" }, label));
    fill(counters,
      counter("pending", s.pending, "pending"),
      counter("in flight", s.in_flight, "in-flight"),
      counter("failing addresses", s.failing, "failing", s.failing > 0),
      counter("unroutable", s.unroutable, "unroutable", s.unroutable > 0),
      counter("timers", s.timers, "timers"),
      counter("steps", s.steps, "steps"));

    const names = new Set([...Object.keys(s.registered), ...Object.keys(s.queued_by_type), ...seen.keys()]);
    const failingByType = {};
    for (const f of s.failing_addresses) {
      const type = f.address.split("/").slice(0, 2).join("/");
      failingByType[type] = (failingByType[type] || 0) + 1;
    }
    const endpoint = (type) => {
      for (const f of s.functions) {
        const pattern = f.functions;
        if (pattern === type || (pattern.endsWith("/*") && type.startsWith(pattern.slice(0, -1)))) return f.url;
      }
      return "—";
    };
    const rows = [...names].sort().map((type) => h("tr", { "data-type": type },
      h("th", { scope: "row" }, h("a", { href: `#/entities?q=${encodeURIComponent(type + "/")}` }, type)),
      h("td", { class: "num", "data-col": "queued" }, String(s.queued_by_type[type] || 0)),
      h("td", { class: "num", "data-col": "failing" }, String(failingByType[type] || 0)),
      h("td", { class: "num", "data-col": "in" }, rate(type, "in").toFixed(1)),
      h("td", { class: "num", "data-col": "out" }, rate(type, "out").toFixed(1)),
      h("td", { class: "dim" }, (s.registered[type] || []).map((r) => r.name).join(", ") || "—"),
      h("td", { class: "dim" }, endpoint(type))));
    fill(types, rows.length
      ? table(["type", "queued", "failing", "in /s", "out /s", "states", "endpoint"], rows, { id: "types-table" })
      : h("p", { class: "dim" }, "No function type has been called yet. ",
          h("a", { href: "#/send" }, "Send a message"), "."));

    fill(processes, s.processes.length
      ? table(["process", "state", "pid", "restarts", "last exit", "command"],
        s.processes.map((p) => h("tr", { "data-process": p.name },
          h("th", { scope: "row" }, p.name),
          h("td", {}, h("span", { class: `state state-${p.state}` }, p.state)),
          h("td", { class: "num" }, p.pid ?? "—"),
          h("td", { class: "num" }, String(p.restarts)),
          h("td", {}, p.last_exit ? [p.last_exit, " ", time(p.last_exit_at)] : "—"),
          h("td", { class: "dim" }, h("code", {}, p.command)))), { id: "processes-table" })
      : h("p", { class: "dim" }, "statefun dev runs no function process (module.yaml names the endpoints)."));

    fill(topics, egressTopics.length
      ? table(["topic", "egress", "records", "not popped"], egressTopics.map((t) =>
        h("tr", {}, h("th", { scope: "row" }, t.topic), h("td", { class: "dim" }, t.egress),
          h("td", { class: "num" }, String(t.records)), h("td", { class: "num" }, String(t.unpopped)))))
      : h("p", { class: "dim" }, "No egress topic."));
  }

  function addStep(step, live) {
    const type = step.address.split("/").slice(0, 2).join("/");
    if (live && step.invocations > 0) {
      if (!seen.has(type)) seen.set(type, []);
      seen.get(type).push({ at: Date.now(), in: step.invocations, out: step.messages + step.delayed + step.egress });
    }
    if (recent.querySelector(`[data-step="${step.step}"]`)) return;
    const item = h("li", { "data-step": step.step },
      step.invocations > 0
        ? h("a", { class: "num", href: `#/tree/step/${step.step}`, title: "What this step belongs to" }, `#${step.step}`)
        : h("span", { class: "num dim" }, `#${step.step}`), " ", time(step.at), " ",
      addressLink(step.address), " ", h("code", {}, step.message_type),
      step.note ? h("span", { class: "dim" }, ` — ${step.note}`) : null,
      step.states_changed.length ? h("span", { class: "dim" }, ` (changed ${step.states_changed.join(", ")})`) : null);
    // Newest first, whichever arrives first: the trace or the live stream.
    const after = [...recent.children].find((li) => Number(li.dataset.step) < step.step);
    recent.insertBefore(item, after || null);
    while (recent.children.length > RECENT) recent.lastChild.remove();
  }

  let pending = null;
  const soon = () => {
    if (!pending) pending = setTimeout(() => { pending = null; refresh(); }, 250);
  };
  const off = bus.on((kind, data) => {
    if (kind === "step") addStep(data, true);
    soon();
  });
  const poll = setInterval(refresh, 3000);
  refresh();
  get("/v1/trace?newest=true&limit=" + RECENT).then((t) => {
    for (const step of t.steps) addStep(step, false);
  }).catch(() => {});
  return () => {
    off();
    clearInterval(poll);
    clearTimeout(pending);
  };
}

