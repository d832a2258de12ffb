// The account form (add and edit, with the credential and sheet checks) and the delete dialog.
// Field errors come from the API's problem+json `errors` and are shown beside their fields.
import { ApiError, request } from "./api.js";
import { el } from "./format.js";
import { t, lang, message, fieldName } from "./i18n.js";

const $ = (id) => document.getElementById(id);

/** tabKinds are the kinds of tab an account may get (report.Tabs()), in the order a sync writes them. */
export const tabKinds = ["performance", "search_terms", "shopping_terms"];

// The title a tab of a kind gets unless the operator gives another (the service's defaults).
const defaultTitles = { search_terms: "naver_search_terms", shopping_terms: "naver_shopping_terms" };

/** accountTabs are the kinds of tab an account gets (the performance tab alone by default). */
export function accountTabs(account) {
  return account && account.tabs && account.tabs.length ? account.tabs : ["performance"];
}

/** tabTitle is the title of an account's tab of a kind: the performance tab's is sheet_tab. */
export function tabTitle(account, kind) {
  if (kind === "performance") return account.sheet_tab || "";
  return (account.tab_titles || {})[kind] || defaultTitles[kind] || "";
}

// The form's fields, by the API's field names; spreadsheet_id is typed as an address or an id.
const fieldIDs = {
  name: "acc-name", customer_id: "acc-customer_id", api_key: "acc-api_key", secret_key: "acc-secret_key",
  spreadsheet: "acc-spreadsheet", sheet_tab: "acc-sheet_tab", level: "acc-level", sheet_language: "acc-sheet_language",
  history_days: "acc-history_days", refresh_time: "acc-refresh_time", google_identity: "acc-google_identity",
  tabs: "acc-tab-performance", "tab_title-search_terms": "acc-tab_title-search_terms",
  "tab_title-shopping_terms": "acc-tab_title-shopping_terms",
};
// Where an API field's error is shown.
const errorOf = {
  name: "name", customer_id: "customer_id", api_key: "api_key", secret_key: "secret_key",
  spreadsheet_id: "spreadsheet", spreadsheet: "spreadsheet", sheet_tab: "sheet_tab", level: "level",
  sheet_language: "sheet_language", history_days: "history_days", refresh_time: "refresh_time", refresh_enabled: "refresh_time",
  google_identity: "google_identity", tabs: "tabs", "tab_titles.performance": "sheet_tab",
  "tab_titles.search_terms": "tab_title-search_terms", "tab_titles.shopping_terms": "tab_title-shopping_terms",
};

/**
 * errorField is where an API field error is shown: a tab title's beside the title of the kind
 * it names (params.kind), or of the one tab with a title of its own when it names none.
 */
function errorField(f) {
  if (f.field !== "tab_titles") return errorOf[f.field];
  const titled = Object.keys(chosenTitles());
  const kind = (f.params || {}).kind || (titled.length === 1 ? titled[0] : "");
  return errorOf["tab_titles." + kind] || "tabs";
}

const form = {
  ctx: null,
  account: null,    // the account being edited, null when adding
  gid: "",          // the gid of a pasted address
  tabTouched: false, // the operator typed a tab: a gid no longer fills it
  sheetCheck: null, // {key, result} of the last sheet check
  confirmedKey: "", // the spreadsheet and tab the operator agreed to replace
  busy: false,
};

/**
 * parseSpreadsheet reads a spreadsheet's id (and a tab's gid) from the address of the
 * spreadsheet in a browser, or takes a bare id; null for anything else. The service parses it
 * again (POST /checks/sheet) the same way.
 */
