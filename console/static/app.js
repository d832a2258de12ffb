// The console's page logic: token prompt, the live sync list (an event stream, polling while
// it is down), polling of accounts and leases, event streams of running syncs, and the
// Sync now / cancel / retry actions.
import { ApiError, request, follow, followList, getToken, setToken, newKey, now as serverNow } from "./api.js";
import { duration, ago, clock, time, short, num, el } from "./format.js";
import { render as renderTimeline } from "./timeline.js";

const pollMs = 1500;
const accountsEveryMs = 10000;
const listRetryMaxMs = 30000; // longest wait before reopening the list stream
const maxStreams = 3; // a browser opens at most 6 connections per host over HTTP/1.1
const terminal = new Set(["succeeded", "failed", "canceled"]);
const statusRank = { queued: 0, fetching: 1, processing: 2 };

const $ = (id) => document.getElementById(id);

const state = {
  loop: 0,               // generation of the poll loop; a new one ends the old
  accounts: [],
  accountById: new Map(),
  accountsAt: 0,
  syncs: [],             // the filtered list, newest first
  fresher: new Map(),    // sync id -> state from its event stream
  lastGood: new Map(),   // account id -> newest "to" of a succeeded sync seen
  leases: [],
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
    const fields = (p.errors || []).map((f) => `${f.field}: ${f.reason}`).join("; ");
    return [p.title || `HTTP ${err.status}`, p.detail, fields].filter(Boolean).join(" — ");
  }
  return `Cannot reach the service (${err && err.message ? err.message : err}).`;
}

// ---------- authentication ----------

function showAuth(message) {
  state.loop++;
  stopStreams();
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
    showAuth("The token was refused (401 Unauthorized). Check it and enter it again.");
  } else {
    showAuth("");
  }
}

$("auth-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const t = $("token").value.trim();
  if (!t) {
    $("auth-error").textContent = "Enter a token.";
    $("auth-error").hidden = false;
    return;
  }
  setToken(t);
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
    showError(problemText(err) + " Retrying…");
    setTimeout(boot, 3000);
    return;
  }
  showError("");
  $("auth").hidden = true;
  $("app").hidden = false;
  $("forget-token").hidden = !getToken();
  const parts = [`version ${info.version}`];
  if (info.service_account_email) parts.push(`share sheets with ${info.service_account_email}`);
  parts.push(`Naver serves ${info.served_from} to ${info.served_to}`);
  $("info").textContent = parts.join(" · ");
  for (const id of ["from", "to"]) {
    $(id).min = info.served_from;
    $(id).max = info.served_to;
    if (!$(id).value) $(id).value = info.served_to;
  }
  state.accountsAt = 0;
  const gen = ++state.loop;
  tick(gen);
}

// ---------- polling ----------

