// A sync's own page (#sync/<id>): its summary, live; what went wrong and what to do about it;
// cancel and retry; a link that opens the sheet at its tab; its timeline; and each day of its
// range with its state and why (GET /syncs/{id}/days), its reports grouped by the tab they feed.
import { ApiError, request, follow, now as serverNow } from "./api.js";
import { clock, until, time, short, num, el, sheetURL } from "./format.js";
import { render as renderTimeline } from "./timeline.js";
import { t, lang, message, has, tabName } from "./i18n.js";
import { emailBox, tabKinds, tabTitle } from "./accounts.js";

const $ = (id) => document.getElementById(id);
const terminal = new Set(["succeeded", "failed", "canceled"]);

const page = {
  ctx: null,
  id: "",
  sync: null,
  account: null,
  stream: null,      // AbortController of the sync's event stream
  daysAt: 0,         // when the days were last asked for
  daysTimer: 0,
  lastStatus: "",
};

/** showSyncPage shows the page of sync id, following it live until it is terminal. */
export async function showSyncPage(ctx, id) {
  page.ctx = ctx;
  $("sync-page").hidden = false;
  if (page.id === id) return;
  stop();
  page.id = id;
  page.sync = null;
  page.account = null;
  page.lastStatus = "";
  $("sp-title").textContent = t("sp.loading");
  for (const box of ["sp-summary", "sp-actions", "sp-timeline"]) $(box).replaceChildren();
  $("sp-problem").hidden = true;
  $("sp-days").tBodies[0].replaceChildren();
  let s;
  try {
    s = await request("GET", `/syncs/${encodeURIComponent(id)}`);
  } catch (err) {
    if (page.id !== id) return;
    if (err instanceof ApiError && err.status === 401) return ctx.unauthorized(err);
    $("sp-title").textContent = err instanceof ApiError && err.status === 404 ? t("sp.notFound") : ctx.problemText(err);
    return;
  }
  if (page.id !== id) return;
  try {
    page.account = await request("GET", `/accounts/${encodeURIComponent(s.account_id)}`);
  } catch { /* a deleted account: the page shows the sync without it */ }
  if (page.id !== id) return;
  update(s);
  $("sp-title").focus();
  if (!terminal.has(s.status)) {
    const ctl = new AbortController();
    page.stream = ctl;
    follow(id, (x) => { if (page.id === id) { update(x); ctx.follow(x); } }, ctl.signal)
      .catch(() => { /* the page keeps the last state; reloading it follows again */ })
      .finally(() => { if (page.stream === ctl) page.stream = null; loadDays(true); });
  }
}

/** hideSyncPage leaves the page and stops following its sync. */
export function hideSyncPage() {
  $("sync-page").hidden = true;
  stop();
  page.id = "";
}

/** syncPageUpsert shows a newer state of the page's sync (from the main page's streams). */
export function syncPageUpsert(s) {
  if (page.id === s.id && page.sync) update(s);
}

function stop() {
  if (page.stream) page.stream.abort();
  page.stream = null;
  clearTimeout(page.daysTimer);
}

function update(s) {
  page.sync = s;
  render();
  // A sync that wrote the sheet may have made its tab (the link to it needs its sheetId).
  if (terminal.has(s.status) && page.lastStatus && !terminal.has(page.lastStatus)) loadAccount();
  // The days change as reports arrive: ask again at most every 1.5 s while the sync runs, and
  // once it ends.
  if (s.status !== page.lastStatus || !terminal.has(s.status)) loadDays(s.status !== page.lastStatus);
  page.lastStatus = s.status;
}

async function loadAccount() {
  const id = page.id;
  try {
    const a = await request("GET", `/accounts/${encodeURIComponent(page.sync.account_id)}`);
    if (page.id === id) {
      page.account = a;
      render();
    }
  } catch { /* the page keeps the account it has */ }
}

function loadDays(now) {
  clearTimeout(page.daysTimer);
  const wait = now ? 0 : Math.max(0, 1500 - (Date.now() - page.daysAt));
  const id = page.id;
  page.daysTimer = setTimeout(async () => {
    if (page.id !== id) return;
    page.daysAt = Date.now();
    try {
      const days = await request("GET", `/syncs/${encodeURIComponent(id)}/days`);
      if (page.id === id) renderDays(days.items);
    } catch { /* kept as shown; the next change asks again */ }
  }, wait);
}