export function parseSpreadsheet(ref) {
  ref = (ref || "").trim();
  if (/^[A-Za-z0-9_-]{1,200}$/.test(ref)) return { id: ref, gid: "" };
  let u;
  try { u = new URL(ref); } catch { return null; }
  if (u.hostname !== "docs.google.com" || !/^https?:$/.test(u.protocol)) return null;
  const m = /^(?:\/u\/\d+)?\/spreadsheets(?:\/u\/\d+)?\/d\/([A-Za-z0-9_-]+)/.exec(u.pathname);
  if (!m || m[1] === "e") return null;
  let gid = u.searchParams.get("gid") || "";
  const frag = new URLSearchParams(u.hash.replace(/^#/, ""));
  if (frag.get("gid")) gid = frag.get("gid");
  if (!/^\d+$/.test(gid)) gid = "";
  return { id: m[1], gid };
}

function clearErrors() {
  for (const f of Object.values(errorOf)) setFieldError(f, "");
  const fe = $("af-error");
  fe.textContent = "";
  fe.hidden = true;
}

function setFieldError(field, text) {
  const p = $("err-" + field);
  if (!p) return false;
  p.textContent = text;
  p.hidden = !text;
  const input = $(fieldIDs[field]);
  if (input) {
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  return true;
}

function formError(text) {
  const fe = $("af-error");
  fe.textContent = text;
  fe.hidden = !text;
}

/** showProblem puts an API problem's field errors beside their fields; the rest above the form. */
function showProblem(err) {
  const ctx = form.ctx;
  if (err instanceof ApiError && err.status === 401) { closeForm(); ctx.unauthorized(err); return; }
  const p = err instanceof ApiError ? err.problem || {} : {};
  const rest = [];
  let first = null;
  for (const f of p.errors || []) {
    const field = errorField(f);
    const reason = message(f.code, f.params, f.reason);
    if (field && setFieldError(field, reason)) {
      first = first || $(fieldIDs[field]);
    } else {
      rest.push(`${fieldName(f.field)}: ${reason}`);
    }
  }
  if (!(p.errors || []).length) rest.push(ctx.problemText(err));
  formError(rest.length ? rest.join(" — ") : t("af.fix"));
  if (first) first.focus();
}

function refreshMode() {
  return document.querySelector('input[name="refresh"]:checked').value;
}

/** openAccountForm opens the form to add an account (account null) or to edit one. */
export function openAccountForm(ctx, account) {
  form.ctx = ctx;
  form.account = account;
  form.gid = "";
  form.tabTouched = !!account;
  form.sheetCheck = null;
  form.confirmedKey = "";
  clearErrors();
  $("cred-result").replaceChildren();
  $("sheet-result").replaceChildren();
  $("tab-list").replaceChildren();
  $("tab-confirm").hidden = true;
  $("acc-overwrite").checked = false;
  $("access-confirm").hidden = true;
  $("acc-confirm-access").checked = false;
  $("af-title").textContent = account ? t("af.edit", { name: account.name }) : t("af.add");
  const a = account || { name: "", customer_id: "", api_key: "", spreadsheet_id: "", sheet_tab: "naver_ads", level: "adgroup",
    // A new account's sheet speaks the console's language: a Korean marketer gets Korean headers.
    sheet_language: lang(), history_days: 365, refresh_enabled: true, refresh_time: "" };
  $("acc-name").value = a.name;
  $("acc-customer_id").value = a.customer_id;
  $("acc-customer_id").readOnly = !!account; // a customer id is the account's identity at Naver
  $("acc-api_key").value = a.api_key;
  $("acc-secret_key").value = ""; // write-only: never shown, never sent back
  $("acc-secret_key").placeholder = account ? t("af.secretKeep") : "";
  $("hint-secret").textContent = account ? t("af.secretKeep") : t("af.secretNew");
  $("acc-spreadsheet").value = a.spreadsheet_id;
  $("hint-spreadsheet").textContent = t("af.spreadsheetHint");
  $("acc-sheet_tab").value = a.sheet_tab;
  const tabs = accountTabs(account);
  for (const k of tabKinds) {
    $("acc-tab-" + k).checked = tabs.includes(k);
    if (k !== "performance") $("acc-tab_title-" + k).value = account ? tabTitle(account, k) : defaultTitles[k];
  }
  showTabTitles();
  $("acc-level").value = a.level;
  $("acc-sheet_language").value = a.sheet_language || "en";
  fillIdentities(ctx, account);
  $("acc-history_days").value = String(a.history_days || 365);
  const sched = ctx.schedule();
  $("lbl-refresh-schedule").textContent = sched ? t("af.refreshScheduleAt", { schedule: sched }) : t("af.refreshSchedule");
  $(!a.refresh_enabled ? "acc-refresh-off" : a.refresh_time ? "acc-refresh-own" : "acc-refresh-schedule").checked = true;
  $("acc-refresh_time").value = a.refresh_time || "";
  $("af-save").disabled = false;
  $("af-save").textContent = t("af.save");
  const d = $("account-dialog");
  if (!d.open) d.showModal();
  $("acc-name").focus();
}

function closeForm() {
  const d = $("account-dialog");
  if (d.open) d.close();
}

/** chosenTabs are the kinds of tab ticked in the form, in tabKinds' order. */
function chosenTabs() {
  return tabKinds.filter((k) => $("acc-tab-" + k).checked);
}

/** chosenTitles are the titles of the chosen tabs besides the performance tab (sheet_tab). */
function chosenTitles() {
  const out = {};
  for (const k of chosenTabs()) if (k !== "performance") out[k] = $("acc-tab_title-" + k).value.trim();
  return out;
}

/** showTabTitles shows the title field of each chosen tab but the performance tab (the Tab field). */
function showTabTitles() {
  for (const k of tabKinds) {
    const box = $("tab-title-" + k);
    if (box) box.hidden = !$("acc-tab-" + k).checked;
  }
}

/** credentialsBody is what Check credentials sends: only the fields given (an edit keeps the rest). */
function credentialsBody() {
  const body = {};
  if (form.account) body.account_id = form.account.id;
  for (const f of ["customer_id", "api_key", "secret_key"]) {
    const v = $(fieldIDs[f]).value.trim();
    if (v || !form.account) body[f] = v;
  }
  return body;
}

async function checkCredentials() {
  for (const f of ["customer_id", "api_key", "secret_key"]) setFieldError(f, "");
  formError("");
  const out = $("cred-result");
  out.className = "result";
  out.textContent = t("af.checking");
  const btn = $("check-credentials");
  btn.disabled = true;
  try {
    await request("POST", "/checks/credentials", { body: credentialsBody() });
    out.className = "result ok";
    out.textContent = t("af.credOK");
  } catch (err) {
    out.className = "result bad";
    out.textContent = err instanceof ApiError && err.status === 422 ? t("af.credRefused") : "";
    showProblem(err);
  } finally {
    btn.disabled = false;
  }
}

function sheetKey() {
  const ref = parseSpreadsheet($("acc-spreadsheet").value);
  return ref ? ref.id + "\u0000" + $("acc-sheet_tab").value.trim().toLowerCase() + "\u0000" + identity() : "";
}

/** identity is the Google identity chosen in the form: the address to share the sheet with. */
function identity() {
  return $("acc-google_identity").value || "";
}

/**
 * fillIdentities offers the deployment's Google identities (GET /info): a new account gets the
 * least-loaded unless another is chosen; an edited account shows its own, and choosing another
 * moves it (the sheet must then be shared with the new address). With one identity there is
 * nothing to choose: its address is shown.
 */
function fillIdentities(ctx, account) {
  fillIdentitiesFrom(ctx.info() || {}, account);
  // The counts (and so the least-loaded identity) move as accounts are added: ask again.
  request("GET", "/info").then((info) => {
    if (form.account === account && $("account-dialog").open && !$("acc-google_identity").dataset.picked) fillIdentitiesFrom(info, account);
  }).catch(() => {});
}

function fillIdentitiesFrom(info, account) {
  const pool = info.google_identities || [];
  const sel = $("acc-google_identity");
  const current = account ? account.google_identity || "" : info.service_account_email || "";
  const emails = pool.map((p) => p.email);
  if (current && !emails.includes(current)) emails.push(current); // an identity whose key is gone
  sel.replaceChildren(...emails.map((e) => {
    const p = pool.find((x) => x.email === e);
    return el("option", { value: e, text: p ? t("af.identityOption", { email: e, n: p.accounts }) : e });
  }));
  sel.value = current;
  sel.dataset.current = account ? current : "";
  sel.dataset.picked = "";
  sel.hidden = emails.length < 2;
  $("identity-field").hidden = emails.length === 0 || (emails.length === 1 && !emails[0]);
  showIdentity();
}

/** showIdentity shows the chosen identity's address and, when it moves the account, what to do. */
function showIdentity() {
  const sel = $("acc-google_identity");
  $("identity-email").replaceChildren(identity() ? emailBox(identity()) : "");
  const moving = !!form.account && identity() !== sel.dataset.current;
  $("hint-identity").textContent = moving ? t("af.identityMove", { email: identity() })
    : sel.hidden ? t("af.identityOne") : t("af.identityHint");
  $("hint-identity").classList.toggle("warn", moving);
}

/** checkSheet asks what naversync may do with the spreadsheet and shows it; returns the result. */
async function checkSheet() {
  setFieldError("spreadsheet", "");
  setFieldError("sheet_tab", "");
  const out = $("sheet-result");
  const ref = parseSpreadsheet($("acc-spreadsheet").value);
  if (!ref) {
    setFieldError("spreadsheet", t("af.badSpreadsheet"));
    out.replaceChildren();
    return null;
  }
  out.className = "result";
  out.replaceChildren(t("af.checking"));
  const btn = $("check-sheet");
  btn.disabled = true;
  const key = sheetKey();
  try {
    const body = { spreadsheet: $("acc-spreadsheet").value.trim() };
    const tab = $("acc-sheet_tab").value.trim();
    if (tab) body.sheet_tab = tab;
    if (identity()) body.google_identity = identity();
    const res = await request("POST", "/checks/sheet", { body });
    form.sheetCheck = { key, res };
    showSheetResult(res);
    return res;
  } catch (err) {
    out.replaceChildren();
    showProblem(err);
    return null;
  } finally {
    btn.disabled = false;
  }
}

function showSheetResult(res) {
  const out = $("sheet-result");
  $("tab-list").replaceChildren(...(res.tabs || []).map((tb) => el("option", { value: tb.title })));
  if (res.gid_tab && !form.tabTouched && $("acc-sheet_tab").value !== res.gid_tab) {
    // The address's gid names the tab: take it, and look at that tab (does it hold data?).
    $("acc-sheet_tab").value = res.gid_tab;
    checkSheet();
    return;
  }
  const parts = [];
  if (res.access === "not_found") {
    out.className = "result bad";
    setFieldError("spreadsheet", t("af.sheetNotFound"));
    out.replaceChildren();
    return;
  }
  if (res.access === "edit") {
    out.className = "result ok";
    parts.push(el("p", { text: t("af.sheetEdit", { title: res.title || res.spreadsheet_id }) }));
  } else {
    out.className = "result bad";
    parts.push(el("p", { text: t(res.access === "read" ? "af.sheetRead" : "af.sheetNone") }), emailBox(res.service_account_email));
  }
  const tab = res.tab;
  if (tab && res.access !== "none") {
    if (!tab.exists) parts.push(el("p", { class: "small", text: t("af.tabNew", { tab: tab.title }) }));
    else if (tab.written_by_naversync) parts.push(el("p", { class: "small", text: t("af.tabOurs", { tab: tab.title }) }));
  }
  out.replaceChildren(...parts);
  showTabConfirm(res);
}

/** showTabConfirm asks to confirm a tab that holds other data (not naversync's table). */
function showTabConfirm(res) {
  const needs = !!(res && res.tab && res.tab.has_data);
  const box = $("tab-confirm");
  box.hidden = !needs;
  if (needs) {
    $("tab-confirm-text").textContent = t("af.tabConfirm", { tab: res.tab.title });
    $("acc-overwrite").checked = form.confirmedKey === sheetKey();
  }
}

/** emailBox shows the address to share the spreadsheet with, and a button that copies it. */
export function emailBox(email) {
  const input = el("input", { type: "text", readonly: true, class: "email", "aria-label": t("af.emailLabel"), "data-email": "" });
  input.value = email;
  const btn = el("button", { type: "button", class: "copy-email", "aria-label": t("af.copyLabel") }, t("af.copy"));
  btn.addEventListener("click", async () => {
    let ok = false;
    try {
      await navigator.clipboard.writeText(email);
      ok = true;
    } catch {
      // Outside a secure context (plain http on another host) the clipboard API is missing:
      // select the address and copy the selection.
      input.select();
      ok = document.execCommand("copy");
    }
    btn.textContent = ok ? t("af.copied") : t("af.copy");
    btn.dataset.copied = String(ok);
  });
  return el("div", { class: "email-box" }, input, btn);
}

function onSpreadsheetInput() {
  const ref = parseSpreadsheet($("acc-spreadsheet").value);
  setFieldError("spreadsheet", "");
  form.gid = ref ? ref.gid : "";
  const hint = $("hint-spreadsheet");
  if (!ref) {
    hint.textContent = t("af.spreadsheetHint");
    return;
  }
  hint.textContent = ref.gid ? t("af.spreadsheetIdGid", { id: ref.id, gid: ref.gid }) : t("af.spreadsheetId", { id: ref.id });
  $("tab-confirm").hidden = true;
  // A pasted address with a gid names a tab: look it up to fill the tab's name.
  if (ref.gid && !form.tabTouched && form.ctx.canChange()) checkSheet();
}

/** body builds the request of Save: every field when adding, the changed ones when editing. */
function body() {
  const ref = parseSpreadsheet($("acc-spreadsheet").value);
  const mode = refreshMode();
  const v = {
    name: $("acc-name").value.trim(),
    customer_id: $("acc-customer_id").value.trim(),
    api_key: $("acc-api_key").value.trim(),
    secret_key: $("acc-secret_key").value.trim(),
    spreadsheet_id: ref ? ref.id : $("acc-spreadsheet").value.trim(),
    sheet_tab: $("acc-sheet_tab").value.trim(),
    level: $("acc-level").value,
    sheet_language: $("acc-sheet_language").value,
    history_days: Number($("acc-history_days").value),
    refresh_enabled: mode !== "off",
    refresh_time: mode === "own" ? $("acc-refresh_time").value : "",
    google_identity: identity(),
    tabs: chosenTabs(),
  };
  const titles = chosenTitles();
  const a = form.account;
  if (!a) {
    const out = { ...v, validate_credentials: true };
    if (Object.keys(titles).length) out.tab_titles = titles;
    if (!out.refresh_time) delete out.refresh_time;
    // Unless the operator chose one, the service picks the least-loaded identity when saving.
    if (!out.google_identity || !$("acc-google_identity").dataset.picked) delete out.google_identity;
    return out;
  }
  const out = {};
  for (const k of ["name", "api_key", "spreadsheet_id", "sheet_tab", "level", "sheet_language", "history_days", "refresh_enabled", "google_identity"]) {
    if (v[k] !== a[k]) out[k] = v[k];
  }
  if (v.refresh_time !== (a.refresh_time || "") && (mode === "own" || a.refresh_time)) out.refresh_time = v.refresh_time;
  const tabsChanged = v.tabs.join(",") !== accountTabs(a).join(",");
  if (tabsChanged) out.tabs = v.tabs;
  const titlesChanged = Object.entries(titles).some(([k, title]) => title !== tabTitle(a, k));
  if (Object.keys(titles).length && (tabsChanged || titlesChanged)) out.tab_titles = titles;
  if (v.secret_key) out.secret_key = v.secret_key; // empty keeps the stored one
  if (out.api_key !== undefined || out.secret_key !== undefined) out.validate_credentials = true;
  return out;
}

async function save(ev) {
  ev.preventDefault();
  if (form.busy) return;
  clearErrors();
  const ctx = form.ctx;
  if (!parseSpreadsheet($("acc-spreadsheet").value)) {
    setFieldError("spreadsheet", t("af.badSpreadsheet"));
    $("acc-spreadsheet").focus();
    return;
  }
  if (refreshMode() === "own" && !$("acc-refresh_time").value) {
    setFieldError("refresh_time", t("af.needTime"));
    $("acc-refresh_time").focus();
    return;
  }
  const b = body();
  const a = form.account;
  if (a && Object.keys(b).length === 0) {
    closeForm();
    ctx.say(t("af.nothing"));
    return;
  }
  form.busy = true;
  $("af-save").disabled = true;
  $("af-save").textContent = t("af.saving");
  try {
    // A tab that holds someone's data is replaced only with the operator's consent: check the
    // chosen tab unless it was checked as it is now.
    const tabChanged = !a || b.spreadsheet_id !== undefined || b.sheet_tab !== undefined;
    if (tabChanged || b.google_identity !== undefined) {
      let res = form.sheetCheck && form.sheetCheck.key === sheetKey() ? form.sheetCheck.res : null;
      if (!res) res = await checkSheet();
      if (res && res.tab && res.tab.has_data && !$("acc-overwrite").checked) {
        showTabConfirm(res);
        setFieldError("sheet_tab", t("af.tabConfirmNeeded"));
        $("acc-overwrite").focus();
        return;
      }
      // The operator's consent to replace the tab's data is the service's to record (audited).
      if (res && res.tab && res.tab.has_data) b.replace_tab_data = true;
      // A sheet naversync cannot edit is saved only when the operator confirms it.
      if (!$("access-confirm").hidden && $("acc-confirm-access").checked) b.confirm_sheet_access = true;
    }
    const saved = a
      ? await request("PATCH", `/accounts/${encodeURIComponent(a.id)}`, { body: b })
      : await request("POST", "/accounts", { body: b });
    closeForm();
    const warnings = (saved.warnings || []).map((w) => message(w.code, w.params, w.reason)).join(" ");
    let msg = warnings ? t("af.savedWarn", { name: saved.name, warnings }) : t("af.saved", { name: saved.name });
    // A move: the sheet must be shared with the new address (checked now; said again).
    if (a && b.google_identity !== undefined) msg += " " + t("af.moved", { name: saved.name, email: saved.google_identity });
    ctx.say(msg);
    ctx.changed();
  } catch (err) {
    if (err instanceof ApiError && (err.problem || {}).type === "https://naversync.dev/problems/sheet-not-editable") {
      $("access-confirm").hidden = false;
      $("acc-confirm-access").checked = false;
    }
    showProblem(err);
  } finally {
    form.busy = false;
    $("af-save").disabled = false;
    $("af-save").textContent = t("af.save");
  }
}

/** openDeleteDialog asks before deleting an account, saying what happens to its sheet and files. */
export function openDeleteDialog(ctx, account) {
  form.ctx = ctx;
  const d = $("delete-dialog");
  d.dataset.account = account.id;
  $("del-title").textContent = t("del.title", { name: account.name });
  $("del-text").replaceChildren(el("ul", {},
    el("li", { text: t("del.syncs") }),
    el("li", { text: tabsText(account) }),
    el("li", { text: t("del.files", { customer: account.customer_id }) }),
    el("li", { text: t("del.secret") })));
  $("del-error").hidden = true;
  $("del-confirm").disabled = false;
  if (!d.open) d.showModal();
  $("del-cancel").focus();
}

/** tabsText says what happens to a deleted account's tabs: they are left as they are. */
function tabsText(account) {
  const titles = accountTabs(account).map((k) => tabTitle(account, k));
  if (titles.length < 2) return t("del.sheet", { tab: titles[0] || account.sheet_tab });
  return t("del.sheets", { tabs: titles.map((x) => `“${x}”`).join(", ") });
}

async function confirmDelete() {
  const ctx = form.ctx;
  const d = $("delete-dialog");
  const id = d.dataset.account;
  const a = ctx.account(id);
  $("del-confirm").disabled = true;
  try {
    await request("DELETE", `/accounts/${encodeURIComponent(id)}`);
    d.close();
    ctx.say(t("del.done", { name: a ? a.name : id }));
    ctx.changed();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) { d.close(); ctx.unauthorized(err); return; }
    const e = $("del-error");
    e.textContent = ctx.problemText(err);
    e.hidden = false;
    $("del-confirm").disabled = false;
  }
}

/** initAccountForms wires the form's and the delete dialog's controls once. */
export function initAccountForms(ctx) {
  form.ctx = ctx;
  $("account-form").addEventListener("submit", save);
  $("af-cancel").addEventListener("click", closeForm);
  $("check-credentials").addEventListener("click", checkCredentials);
  $("check-sheet").addEventListener("click", checkSheet);
  $("acc-spreadsheet").addEventListener("input", onSpreadsheetInput);
  $("acc-sheet_tab").addEventListener("input", () => {
    form.tabTouched = true;
    setFieldError("sheet_tab", "");
    $("tab-confirm").hidden = true;
  });
  $("acc-confirm-access").addEventListener("change", () => {
    if ($("acc-confirm-access").checked) setFieldError("spreadsheet", "");
  });
  $("acc-spreadsheet").addEventListener("input", () => { $("access-confirm").hidden = true; });
  $("acc-overwrite").addEventListener("change", () => {
    form.confirmedKey = $("acc-overwrite").checked ? sheetKey() : "";
    if ($("acc-overwrite").checked) setFieldError("sheet_tab", "");
  });
  $("acc-refresh_time").addEventListener("input", () => { $("acc-refresh-own").checked = true; });
  for (const k of tabKinds) {
    $("acc-tab-" + k).addEventListener("change", () => {
      setFieldError("tabs", "");
      const title = $("acc-tab_title-" + k);
      if (title && $("acc-tab-" + k).checked && !title.value.trim()) title.value = defaultTitles[k];
      showTabTitles();
    });
    if (k !== "performance") $("acc-tab_title-" + k).addEventListener("input", () => setFieldError("tab_title-" + k, ""));
  }
  $("acc-google_identity").addEventListener("change", () => {
    $("acc-google_identity").dataset.picked = "1";
    setFieldError("google_identity", "");
    $("access-confirm").hidden = true;
    $("sheet-result").replaceChildren();
    showIdentity();
  });
  $("del-confirm").addEventListener("click", confirmDelete);
  $("del-cancel").addEventListener("click", () => $("delete-dialog").close());
}
