// Snapshots: the saved copies of the whole state (docs/time-travel.md), a
// form to take one, and per snapshot what differs from the current state,
// a restore (asked twice: it replaces everything, after saving the current
// state as an undo point) and a delete.
import { del, get, post, q } from "./api.js";
import { actor, addressLink, errorLine, fill, h, section, table, time, valueText } from "./dom.js";

const size = (bytes) => bytes < 1048576 ? `${(bytes / 1024).toFixed(0)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`;

export function render(main, params, bus) {
  const notice = h("div", { role: "status", "aria-live": "polite", class: "notice" });
  const name = h("input", { id: "snapshot-name", autocomplete: "off", placeholder: "before-fix",
    pattern: "[A-Za-z0-9._\\-]*", "aria-describedby": "snapshot-name-help" });
  const list = h("div", { id: "snapshots" });
  const detail = h("div", { id: "snapshot-detail" });
  fill(main, h("h1", {}, "Snapshots"), notice,
    h("form", { class: "card", id: "snapshot-form", onsubmit: (e) => {
      e.preventDefault();
      act((s) => `Snapshot ${s.name} taken (${s.entities} entities, step ${s.last_step}).`,
        () => post("/v1/snapshots", name.value.trim() ? { name: name.value.trim() } : {}));
      name.value = "";
    } },
    h("h2", {}, "Take a snapshot"),
    h("div", { class: "field" }, h("label", { for: "snapshot-name" }, "Name"), name,
      h("small", { id: "snapshot-name-help", class: "dim" }, "letters, digits, . _ -; empty: an automatic name")),
    h("button", { type: "submit", id: "snapshot-take" }, "Take snapshot")),
    section("Saved", list), detail);

  // Runs an edit, says what it did, refreshes.
  const act = actor(notice, () => refresh());

  async function diff(snapshot) {
    try {
      const d = await get(`/v1/snapshot-diff${q({ a: snapshot, b: "current" })}`);
      fill(detail, section(`${snapshot} → current`, d.differences.length
        ? table(["address", "state", `in ${snapshot}`, "now"], d.differences.map((x) =>
          h("tr", { "data-address": x.address, "data-state": x.name },
            h("td", {}, addressLink(x.address)), h("td", {}, h("code", {}, x.name)),
            h("td", {}, h("pre", {}, valueText(x.a))), h("td", {}, h("pre", {}, valueText(x.b))))),
        { id: "snapshot-diff" })
        : h("p", { class: "dim", id: "snapshot-same" }, "No difference: the state is as it was.")));
    } catch (e) {
      fill(detail, errorLine(e));
    }
  }

  // Restore replaces everything: the first click asks, the second does it.
  function restoreButton(snapshot) {
    const button = h("button", { type: "button", class: "danger", "data-action": "restore" }, "Restore…");
    button.addEventListener("click", () => {
      if (button.dataset.armed !== "yes") {
        button.dataset.armed = "yes";
        button.textContent = "Restore: replace all state";
        fill(notice, h("p", {}, `Restoring ${snapshot} replaces the whole state; the current state is saved first as an undo point. Click again to restore.`));
        return;
      }
      act((r) => `Restored ${r.restored}: ${r.pending} pending, ${r.timers} timers. Undo with snapshot ${r.undo.name}.`,
        () => post(`/v1/snapshots/${encodeURIComponent(snapshot)}/restore`));
    });
    return button;
  }

  async function refresh() {
    try {
      const answer = await get("/v1/snapshots");
      const snapshots = answer.snapshots.slice().reverse();  // newest first
      fill(list, snapshots.length ? table(["name", "taken", "step", "entities", "pending", "timers", "size", ""],
        snapshots.map((s) => h("tr", { "data-snapshot": s.name },
          h("td", {}, h("code", {}, s.name), s.automatic ? h("span", { class: "dim" }, " (automatic)") : null),
          h("td", {}, time(s.created_at)), h("td", { class: "num" }, String(s.last_step)),
          h("td", { class: "num" }, String(s.entities)), h("td", { class: "num" }, String(s.pending)),
          h("td", { class: "num" }, String(s.timers)), h("td", { class: "num" }, size(s.size_bytes)),
          h("td", { class: "actions" },
            h("button", { type: "button", "data-action": "diff", onclick: () => diff(s.name) }, "Diff with now"),
            restoreButton(s.name),
            h("button", { type: "button", class: "danger", "data-action": "delete", onclick: () => act(
              () => `Snapshot ${s.name} deleted.`,
              () => del(`/v1/snapshots/${encodeURIComponent(s.name)}`)) }, "Delete")))),
        { id: "snapshots-table" })
        : h("p", { class: "dim", id: "no-snapshots" }, "No snapshots yet."));
      for (const skipped of answer.skipped || []) list.append(h("p", { class: "dim" }, skipped));
    } catch (e) {
      fill(list, errorLine(e));
    }
  }
  refresh();
  return null;
}
