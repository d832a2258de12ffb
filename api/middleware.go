package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
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
					writeProblem(ww, r, kindInternal, "an internal error occurred; quote the request id when reporting it", nil)
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

// authenticate requires one of the configured bearer tokens. With none configured it lets
// every request through. Tokens are compared as SHA-256 digests in constant time, against
// every configured token, so that neither a token's content nor its length leaks through timing.
func (h *handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(h.tokens) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		match := 0
		if ok && strings.EqualFold(scheme, "Bearer") && token != "" {
			sum := sha256.Sum256([]byte(token))
			for _, t := range h.tokens {
				match |= subtle.ConstantTimeCompare(sum[:], t[:])
			}
		}
		if match != 1 {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeProblem(w, r, kindUnauthorized, "a valid bearer token is required", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
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
		writeProblem(w, r, kindMethod, r.Method+" is not allowed here", nil)
	}
}
