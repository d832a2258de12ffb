// The console's page logic: token prompt, the live sync list (an event stream, polling while
// it is down), polling of accounts, leases, the scheduler and the audit log, event streams of
// running syncs, the Sync now / cancel / retry actions, the language switch, and the routes:
// the main page, and a sync's own page at #sync/<id>. The account form and a sync's page live
// in accounts.js and syncpage.js.
import { ApiError, request, follow, followList, getToken, setToken, newKey, now as serverNow } from "./api.js";
import { duration, ago, until, clock, minute, time, short, num, el, sheetURL } from "./format.js";
import { render as renderTimeline } from "./timeline.js";
import { t, lang, setLang, translatePage, message, fieldName, tabName } from "./i18n.js";
import { initAccountForms, openAccountForm, openDeleteDialog, accountTabs, tabTitle } from "./accounts.js";
import { showSyncPage, hideSyncPage, syncPageUpsert } from "./syncpage.js";
import { initNotify, refreshNotify, render as renderNotify } from "./notify.js";

const pollMs = 1500;
const slowEveryMs = 10000; // accounts, scheduler and audit log
const listRetryMaxMs = 30000; // longest wait before reopening the list stream
const maxStreams = 3; // a browser opens at most 6 connections per host over HTTP/1.1
const terminal = new Set(["succeeded", "failed", "canceled"]);
const statusRank = { queued: 0, fetching: 1, processing: 2 };

const $ = (id) => document.getElementById(id);

const state = {
  loop: 0,               // generation of the poll loop; a new one ends the old
  info: null,            // GET /info: served window, service account, the caller's role
  accounts: [],
  accountById: new Map(),
  slowAt: 0,             // when accounts, scheduler and audit were last loaded
  syncs: [],             // the filtered list, newest first
  fresher: new Map(),    // sync id -> state from its event stream
  lastGood: new Map(),   // account id -> newest "to" of a succeeded sync seen
  leases: [],
  scheduler: null,
  audit: [],
  streams: new Map(),    // sync id -> AbortController
  list: null,            // {gen, ctl}: the list stream of poll loop gen
  listLive: false,       // the list stream delivers: GET /syncs polling pauses
  listFailures: 0,       // list streams in a row that ended before an event
  pending: new Map(),    // account id -> {key, sig, syncId, inflight, done}
  retryKeys: new Map(),  // sync id -> Idempotency-Key of its retry
};

// ---------- messages ----------

function say(text) { $("status").textContent = text; }

function showError(text) {
  const e = $("error");
  e.textContent = text;
  e.hidden = !text;
}

function problemText(err) {
  if (err instanceof ApiError) {
    const p = err.problem || {};
    const fields = (p.errors || []).map((f) => `${fieldName(f.field)}: ${message(f.code, f.params, f.reason)}`).join("; ");
    // The title is English: in another language a detail said by its code stands alone.
    const title = lang() !== "en" && p.code ? "" : p.title || `HTTP ${err.status}`;
    return [title, message(p.code, p.params, p.detail), fields].filter(Boolean).join(" — ");
  }
  return t("msg.unreachable", { e: err && err.message ? err.message : err });
}

/** canChange reports whether the caller's token may change anything (not a viewer's). */
function canChange() {
  return !!state.info && state.info.role !== "viewer";
}

// The context the account form and the sync page work with.
const ctx = {
  t, say, showError, problemText, canChange,
  info: () => state.info,
  schedule: () => (state.scheduler ? state.scheduler.schedule : ""),
  account: (id) => state.accountById.get(id),
  timingsText: (s) => timingsText(s),
  syncActions: (s) => syncActions(s),
  accountName,
  unauthorized: (err) => unauthorized(err),
  /** changed reloads what a change may have touched (accounts, syncs, scheduler, audit). */
  changed: () => { state.slowAt = 0; kick(); },
  editAccount: (id) => openAccountForm(ctx, state.accountById.get(id) || null),
  follow: (s) => { upsert(s); followActive(); },
};

// ---------- authentication ----------

function showAuth(message) {
  state.loop++;
  stopStreams();
  hideSyncPage();
  $("app").hidden = true;
  $("auth").hidden = false;
  $("forget-token").hidden = true;
  const ae = $("auth-error");
  ae.textContent = message || "";
  ae.hidden = !message;
  showError("");
  $("token").focus();
}

/** unauthorized handles a 401: a token we sent was refused, or one is needed. */
function unauthorized(err) {
  if (err.sentToken) {
    setToken("");
    showAuth(t("auth.refused"));
  } else {
    showAuth("");
  }
}

