// The API client of the console: bearer token from sessionStorage, JSON requests,
// problem+json errors, and Server-Sent Events read through fetch() (EventSource cannot send
// the Authorization header).

const tokenKey = "naversync.token";

/** An answer other than 2xx; problem is the RFC 9457 body when there is one. */
export class ApiError extends Error {
  constructor(status, problem, sentToken) {
    const p = problem || {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.status = status;
    this.problem = p;
    this.sentToken = sentToken;
  }
}

export function getToken() {
  try { return sessionStorage.getItem(tokenKey) || ""; } catch { return ""; }
}

export function setToken(t) {
  try {
    if (t) sessionStorage.setItem(tokenKey, t); else sessionStorage.removeItem(tokenKey);
  } catch { /* storage disabled: the token lives until reload */ }
}

// The service's clock minus this browser's, from the Date header of its answers: times the page
// shows relative to "now" (how long ago, fresh or stale, held for) follow the service's clock,
// whatever the browser's says.
let clockOffset = 0;

function noteDate(res) {
  const d = Date.parse(res.headers.get("Date") || "");
  if (!Number.isNaN(d)) clockOffset = d - Date.now();
}

/** now is the service's current time in milliseconds since the epoch. */
export function now() {
  return Date.now() + clockOffset;
}

function headers(extra) {
  const h = { Accept: "application/json", ...extra };
  const t = getToken();
  if (t) h.Authorization = "Bearer " + t;
  return h;
}

/** request sends one API call and returns the decoded JSON body (null when empty). */
export async function request(method, path, { body, headers: extra, signal } = {}) {
  const sentToken = getToken() !== "";
  const init = { method, headers: headers(extra), signal, cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  noteDate(res);
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) throw new ApiError(res.status, data, sentToken);
  return data;
}

/** newKey returns a random Idempotency-Key (works outside secure contexts too). */
export function newKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return "console-" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * follow reads GET /syncs/{id}/events and calls onSync with each "sync" event's data until the
 * stream ends (the sync is terminal) or signal aborts.
 */
export function follow(id, onSync, signal) {
  return stream(`/syncs/${encodeURIComponent(id)}/events`, "sync", onSync, signal);
}

/**
 * followList reads GET /syncs/events?query and calls onList with each "syncs" event's data
 * (a page like GET /syncs answers) until the stream ends or signal aborts.
 */
export function followList(query, onList, signal) {
  return stream("/syncs/events?" + query, "syncs", onList, signal);
}

/**
 * stream reads the Server-Sent Events at path and calls onData with the JSON data of each event
 * named name, until the stream ends or signal aborts. A non-2xx answer throws an ApiError.
 */
async function stream(path, name, onData, signal) {
  const sentToken = getToken() !== "";
  const res = await fetch(path, {
    headers: headers({ Accept: "text/event-stream" }), signal, cache: "no-store",
  });
  noteDate(res);
  if (!res.ok || !res.body) {
    let p = null;
    try { p = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(res.status, p, sentToken);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value.replace(/\r\n?/g, "\n");
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line === "" || line.startsWith(":")) continue;
        const c = line.indexOf(":");
        const field = c < 0 ? line : line.slice(0, c);
        let v = c < 0 ? "" : line.slice(c + 1);
        if (v.startsWith(" ")) v = v.slice(1);
        if (field === "event") event = v;
        else if (field === "data") data.push(v);
      }
      if (event === name && data.length) {
        try { onData(JSON.parse(data.join("\n"))); } catch { /* a malformed event is skipped */ }
      }
    }
  }
}
