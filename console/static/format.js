// Formatting helpers for times, durations and ids, in the console's language.
import { t, lang, locale } from "./i18n.js";

/** duration formats milliseconds as "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function duration(ms) {
  if (ms == null || !isFinite(ms)) return "–";
  const ko = lang() === "ko";
  ms = Math.max(0, ms);
  if (ms < 1000) return ko ? `${Math.round(ms)}밀리초` : `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return ko ? `${s.toFixed(1)}초` : `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  const ss = String(Math.floor(s % 60)).padStart(2, "0");
  if (m < 60) return ko ? `${m}분 ${ss}초` : `${m} min ${ss} s`;
  const mm = String(m % 60).padStart(2, "0");
  return ko ? `${Math.floor(m / 60)}시간 ${mm}분` : `${Math.floor(m / 60)} h ${mm} min`;
}

/** ago says how long before now a time was: "just now", "5 min ago", "3 days ago". */
export function ago(at, now) {
  const s = (now - at) / 1000;
  if (s < 45) return t("ago.now");
  if (s < 3600) return t("ago.min", { n: Math.round(s / 60) });
  if (s < 172800) return t("ago.h", { n: Math.round(s / 3600) });
  return t("ago.days", { n: Math.round(s / 86400) });
}

/** until says how long after now a time is: "in 5 min", "in 3 h". */
export function until(at, now) {
  const s = (at - now) / 1000;
  if (s < 45) return t("in.now");
  if (s < 5400) return t("in.min", { n: Math.round(s / 60) });
  return t("in.h", { n: Math.round(s / 3600) });
}

/** clock formats a time as the local date and time, to the second. */
export function clock(at) {
  if (!at) return "–";
  const d = at instanceof Date ? at : new Date(at);
  return d.toLocaleString(locale(), { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** minute formats a time as the local date and time, to the minute. */
export function minute(at) {
  if (!at) return "–";
  const d = at instanceof Date ? at : new Date(at);
  return d.toLocaleString(locale(), { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
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
  return Number(n || 0).toLocaleString(locale());
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

/** sheetURL is the address of a spreadsheet, at a tab when its sheetId (gid) is known. */
export function sheetURL(spreadsheetID, gid) {
  const base = "https://docs.google.com/spreadsheets/d/" + encodeURIComponent(spreadsheetID);
  return gid != null ? `${base}/edit#gid=${gid}` : base;
}
