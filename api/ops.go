package api

import (
	"net/http"

	"github.com/naversync/naversync/service"
)

// healthz handles GET /healthz: the process answers. It checks nothing else.
func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz handles GET /readyz: 200 when the engine runs and its database answers, else 503
// (also while the server shuts down, so that load balancers send requests elsewhere).
func (h *handler) readyz(w http.ResponseWriter, r *http.Request) {
	if h.draining() {
		writeProblem(w, r, kindUnavailable, service.Msg(service.MsgServiceStopping, "the service is shutting down"), nil)
		return
	}
	if err := h.svc.Ready(r.Context()); err != nil {
		h.log.WarnContext(r.Context(), "not ready", "err", err)
		writeProblem(w, r, kindUnavailable, service.Msg(service.MsgNotReady, "the service is not ready"), nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// leases handles GET /leases: the held Naver customer leases and who waits behind each.
func (h *handler) leases(w http.ResponseWriter, r *http.Request) {
	items, err := h.svc.Leases(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if items == nil {
		items = []service.Lease{}
	}
	writeJSON(w, http.StatusOK, page[service.Lease]{Items: items})
}

// scheduler handles GET /scheduler: the refresh schedule, its next and its last runs.
func (h *handler) scheduler(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.SchedulerStatus(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// runScheduler handles POST /scheduler/run: queue the refresh of every account now.
func (h *handler) runScheduler(w http.ResponseWriter, r *http.Request) {
	n, err := h.svc.RunRefreshNow(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"queued": n})
}

// infoBody is the answer of GET /info.
type infoBody struct {
	ServiceAccountEmail string                   `json:"service_account_email"`
	GoogleIdentities    []service.GoogleIdentity `json:"google_identities"`
	ServedFrom          string                   `json:"served_from"`
	ServedTo            string                   `json:"served_to"`
	Version             string                   `json:"version"`
	// Role and Actor are the caller's: what its token may do, and how the audit log names it.
	Role  service.Role `json:"role"`
	Actor string       `json:"actor"`
}

// info handles GET /info: what a user needs to set up an account, and who the caller is.
func (h *handler) info(w http.ResponseWriter, r *http.Request) {
	from, to := h.svc.ServedWindow()
	caller := callerOf(r)
	ids, err := h.svc.GoogleIdentities(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, infoBody{
		ServiceAccountEmail: h.svc.NextGoogleIdentity(r.Context()),
		GoogleIdentities:    ids,
		ServedFrom:          from.Format("2006-01-02"),
		ServedTo:            to.Format("2006-01-02"),
		Version:             h.version,
		Role:                caller.Role,
		Actor:               caller.Name,
	})
}
