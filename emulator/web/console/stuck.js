// Stuck and dead messages: each failing address with the reason and what its
// process printed during the call, its pending messages, and buttons to
// retry it now or drop its messages (they move to the dead letters, so a
// drop can be undone); then the dead letters, with replay and delete.
import { del, get, post, q } from "./api.js";
import { actor, addressLink, errorLine, fill, h, section, table, time, valueText } from "./dom.js";

export function render(main, params, bus) {
  const notice = h("div", { role: "status", "aria-live": "polite", class: "notice" });
  const failing = h("div", { id: "failing" });
  const dead = h("div", { id: "dead-letters" });
  fill(main, h("h1", {}, "Stuck and dead messages"), notice,
    section("Failing addresses", failing), section("Dead letters", dead));

  // Runs an edit, says what it did, refreshes.
  const act = actor(notice, () => refresh());

  function failingCard(f, messages) {
    const address = f.address;
    const mine = messages.filter((m) => m.target === address);
    return h("article", { class: "card", "data-address": address },
      h("h3", {}, addressLink(address)),
      h("p", { class: "reason" }, h("strong", {}, f.reason)),
      h("p", { class: "dim" },
        `${f.messages} message${f.messages === 1 ? "" : "s"}, attempt ${f.attempt}, failing since `,
        time(f.first_failed_at), f.process ? ` — process ${f.process}` : ""),
      f.output.length
        ? h("details", { open: true }, h("summary", {}, `printed during the call (${f.process || "process"})`),
          h("pre", { class: "output" }, f.output.map((l) => `${l.stream === "stderr" ? "!" : " "} ${l.line}\n`)))
        : f.body ? h("details", {}, h("summary", {}, "response body"), h("pre", { class: "output" }, f.body)) : null,
      mine.length ? table(["id", "type", "value", "attempts"], mine.map((m) => h("tr", {},
        h("td", { class: "num" }, String(m.id)), h("td", {}, h("code", {}, m.message.typename)),
        h("td", {}, h("pre", {}, valueText(m.message))), h("td", { class: "num" }, String(m.attempts))))) : null,
      h("div", { class: "actions" },
        h("button", { type: "button", "data-action": "retry", onclick: () => act(
          (a) => `Retried ${a.retried} message(s) of ${address}.`,
          () => post(`/v1/inbox/retry${q({ address })}`)) }, "Retry now"),
        h("button", { type: "button", class: "danger", "data-action": "drop", onclick: () => act(
          (a) => `Dropped ${a.dropped} message(s) of ${address} to the dead letters.`,
          () => del(`/v1/inbox${q({ address })}`)) }, "Drop messages")));
  }

  // Re-rendering on every failed attempt must not take the keyboard's place away.
  function focusKey() {
    const el = document.activeElement;
    const holder = el && el.closest && el.closest("[data-address], [data-dead-letter]");
    if (!holder || !el.dataset.action) return null;
    return `[data-${holder.dataset.address ? "address" : "dead-letter"}="${holder.dataset.address || holder.dataset.deadLetter}"] [data-action="${el.dataset.action}"]`;
  }

  async function refresh() {
    const key = focusKey();
    try {
      const [status, inbox, letters] = await Promise.all([
        get("/v1/status"), get("/v1/inbox?failing=1&limit=200"), get("/v1/dead-letters")]);
      fill(failing, status.failing_addresses.length
        ? status.failing_addresses.map((f) => failingCard(f, inbox.messages))
        : h("p", { class: "dim", id: "nothing-stuck" }, "Nothing is stuck."));
      if (status.failing > status.failing_addresses.length) {
        failing.append(h("p", { class: "dim" }, `… and ${status.failing - status.failing_addresses.length} more failing addresses.`));
      }
      const list = letters.dead_letters.slice().reverse();
      fill(dead, list.length ? table(["id", "target", "value", "why", "dead since", ""], list.map((d) =>
        h("tr", { "data-dead-letter": d.id },
          h("td", { class: "num" }, String(d.id)), h("td", {}, addressLink(d.target)),
          h("td", {}, h("pre", {}, valueText(d.message))),
          h("td", {}, d.cause, d.last_failure ? h("div", { class: "dim" }, d.last_failure.reason) : null),
          h("td", {}, time(d.dead_at)),
          h("td", { class: "actions" },
            h("button", { type: "button", "data-action": "replay", onclick: () => act(
              (a) => `Dead letter ${a.replayed} is pending again as message ${a.message_id}.`,
              () => post(`/v1/dead-letters/${d.id}/replay`)) }, "Replay"),
            h("button", { type: "button", class: "danger", "data-action": "delete", onclick: () => act(
              (a) => `Dead letter ${a.dropped} deleted.`,
              () => del(`/v1/dead-letters/${d.id}`)) }, "Delete")))))
        : h("p", { class: "dim" }, "No dead letters."));
      if (key) main.querySelector(key)?.focus();
    } catch (e) {
      fill(failing, errorLine(e));
    }
  }

  let pending = null;
  const off = bus.on((kind) => {
    if (kind === "step" || kind === "call_failed" || kind === "recovered") {
      clearTimeout(pending);
      pending = setTimeout(refresh, 200);
    }
  });
  refresh();
  return () => {
    off();
    clearTimeout(pending);
  };
}
