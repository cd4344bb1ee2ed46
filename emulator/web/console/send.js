// Send: a message to an address (type, JSON or string body) through
// POST /v1/messages, then what it caused: its causal tree
// (/v1/messages/{id}/tree, waited on until it settles or gets stuck), with
// every step's egress records.
import { get, post, q } from "./api.js";
import { addressLink, errorLine, fill, h, section } from "./dom.js";
import { treeNode } from "./tree.js";

const KEY = "statefun-console-send";  // the last form, so a resend is one key press

export function render(main) {
  const last = JSON.parse(localStorage.getItem(KEY) || "{}");
  const field = (id, label, input, hint) => h("div", { class: "field" },
    h("label", { for: id }, label), input, hint ? h("small", { class: "dim", id: `${id}-hint` }, hint) : null);
  const address = h("input", { id: "send-address", name: "address", required: true, value: last.address || "",
    placeholder: "namespace/type/id", pattern: "[^\\/]+\\/[^\\/]+\\/.+", "aria-describedby": "send-address-hint",
    autocomplete: "off", spellcheck: "false" });
  const typename = h("input", { id: "send-typename", name: "typename", required: true,
    value: last.typename || "", placeholder: "e.g. example/GreetRequest", autocomplete: "off", spellcheck: "false" });
  const kind = h("select", { id: "send-kind", name: "kind" },
    h("option", { value: "json" }, "JSON"), h("option", { value: "text" }, "string"));
  kind.value = last.kind || "json";
  const body = h("textarea", { id: "send-body", name: "body", rows: 5, spellcheck: "false" });
  body.value = last.body || "";
  const result = h("div", { id: "send-result", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "submit", id: "send-button" }, "Send");

  async function submit(e) {
    e.preventDefault();
    const request = { address: address.value.trim(), typename: typename.value.trim() };
    if (kind.value === "json") {
      try {
        request.json = JSON.parse(body.value);
      } catch (err) {
        fill(result, errorLine(new Error(`the body is not JSON: ${err.message}`)));
        body.focus();
        return;
      }
    } else {
      request.text = body.value;
    }
    localStorage.setItem(KEY, JSON.stringify({ address: request.address, typename: request.typename,
      kind: kind.value, body: body.value }));
    button.disabled = true;
    try {
      const sent = await post("/v1/messages", request);
      fill(result, h("p", {}, `Sent message ${sent.id} to `, addressLink(sent.address), "; waiting for what it causes…"));
      const tree = await get(`/v1/messages/${sent.id}/tree${q({ wait_ms: 15000, stuck_after_ms: 3000 })}`);
      fill(result, h("p", { "data-outcome": tree.outcome },
        `Message ${sent.id}: ${tree.outcome} — ${tree.steps} step(s), ${tree.nodes} message(s).`,
        tree.outcome === "stuck" ? [" ", h("a", { href: "#/stuck" }, "See what is stuck")] : null),
      tree.stuck.map((s) => errorLine(new Error(s.error))),
      section("What it caused", h("ul", { class: "tree", id: "send-tree" }, treeNode(tree.root))));
    } catch (err) {
      fill(result, errorLine(err));
    } finally {
      button.disabled = false;
    }
  }

  fill(main, h("h1", {}, "Send a message"),
    h("form", { id: "send-form", class: "card", onsubmit: submit },
      field("send-address", "Address", address, "namespace/type/id"),
      field("send-typename", "Type", typename),
      field("send-kind", "Body is", kind),
      field("send-body", "Body", body),
      h("div", { class: "actions" }, button)),
    result);
  (address.value ? body : address).focus();
}
