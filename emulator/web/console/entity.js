// One entity: its current state, each value editable (PUT /v1/state, in the
// type's own notation), the version timeline (GET /v1/history) with what
// each version changed and the message type that caused it, and from any
// version a rewind or a replay (the messages since, delivered again to the
// function as it is now): a dry run first shows the diff, then Apply.
import { api, get, post } from "./api.js";
import { errorLine, fill, h, section, table, time, valueCell, valueText } from "./dom.js";

const path = (address) => address.split("/").map(encodeURIComponent).join("/");

export function render(main, params, bus) {
  const address = params.address;
  const current = h("div", { id: "current-state" });
  const timeline = h("ol", { id: "timeline", class: "timeline", reversed: true });
  const rewind = h("div", { id: "rewind", role: "region", "aria-label": "Rewind or replay", "aria-live": "polite" });
  const error = h("div");
  let pending = null;
  let wanted = 0;  // the newest step seen live that changed this entity
  fill(main, h("h1", {}, h("span", { class: "dim" }, "Entity "), address), error,
    section("Current state", current), rewind, section("Timeline", timeline));

  async function preview(version) {
    try {
      const dry = await post("/v1/rewind", { address, to: version, dry_run: true });
      const apply = h("button", { type: "button", id: "apply-rewind", class: "danger", onclick: async () => {
        try {
          const done = await post("/v1/rewind", { address, to: version, dry_run: false });
          fill(rewind, h("p", { class: "card" }, done.changed
            ? `Rewound to version ${version}: new version ${done.new_version}.` : "Nothing to change."));
          refresh();
        } catch (e) {
          fill(rewind, errorLine(e));
        }
      } }, `Apply rewind to version ${version}`);
      fill(rewind, h("div", { class: "card" },
        h("h2", {}, `Rewind to version ${version} (dry run)`),
        dry.changes.length ? table(["state", "now", "after rewind"], dry.changes.map((c) =>
          h("tr", {}, h("th", { scope: "row" }, c.name), h("td", {}, valueCell(c.before)), h("td", {}, valueCell(c.after)))),
        { id: "rewind-diff" }) : h("p", {}, "Version ", String(version), " has the same values as now: nothing would change."),
        h("div", { class: "actions" }, dry.changes.length ? apply : null,
          h("button", { type: "button", onclick: () => fill(rewind) }, "Cancel"))));
      (dry.changes.length ? apply : rewind).focus?.();
    } catch (e) {
      fill(rewind, errorLine(e));
    }
  }

  // Replay from `version`: the dry run calls the function without
  // committing; Apply rewinds and delivers the messages again.
  async function replayPreview(version) {
    try {
      const dry = await post("/v1/replay", { address, from: version, dry_run: true });
      const apply = h("button", { type: "button", id: "apply-replay", class: "danger", onclick: async () => {
        try {
          const done = await post("/v1/replay", { address, from: version, dry_run: false });
          fill(rewind, h("p", { class: "card", id: "replayed" },
            `Replayed ${done.replayed} message(s) from version ${version}.`));
          refresh();
        } catch (e) {
          fill(rewind, errorLine(e));
        }
      } }, `Apply replay from version ${version}`);
      fill(rewind, h("div", { class: "card" },
        h("h2", {}, `Replay ${dry.replayed} message(s) from version ${version} (dry run)`),
        dry.changes.length ? table(["state", "now", "after replay"], dry.changes.map((c) =>
          h("tr", {}, h("th", { scope: "row" }, c.name), h("td", {}, valueCell(c.before)), h("td", {}, valueCell(c.after)))),
        { id: "replay-diff" }) : h("p", { id: "replay-same" }, "The replay ends with the same state as now."),
        h("p", { class: "dim" }, `It would send ${dry.messages.length} message(s), ${dry.delayed.length} delayed, `,
          `and ${dry.egress.length} egress record(s).`),
        h("div", { class: "actions" }, apply,
          h("button", { type: "button", onclick: () => fill(rewind) }, "Cancel"))));
      apply.focus();
    } catch (e) {
      fill(rewind, errorLine(e));
    }
  }

  // An inline form in the state's row: the value in its type's notation.
  function editRow(row, s) {
    const input = h("input", { id: `edit-${s.name}`, value: s.encoding === "bytes" ? "" : valueText(s),
      "aria-label": `New value of ${s.name} (${s.typename})`, autocomplete: "off" });
    const form = h("form", { class: "inline-edit", onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api("PUT", `/v1/state/${path(address)}/${encodeURIComponent(s.name)}`,
          { typename: s.typename, value: input.value });
        refresh();
      } catch (err) {
        fill(error, errorLine(err));
      }
    } }, input, " ", h("button", { type: "submit", "data-action": "save" }, "Save"), " ",
    h("button", { type: "button", onclick: () => refresh() }, "Cancel"));
    fill(row.querySelector("td"), form);
    input.focus();
  }

  async function refresh() {
    try {
      const state = await get(`/v1/state/${path(address)}`);
      fill(current, state.states.length
        ? table(["state", "value", "version", "expires", ""], state.states.map((s) => {
          const row = h("tr", { "data-state": s.name },
            h("th", { scope: "row" }, s.name), h("td", {}, valueCell(s)), h("td", { class: "num" }, String(s.version)),
            h("td", {}, s.expires_at ? time(s.expires_at) : "—"));
          row.append(h("td", { class: "actions" }, h("button", { type: "button", class: "small", "data-action": "edit",
            onclick: () => editRow(row, s) }, "Edit")));
          return row;
        }), { id: "state-table" })
        : h("p", { class: "dim" }, "No state now."));
      let history = null;
      try {
        history = await get(`/v1/history/${path(address)}`);
      } catch (e) {
        if (e.status !== 404) throw e;
      }
      if (!history && wanted) pending = setTimeout(refresh, 100);
      if (!history) return fill(timeline, h("li", { class: "dim" }, "This address never changed state."));
      // Group rows by version; each row's "before" is the previous row of its name.
      const last = new Map();
      const versions = new Map();
      for (const row of history.history) {
        if (!versions.has(row.version)) versions.set(row.version, { ...row, changes: [] });
        versions.get(row.version).changes.push({ name: row.name, before: last.get(row.name), after: row.deleted ? null : row });
        last.set(row.name, row.deleted ? null : row);
      }
      const newest = history.latest_version;
      // Steps are streamed a few ms before they commit: read again until
      // the step that changed this entity is in its history.
      const newestStep = Math.max(...history.history.map((r) => r.step));
      if (wanted > newestStep) {
        clearTimeout(pending);
        pending = setTimeout(refresh, 100);
      }
      fill(timeline, [...versions.values()].reverse().map((v) => h("li", { "data-version": v.version, value: v.version },
        h("div", { class: "version-head" },
          h("strong", {}, `version ${v.version}`), " ", h("a", { href: `#/tree/step/${v.step}`, "data-action": "tree", title: "The causal tree this step belongs to" }, `step #${v.step}`), " ", time(v.at), " ",
          h("code", {}, v.cause || "—"), v.caller ? h("span", { class: "dim" }, ` from ${v.caller}`) : null,
          v.version !== newest
            ? [h("button", { type: "button", class: "small", "data-action": "rewind", onclick: () => preview(v.version) },
              `Rewind to version ${v.version}…`), " ",
            h("button", { type: "button", class: "small", "data-action": "replay", onclick: () => replayPreview(v.version) },
              `Replay from version ${v.version}…`)]
            : h("span", { class: "dim" }, " (current)")),
        h("ul", { class: "changes" }, v.changes.map((c) => h("li", { "data-name": c.name },
          h("code", {}, c.name), ": ",
          h("span", { class: "before" }, c.before ? valueText(c.before) : "∅"), " → ",
          h("span", { class: "after" }, c.after ? valueText(c.after) : "deleted")))))));
      if (history.floor > 0) timeline.append(h("li", { class: "dim" }, `Versions before ${history.floor} were folded by retention.`));
    } catch (e) {
      fill(error, errorLine(e));
    }
  }

  const off = bus.on((kind, data) => {
    if (kind === "step" && data.address === address) {
      if (data.states_changed.length) wanted = Math.max(wanted, data.step);
      clearTimeout(pending);
      pending = setTimeout(refresh, 150);
    }
  });
  refresh();
  return () => {
    off();
    clearTimeout(pending);
  };
}
