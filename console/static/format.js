// Formatting helpers for times, durations and ids.

/** duration formats milliseconds as "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function duration(ms) {
  if (ms == null || !isFinite(ms)) return "–";
  ms = Math.max(0, ms);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** ago says how long before now a time was: "just now", "5 min ago", "3 days ago". */
export function ago(t, now) {
  const s = (now - t) / 1000;
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/** clock formats a time as the local date and time, to the second. */
export function clock(t) {
  if (!t) return "–";
  const d = t instanceof Date ? t : new Date(t);
  return d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** time parses an RFC 3339 string to milliseconds since the epoch, or null. */
export function time(s) {
  if (!s) return null;
  const v = Date.parse(s);
  return isNaN(v) ? null : v;
}

/**
 * short is the last 8 characters of an id, enough to tell syncs apart on screen (ids are
 * UUIDv7, whose first characters are the creation time and shared by syncs made together).
 */
export function short(id) {
  return id ? String(id).slice(-8) : "";
}

/** num formats an integer with grouping. */
export function num(n) {
  return Number(n || 0).toLocaleString();
}

/** el creates an element with attributes and children (strings become text nodes). */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c == null) continue;
    e.append(c);
  }
  return e;
}
