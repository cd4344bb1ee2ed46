// The console's shell: one event stream for every page, hash routes
// (#/, #/stuck, #/entities, #/entity/ns/type/id, #/send, #/timers,
// #/topics, #/snapshots, #/flow, #/tree/message/{id}, #/tree/step/{step}),
// the stuck badge
// in the navigation and the token form. Each page module exports
// render(main, params, bus) and may return a cleanup function.
import { followEvents, get, setToken } from "./api.js";
import { fill, h } from "./dom.js";
import * as overview from "./overview.js";
import * as stuck from "./stuck.js";
import * as entities from "./entities.js";
import * as entity from "./entity.js";
import * as send from "./send.js";
import * as timers from "./timers.js";
import * as topics from "./topics.js";
import * as snapshots from "./snapshots.js";
import * as flow from "./flow.js";
import * as tree from "./tree.js";

const main = document.getElementById("main");
const live = document.getElementById("live");
const stuckCount = document.getElementById("stuck-count");

// Pages subscribe to engine events here: bus.on(fn) returns an unsubscribe.
const listeners = new Set();
const bus = {
  on(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
};

function routes(hash) {
  const path = hash.replace(/^#/, "") || "/";
  const [route, query = ""] = path.split("?");
  const params = Object.fromEntries(new URLSearchParams(query));
  if (route === "/" || route === "") return ["overview", overview, params];
  if (route === "/stuck") return ["stuck", stuck, params];
  if (route === "/entities") return ["entities", entities, params];
  if (route.startsWith("/entity/")) {
    params.address = route.slice("/entity/".length).split("/").map(decodeURIComponent).join("/");
    return ["entities", entity, params];
  }
  if (route === "/send") return ["send", send, params];
  if (route === "/timers") return ["timers", timers, params];
  if (route === "/topics") return ["topics", topics, params];
  if (route === "/snapshots") return ["snapshots", snapshots, params];
  if (route === "/flow") return ["flow", flow, params];
  const treeRoute = route.match(/^\/tree\/(message|step)\/(\d+)$/);
  if (treeRoute) return ["flow", tree, { ...params, kind: treeRoute[1], id: treeRoute[2] }];
  return [null, null, params];
}

let cleanup = null;
function show() {
  if (cleanup) cleanup();
  cleanup = null;
  const [name, page, params] = routes(location.hash);
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!page) {
    fill(main, h("h1", {}, "Not found"), h("p", {}, "No console page ", location.hash, ". ",
      h("a", { href: "#/" }, "Overview")));
    return;
  }
  fill(main);
  cleanup = page.render(main, params, bus) || null;
}

async function refreshStuckBadge() {
  try {
    const status = await get("/v1/status");
    stuckCount.hidden = status.failing === 0;
    stuckCount.textContent = String(status.failing);
    stuckCount.setAttribute("aria-label", `${status.failing} failing addresses`);
  } catch {
    // the page in view shows the error
  }
}

let badgeTimer = null;
followEvents((kind, data) => {
  for (const fn of listeners) fn(kind, data);
  if (kind === "call_failed" || kind === "recovered" || kind === "step") {
    clearTimeout(badgeTimer);
    badgeTimer = setTimeout(refreshStuckBadge, 200);
  }
}, (state) => {
  live.textContent = state === "live" ? "● live" : "reconnecting…";
  live.dataset.state = state;
});

// The admin API has a token (STATEFUN_ADMIN_TOKEN): ask for it once per tab.
window.addEventListener("statefun-token-needed", () => {
  if (document.getElementById("token-form")) return;
  const input = h("input", { id: "token", type: "password", autocomplete: "off", required: true });
  const form = h("form", { id: "token-form", class: "card", onsubmit: (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    location.reload();
  } },
  h("h2", {}, "Admin token"),
  h("p", {}, "statefun dev was started with STATEFUN_ADMIN_TOKEN; enter it to continue. It is kept in this tab only."),
  h("label", { for: "token" }, "Token "), input, " ", h("button", { type: "submit" }, "Continue"));
  main.prepend(form);
  input.focus();
});

window.addEventListener("hashchange", () => {
  refreshStuckBadge();
  show();
  main.focus({ preventScroll: true });
});
show();
refreshStuckBadge();
// Not every change is an engine event the badge hears (a drop from the
// Stuck page is an admin edit): a slow poll keeps it true.
setInterval(refreshStuckBadge, 3000);
