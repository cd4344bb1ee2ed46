// A message's causal tree: the renderer the Send page shares, and the page
// #/tree/message/{id} or #/tree/step/{step} that shows the whole tree a
// message or a step belongs to (GET /v1/messages/{id}/tree?root=true,
// GET /v1/steps/{step}/tree), from the message from outside that led to
// it, with what was asked about highlighted and scrolled to.
import { get } from "./api.js";
import { addressLink, errorLine, fill, h, section, time, valueText } from "./dom.js";

// One message of a causal tree, with its step, egress records and children.
// `focus` ({message, step}) marks the node asked about.
export function treeNode(n, focus = {}) {
  const m = n.message;
  const step = n.step;
  const focused = m.id === focus.message || (step && focus.step !== undefined && step.step === focus.step);
  return h("li", { "data-message": m.id, class: focused ? "focus" : null, "aria-current": focused ? "true" : null },
    h("div", {}, h("code", {}, m.typename), " → ", addressLink(m.target), " ",
      h("span", { class: "dim" }, step ? [`step #${step.step} `, time(step.at)] : "pending",
        m.source === "delayed" ? " (delayed)" : null)),
    h("pre", {}, valueText(m.value)),
    n.egress.length ? h("ul", { class: "egress" }, n.egress.map((e) => h("li", { "data-topic": e.topic },
      "egress ", h("strong", {}, e.topic), ": ", h("code", {}, e.payload ?? `(${e.payload_base64.length} base64 chars)`)))) : null,
    n.timers.length ? h("ul", { class: "timers" }, n.timers.map((t) => h("li", { class: "dim" },
      "delayed ", h("code", {}, t.message.typename), " → ", t.target, " due ", time(t.due_at)))) : null,
    n.children.length ? h("ul", {}, n.children.map((c) => treeNode(c, focus))) : null);
}

export function render(main, params) {
  const what = params.kind === "step" ? `step #${params.id}` : `message ${params.id}`;
  const body = h("div", { id: "tree-page", role: "status", "aria-live": "polite" }, h("p", { class: "dim" }, "Loading…"));
  fill(main, h("h1", {}, `What ${what} belongs to`), body);
  const url = params.kind === "step" ? `/v1/steps/${params.id}/tree` : `/v1/messages/${params.id}/tree?root=true`;
  get(url).then((tree) => {
    const root = tree.root.message;
    fill(body,
      h("p", {}, `From message ${root.id} (${root.source}) to `, addressLink(root.target), `: ${tree.steps} step(s), `,
        `${tree.nodes} message(s), ${tree.outcome}`, tree.truncated ? " (cut at 1000 messages)" : "", "."),
      tree.pending.length ? h("p", {}, `${tree.pending.length} message(s) still pending: `,
        h("a", { href: "#/stuck" }, "see what is stuck")) : null,
      section("Causal tree", h("ul", { class: "tree", id: "causal-tree" }, treeNode(tree.root, tree.focus))));
    const focused = body.querySelector("li.focus");
    if (focused) focused.scrollIntoView({ block: "center" });
  }).catch((e) => fill(body, errorLine(e)));
}