$("auth-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const tok = $("token").value.trim();
  if (!tok) {
    $("auth-error").textContent = t("auth.enter");
    $("auth-error").hidden = false;
    return;
  }
  setToken(tok);
  $("token").value = "";
  boot();
});

$("forget-token").addEventListener("click", () => {
  setToken("");
  showAuth("");
});

async function boot() {
  let info;
  try {
    info = await request("GET", "/info");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return unauthorized(err);
    showError(problemText(err) + t("msg.retrying"));
    setTimeout(boot, 3000);
    return;
  }
  state.info = info;
  showError("");
  $("auth").hidden = true;
  $("forget-token").hidden = !getToken();
  document.body.dataset.canChange = String(canChange());
  renderInfo();
  for (const id of ["from", "to"]) {
    $(id).min = info.served_from;
    $(id).max = info.served_to;
    if (!$(id).value) $(id).value = info.served_to;
  }
  state.slowAt = 0;
  refreshNotify();
  route();
  const gen = ++state.loop;
  tick(gen);
}

function renderInfo() {
  const info = state.info;
  if (!info) return;
  const parts = [t("info.version", { v: info.version })];
  const pool = info.google_identities || [];
  if (pool.length > 1) parts.push(t("info.identities", { n: pool.length, list: pool.map((p) => `${p.email} (${p.accounts})`).join(", ") }));
  else if (info.service_account_email) parts.push(t("info.share", { email: info.service_account_email }));
  parts.push(t("info.served", { from: info.served_from, to: info.served_to }));
  $("info").textContent = parts.join(" · ");
  const r = $("role");
  const anonymous = info.actor.startsWith("anonymous");
  r.textContent = anonymous ? t("role.anonymous") : `${t("role." + info.role)} · ${actorText(info.actor)}`;
  r.classList.toggle("viewer", info.role === "viewer");
  r.hidden = false;
}

// ---------- routes ----------

/** route shows the page the address names: a sync's page (#sync/<id>) or the main page. */
function route() {
  if (!state.info) return;
  const m = /^#sync\/([0-9a-fA-F-]{1,64})$/.exec(location.hash);
  if (m) {
    $("app").hidden = true;
    showSyncPage(ctx, m[1]);
    return;
  }
  const wasHidden = $("app").hidden;
  hideSyncPage();
  $("app").hidden = false;
  if (wasHidden && location.hash.length > 1) {
    const target = document.getElementById(location.hash.slice(1));
    if (target) target.scrollIntoView();
  }
}

window.addEventListener("hashchange", route);

// ---------- polling ----------

let kickTimer = 0;
/** kick runs the next poll now (after a change) instead of at its time. */
function kick() {
  clearTimeout(kickTimer);
  kickTimer = setTimeout(() => { const gen = ++state.loop; tick(gen); }, 0);
}

async function tick(gen) {
  if (gen !== state.loop) return;
  try {
    const now = serverNow();
    startList(gen);
    const jobs = [loadLeases()];
    if (!state.listLive) jobs.push(loadSyncs());
    if (now - state.slowAt > slowEveryMs) jobs.push(loadAccounts(), loadScheduler(), loadAudit());
    await Promise.all(jobs);
    if (gen !== state.loop) return;
    showError("");
    renderAll();
    followActive();
  } catch (err) {
    if (gen !== state.loop) return;
    if (err instanceof ApiError && err.status === 401) return unauthorized(err);
    showError(problemText(err));
  }
  setTimeout(() => tick(gen), document.hidden ? pollMs * 4 : pollMs);
}

async function loadAccounts() {
  const all = [];
  let after = "";
  do {
    const q = new URLSearchParams({ limit: "200" });
    if (after) q.set("after", after);
    const page = await request("GET", "/accounts?" + q);
    all.push(...page.items);
    after = page.next_cursor || "";
  } while (after && all.length < 2000);
  state.accounts = all;
  state.accountById = new Map(all.map((a) => [a.id, a]));
  state.slowAt = serverNow();
  fillFilters();
}

async function loadScheduler() {
  state.scheduler = await request("GET", "/scheduler");
}

async function loadAudit() {
  state.audit = (await request("GET", "/audit?limit=50")).items;
}

/** syncsQuery is the query of the sync list: the filters of the page. */
function syncsQuery() {
  const q = new URLSearchParams({ limit: "100" });
  for (const [param, id] of [["status", "f-status"], ["account_id", "f-account"], ["customer_id", "f-customer"]]) {
    if ($(id).value) q.set(param, $(id).value);
  }
  return q;
}