async function tick(gen) {
  if (gen !== state.loop) return;
  try {
    const now = serverNow();
    startList(gen);
    const jobs = [loadLeases()];
    if (!state.listLive) jobs.push(loadSyncs());
    if (now - state.accountsAt > accountsEveryMs) jobs.push(loadAccounts());
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
  state.accountsAt = serverNow();
  fillFilters();
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
  if (gen !== state.loop || (state.list && state.list.gen === gen)) return;
  stopList();
  const list = { gen, ctl: new AbortController() };
  state.list = list;
  followList(syncsQuery(), (page) => {
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
        startList(gen);
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
}

function accountName(id) {
  const a = state.accountById.get(id);
  return a ? a.name : short(id);
}

function fillSelect(sel, options) {
  const cur = sel.value;
  const sig = JSON.stringify(options);
  if (sel.dataset.sig === sig) return;
  sel.dataset.sig = sig;
  sel.replaceChildren(el("option", { value: "", text: "all" }), ...options.map(([v, t]) => el("option", { value: v, text: t })));
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

function cells(labels) {
  const tr = el("tr");
  for (const l of labels) tr.append(el("td", { "data-label": l }));
  return tr;
}

/** setCell replaces a cell's content only when it changed, so focus and selection survive. */
function setCell(td, sig, ...children) {
  if (td.dataset.sig === sig) return;
  td.dataset.sig = sig;
  td.replaceChildren(...children.filter((c) => c != null && c !== ""));
}

function renderAccounts() {
  const now = serverNow();
  $("accounts-empty").hidden = state.accounts.length > 0;
  keyedRows($("accounts-table").tBodies[0], state.accounts, (a) => a.id,
    () => cells(["Name", "Customer", "Sheet", "Last success", "Data", "Actions"]),
    (tr, a) => {
      tr.dataset.account = a.id;
      const [name, cust, sheet, last, data, act] = tr.cells;
      setCell(name, a.name, a.name);
      setCell(cust, a.customer_id, el("code", { text: a.customer_id }));
      const href = "https://docs.google.com/spreadsheets/d/" + encodeURIComponent(a.spreadsheet_id);
      setCell(sheet, href + a.sheet_tab,
        el("a", { href, target: "_blank", rel: "noopener noreferrer" }, a.sheet_tab || "sheet", el("span", { class: "vh", text: " (opens Google Sheets)" })));
      const ls = time(a.last_success_at);
      const fresh = ls != null && now - ls < 26 * 3600e3;
      const lastText = ls == null ? "never" : `${clock(ls)} (${ago(ls, now)})`;
      setCell(last, lastText + (a.last_error || ""),
        el("span", { class: ls == null ? "badge never" : fresh ? "badge fresh" : "badge stale", text: ls == null ? "never" : fresh ? "fresh" : "stale" }),
        " ", ls == null ? "" : lastText,
        a.last_error ? el("div", { class: "error-text", text: a.last_error }) : null);
      const through = state.lastGood.get(a.id);
      setCell(data, through || "", through ? `through ${through}` : "–");
      const p = state.pending.get(a.id);
      const busy = !!(p && p.inflight);
      setCell(act, "sync" + a.name,
        el("button", { type: "button", class: "primary", "data-act": "sync", "data-id": a.id, "aria-label": `Sync now: ${a.name}` }, "Sync now"));
      // Changed in place, so that a keyboard user's focus stays on the button.
      const btn = act.firstChild;
      btn.disabled = busy;
      btn.setAttribute("aria-busy", String(busy));
    });
}

function progressCell(s) {
  const p = s.progress || {};
  const bar = el("progress", { max: String(Math.max(1, p.reports_total || 0)), "aria-label": `Reports fetched for sync ${short(s.id)}` });
  if (p.reports_total > 0 || terminal.has(s.status)) bar.value = s.status === "succeeded" && !p.reports_total ? 1 : p.reports_fetched || 0;
  return [bar, el("div", { class: "small", text: `${num(p.reports_fetched)} / ${num(p.reports_total)} reports · ${num(p.rows_processed)} rows` })];
}

function timingsText(s) {
  const T = s.timings || {};
  const parts = [`queued ${clock(T.queued_at)}`];
  const q = time(T.queued_at);
  if (T.lock_acquired_at) parts.push(`lock wait ${duration(T.lock_wait_ms)}`);
  else if (!terminal.has(s.status) && q != null) parts.push(`waiting ${duration(serverNow() - q)}`);
  if (T.lock_acquired_at) parts.push(`fetch ${duration(T.lock_released_at ? T.fetch_ms : serverNow() - time(T.lock_acquired_at))}`);
  if (T.processing_started_at) parts.push(`processing ${duration(T.processing_ms)}`);
  if (T.write_started_at) parts.push(`writing ${duration(T.write_ms)}`);
  if (T.finished_at && q != null) parts.push(`total ${duration(time(T.finished_at) - q)}`);
  return parts.join(" · ");
}

function renderSyncs() {
  $("syncs-empty").hidden = state.syncs.length > 0;
  keyedRows($("syncs-table").tBodies[0], state.syncs, (s) => s.id,
    () => cells(["Sync", "Account", "Range", "Status", "Progress", "Timings", "Actions"]),
    (tr, s) => {
      tr.dataset.sync = s.id;
      tr.dataset.status = s.status;
      const [id, acc, range, status, prog, tim, act] = tr.cells;
      setCell(id, s.id + s.trigger, el("code", { title: s.id, text: short(s.id) }), el("div", { class: "small", text: s.trigger + (s.retry_of ? ` of ${short(s.retry_of)}` : "") }));
      const an = accountName(s.account_id);
      setCell(acc, an + s.customer_id, an, el("div", { class: "small", text: `customer ${s.customer_id}` }));
      setCell(range, s.from + s.to, el("span", { class: "nw", text: s.from }), " – ", el("span", { class: "nw", text: s.to }));
      setCell(status, s.status + s.phase + !!s.cancel_requested,
        el("span", { class: `badge st-${s.status}`, text: s.status }),
        el("div", { class: "small", text: s.phase.replace(/_/g, " ") + (s.cancel_requested && !terminal.has(s.status) ? " · cancel requested" : "") }));
      const p = s.progress || {};
      setCell(prog, JSON.stringify(p) + s.status, ...progressCell(s));
      const tt = timingsText(s);
      const errText = s.error ? `${s.error.kind}: ${s.error.message}` : "";
      setCell(tim, tt + errText, el("div", { class: "small", text: tt }), errText ? el("div", { class: "error-text", text: errText }) : null);
      const canCancel = !terminal.has(s.status) && !s.cancel_requested;
      const canRetry = s.status === "failed" || s.status === "canceled";
      setCell(act, `${canCancel}${canRetry}`,
        canCancel ? el("button", { type: "button", "data-act": "cancel", "data-id": s.id, "aria-label": `Cancel sync ${short(s.id)}` }, "Cancel") : null,
        canRetry ? el("button", { type: "button", "data-act": "retry", "data-id": s.id, "aria-label": `Retry sync ${short(s.id)}` }, "Retry") : null);
    });
}

function renderLeases() {
  const now = serverNow();
  $("locks-empty").hidden = state.leases.length > 0;
  const byId = new Map(state.syncs.map((s) => [s.id, s]));
  const tbody = $("locks-table").tBodies[0];
  tbody.replaceChildren(...state.leases.map((l) => {
    const tr = cells(["Customer", "Held by", "Worker", "Since", "Until", "Waiting"]);
    tr.dataset.customer = l.customer_id;
    const [cust, holder, owner, since, until, waiting] = tr.cells;
    cust.append(el("code", { text: l.customer_id }));
    const hs = byId.get(l.holder_sync_id);
    holder.append(el("code", { title: l.holder_sync_id, text: short(l.holder_sync_id) }), hs ? ` ${accountName(hs.account_id)}` : "",
      el("div", { class: "small", text: `token ${l.token}` }));
    owner.append(el("code", { text: l.owner }));
    const acq = time(l.acquired_at), exp = time(l.expires_at);
    since.append(clock(acq), el("div", { class: "small", text: `held ${duration(now - acq)}` }));
    until.append(clock(exp), el("div", { class: "small", text: exp > now ? `in ${duration(exp - now)} unless renewed` : "expired" }));
    const w = l.waiting || [];
    if (w.length) waiting.append(...w.map((id) => el("code", { class: "chip", title: id, text: short(id) })));
    else waiting.append("none");
    return tr;
  }));
}

function renderTimelines() {
  const n = renderTimeline($("timelines"), state.syncs, accountName, serverNow());
  $("timeline-empty").hidden = n > 0;
}

// ---------- actions ----------

function readRange() {
  if ($("range-days").checked) {
    const d = Number($("days").value);
    if (!Number.isInteger(d) || d < 1 || d > 365) return { error: "Choose 1 to 365 days." };
    return { range: { days: d } };
  }
  const from = $("from").value, to = $("to").value;
  if (!from || !to) return { error: "Choose both the first and the last day." };
  if (from > to) return { error: "The first day must not be after the last day." };
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
    say(again ? `Sync ${short(s.id)} of ${name} is already ${s.status}.` : `Sync ${short(s.id)} of ${name} queued (${s.from} – ${s.to}).`);
    followActive();
  } catch (err) {
    p.done = true;
    if (err instanceof ApiError && err.status === 401) return unauthorized(err);
    showError(`Sync now for ${name}: ${problemText(err)}`);
  } finally {
    p.inflight = false;
    renderAccounts();
  }
}

async function cancel(id, btn) {
  btn.disabled = true;
  try {
    const s = await request("POST", `/syncs/${encodeURIComponent(id)}/cancel`);
    upsert(s);
    say(s.status === "canceled" ? `Sync ${short(id)} canceled.` : `Sync ${short(id)}: cancel requested; it stops at the next step.`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return unauthorized(err);
    showError(`Cancel ${short(id)}: ${problemText(err)}`);
    btn.disabled = false;
  }
}

async function retry(id, btn) {
  btn.disabled = true;
  if (!state.retryKeys.has(id)) state.retryKeys.set(id, newKey());
  try {
    const s = await request("POST", `/syncs/${encodeURIComponent(id)}/retry`, { headers: { "Idempotency-Key": state.retryKeys.get(id) } });
    upsert(s);
    say(`Sync ${short(id)} retried as ${short(s.id)}.`);
    followActive();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return unauthorized(err);
    showError(`Retry ${short(id)}: ${problemText(err)}`);
  } finally {
    // Pressing Retry again is harmless: the same Idempotency-Key answers the same retry.
    btn.disabled = false;
  }
}

document.addEventListener("click", (ev) => {
  const btn = ev.target.closest("button[data-act]");
  if (!btn || btn.disabled) return;
  const id = btn.dataset.id;
  if (btn.dataset.act === "sync") syncNow(id);
  else if (btn.dataset.act === "cancel") cancel(id, btn);
  else if (btn.dataset.act === "retry") retry(id, btn);
});

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

boot();
