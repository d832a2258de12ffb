// The per-customer timeline: one horizontal bar per sync, split into lock wait, fetch (lock
// held), awaiting processing, processing and writing, drawn as SVG.
import { duration, short, time, el } from "./format.js";
import { t, locale } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
const perCustomer = 12;
const labelH = 14, barH = 12, gap = 10, axisH = 16;

function svg(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}

/** segments splits a sync's life into [kind, startMs, endMs] parts. */
export function segments(s, now) {
  const T = s.timings || {};
  const q = time(T.queued_at), la = time(T.lock_acquired_at), lr = time(T.lock_released_at);
  const ps = time(T.processing_started_at), ws = time(T.write_started_at), f = time(T.finished_at);
  if (q == null) return [];
  const terminal = ["succeeded", "failed", "canceled"].includes(s.status);
  const end = f ?? (terminal ? Math.max(q, la ?? q, lr ?? q, ps ?? q, ws ?? q) : now);
  const first = (...xs) => xs.find((x) => x != null) ?? end;
  const out = [["wait", q, la ?? end]];
  if (la != null) out.push(["fetch", la, lr ?? first(ps, ws, f)]);
  if (lr != null) out.push(["idle", lr, first(ps, ws, f)]);
  if (ps != null) out.push(["proc", ps, first(ws, f)]);
  if (ws != null) out.push(["write", ws, end]);
  return out.filter(([, a, b]) => b >= a);
}


/** render draws one SVG per customer into container. */
export function render(container, syncs, accountName, now) {
  const byCustomer = new Map();
  for (const s of syncs) {
    if (!s.timings || !s.timings.queued_at) continue;
    if (!byCustomer.has(s.customer_id)) byCustomer.set(s.customer_id, []);
    byCustomer.get(s.customer_id).push(s);
  }
  const width = Math.max(260, Math.floor(container.clientWidth || 600));
  const frag = document.createDocumentFragment();
  for (const [customer, list] of [...byCustomer].sort((a, b) => a[0].localeCompare(b[0]))) {
    const rows = list.sort((a, b) => time(a.timings.queued_at) - time(b.timings.queued_at)).slice(-perCustomer);
    const segs = rows.map((s) => segments(s, now));
    const t0 = Math.min(...segs.flat().map((x) => x[1]));
    const t1 = Math.max(t0 + 1000, ...segs.flat().map((x) => x[2]));
    const scale = (width - 2) / (t1 - t0);
    const rowH = labelH + barH + gap;
    const height = rows.length * rowH + axisH;
    const titleId = `tl-${customer}`;
    const g = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": titleId, class: "timeline" });
    g.append(svg("title", { id: titleId }, t("timeline.summary", { c: customer, n: rows.length, d: duration(t1 - t0) })));
    rows.forEach((s, i) => {
      const y = i * rowH;
      const total = segs[i].length ? segs[i][segs[i].length - 1][2] - segs[i][0][1] : 0;
      g.append(svg("text", { x: 1, y: y + labelH - 3, class: "tl-label" },
        `${accountName(s.account_id)} · ${s.from}–${s.to} · ${t("status." + s.status)} · ${duration(total)} · ${short(s.id)}`));
      for (const [kind, a, b] of segs[i]) {
        const r = svg("rect", { x: 1 + (a - t0) * scale, y: y + labelH, width: Math.max(1, (b - a) * scale), height: barH, class: `seg ${kind}` });
        r.append(svg("title", {}, `${t("seg." + kind)}: ${duration(b - a)}`));
        g.append(r);
      }
    });
    const ay = rows.length * rowH + axisH - 4;
    const fmt = (at) => new Date(at).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    g.append(svg("text", { x: 1, y: ay, class: "tl-axis" }, fmt(t0)));
    g.append(svg("text", { x: width - 1, y: ay, class: "tl-axis", "text-anchor": "end" }, fmt(t1)));
    frag.append(el("figure", { class: "tl", "data-customer": customer }, el("figcaption", { text: t("timeline.customer", { c: customer }) }), g));
  }
  container.replaceChildren(frag);
  return byCustomer.size;
}