async function loadSyncs() {
  const page = await request("GET", "/syncs?" + syncsQuery());
  if (state.listLive) return; // the stream took over meanwhile and is fresher
  setSyncs(page.items);
}

/** setSyncs replaces the list with a fetched or streamed page. */
function setSyncs(items) {
  state.syncs = items.map(pick);
  for (const s of state.syncs) noteSync(s);
}

// ---------- the live list ----------

/**
 * startList opens the list stream (GET /syncs/events with the filters) of poll loop gen, unless
 * it is open or waiting to reopen. While it delivers, tick stops polling GET /syncs; when it
 * fails or ends, polling takes over and it is reopened after a backoff (1 s, 2 s, … 30 s).
 */
function startList(gen) {
  if (gen !== state.loop || (state.list && state.list.q === syncsQuery().toString())) return;
  stopList();
  const list = { gen, q: syncsQuery().toString(), ctl: new AbortController() };
  state.list = list;
  followList(list.q, (page) => {
    if (state.list !== list) return;
    state.listLive = true;
    state.listFailures = 0;
    // Counted on the page, so that a test can see the list stream deliver.
    $("syncs").dataset.listEvents = String(Number($("syncs").dataset.listEvents || 0) + 1);
    setSyncs(page.items);
    showError("");
    renderSyncs();
    renderTimelines();
    followActive();
  }, list.ctl.signal)
    .catch(() => { /* polling shows the list meanwhile; a 401 is handled there */ })
    .finally(() => {
      if (state.list !== list) return;
      state.listLive = false;
      const wait = Math.min(listRetryMaxMs, 1000 * 2 ** state.listFailures++) * (0.75 + Math.random() / 2);
      setTimeout(() => {
        if (state.list !== list) return;
        state.list = null;
        startList(state.loop);
      }, wait);
    });
}

function stopList() {
  if (state.list) state.list.ctl.abort();
  state.list = null;
  state.listLive = false;
}

async function loadLeases() {
  state.leases = (await request("GET", "/leases")).items;
}

/** ahead reports whether a is a later state of the same sync than b. */
function ahead(a, b) {
  const ra = terminal.has(a.status) ? 3 : statusRank[a.status] ?? 0;
  const rb = terminal.has(b.status) ? 3 : statusRank[b.status] ?? 0;
  if (ra !== rb) return ra > rb;
  const pa = a.progress || {}, pb = b.progress || {};
  if (pa.reports_fetched !== pb.reports_fetched) return pa.reports_fetched > pb.reports_fetched;
  return (pa.rows_processed || 0) > (pb.rows_processed || 0);
}

/** pick returns the fresher of a polled sync and its last streamed state. */
function pick(s) {
  const f = state.fresher.get(s.id);
  if (f && ahead(f, s)) return f;
  state.fresher.delete(s.id);
  return s;
}

/** noteSync records what a sync's state means for its account and its Sync now button. */
function noteSync(s) {
  if (s.status === "succeeded") {
    const prev = state.lastGood.get(s.account_id);
    if (!prev || s.to > prev) state.lastGood.set(s.account_id, s.to);
  }
  if (terminal.has(s.status)) {
    for (const p of state.pending.values()) if (p.syncId === s.id) p.done = true;
  }
}

/** upsert puts one sync's new state into the list (from a stream or an action). */
function upsert(s) {
  noteSync(s);
  state.fresher.set(s.id, s);
  const i = state.syncs.findIndex((x) => x.id === s.id);
  if (i >= 0) state.syncs[i] = s;
  else if (matchesFilters(s)) state.syncs.unshift(s);
  renderSyncs();
  renderTimelines();
  syncPageUpsert(s);
}

function matchesFilters(s) {
  const st = $("f-status").value, acc = $("f-account").value, cu = $("f-customer").value;
  return (!st || st.split(",").includes(s.status)) && (!acc || s.account_id === acc) && (!cu || s.customer_id === cu);
}

// ---------- event streams ----------

function followActive() {
  const active = state.syncs.filter((s) => !terminal.has(s.status));
  const keep = new Set(active.slice(0, maxStreams).map((s) => s.id));
  for (const [id, ctl] of state.streams) {
    if (!keep.has(id)) { ctl.abort(); state.streams.delete(id); }
  }
  for (const id of keep) {
    if (state.streams.has(id)) continue;
    const ctl = new AbortController();
    state.streams.set(id, ctl);
    follow(id, (s) => {
      // Counted on the page, so that a test can see the streams deliver.
      $("syncs").dataset.events = String(Number($("syncs").dataset.events || 0) + 1);
      upsert(s);
    }, ctl.signal)
      .catch(() => { /* the next poll shows the state; a 401 is handled there */ })
      .finally(() => { if (state.streams.get(id) === ctl) state.streams.delete(id); });
  }
}

