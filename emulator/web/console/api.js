// The page's only way to the admin API (docs/admin-api.md): same-origin
// fetches, writes as application/json (the admin API refuses anything else
// from a browser), and the bearer token when statefun dev has one
// (STATEFUN_ADMIN_TOKEN): the page asks for it once and keeps it in this
// tab's sessionStorage, never in the URL.

const TOKEN_KEY = "statefun-admin-token";

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(extra = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

// Tells the app that a request was refused for want of the token.
function unauthenticated() {
  window.dispatchEvent(new CustomEvent("statefun-token-needed"));
}

// One request; answers the parsed JSON or throws an ApiError carrying the
// API's one-line error.
export async function api(method, path, body) {
  const init = { method, credentials: "omit", cache: "no-store" };
  init.headers = headers(body === undefined ? {} : { "Content-Type": "application/json" });
  if (body !== undefined) init.body = JSON.stringify(body);
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `statefun dev is not answering (${e.message})`);
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (res.status === 401) unauthenticated();
  if (!res.ok) throw new ApiError(res.status, (json && json.error) || `HTTP ${res.status}`, json);
  return json;
}

export const get = (path) => api("GET", path);
export const post = (path, body = {}) => api("POST", path, body);
export const del = (path) => api("DELETE", path);

export function q(params) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") s.set(k, v);
  const text = s.toString();
  return text ? `?${text}` : "";
}

// Follows /v1/events (server-sent events) with fetch rather than
// EventSource, which cannot send the bearer token. Calls onEvent(kind, data)
// per event and onState("live" | "reconnecting") as the connection goes;
// reconnects after a second, resuming after the last step seen so none is
// missed or repeated. Returns a function that stops it.
export function followEvents(onEvent, onState) {
  const abort = new AbortController();
  let lastStep = null;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  (async () => {
    while (!abort.signal.aborted) {
      try {
        const path = `/v1/events${q({ after_step: lastStep })}`;
        const res = await fetch(path, { headers: headers({ Accept: "text/event-stream" }),
                                        signal: abort.signal, cache: "no-store" });
        if (res.status === 401) unauthenticated();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        onState("live");
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let kind = "message";
            let data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("event: ")) kind = line.slice(7);
              else if (line.startsWith("data: ")) data += line.slice(6);
            }
            if (!data) continue;  // a keep-alive comment
            const parsed = JSON.parse(data);
            if (kind === "step") lastStep = parsed.step;
            onEvent(kind, parsed);
          }
        }
      } catch (e) {
        if (abort.signal.aborted) return;
      }
      onState("reconnecting");
      await sleep(1000);
    }
  })();
  return () => abort.abort();
}
