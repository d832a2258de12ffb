package naver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. An [*APIError] matches them through errors.Is; callers
// branch on these, never on status codes.
var (
	// ErrRateLimited: HTTP 429 or code 1016 (too many connections).
	ErrRateLimited = errors.New("naver: rate limited")
	// ErrMaintenance: HTTP 503 (scheduled maintenance).
	ErrMaintenance = errors.New("naver: maintenance")
	// ErrAuth: 401, or 403 with a urn:naver:api:problem:* document, or a
	// permission code (1006, 1018). Never retried.
	ErrAuth = errors.New("naver: authentication failed")
	// ErrNotFound: HTTP 404, code 20011 or 1001, 403 20005, or a master
	// job answering 204: the job is gone.
	ErrNotFound = errors.New("naver: not found")
	// ErrReportFailed: the job ended ERROR even after re-creating it.
	ErrReportFailed = errors.New("naver: report failed")
	// ErrNotServed: code 10004, the day is outside the served period
	// (today, the future, or too old).
	ErrNotServed = errors.New("naver: day not served")
	// ErrNotReady: code 20007, the day is not aggregated yet; also returned
	// when a job is still building after Options.PollTimeout.
	ErrNotReady = errors.New("naver: data not ready")
	// ErrDataChanged: the report's data was revised and the file can no
	// longer be downloaded; a new job is needed.
	ErrDataChanged = errors.New("naver: report data changed")
	// ErrTransport: a network error or timeout, wrapped with the cause.
	ErrTransport = errors.New("naver: transport error")
	// ErrForeignHost: a download URL whose scheme or host differs from the
	// client's base URL; it is refused so that signed headers stay with Naver.
	ErrForeignHost = errors.New("naver: download URL on a foreign host")
	// ErrJobLimit: the customer has too many master report jobs (400
	// "exceeded limit of '100' numbers of 'job'").
	ErrJobLimit = errors.New("naver: job limit exceeded")
	// ErrBadRequest: HTTP 400 (e.g. 11001, a malformed parameter; also
	// matched together with the more precise ErrNotServed, ErrJobLimit...).
	ErrBadRequest = errors.New("naver: bad request")
	// ErrServer: any 5xx other than 503.
	ErrServer = errors.New("naver: server error")
	// ErrUncertain: a create whose answer was lost (the connection failed or the context
	// ended after the request was sent, or a 5xx came back), so a job may or may not exist;
	// also several jobs that could be that create's. Never retried blindly: see Journal.
	ErrUncertain = errors.New("naver: create answer lost; the job may exist")
)

// uncertainError marks a create whose answer was lost; it matches ErrUncertain and its cause.
type uncertainError struct{ cause error }

func (e *uncertainError) Error() string   { return e.cause.Error() + " (the job may exist)" }
func (e *uncertainError) Unwrap() []error { return []error{ErrUncertain, e.cause} }

// APIError is a non-2xx answer of the Naver API. Message never contains the
// secret key or the request signature.
type APIError struct {
	HTTPStatus    int    // HTTP status code
	Code          int    // Naver's "code" (e.g. 20011), 0 if absent
	Type          string // problem document "type" (urn:naver:api:problem:...)
	Title         string // problem document "title"
	Message       string // "message" or "detail"
	TransactionID string // X-Transaction-ID response header
	Method        string // request method
	Path          string // request path, without query
}

// Error describes the failure, with the transaction id Naver support asks for.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "naver: %s %s: HTTP %d", e.Method, e.Path, e.HTTPStatus)
	if e.Code != 0 {
		fmt.Fprintf(&b, " code %d", e.Code)
	}
	if e.Type != "" {
		fmt.Fprintf(&b, " %s", e.Type)
	}
	msg := e.Message
	if msg == "" {
		msg = e.Title
	}
	if msg != "" {
		fmt.Fprintf(&b, ": %s", msg)
	}
	if e.TransactionID != "" {
		fmt.Fprintf(&b, " (transaction %s)", e.TransactionID)
	}
	return b.String()
}