function stopStreams() {
  stopList();
  for (const ctl of state.streams.values()) ctl.abort();
  state.streams.clear();
}

// ---------- rendering ----------

function renderAll() {
  renderAccounts();
  renderSyncs();
  renderLeases();
  renderTimelines();
  renderScheduler();
  renderAudit();
}

function accountName(id) {
  const a = state.accountById.get(id);
  return a ? a.name : short(id);
}

function fillSelect(sel, options) {
  const cur = sel.value;
  const sig = lang() + JSON.stringify(options);
  if (sel.dataset.sig === sig) return;
  sel.dataset.sig = sig;
  sel.replaceChildren(el("option", { value: "", text: t("filter.all") }), ...options.map(([v, text]) => el("option", { value: v, text })));
  sel.value = options.some(([v]) => v === cur) ? cur : "";
}

function fillFilters() {
  fillSelect($("f-account"), state.accounts.map((a) => [a.id, `${a.name} (${a.customer_id})`]));
  const customers = [...new Set(state.accounts.map((a) => a.customer_id))].sort();
  fillSelect($("f-customer"), customers.map((c) => [c, c]));
}

/** keyedRows keeps one <tr> per key in tbody, in order, creating rows with make. */
function keyedRows(tbody, items, key, make, update) {
  const existing = new Map([...tbody.rows].map((r) => [r.dataset.key, r]));
  const wanted = new Set(items.map(key));
  for (const [k, r] of existing) if (!wanted.has(k)) r.remove();
  let prev = null;
  for (const it of items) {
    const k = key(it);
    let r = existing.get(k);
    if (!r) { r = make(it); r.dataset.key = k; }
    update(r, it);
    const want = prev ? prev.nextSibling : tbody.firstChild;
    if (want !== r) tbody.insertBefore(r, want);
    prev = r;
  }
}

function cells(labelKeys) {
  const tr = el("tr");
  for (const k of labelKeys) tr.append(el("td", { "data-label": t(k) }));
  return tr;
}

/** setCell replaces a cell's content only when it changed, so focus and selection survive. */
function setCell(td, sig, ...children) {
  sig = lang() + sig;
  if (td.dataset.sig === sig) return;
  td.dataset.sig = sig;
  td.replaceChildren(...children.filter((c) => c != null && c !== ""));
}

/** button makes an action button; those that change something are hidden from viewers. */
function button(act, id, text, label, cls) {
  return el("button", { type: "button", class: cls, "data-act": act, "data-id": id, "data-needs": "change", "aria-label": label }, text);
}

function nextRefreshText(a, now) {
  if (!a.refresh_enabled) return [t("refresh.off"), ""];
  const at = time(a.next_refresh_at);
  if (at == null) return [a.refresh_time ? t("refresh.own", { time: a.refresh_time }) : "–", t("refresh.noScheduler")];
  return [minute(at), until(at, now) + (a.refresh_time ? " · " + t("refresh.own", { time: a.refresh_time }) : "")];
}

/** nearLimitText says how full a spreadsheet near Google's cell limit is and what takes the room; "" otherwise. */
function nearLimitText(c) {
  if (!c || !c.near_limit) return "";
  const tabs = (c.tabs || []).slice(0, 3).map((x) => `${x.title} (${num(x.cells)})`).join(", ");
  return t("sheet.nearLimit", { pct: Math.floor((100 * c.cells) / Math.max(1, c.limit)), cells: num(c.cells), limit: num(c.limit), tabs });
}

