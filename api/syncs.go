package api

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/naversync/naversync/service"
)

var (
	// idempotencyKeyPattern: visible ASCII, at most 200 characters.
	idempotencyKeyPattern = regexp.MustCompile(`^[\x21-\x7e]{1,200}$`)
	customerIDPattern     = regexp.MustCompile(`^[0-9]{1,20}$`)
)

// idempotencyKey returns the Idempotency-Key header ("" when absent) or a validation error.
func idempotencyKey(r *http.Request) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if k != "" && !idempotencyKeyPattern.MatchString(k) {
		return "", invalid("Idempotency-Key", service.MsgFieldIdemKey, "1 to 200 visible ASCII characters")
	}
	return k, nil
}

// keysInFlight are the Idempotency-Keys of requests this process is answering now.
type keysInFlight struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

// hold marks the key of scope as in flight until release is called; ok is false when a request
// with that key is already in flight.
func (k *keysInFlight) hold(scope, key string) (release func(), ok bool) {
	if key == "" {
		return func() {}, true
	}
	id := scope + "\x00" + key
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, busy := k.keys[id]; busy {
		return nil, false
	}
	if k.keys == nil {
		k.keys = map[string]struct{}{}
	}
	k.keys[id] = struct{}{}
	return func() {
		k.mu.Lock()
		delete(k.keys, id)
		k.mu.Unlock()
	}, true
}

// holdKey reads the Idempotency-Key and marks it in flight for scope, or answers the problem
// (400 for a malformed key, 409 while a request with the key is being answered) and returns
// ok false.
func (h *handler) holdKey(w http.ResponseWriter, r *http.Request, scope string) (key string, release func(), ok bool) {
	key, err := idempotencyKey(r)
	if err != nil {
		h.fail(w, r, err)
		return "", nil, false
	}
	release, ok = h.inflight.hold(scope, key)
	if !ok {
		w.Header().Set("Retry-After", "1")
		writeProblem(w, r, kindKeyInUse, service.Msg(service.MsgKeyInUse, "a request with this Idempotency-Key is still being answered; repeat it when that one is done"), nil)
		return "", nil, false
	}
	return key, release, true
}

// writeEnqueued answers the outcome of a POST that queues a sync: 202 with Location for a new
// sync, 200 for a request merged into an equal queued one; a repeat with the same
// Idempotency-Key gets the first request's status and Location, marked Idempotent-Replayed.
func writeEnqueued(w http.ResponseWriter, e service.Enqueued, status int) {
	if e.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if status == http.StatusAccepted {
		w.Header().Set("Location", "/syncs/"+e.Sync.ID)
	}
	writeJSON(w, status, e.Sync)
}

// createSync handles POST /syncs: 202 for a new sync, 200 for a request merged into an equal
// queued one; a repeat with the same Idempotency-Key replays the first answer.
func (h *handler) createSync(w http.ResponseWriter, r *http.Request) {
	key, release, ok := h.holdKey(w, r, "POST /syncs")
	if !ok {
		return
	}
	defer release()
	body, err := jsonBody(w, r, h.maxBody)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := decodeSyncRequest(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req.IdempotencyKey = key
	req.Trigger = service.TriggerManual
	e, err := h.svc.Enqueue(r.Context(), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if e.Created {
		status = http.StatusAccepted
	}
	writeEnqueued(w, e, status)
}

// listSyncs handles GET /syncs with its filters, newest first.
func (h *handler) listSyncs(w http.ResponseWriter, r *http.Request) {
	f, err := syncFilter(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	items, next, err := h.svc.ListSyncs(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if items == nil {
		items = []service.Sync{}
	}
	writeJSON(w, http.StatusOK, page[service.Sync]{Items: items, NextCursor: next})
}

// syncFilter reads GET /syncs' query.
func syncFilter(r *http.Request) (service.SyncFilter, error) {
	q := r.URL.Query()
	var f service.SyncFilter
	var err error
	if f.Limit, err = queryLimit(r, 50); err != nil {
		return f, err
	}
	if f.AccountID = q.Get("account_id"); f.AccountID != "" && !idPattern.MatchString(f.AccountID) {
		return f, invalid("account_id", service.MsgFieldAccountID, "an account id")
	}
	if f.CustomerID = q.Get("customer_id"); f.CustomerID != "" && !customerIDPattern.MatchString(f.CustomerID) {
		return f, invalid("customer_id", service.MsgFieldCustomerID, "a Naver customer id: digits only")
	}
	for _, v := range q["status"] {
		for _, st := range strings.Split(v, ",") {
			switch st = strings.TrimSpace(st); st {
			case service.StatusQueued, service.StatusFetching, service.StatusProcessing,
				service.StatusSucceeded, service.StatusFailed, service.StatusCanceled:
				f.Statuses = append(f.Statuses, st)
			default:
				return f, invalid("status", service.MsgFieldStatusList, "one or more of queued, fetching, processing, succeeded, failed, canceled")
			}
		}
	}
	parseTime := func(name string) (time.Time, error) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, invalid(name, service.MsgFieldTime, "an RFC 3339 time such as 2026-01-02T15:04:05Z")
		}
		return t, nil
	}
	if f.CreatedAfter, err = parseTime("created_after"); err != nil {
		return f, err
	}
	if f.CreatedBefore, err = parseTime("created_before"); err != nil {
		return f, err
	}
	f.Cursor = q.Get("cursor") // the service refuses a cursor it did not hand out
	return f, nil
}

// getSync handles GET /syncs/{id}.
func (h *handler) getSync(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	s, err := h.svc.GetSync(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// cancelSync handles POST /syncs/{id}/cancel; a finished sync is a 409.
func (h *handler) cancelSync(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	s, err := h.svc.CancelSync(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// retrySync handles POST /syncs/{id}/retry: a new sync over the same range, 202 with its
// Location. Only a failed or canceled sync can be retried (409 otherwise). A repeat with the
// same Idempotency-Key replays the first answer.
func (h *handler) retrySync(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	key, release, ok := h.holdKey(w, r, "POST /syncs/{id}/retry")
	if !ok {
		return
	}
	defer release()
	e, err := h.svc.Retry(r.Context(), id, key)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeEnqueued(w, e, http.StatusAccepted)
}
