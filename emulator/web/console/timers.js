// Timers: the pending delayed messages, soonest first, each with when it is
// due (in the application's time, virtual or not), who sent it to whom, its
// cancellation token and message, and buttons to deliver it now or cancel
// it. Refreshed on every step (a step may add or fire timers).
import { del, get, post, q } from "./api.js";
import { actor, addressLink, errorLine, fill, h, section, table, time, valueText } from "./dom.js";

// "in 59 s", "in 3 min", "overdue" from a due_in_ms.
function dueIn(ms) {
  if (ms <= 0) return "due now";
  if (ms < 1000) return `in ${ms} ms`;
  if (ms < 120000) return `in ${Math.round(ms / 1000)} s`;
  if (ms < 7200000) return `in ${Math.round(ms / 60000)} min`;
  return `in ${(ms / 3600000).toFixed(1)} h`;
}

export function render(main, params, bus) {
  const notice = h("div", { role: "status", "aria-live": "polite", class: "notice" });
  const filter = h("input", { id: "timers-address", type: "search", placeholder: "ns/type/id",
    value: params.address || "", "aria-label": "Only timers for this address" });
  const list = h("div", { id: "timers" });
  fill(main, h("h1", {}, "Timers"), notice,
    h("form", { class: "field", role: "search", onsubmit: (e) => {
      e.preventDefault();
      refresh();
    } }, h("label", { for: "timers-address" }, "Target address "), filter, " ",
    h("button", { type: "submit" }, "Filter")),
    section("Pending delayed messages", list));

  // Runs an edit, says what it did, refreshes.
  const act = actor(notice, () => refresh());

  async function refresh() {
    try {
      const address = filter.value.trim();
      const answer = await get(`/v1/timers${q({ address })}`);
      fill(list, answer.timers.length ? table(
        ["id", "due", "target", "sender", "token", "message", ""],
        answer.timers.map((t) => h("tr", { "data-timer": t.id },
          h("td", { class: "num" }, String(t.id)),
          h("td", {}, time(t.due_at), h("div", { class: "dim" }, dueIn(t.due_in_ms))),
          h("td", {}, addressLink(t.target)),
          h("td", {}, t.sender ? addressLink(t.sender) : h("span", { class: "dim" }, "—")),
          h("td", {}, t.token ? h("code", {}, t.token) : h("span", { class: "dim" }, "—")),
          h("td", {}, h("pre", {}, valueText(t.message)), h("small", { class: "dim" }, t.message.typename)),
          h("td", { class: "actions" },
            h("button", { type: "button", "data-action": "fire", onclick: () => act(
              () => `Timer ${t.id} delivered now to ${t.target}.`,
              () => post(`/v1/timers/${t.id}/fire`)) }, "Deliver now"),
            h("button", { type: "button", class: "danger", "data-action": "cancel", onclick: () => act(
              () => `Timer ${t.id} cancelled.`,
              () => del(`/v1/timers/${t.id}`)) }, "Cancel")))),
        { id: "timers-table" })
        : h("p", { class: "dim", id: "no-timers" }, "No pending timers."));
    } catch (e) {
      fill(list, errorLine(e));
    }
  }

  let pending = null;
  const off = bus.on((kind) => {
    if (kind === "step") {
      clearTimeout(pending);
      pending = setTimeout(refresh, 200);
    }
  });
  // Due times move on without events.
  const clock = setInterval(refresh, 5000);
  refresh();
  return () => {
    off();
    clearTimeout(pending);
    clearInterval(clock);
  };
}