function renderAccounts() {
  const now = serverNow();
  $("accounts-empty").hidden = state.accounts.length > 0;
  keyedRows($("accounts-table").tBodies[0], state.accounts, (a) => a.id,
    () => cells(["col.name", "col.customer", "col.sheet", "col.lastSuccess", "col.data", "col.nextRefresh", "col.actions"]),
    (tr, a) => {
      tr.dataset.account = a.id;
      const [name, cust, sheet, last, data, next, act] = tr.cells;
      setCell(name, a.name + a.sheet_language, a.name, a.sheet_language === "ko" ? el("div", { class: "small", text: "시트: 한국어" }) : null);
      setCell(cust, a.customer_id, el("code", { text: a.customer_id }));
      const href = sheetURL(a.spreadsheet_id, a.sheet_gid);
      const full = nearLimitText(a.sheet_cells);
      const shared = a.google_identity ? t("sheet.identity", { email: a.google_identity }) : "";
      const kinds = accountTabs(a);
      const gids = a.tab_gids || {};
      const labels = kinds.map((k) => `${tabName(k)} “${tabTitle(a, k)}”`);
      const tabs = t("sheet.tabs", { tabs: labels.join(" · ") });
      // Each tab written so far links to itself (its gid); "{tabs}" ends the sentence in every language.
      const tabList = [t("sheet.tabs", { tabs: "" })];
      kinds.forEach((k, i) => {
        if (i > 0) tabList.push(" · ");
        tabList.push(gids[k] == null ? labels[i]
          : el("a", { href: sheetURL(a.spreadsheet_id, gids[k]), target: "_blank", rel: "noopener noreferrer", "data-tab": k }, labels[i]));
      });
      setCell(sheet, href + a.sheet_tab + tabs + JSON.stringify(gids) + full + shared,
        el("a", { href, target: "_blank", rel: "noopener noreferrer" }, a.sheet_tab || "sheet", el("span", { class: "vh", text: t("sheet.opens") })),
        el("div", { class: "small tabs", "data-tabs": kinds.join(",") }, ...tabList),
        full ? el("div", { class: "error-text sheet-full", text: full }) : null,
        shared ? el("div", { class: "small identity", "data-identity": a.google_identity, text: shared }) : null);
      const ls = time(a.last_success_at);
      const fresh = ls != null && now - ls < 26 * 3600e3;
      const lastText = ls == null ? t("badge.never") : `${clock(ls)} (${ago(ls, now)})`;
      const cls = ls == null ? "never" : fresh ? "fresh" : "stale";
      setCell(last, lastText + (a.last_error || ""),
        el("span", { class: "badge " + cls, text: t("badge." + cls) }),
        " ", ls == null ? "" : lastText,
        a.last_error ? el("div", { class: "error-text", title: a.last_error, text: message(a.last_error_code, null, a.last_error) }) : null);
      const through = state.lastGood.get(a.id);
      setCell(data, through || "", through ? t("data.through", { day: through }) : "–");
      const [when, detail] = nextRefreshText(a, now);
      setCell(next, when + detail, el("span", { class: "nw", text: when }), detail ? el("div", { class: "small", text: detail }) : null);
      const p = state.pending.get(a.id);
      const busy = !!(p && p.inflight);
      setCell(act, "acts" + a.name,
        button("sync", a.id, t("act.sync"), t("act.syncLabel", { name: a.name }), "primary"),
        button("edit", a.id, t("act.edit"), t("act.editLabel", { name: a.name })),
        button("delete", a.id, t("act.delete"), t("act.deleteLabel", { name: a.name })));
      // Changed in place, so that a keyboard user's focus stays on the button.
      const btn = act.firstChild;
      btn.disabled = busy;
      btn.setAttribute("aria-busy", String(busy));
    });
}

function progressCell(s) {
  const p = s.progress || {};
  const bar = el("progress", { max: String(Math.max(1, p.reports_total || 0)), "aria-label": t("sync.reportsLabel", { id: short(s.id) }) });
  if (p.reports_total > 0 || terminal.has(s.status)) bar.value = s.status === "succeeded" && !p.reports_total ? 1 : p.reports_fetched || 0;
  return [bar, el("div", { class: "small", text: t("sync.reports", { n: num(p.reports_fetched), total: num(p.reports_total), rows: num(p.rows_processed) }) })];
}

/** timingsText sums up a sync's timings in one line. */
export function timingsText(s) {
  const T = s.timings || {};
  const parts = [t("t.queued", { t: clock(T.queued_at) })];
  const q = time(T.queued_at);
  if (T.lock_acquired_at) parts.push(t("t.lockWait", { d: duration(T.lock_wait_ms) }));
  else if (!terminal.has(s.status) && q != null) parts.push(t("t.waiting", { d: duration(serverNow() - q) }));
  if (T.lock_acquired_at) parts.push(t("t.fetch", { d: duration(T.lock_released_at ? T.fetch_ms : serverNow() - time(T.lock_acquired_at)) }));
  if (T.processing_started_at) parts.push(t("t.processing", { d: duration(T.processing_ms) }));
  if (T.write_started_at) parts.push(t("t.writing", { d: duration(T.write_ms) }));
  if (T.finished_at && q != null) parts.push(t("t.total", { d: duration(time(T.finished_at) - q) }));
  return parts.join(" · ");
}

