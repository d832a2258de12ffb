package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/naversync/naversync/service"
)

// requestIDPattern is what a client-sent X-Request-Id must look like to be kept; others are
// replaced, so that logs and answers never carry arbitrary client text.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// sanitizeRequestID drops a client X-Request-Id that is not a plain token, so that
// middleware.RequestID generates one instead.
func sanitizeRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get(middleware.RequestIDHeader); id != "" && !requestIDPattern.MatchString(id) {
			r.Header.Del(middleware.RequestIDHeader)
		}
		next.ServeHTTP(w, r)
	})
}

// echoRequestID returns the request id in the X-Request-Id response header.
func echoRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(middleware.RequestIDHeader, middleware.GetReqID(r.Context()))
		next.ServeHTTP(w, r)
	})
}

// observe writes one access-log line per request and turns a panic into a 500 problem. It logs
// neither headers (Authorization) nor bodies.
func (h *handler) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		defer func() {
			if rec := recover(); rec != nil {
				if rec == http.ErrAbortHandler { //nolint:errorlint // sentinel panic value, compared as net/http does
					panic(rec)
				}
				h.log.ErrorContext(r.Context(), "panic in handler", "request_id", middleware.GetReqID(r.Context()),
					"method", r.Method, "path", r.URL.Path, "panic", rec, "stack", string(debug.Stack()))
				if ww.Status() == 0 {
					writeProblem(ww, r, kindInternal, msgInternal, nil)
				}
			}
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				level = slog.LevelDebug
			}
			h.log.Log(r.Context(), level, "http request",
				"method", r.Method, "path", r.URL.Path, "status", status, "bytes", ww.BytesWritten(),
				"duration", time.Since(start), "request_id", middleware.GetReqID(r.Context()))
		}()
		next.ServeHTTP(ww, r)
	})
}

// authenticate requires one of the configured bearer tokens and puts the caller (its role and
// a name for the audit log) in the request's context. With none configured it lets every
// request through, with every right. Tokens are compared as SHA-256 digests in constant time, against
// every configured token, so that neither a token's content nor its length leaks through timing.
// The matched token's digest is kept in the request's context (streams are counted per token).
func (h *handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(h.tokens) == 0 {
			next.ServeHTTP(w, withCaller(r, anonymous))
			return
		}
		sum, ok := bearer(r, h.tokens)
		if !ok {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeProblem(w, r, kindUnauthorized, msgUnauthorized, nil)
			return
		}
		role := h.roles[sum] // looked up only once the token matched
		r = withCaller(r, service.Actor{Name: actorName(role, sum), Role: role})
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, sum)))
	})
}

// authenticateMetrics requires the metrics token (or an API token) when one is configured.
func (h *handler) authenticateMetrics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(h.metrics) > 0 {
			if _, ok := bearer(r, h.metrics); !ok {
				w.Header().Set("WWW-Authenticate", "Bearer")
				writeProblem(w, r, kindUnauthorized, msgUnauthorized, nil)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// tokenKey keys the digest of the request's bearer token in its context.
type tokenKey struct{}

// bearer returns the digest of r's bearer token when it is one of tokens, comparing in constant
// time against every one of them.
func bearer(r *http.Request, tokens [][sha256.Size]byte) ([sha256.Size]byte, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	match := 0
	var sum [sha256.Size]byte
	if ok && strings.EqualFold(scheme, "Bearer") && token != "" {
		sum = sha256.Sum256([]byte(token))
		for _, t := range tokens {
			match |= subtle.ConstantTimeCompare(sum[:], t[:])
		}
	}
	return sum, match == 1
}

// streamCounts counts the open event streams per token.
type streamCounts struct {
	max  int
	mu   sync.Mutex
	open map[[sha256.Size]byte]int
}

// acquire takes a place for a stream of token, or reports false when it holds max already.
func (c *streamCounts) acquire(token [sha256.Size]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[token] >= c.max {
		return false
	}
	if c.open == nil {
		c.open = map[[sha256.Size]byte]int{}
	}
	c.open[token]++
	return true
}

func (c *streamCounts) release(token [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[token]--; c.open[token] <= 0 {
		delete(c.open, token)
	}
}

// limitStreams bounds the event streams of one token (429 beyond), and refuses new streams
// once the server is shutting down (503).
func (h *handler) limitStreams(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.draining() {
			w.Header().Set("Retry-After", "1")
			writeProblem(w, r, kindUnavailable, msgShuttingDown, nil)
			return
		}
		token, _ := r.Context().Value(tokenKey{}).([sha256.Size]byte) // zero when authentication is off
		if !h.streams.acquire(token) {
			w.Header().Set("Retry-After", "5")
			writeProblem(w, r, kindTooManyStreams, service.Msg(service.MsgTooManyStreams, fmt.Sprintf("at most %d event streams may be open at once per token; close one first", h.streams.max),
				"max", strconv.Itoa(h.streams.max)), nil)
			return
		}
		defer h.streams.release(token)
		next.ServeHTTP(w, r)
	})
}

// draining reports whether the server is shutting down.
func (h *handler) draining() bool {
	select {
	case <-h.shutdown:
		return true
	default:
		return false
	}
}

// bodyState records whether a request's body was read to its end.
type bodyState struct {
	io.ReadCloser
	done atomic.Bool
}

func (b *bodyState) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.done.Store(true)
	}
	return n, err
}

type bodyKey struct{}

// trackBody notes whether the request's body gets read, so that a refusal answered before
// reading it closes the connection instead of letting the server read (and wait for) the body
// the client announced.
func trackBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		b := &bodyState{ReadCloser: r.Body}
		r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, b))
		r.Body = b
		next.ServeHTTP(w, r)
	})
}

// bodyUnread reports whether r announced a body that was not read to its end.
func bodyUnread(r *http.Request) bool {
	b, ok := r.Context().Value(bodyKey{}).(*bodyState)
	return ok && !b.done.Load()
}

// withTimeout bounds the request's context by the configured timeout.
func (h *handler) withTimeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// methodNotAllowed answers 405 with the Allow header listing the methods the path has.
func (h *handler) methodNotAllowed(mux *chi.Mux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
			if mux.Match(chi.NewRouteContext(), m, r.URL.Path) {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
		}
		writeProblem(w, r, kindMethod, service.Msg(service.MsgMethodNotAllowed, r.Method+" is not allowed here", "method", r.Method), nil)
	}
}
