// The notification settings (admins only): the webhook targets, a form to add and edit one
// (name, kind, URL, events), "Send test message", and delete. A target's URL is write-only: the
// API shows only its host, and the form leaves the URL empty when editing (kept unless typed).
import { ApiError, request } from "./api.js";
import { el } from "./format.js";
import { t, translatePage } from "./i18n.js";

const events = ["sync_failed", "credentials_refused", "sheet_access_lost", "stale", "naver_jobs_wait"];
const kinds = ["slack", "google_chat", "generic"];
const $ = (id) => document.getElementById(id);

let ctx = null;
let hooks = [];
let editing = null; // the target being edited, null when adding

/** initNotify wires the panel once; refreshNotify shows it (admins) and loads the targets. */
export function initNotify(c) {
  ctx = c;
  const box = $("wh-events");
  for (const ev of events) {
    const id = "wh-ev-" + ev;
    box.append(el("div", { class: "check-row" },
      el("input", { type: "checkbox", id, value: ev }), " ",
      el("label", { for: id, "data-i18n": "notify.event." + ev })));
  }
  const kind = $("wh-kind");
  for (const k of kinds) kind.append(el("option", { value: k, "data-i18n": "notify.kind." + k }));
  translatePage($("notify-dialog"));
  $("wh-add").addEventListener("click", () => openForm(null));
  $("wh-cancel").addEventListener("click", () => $("notify-dialog").close());
  $("notify-form").addEventListener("submit", (ev) => { ev.preventDefault(); save(); });
}

/** refreshNotify loads the targets when the caller is an admin (the section stays hidden otherwise). */
export async function refreshNotify() {
  const info = ctx && ctx.info();
  const admin = !!info && info.role === "admin";
  $("notifications").hidden = !admin;
  $("nav-notifications").hidden = !admin;
  if (!admin) return;
  try {
    hooks = (await request("GET", "/webhooks")).items;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return ctx.unauthorized(err);
    if (err instanceof ApiError && err.status === 403) { $("notifications").hidden = true; return; }
    ctx.showError(ctx.problemText(err));
    return;
  }
  render();
}

/** render draws the list in the current language. */
export function render() {
  const body = $("wh-table").tBodies[0];
  body.replaceChildren();
  $("wh-empty").hidden = hooks.length > 0;
  for (const h of hooks) {
    const result = el("span", { class: "small", role: "status", "aria-live": "polite" });
    const test = el("button", { type: "button", text: t("notify.test") });
    test.addEventListener("click", () => sendTest(h, result));
    const edit = el("button", { type: "button", text: t("notify.edit") });
    edit.addEventListener("click", () => openForm(h));
    const del = el("button", { type: "button", class: "danger", text: t("notify.delete") });
    del.addEventListener("click", () => remove(h));
    body.append(el("tr", null,
      el("td", { "data-label": t("notify.col.name"), text: h.name }),
      el("td", { "data-label": t("notify.col.kind"), text: t("notify.kind." + h.kind) }),
      el("td", { "data-label": t("notify.col.host"), text: h.url_host }),
      el("td", { "data-label": t("notify.col.events"), text: h.events.map((e) => t("notify.event." + e)).join(", ") }),
      el("td", { "data-label": t("notify.col.enabled"), text: h.enabled ? t("notify.on") : t("notify.off") }),
      el("td", { class: "actions" }, test, " ", edit, " ", del, " ", result)));
  }
}

function openForm(h) {
  editing = h;
  $("wh-title").textContent = h ? t("notify.editTitle", { name: h.name }) : t("notify.addTitle");
  $("wh-name").value = h ? h.name : "";
  $("wh-kind").value = h ? h.kind : "slack";
  $("wh-url").value = "";
  $("wh-url-hint").textContent = h ? t("notify.urlKept", { host: h.url_host }) : t("notify.urlHint");
  $("wh-enabled").checked = h ? h.enabled : true;
  for (const ev of events) $("wh-ev-" + ev).checked = h ? h.events.includes(ev) : true;
  $("wh-error").hidden = true;
  const d = $("notify-dialog");
  if (!d.open) d.showModal();
  $("wh-name").focus();
}

async function save() {
  const body = {
    name: $("wh-name").value.trim(),
    kind: $("wh-kind").value,
    events: events.filter((ev) => $("wh-ev-" + ev).checked),
    enabled: $("wh-enabled").checked,
  };
  const url = $("wh-url").value.trim();
  if (url || !editing) body.url = url;
  try {
    if (editing) await request("PATCH", "/webhooks/" + editing.id, { body });
    else await request("POST", "/webhooks", { body });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return ctx.unauthorized(err);
    const e = $("wh-error");
    e.textContent = ctx.problemText(err);
    e.hidden = false;
    return;
  }
  $("notify-dialog").close();
  ctx.say(t("notify.saved"));
  ctx.changed();
  refreshNotify();
}

async function sendTest(h, result) {
  result.textContent = t("notify.testing");
  try {
    await request("POST", `/webhooks/${h.id}/test`);
    result.textContent = t("notify.testOK");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return ctx.unauthorized(err);
    result.textContent = t("notify.testFailed", { why: ctx.problemText(err) });
  }
  ctx.changed();
}

async function remove(h) {
  if (!window.confirm(t("notify.confirmDelete", { name: h.name }))) return;
  try {
    await request("DELETE", "/webhooks/" + h.id);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return ctx.unauthorized(err);
    ctx.showError(ctx.problemText(err));
    return;
  }
  ctx.changed();
  refreshNotify();
}
