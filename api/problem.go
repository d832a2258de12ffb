package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/naversync/naversync/service"
)

// ProblemTypeBase prefixes the stable type URIs of the problems this API answers.
const ProblemTypeBase = "https://naversync.dev/problems/"

// Problem is an error answer (RFC 9457, application/problem+json).
type Problem struct {
	// Type is a stable URI naming the kind of problem; clients branch on it.
	Type string `json:"type"`
	// Title is a short summary of the kind of problem.
	Title string `json:"title"`
	// Status repeats the HTTP status.
	Status int `json:"status"`
	// Detail explains this occurrence; it never contains internal error text.
	Detail string `json:"detail,omitempty"`
	// Code names Detail, and Params are its values, for a client to say it in its own
	// language (openapi.yaml lists the codes).
	Code   service.MessageCode   `json:"code"`
	Params service.MessageParams `json:"params,omitempty"`
	// Instance is the request path.
	Instance string `json:"instance"`
	// RequestID is the X-Request-Id of the request, to find it in the logs.
	RequestID string `json:"request_id,omitempty"`
	// Errors name the invalid fields of a validation problem.
	Errors []service.FieldError `json:"errors,omitempty"`
}

// problemKind is one kind of problem: its type slug, title and status.
type problemKind struct {
	slug   string
	title  string
	status int
}

var (
	kindValidation     = problemKind{"validation", "The request is invalid", http.StatusBadRequest}
	kindMalformed      = problemKind{"malformed-request", "The request body is not valid JSON", http.StatusBadRequest}
	kindUnauthorized   = problemKind{"unauthorized", "Authentication is required", http.StatusUnauthorized}
	kindForbidden      = problemKind{"forbidden", "The token's role may not do this", http.StatusForbidden}
	kindNotFound       = problemKind{"not-found", "Not found", http.StatusNotFound}
	kindMethod         = problemKind{"method-not-allowed", "Method not allowed", http.StatusMethodNotAllowed}
	kindConflict       = problemKind{"conflict", "The request conflicts with the current state", http.StatusConflict}
	kindTooLarge       = problemKind{"payload-too-large", "The request body is too large", http.StatusRequestEntityTooLarge}
	kindMediaType      = problemKind{"unsupported-media-type", "The request body must be JSON", http.StatusUnsupportedMediaType}
	kindCredentials    = problemKind{"invalid-credentials", "Naver refused the credentials", http.StatusUnprocessableEntity}
	kindSheetAccess    = problemKind{"sheet-not-editable", "naversync cannot edit the spreadsheet", http.StatusUnprocessableEntity}
	kindIdentity       = problemKind{"unknown-google-identity", "Not one of this deployment's Google identities", http.StatusUnprocessableEntity}
	kindKeyReused      = problemKind{"idempotency-key-reused", "The Idempotency-Key was used for a different request", http.StatusUnprocessableEntity}
	kindKeyInUse       = problemKind{"idempotency-key-in-use", "A request with this Idempotency-Key is in flight", http.StatusConflict}
	kindTooManyStreams = problemKind{"too-many-streams", "Too many event streams", http.StatusTooManyRequests}
	kindInternal       = problemKind{"internal", "Internal server error", http.StatusInternalServerError}
	kindUnavailable    = problemKind{"unavailable", "Service unavailable", http.StatusServiceUnavailable}
	kindTimeout        = problemKind{"timeout", "The request took too long", http.StatusServiceUnavailable}
)

