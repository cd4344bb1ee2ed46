// Small DOM helpers shared by the pages. Everything is built with elements and
// text nodes, never innerHTML, so no value from the engine can inject markup.

// h("a", {href: "#/"}, "text", child, ...): an element. Attributes starting
// with "on" become listeners; `null`/`false` attributes and children are skipped.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replaces the children of `el`.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A value as the admin API gives it ({typename, encoding, value, base64}), as text.
export function valueText(v) {
  if (!v) return "—";
  if (v.encoding === "json" || v.encoding === "protobuf") return JSON.stringify(v.value, null, 2);
  if (v.encoding === "bytes") return `${v.base64.length * 3 / 4 | 0} bytes (base64 ${v.base64})`;
  if (v.encoding === "none") return "(no value)";
  return typeof v.value === "string" ? v.value : JSON.stringify(v.value);
}

// A value with its type, for tables.
export function valueCell(v) {
  if (!v) return h("span", { class: "dim" }, "—");
  return h("div", { class: "value" }, h("pre", {}, valueText(v)), h("small", { class: "dim" }, v.typename));
}

export function addressLink(address) {
  return h("a", { href: `#/entity/${address.split("/").map(encodeURIComponent).join("/")}` }, address);
}

export function time(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return h("time", { datetime: iso, title: iso }, d.toLocaleTimeString());
}

// act(what, request) for a page's buttons: runs the admin write `request`,
// says in `notice` what it did (what(answer)) or its error, then `after()`
// (the page's refresh).
export function actor(notice, after) {
  return async (what, request) => {
    try {
      fill(notice, h("p", {}, what(await request())));
    } catch (e) {
      fill(notice, errorLine(e));
    }
    after();
  };
}

// A region that shows one error line (role=alert) or nothing.
export function errorLine(error) {
  return h("p", { class: "error", role: "alert" }, error.message || String(error));
}

export function section(title, ...children) {
  return h("section", { "aria-label": title }, h("h2", {}, title), ...children);
}

export function table(headers, rows, attrs = {}) {
  return h("div", { class: "scroll" },
    h("table", attrs,
      h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)));
}