function render() {
  const ctx = page.ctx, s = page.sync, a = page.account;
  const name = a ? a.name : short(s.account_id);
  $("sp-title").textContent = t("sp.title", { id: short(s.id), account: name });
  $("sp-title").tabIndex = -1;
  const sp = $("sync-page");
  sp.dataset.sync = s.id;
  sp.dataset.status = s.status;

  const p = s.progress || {};
  const bar = el("progress", { max: String(Math.max(1, p.reports_total || 0)), "aria-label": t("sync.reportsLabel", { id: short(s.id) }) });
  if (p.reports_total > 0 || terminal.has(s.status)) bar.value = s.status === "succeeded" && !p.reports_total ? 1 : p.reports_fetched || 0;
  const dl = el("dl", { class: "facts" },
    el("dt", { text: t("col.status") }), el("dd", {}, el("span", { class: `badge st-${s.status}`, id: "sp-status", text: t("status." + s.status) }),
      " ", el("span", { class: "small", text: t("phase." + s.phase) + (s.cancel_requested && !terminal.has(s.status) ? t("sync.cancelRequested") : "") })),
    el("dt", { text: t("sp.range") }), el("dd", { text: `${s.from} – ${s.to}` }),
    el("dt", { text: t("sp.trigger") }), el("dd", { text: t("trigger." + s.trigger) + (s.retry_of ? ` (${short(s.retry_of)})` : "") }),
    el("dt", { text: t("sp.attempts") }), el("dd", { text: String(s.attempts) }),
    el("dt", { text: t("col.progress") }), el("dd", {}, bar, " ", t("sync.reports", { n: num(p.reports_fetched), total: num(p.reports_total), rows: num(p.rows_processed) })),
    el("dt", { text: t("col.timings") }), el("dd", { class: "small", text: ctx.timingsText(s) }));
  $("sp-summary").replaceChildren(dl);

  renderProblem(s);

  const actions = ctx.syncActions(s);
  if (a) {
    actions.push(el("a", { href: sheetURL(a.spreadsheet_id, a.sheet_gid), target: "_blank", rel: "noopener noreferrer", id: "sp-sheet", class: "button-link" },
      t("sp.openSheet"), el("span", { class: "vh", text: t("sheet.opens") })));
  }
  $("sp-actions").replaceChildren(...actions);
  renderTimeline($("sp-timeline"), [s], () => name, serverNow());
}