// writeProblem answers a problem of kind k.
func writeProblem(w http.ResponseWriter, r *http.Request, k problemKind, detail service.Message, fields []service.FieldError) {
	p := Problem{
		Type:      ProblemTypeBase + k.slug,
		Title:     k.title,
		Status:    k.status,
		Detail:    detail.Text,
		Code:      detail.Code,
		Params:    detail.Params,
		Instance:  r.URL.Path,
		RequestID: middleware.GetReqID(r.Context()),
		Errors:    fields,
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	if bodyUnread(r) {
		// Refused before its body was read: close the connection rather than wait for (and
		// read) a body nobody needs, which a slow or hostile client may never finish sending.
		// The read deadline stops the server's own attempt to drain it after the answer.
		w.Header().Set("Connection", "close")
		_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	}
	w.WriteHeader(k.status)
	_ = json.NewEncoder(w).Encode(p)
}

// fail answers err, an error from the service or from decoding a request, with its problem.
// Errors the client cannot act on are logged here, once, and never echoed.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var verr *service.ValidationError
	var rerr *requestError
	var cerr *service.CredentialsError
	var serr *service.SheetAccessError
	var coerr *service.ConsentError
	var ierr *service.IdentityError
	switch {
	case errors.As(err, &rerr):
		writeProblem(w, r, rerr.kind, rerr.detail, rerr.fields)
	case errors.As(err, &verr):
		writeProblem(w, r, kindValidation, msgInvalidFields, verr.Fields)
	case errors.As(err, &serr):
		writeProblem(w, r, kindSheetAccess, service.Msg(service.MsgSheetNotEditable, "naversync cannot edit this spreadsheet, so its syncs would fail: share it with the service account as an editor, "+
			"or send confirm_sheet_access: true to save the account anyway"), serr.Fields)
	case errors.As(err, &ierr):
		writeProblem(w, r, kindIdentity, service.Msg(service.MsgUnknownIdentity, "google_identity names no Google identity of this deployment: GET /info lists them"), ierr.Fields())
	case errors.As(err, &coerr):
		writeProblem(w, r, kindConflict, service.Message{Code: coerr.Code, Text: coerr.Reason}, nil)
	case errors.Is(err, service.ErrNotFound):
		writeProblem(w, r, kindNotFound, msgNotFound, nil)
	case errors.Is(err, service.ErrConflict):
		writeProblem(w, r, kindConflict, service.Msg(service.MsgConflict, "the request does not fit the resource's current state"), nil)
	case errors.Is(err, service.ErrKeyReused):
		writeProblem(w, r, kindKeyReused, service.Msg(service.MsgKeyReused, "this Idempotency-Key was used for a different request within the last 24 hours; use a new key for a new request"), nil)
	case errors.As(err, &cerr):
		// Naver's refusal, with the field its answer points at (none: e.g. this server's clock).
		var fields []service.FieldError
		if cerr.Field != "" {
			fields = []service.FieldError{service.FieldErr(cerr.Field, cerr.Message())}
		}
		writeProblem(w, r, kindCredentials, cerr.Message(), fields)
	case errors.Is(err, service.ErrInvalidCredentials):
		writeProblem(w, r, kindCredentials, service.Msg(service.MsgCredentialsRefused, "Naver refused the credentials: check the API key, the secret key and the customer id"), nil)
	case errors.Is(err, service.ErrNaverUnavailable):
		h.log.WarnContext(r.Context(), "naver unavailable", "request_id", middleware.GetReqID(r.Context()), "err", err)
		writeProblem(w, r, kindUnavailable, service.Msg(service.MsgNaverUnavailable, "Naver could not be reached to check the credentials; try again later"), nil)
	case errors.Is(err, service.ErrSheetsUnavailable):
		h.log.WarnContext(r.Context(), "google sheets unavailable", "request_id", middleware.GetReqID(r.Context()), "err", err)
		writeProblem(w, r, kindUnavailable, service.Msg(service.MsgSheetsUnavailable, "Google Sheets could not be reached, or its quota is used up for the minute; try again shortly"), nil)
	case errors.Is(err, service.ErrUnavailable):
		h.log.WarnContext(r.Context(), "dependency unavailable", "request_id", middleware.GetReqID(r.Context()), "err", err)
		writeProblem(w, r, kindUnavailable, service.Msg(service.MsgUnavailable, "a dependency is not reachable; try again later"), nil)
	case errors.Is(err, context.DeadlineExceeded):
		h.log.WarnContext(r.Context(), "request timed out", "request_id", middleware.GetReqID(r.Context()), "path", r.URL.Path)
		writeProblem(w, r, kindTimeout, service.Msg(service.MsgTimeout, "the request did not finish in time; try again later"), nil)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away: nobody reads the answer, and it is not our error.
		writeProblem(w, r, kindUnavailable, service.Msg(service.MsgCanceled, "the request was canceled"), nil)
	default:
		h.log.ErrorContext(r.Context(), "internal error", "request_id", middleware.GetReqID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
		writeProblem(w, r, kindInternal, msgInternal, nil)
	}
}

// requestError is a request the handler refused before calling the service.
type requestError struct {
	kind   problemKind
	detail service.Message
	fields []service.FieldError
}

func (e *requestError) Error() string { return e.kind.slug + ": " + e.detail.Text }

// Details several answers share.
var (
	msgInvalidFields = service.Msg(service.MsgInvalidFields, "one or more fields are invalid")
	msgNotFound      = service.Msg(service.MsgNotFound, "the resource does not exist")
	msgInternal      = service.Msg(service.MsgInternal, "an internal error occurred; quote the request id when reporting it")
	msgShuttingDown  = service.Msg(service.MsgShuttingDown, "the server is shutting down; reconnect")
	msgUnauthorized  = service.Msg(service.MsgUnauthorized, "a valid bearer token is required")
)

// invalid is a validation problem naming one field: code names reason.
func invalid(field string, code service.MessageCode, reason string, kv ...string) *requestError {
	return &requestError{kind: kindValidation, detail: msgInvalidFields,
		fields: []service.FieldError{service.FieldErr(field, service.Msg(code, reason, kv...))}}
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, r, kindNotFound, service.Msg(service.MsgNoRoute, "no such route or resource"), nil)
}
