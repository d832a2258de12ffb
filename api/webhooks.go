package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/naversync/naversync/service"
)

// WebhookService is what the handlers need of the notification targets.
type WebhookService interface {
	ListWebhooks(ctx context.Context) ([]service.Webhook, error)
	GetWebhook(ctx context.Context, id string) (service.Webhook, error)
	CreateWebhook(ctx context.Context, in service.WebhookInput) (service.Webhook, error)
	UpdateWebhook(ctx context.Context, id string, in service.WebhookInput) (service.Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error
	TestWebhook(ctx context.Context, id string) (service.WebhookTestResult, error)
}

// kindWebhookFailed: the receiver of a test message refused it or was not reached.
var kindWebhookFailed = problemKind{"webhook-failed", "The webhook receiver did not accept the message", http.StatusBadGateway}

// adminOnly lets through admins only (webhook targets are secrets of the deployment); others
// get 403 before the request's body is read.
func (h *handler) adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := callerOf(r); a.Role != service.RoleAdmin {
			writeProblem(w, r, kindForbidden, service.Msg(service.MsgAdminOnly, fmt.Sprintf("this token's role (%s) may not manage notifications; use an admin token", a.Role),
				"role", string(a.Role)), nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// listWebhooks handles GET /webhooks. URLs are write-only: only their host is shown.
func (h *handler) listWebhooks(w http.ResponseWriter, r *http.Request) {
	items, err := h.svc.ListWebhooks(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if items == nil {
		items = []service.Webhook{}
	}
	writeJSON(w, http.StatusOK, page[service.Webhook]{Items: items})
}

// getWebhook handles GET /webhooks/{id}.
func (h *handler) getWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	wh, err := h.svc.GetWebhook(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wh)
}

// createWebhook handles POST /webhooks. The URL is in the body, never in an answer or a log.
func (h *handler) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in service.WebhookInput
	if err := decodeBody(w, r, h.maxBody, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	wh, err := h.svc.CreateWebhook(r.Context(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/webhooks/"+wh.ID)
	writeJSON(w, http.StatusCreated, wh)
}

// updateWebhook handles PATCH /webhooks/{id}: absent fields stay as they are.
func (h *handler) updateWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	var in service.WebhookInput
	if err := decodeBody(w, r, h.maxBody, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	wh, err := h.svc.UpdateWebhook(r.Context(), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wh)
}

// deleteWebhook handles DELETE /webhooks/{id}.
func (h *handler) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	if err := h.svc.DeleteWebhook(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// testWebhook handles POST /webhooks/{id}/test: a test message sent now. A receiver that
// refused it or was not reached is a 502 problem saying why (never the URL).
func (h *handler) testWebhook(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	res, err := h.svc.TestWebhook(r.Context(), id)
	var se *service.WebhookSendError
	switch {
	case errors.As(err, &se):
		writeProblem(w, r, kindWebhookFailed, service.Msg(service.MsgWebhookFailed, se.Error(), service.WebhookErrorParams(se)...), nil)
	case err != nil:
		h.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, res)
	}
}