function renderSyncs() {
  $("syncs-empty").hidden = state.syncs.length > 0;
  keyedRows($("syncs-table").tBodies[0], state.syncs, (s) => s.id,
    () => cells(["col.sync", "col.account", "col.range", "col.status", "col.progress", "col.timings", "col.actions"]),
    (tr, s) => {
      tr.dataset.sync = s.id;
      tr.dataset.status = s.status;
      const [id, acc, range, status, prog, tim, act] = tr.cells;
      const trig = t("trigger." + s.trigger);
      setCell(id, s.id + s.trigger,
        el("a", { href: "#sync/" + s.id, class: "sync-link", "aria-label": t("sync.openLabel", { id: short(s.id) }) }, el("code", { title: s.id, text: short(s.id) })),
        el("div", { class: "small", text: s.retry_of ? t("sync.retryOf", { trigger: trig, id: short(s.retry_of) }) : trig }));
      const an = accountName(s.account_id);
      setCell(acc, an + s.customer_id, an, el("div", { class: "small", text: t("sync.customer", { c: s.customer_id }) }));
      setCell(range, s.from + s.to, el("span", { class: "nw", text: s.from }), " – ", el("span", { class: "nw", text: s.to }));
      setCell(status, s.status + s.phase + !!s.cancel_requested,
        el("span", { class: `badge st-${s.status}`, text: t("status." + s.status) }),
        el("div", { class: "small", text: t("phase." + s.phase) + (s.cancel_requested && !terminal.has(s.status) ? t("sync.cancelRequested") : "") }));
      const p = s.progress || {};
      setCell(prog, JSON.stringify(p) + s.status, ...progressCell(s));
      const tt = timingsText(s);
      // In English the kind and Naver's or Google's own words; in another language the kind's
      // sentence, the words kept in the tooltip.
      const errText = !s.error ? "" : lang() === "en" ? `${s.error.kind}: ${s.error.message}` : message(s.error.code, null, s.error.message);
      setCell(tim, tt + errText, el("div", { class: "small", text: tt }),
        errText ? el("div", { class: "error-text", title: s.error.message, text: errText }) : null);
      setCell(act, actionsSig(s), ...syncActions(s));
    });
}

function actionsSig(s) {
  return `${!terminal.has(s.status) && !s.cancel_requested}${s.status === "failed" || s.status === "canceled"}`;
}

/** syncActions are the Cancel and Retry buttons a sync's state allows. */
export function syncActions(s) {
  const canCancel = !terminal.has(s.status) && !s.cancel_requested;
  const canRetry = s.status === "failed" || s.status === "canceled";
  return [
    canCancel ? button("cancel", s.id, t("act.cancel"), t("act.cancelLabel", { id: short(s.id) })) : null,
    canRetry ? button("retry", s.id, t("act.retry"), t("act.retryLabel", { id: short(s.id) })) : null,
  ].filter(Boolean);
}

function renderLeases() {
  const now = serverNow();
  $("locks-empty").hidden = state.leases.length > 0;
  const byId = new Map(state.syncs.map((s) => [s.id, s]));
  const tbody = $("locks-table").tBodies[0];
  tbody.replaceChildren(...state.leases.map((l) => {
    const tr = cells(["col.customer", "col.heldBy", "col.worker", "col.since", "col.until", "col.waiting"]);
    tr.dataset.customer = l.customer_id;
    const [cust, holder, owner, since, untilCell, waiting] = tr.cells;
    cust.append(el("code", { text: l.customer_id }));
    const hs = byId.get(l.holder_sync_id);
    holder.append(el("code", { title: l.holder_sync_id, text: short(l.holder_sync_id) }), hs ? ` ${accountName(hs.account_id)}` : "",
      el("div", { class: "small", text: t("locks.token", { n: l.token }) }));
    owner.append(el("code", { text: l.owner }));
    const acq = time(l.acquired_at), exp = time(l.expires_at);
    since.append(clock(acq), el("div", { class: "small", text: t("locks.held", { d: duration(now - acq) }) }));
    untilCell.append(clock(exp), el("div", { class: "small", text: exp > now ? t("locks.in", { d: duration(exp - now) }) : t("locks.expired") }));
    const w = l.waiting || [];
    if (w.length) waiting.append(...w.map((id) => el("code", { class: "chip", title: id, text: short(id) })));
    else waiting.append(t("locks.none"));
    return tr;
  }));
}