// Is maps the error onto the package's sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrRateLimited:
		return e.HTTPStatus == http.StatusTooManyRequests || e.Code == 1016 || e.Code == 429
	case ErrMaintenance:
		return e.HTTPStatus == http.StatusServiceUnavailable
	case ErrAuth:
		return e.HTTPStatus == http.StatusUnauthorized ||
			strings.HasPrefix(e.Type, "urn:naver:api:problem:") ||
			e.Code == 1006 || e.Code == 1018
	case ErrNotFound:
		return e.HTTPStatus == http.StatusNotFound || e.HTTPStatus == http.StatusNoContent ||
			e.Code == 20011 || e.Code == 1001 || e.Code == 20005
	case ErrNotServed:
		return e.Code == 10004
	case ErrNotReady:
		return e.Code == 20007
	case ErrDataChanged:
		return e.HTTPStatus >= 400 && e.HTTPStatus < 500 && mentionsChange(e.Message+" "+e.Title)
	case ErrJobLimit:
		return e.HTTPStatus == http.StatusBadRequest && strings.Contains(e.Message, "exceeded limit")
	case ErrBadRequest:
		return e.HTTPStatus == http.StatusBadRequest
	case ErrServer:
		return e.HTTPStatus >= 500 && e.HTTPStatus != http.StatusServiceUnavailable
	}
	return false
}

func mentionsChange(s string) bool {
	return strings.Contains(s, "변경") || strings.Contains(strings.ToLower(s), "changed")
}

// RateLimitError is returned for rate-limit answers. RetryAfter is the
// Retry-After header when Naver sent one (it usually does not), else 0.
type RateLimitError struct {
	Err        *APIError
	RetryAfter time.Duration
}

// Error describes the rate-limit answer.
func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s (retry after %s)", e.Err.Error(), e.RetryAfter)
	}
	return e.Err.Error()
}

// Unwrap returns the underlying *APIError (which matches ErrRateLimited).
func (e *RateLimitError) Unwrap() error { return e.Err }

// IsTransient reports whether err may go away by itself: rate limiting,
// maintenance, server errors, transport errors, damaged downloads, and data
// not ready yet.
// Authentication, bad requests and not-served days are not transient.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrMaintenance) ||
		errors.Is(err, ErrServer) || errors.Is(err, ErrTransport) || errors.Is(err, ErrNotReady) ||
		errors.Is(err, ErrDamaged)
}

// retryable reports whether an operation should be repeated at once (after a
// backoff) inside one call: rate limits, 5xx, transport failures and
// damaged downloads.
func retryable(err error) bool {
	if errors.Is(err, ErrUncertain) {
		return false
	}
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrMaintenance) ||
		errors.Is(err, ErrServer) || errors.Is(err, ErrTransport) || errors.Is(err, ErrDamaged)
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// errorBody is the union of the error shapes Naver answers with:
// {"code","message"}, problem documents {"type","title","detail","status"},
// and master-report errors {"name","status","title","detail"}.
type errorBody struct {
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Title   string          `json:"title"`
	Detail  string          `json:"detail"`
}

// newAPIError builds the error for resp, reading at most maxErrorBody bytes
// of its body. signature is removed from any text Naver echoes back.
func newAPIError(resp *http.Response, method, path, signature string) error {
	e := &APIError{
		HTTPStatus:    resp.StatusCode,
		TransactionID: resp.Header.Get("X-Transaction-ID"),
		Method:        method,
		Path:          path,
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body errorBody
	if json.Unmarshal(raw, &body) == nil {
		e.Code = parseCode(body.Code)
		e.Type = body.Type
		e.Title = body.Title
		e.Message = body.Message
		if e.Message == "" {
			e.Message = body.Detail
		}
	} else if len(raw) > 0 {
		// A gateway may answer HTML; keep a short, printable prefix.
		s := strings.TrimSpace(string(raw))
		if len(s) > 200 {
			s = s[:200]
		}
		e.Message = strings.ToValidUTF8(s, "")
	}
	if signature != "" {
		e.Message = strings.ReplaceAll(e.Message, signature, "[redacted]")
		e.Title = strings.ReplaceAll(e.Title, signature, "[redacted]")
	}
	if e.HTTPStatus == http.StatusTooManyRequests || e.Code == 1016 || e.Code == 429 {
		rl := &RateLimitError{Err: e}
		if s := resp.Header.Get("Retry-After"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n >= 0 {
				rl.RetryAfter = time.Duration(n) * time.Second
			}
		}
		return rl
	}
	return e
}

func parseCode(raw json.RawMessage) int {
	if len(raw) == 0 {
		return 0
	}
	s := strings.Trim(string(raw), `"`)
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}
