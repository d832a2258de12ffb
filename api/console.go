package api

import (
	"net/http"

	"github.com/naversync/naversync/service"
)

// The routes the console needs beyond the resources themselves: checks before saving an
// account, the audit log, and the days of a sync.

// checkCredentials handles POST /checks/credentials: Naver is asked whether the credentials
// are accepted; nothing is stored. 200 {"ok": true}, or the 422 problem naming the field to fix.
func (h *handler) checkCredentials(w http.ResponseWriter, r *http.Request) {
	var in service.CredentialsCheck
	if err := decodeBody(w, r, h.maxBody, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if in.AccountID != "" && !idPattern.MatchString(in.AccountID) {
		h.fail(w, r, invalid("account_id", service.MsgFieldAccountID, "an account id"))
		return
	}
	if err := h.svc.CheckCredentials(r.Context(), in); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// checkSheet handles POST /checks/sheet: what the service account may do with a spreadsheet
// (read, then prove edit rights with a request that changes nothing visible), its tabs, the tab
// an address's gid names, and whether the chosen tab holds someone else's data.
func (h *handler) checkSheet(w http.ResponseWriter, r *http.Request) {
	var in service.SheetCheck
	if err := decodeBody(w, r, h.maxBody, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.svc.CheckSheet(r.Context(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// listAudit handles GET /audit?account_id&limit&cursor: the audit log, newest first.
func (h *handler) listAudit(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r, 50)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := service.AuditFilter{Limit: limit, AccountID: q.Get("account_id"), Cursor: q.Get("cursor")}
	if f.AccountID != "" && !idPattern.MatchString(f.AccountID) {
		h.fail(w, r, invalid("account_id", service.MsgFieldAccountID, "an account id"))
		return
	}
	if f.Cursor != "" && !idPattern.MatchString(f.Cursor) {
		h.fail(w, r, invalid("cursor", service.MsgFieldPageCursor, "the next_cursor of a previous page"))
		return
	}
	items, next, err := h.svc.ListAudit(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if items == nil {
		items = []service.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, page[service.AuditEntry]{Items: items, NextCursor: next})
}

// syncDays handles GET /syncs/{id}/days: each day of the sync's range with its state and why.
func (h *handler) syncDays(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	days, err := h.svc.SyncDays(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if days == nil {
		days = []service.SyncDay{}
	}
	writeJSON(w, http.StatusOK, page[service.SyncDay]{Items: days})
}