function renderTimelines() {
  const n = renderTimeline($("timelines"), state.syncs, accountName, serverNow());
  $("timeline-empty").hidden = n > 0;
}

function renderScheduler() {
  const sc = state.scheduler;
  if (!sc) return;
  const now = serverNow();
  const next = (sc.next_runs || []).map(time).filter((x) => x != null);
  $("sched-summary").textContent = sc.schedule
    ? t("sched.summary", { schedule: sc.schedule, tz: sc.timezone, next: next.length ? `${minute(next[0])} (${until(next[0], now)})` : "–" })
    : t("sched.off");
  renderMorning(sc.morning, now);
  const runs = sc.last_runs || [];
  $("runs-empty").hidden = runs.length > 0;
  $("runs-table").tBodies[0].replaceChildren(...runs.map((r) => {
    const tr = cells(["col.run", "col.started", "col.finished", "col.outcome"]);
    const [key, started, finished, outcome] = tr.cells;
    key.append(el("code", { text: r.key }));
    started.append(clock(r.started_at));
    finished.append(r.finished_at ? clock(r.finished_at) : t("sched.running"));
    outcome.append(r.outcome ? el("span", { title: r.outcome, text: message(r.outcome_code, r.outcome_params, r.outcome) }) : "–");
    return tr;
  }));
}

/** renderMorning shows the progress of the day's scheduled syncs and when they should be done. */
function renderMorning(m, now) {
  const bar = $("morning-bar");
  if (!m || !m.planned) {
    bar.hidden = true;
    $("morning-text").textContent = t("morning.none");
    return;
  }
  bar.hidden = false;
  bar.max = m.planned;
  bar.value = m.done + m.failed + m.canceled;
  const parts = [t("morning.progress", { done: num(m.done), planned: num(m.planned), failed: num(m.failed), remaining: num(m.remaining) })];
  const end = time(m.expected_end);
  if (m.remaining === 0) parts.push(t("morning.finished"));
  else if (end) parts.push(t("morning.expected", { at: minute(end), in: until(end, now) }));
  else parts.push(t("morning.estimating"));
  $("morning-text").textContent = parts.join(" ");
}

/** actorText names an audit entry's actor in the current language: "operator token 3f9a1c2b",
 * the service itself ("naversync"), or anyone when authentication is off. */
function actorText(actor) {
  const m = /^(viewer|operator|admin) token ([0-9a-f]+)$/.exec(actor || "");
  if (m) return t("actor.token", { role: t("actor." + m[1]), fp: m[2] });
  if (actor === "naversync") return t("actor.service");
  if (actor === "anonymous (authentication off)") return t("actor.anonymous");
  return actor || "";
}

function renderAudit() {
  $("audit-empty").hidden = state.audit.length > 0;
  keyedRows($("audit-table").tBodies[0], state.audit, (e) => e.id,
    () => cells(["col.when", "col.who", "col.what", "col.account", "col.fields", "col.detail"]),
    (tr, e) => {
      tr.dataset.action = e.action;
      const [when, who, what, acc, fields, detail] = tr.cells;
      setCell(when, e.at, clock(e.at));
      setCell(who, e.actor, el("code", { title: e.actor, text: actorText(e.actor) }));
      setCell(what, e.action, t("audit." + e.action), e.sync_id ? el("div", { class: "small" }, el("a", { href: "#sync/" + e.sync_id, text: short(e.sync_id) })) : null);
      setCell(acc, e.account_id || "", e.account_id ? accountName(e.account_id) : "–");
      setCell(fields, (e.fields || []).join(","), ...(e.fields || []).map((f) => el("code", { class: "chip", title: f, text: fieldName(f) })));
      setCell(detail, e.detail || "", el("span", { class: "small", title: e.detail || null, text: message(e.detail_code, e.detail_params, e.detail || "") }));
    });
}

// ---------- actions ----------

function readRange() {
  if ($("range-days").checked) {
    const d = Number($("days").value);
    if (!Number.isInteger(d) || d < 1 || d > 365) return { error: t("range.errDays") };
    return { range: { days: d } };
  }
  const from = $("from").value, to = $("to").value;
  if (!from || !to) return { error: t("range.errBoth") };
  if (from > to) return { error: t("range.errOrder") };
  return { range: { from, to } };
}

