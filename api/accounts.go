package api

import (
	"net/http"

	"github.com/naversync/naversync/service"
)

// createAccount handles POST /accounts. The secret key is write-only: it is in the body, never
// in an answer or a log line.
func (h *handler) createAccount(w http.ResponseWriter, r *http.Request) {
	var in service.AccountInput
	if err := decodeBody(w, r, h.maxBody, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.svc.CreateAccount(r.Context(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/accounts/"+a.ID)
	writeJSON(w, http.StatusCreated, a)
}

// listAccounts handles GET /accounts?limit&after.
func (h *handler) listAccounts(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r, 50)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	after := r.URL.Query().Get("after")
	if after != "" && !idPattern.MatchString(after) {
		h.fail(w, r, invalid("after", service.MsgFieldAfterCursor, "an account id (the next_cursor of a previous page)"))
		return
	}
	items, next, err := h.svc.ListAccounts(r.Context(), limit, after)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if items == nil {
		items = []service.Account{}
	}
	writeJSON(w, http.StatusOK, page[service.Account]{Items: items, NextCursor: next})
}

// getAccount handles GET /accounts/{id}.
func (h *handler) getAccount(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	a, err := h.svc.GetAccount(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// updateAccount handles PATCH /accounts/{id}: absent fields stay as they are.
func (h *handler) updateAccount(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	var p service.AccountPatch
	if err := decodeBody(w, r, h.maxBody, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.svc.UpdateAccount(r.Context(), id, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// deleteAccount handles DELETE /accounts/{id}.
func (h *handler) deleteAccount(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	if err := h.svc.DeleteAccount(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// sheetConsent handles POST /accounts/{id}/sheet-consent: the caller consents to naversync
// replacing the data a sync found in the account's tab (data naversync did not write). It
// takes no body; the consent is in the audit log.
func (h *handler) sheetConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	a, err := h.svc.ConsentToReplaceTab(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}
