// Entities: search by address prefix ("ns/", "ns/type/", "ns/type/id…"),
// answered by the server a page at a time (GET /v1/entities), so it stays
// fast with a million entities.
import { get, q } from "./api.js";
import { addressLink, errorLine, fill, h, table } from "./dom.js";

const PAGE = 50;

export function render(main, params) {
  const input = h("input", { id: "entity-search", type: "search", value: params.q || "",
    placeholder: "namespace/type/id prefix", autocomplete: "off", spellcheck: "false",
    "aria-describedby": "entity-search-hint" });
  const results = h("div", { id: "entity-results", "aria-live": "polite" });
  // Cursors of the pages before this one, for "Previous".
  const cursors = [];
  let after = null;

  async function search() {
    try {
      const page = await get(`/v1/entities${q({ prefix: input.value.trim(), after, limit: PAGE })}`);
      const previous = cursors.length
        ? h("button", { type: "button", onclick: () => { after = cursors.pop(); search(); } }, "Previous page") : null;
      const next = page.next
        ? h("button", { type: "button", id: "next-page", onclick: () => { cursors.push(after); after = page.next; search(); } }, "Next page") : null;
      fill(results, page.entities.length
        ? table(["entity", "states"], page.entities.map((e) => h("tr", { "data-address": e.address },
          h("th", { scope: "row" }, addressLink(e.address)), h("td", { class: "num" }, String(e.states)))))
        : h("p", { class: "dim" }, "No entity with state matches."),
      h("div", { class: "actions" }, previous, next));
    } catch (e) {
      fill(results, errorLine(e));
    }
  }

  let timer = null;
  fill(main, h("h1", {}, "Entities"),
    h("form", { role: "search", onsubmit: (e) => {
      e.preventDefault();
      const target = input.value.trim();
      // A whole address opens its page (it may have history but no state now).
      if (/^[^/]+\/[^/]+\/.+/.test(target) && e.submitter?.id === "open-entity") {
        location.hash = `#/entity/${target.split("/").map(encodeURIComponent).join("/")}`;
      }
    } },
    h("label", { for: "entity-search" }, "Address or prefix "), input, " ",
    h("button", { type: "submit", id: "open-entity" }, "Open address"),
    h("small", { id: "entity-search-hint", class: "dim" },
      " Results follow as you type; entities are addresses with stored state.")),
    results);
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      cursors.length = 0;
      after = null;
      history.replaceState(null, "", `#/entities${q({ q: input.value.trim() })}`);
      search();
    }, 150);
  });
  input.focus();
  search();
  return () => clearTimeout(timer);
}