async function syncNow(accountId) {
  const { range, error } = readRange();
  if (error) return showError(error);
  const sig = JSON.stringify(range);
  let p = state.pending.get(accountId);
  if (p && p.inflight) return; // a second click while the first is on its way
  // One Idempotency-Key per intent: clicking again for the same range while that sync is
  // not finished answers the same sync instead of queueing another.
  if (!p || p.sig !== sig || p.done) {
    p = { key: newKey(), sig, syncId: "", inflight: false, done: false };
    state.pending.set(accountId, p);
  }
  p.inflight = true;
  renderAccounts();
  const name = accountName(accountId);
  try {
    const s = await request("POST", "/syncs", { body: { account_id: accountId, ...range }, headers: { "Idempotency-Key": p.key } });
    const again = p.syncId === s.id;
    p.syncId = s.id;
    upsert(s);
    showError("");
    say(again ? t("msg.already", { id: short(s.id), name, status: t("status." + s.status) })
      : t("msg.queued", { id: short(s.id), name, from: s.from, to: s.to }));
    followActive();
    state.slowAt = 0; // the audit log has a new entry
  } catch (err) {
    p.done = true;
    if (err instanceof ApiError && err.status === 401) return unauthorized(err);
    showError(`${t("act.sync")} (${name}): ${problemText(err)}`);
  } finally {
    p.inflight = false;
    renderAccounts();
  }
}

/** cancel asks the service to cancel a sync. */
export async function cancel(id, btn) {
  btn.disabled = true;
  try {
    const s = await request("POST", `/syncs/${encodeURIComponent(id)}/cancel`);
    upsert(s);
    state.slowAt = 0;
    say(s.status === "canceled" ? t("msg.canceled", { id: short(id) }) : t("msg.cancelRequested", { id: short(id) }));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return unauthorized(err);
    showError(`${t("act.cancel")} ${short(id)}: ${problemText(err)}`);
    btn.disabled = false;
  }
}

/** retry queues a retry of a failed or canceled sync. */
export async function retry(id, btn) {
  btn.disabled = true;
  if (!state.retryKeys.has(id)) state.retryKeys.set(id, newKey());
  try {
    const s = await request("POST", `/syncs/${encodeURIComponent(id)}/retry`, { headers: { "Idempotency-Key": state.retryKeys.get(id) } });
    upsert(s);
    state.slowAt = 0;
    say(t("msg.retried", { id: short(id), new: short(s.id) }));
    followActive();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return unauthorized(err);
    showError(`${t("act.retry")} ${short(id)}: ${problemText(err)}`);
  } finally {
    // Pressing Retry again is harmless: the same Idempotency-Key answers the same retry.
    btn.disabled = false;
  }
}

async function runRefresh(btn) {
  btn.disabled = true;
  try {
    const r = await request("POST", "/scheduler/run");
    say(t("sched.queued", { n: r.queued }));
    ctx.changed();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return unauthorized(err);
    showError(`${t("sched.run")}: ${problemText(err)}`);
  } finally {
    btn.disabled = false;
  }
}

document.addEventListener("click", (ev) => {
  const btn = ev.target.closest("button[data-act]");
  if (!btn || btn.disabled) return;
  const id = btn.dataset.id;
  switch (btn.dataset.act) {
    case "sync": syncNow(id); break;
    case "cancel": cancel(id, btn); break;
    case "retry": retry(id, btn); break;
    case "edit": openAccountForm(ctx, state.accountById.get(id) || null); break;
    case "delete": { const a = state.accountById.get(id); if (a) openDeleteDialog(ctx, a); break; }
  }
});

$("add-account").addEventListener("click", () => openAccountForm(ctx, null));
$("run-refresh").addEventListener("click", (ev) => runRefresh(ev.currentTarget));

$("filters").addEventListener("change", () => {
  state.syncs = [];
  renderSyncs();
  const gen = ++state.loop;
  tick(gen);
});
$("filters").addEventListener("submit", (ev) => ev.preventDefault());
for (const id of ["days", "from", "to"]) {
  $(id).addEventListener("input", () => { $(id === "days" ? "range-days" : "range-dates").checked = true; });
}
window.addEventListener("resize", renderTimelines);

$("lang-switch").addEventListener("click", () => {
  setLang(lang() === "ko" ? "en" : "ko");
  renderInfo();
  for (const sel of [$("f-account"), $("f-customer")]) sel.dataset.sig = "";
  fillFilters();
  // Rows carry their column names for phone widths: rebuild them in the new language.
  for (const id of ["accounts-table", "syncs-table", "audit-table"]) $(id).tBodies[0].replaceChildren();
  if (state.info) renderAll();
  renderNotify();
  route();
});

translatePage();
initAccountForms(ctx);
initNotify(ctx);
boot();