/** renderProblem says what went wrong and what to do about it. */
function renderProblem(s) {
  const box = $("sp-problem");
  const e = s.error;
  if (!e || s.status === "succeeded") {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const ctx = page.ctx;
  const parts = [el("h3", { text: t("err.title") })];
  const fix = (key) => el("button", { type: "button", class: "primary", "data-needs": "change", id: "sp-fix" }, t(key));
  let fixBtn = null;
  switch (e.kind) {
    case "auth":
      parts.push(el("p", { text: t("err.auth") }));
      fixBtn = fix("err.authFix");
      break;
    case "not_shared":
      parts.push(el("p", { text: t("err.notShared") }), emailBox((page.account || {}).google_identity || (ctx.info() || {}).service_account_email || ""));
      break;
    case "spreadsheet_not_found":
      parts.push(el("p", { text: t("err.notFound") }));
      fixBtn = fix("err.sheetFix");
      break;
    case "too_large":
      parts.push(el("p", { text: t("err.tooLarge") }));
      fixBtn = fix("err.levelFix");
      break;
    case "consent_needed": {
      // The tab holds someone's data: naversync replaces it only with a person's consent.
      parts.push(el("p", { text: t("err.consent", { tab: consentTab() }) }));
      const btn = el("button", { type: "button", class: "primary", "data-needs": "change", id: "sp-consent" }, t("err.consentFix"));
      btn.addEventListener("click", () => consent(s, btn));
      parts.push(btn);
      break;
    }
    case "quota":
    case "rate_limited":
      parts.push(el("p", { text: t("err.quota") }));
      break;
    default:
      parts.push(el("p", { text: t("err.other") }));
  }
  const at = time(s.next_attempt_at);
  if (at != null && s.status === "queued") {
    parts.push(el("p", { class: "retry-at", text: t("err.retryAt", { t: clock(at), in: until(at, serverNow()) }) }));
  }
  if (fixBtn) {
    fixBtn.addEventListener("click", () => ctx.editAccount(s.account_id));
    parts.push(fixBtn);
  }
  // Naver's or Google's own words are English: in another language they stay in the tooltip.
  const said = lang() === "en" ? e.message : message(e.code, null, e.message);
  parts.push(el("p", { class: "small error-text", title: e.message, text: t("err.detail", { kind: e.kind, message: said }) }));
  box.dataset.kind = e.kind;
  box.replaceChildren(...parts);
  box.hidden = false;
}

/** a0 is the sync's account as the page loaded it (an empty one when deleted). */
function a0() { return page.account || {}; }

/** consentTab is the title of the tab the sync found holding someone's data: any of the
 * account's tabs (the service names it), else, from an older service, the performance tab. */
function consentTab() { return (a0().sheet_consent || {}).tab || a0().sheet_tab || ""; }

/** consent records the operator's consent to replace the tab's data (audited by the service),
 * then retries the sync, whose page opens. */
async function consent(s, btn) {
  const ctx = page.ctx;
  btn.disabled = true;
  const tab = consentTab();
  try {
    await request("POST", `/accounts/${encodeURIComponent(s.account_id)}/sheet-consent`);
    const r = await request("POST", `/syncs/${encodeURIComponent(s.id)}/retry`);
    ctx.say(t("err.consentDone", { tab }));
    ctx.follow(r);
    ctx.changed();
    location.hash = `#sync/${r.id}`;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return ctx.unauthorized(err);
    ctx.say(ctx.problemText(err));
    btn.disabled = false;
  }
}

/** reportLine says one report of a day: its state, and why when Naver does not serve it that day. */
function reportLine(r) {
  const why = r.state === "not_served" ? message(r.code, r.params, r.reason || "") : "";
  return el("div", { class: `small report-${r.state}`, "data-report": r.report_type, "data-state": r.state },
    el("code", { text: r.report_type }), " ", has("report." + r.state) ? t("report." + r.state) : r.state,
    r.recheck ? ` · ${t("report.recheck")}` : "", r.fetched_at ? ` · ${clock(r.fetched_at)}` : "", why ? ` · ${why}` : "");
}

/**
 * dayReports shows a day's reports under each tab they feed (a report's `tabs`), in the order a
 * sync writes the tabs; a report feeding two tabs is shown under both. Reports without `tabs`
 * (an older service) are listed as they come.
 */
function dayReports(d) {
  if (!d.reports.some((r) => Array.isArray(r.tabs))) return d.reports.map(reportLine);
  const kinds = [...new Set(d.reports.flatMap((r) => r.tabs || []))];
  kinds.sort((x, y) => rank(x) - rank(y));
  const a = page.account;
  return kinds.map((k) => el("div", { class: "day-tab", "data-tab": k },
    el("div", { class: "small day-tab-name", text: tabName(k) + (a ? ` “${tabTitle(a, k)}”` : "") }),
    ...d.reports.filter((r) => (r.tabs || []).includes(k)).map(reportLine)));
}

/** rank orders tab kinds as a sync writes them; kinds this page does not know go last. */
function rank(kind) {
  const i = tabKinds.indexOf(kind);
  return i < 0 ? tabKinds.length : i;
}

function renderDays(days) {
  const tbody = $("sp-days").tBodies[0];
  tbody.replaceChildren(...days.map((d) => {
    const tr = el("tr", { "data-day": d.day, "data-state": d.state });
    tr.append(
      el("td", { "data-label": t("sp.day") }, el("span", { class: "nw", text: d.day })),
      el("td", { "data-label": t("sp.state") }, el("span", { class: `badge day-${d.state}`, text: t("day." + d.state) })),
      el("td", { "data-label": t("sp.why"), class: "small" }, message(d.code, d.params, d.reason || "")),
      el("td", { "data-label": t("sp.reports") }, ...dayReports(d)));
    return tr;
  }));
  $("sync-page").dataset.days = String(days.length);
  $("sync-page").dataset.lang = lang();
}
