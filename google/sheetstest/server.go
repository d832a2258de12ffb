package sheetstest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
)

// DefaultCaller is the identity of requests that carry neither a token nor the
// X-Sheetstest-Caller header.
const DefaultCaller = "naversync@stand-in.iam.gserviceaccount.com"

// CallerHeader names the header a test may set to choose the caller's e-mail
// when the client sends no bearer token (option.WithoutAuthentication).
const CallerHeader = "X-Sheetstest-Caller"

// DefaultMaxRequestBytes is Google's payload limit for one request.
const DefaultMaxRequestBytes = 10 << 20

// Options configures a Server. The zero value works.
type Options struct {
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
	// MaxRequestBytes is the largest accepted request body; default
	// DefaultMaxRequestBytes (10485760), as Google.
	MaxRequestBytes int
	// Caller is the e-mail assumed for requests without a token or
	// CallerHeader; default DefaultCaller.
	Caller string
	// Quota is Google's per-minute request quota, per caller and per project; the zero value
	// enforces none (see Quota). Server.QuotaUsage reports what was sent either way.
	Quota Quota
}

// Server is the stand-in Sheets API. It is an http.Handler serving
// /v4/spreadsheets/... and POST /token, and is safe for concurrent use.
type Server struct {
	log      *slog.Logger
	maxBytes int
	caller   string
	mux      *http.ServeMux

	mu         sync.Mutex
	books      map[string]*spreadsheet
	tokens     map[string]string // access token -> e-mail
	inject     []injected
	faults     map[string][]*pendingFault // spreadsheet id -> scheduled batchUpdate faults
	tracks     map[trackKey]*tracked      // tabs whose history is recorded
	requests   int
	batchCalls int
	// sentRaw and sentWire count the API answers' bodies, before and after
	// gzip.
	sentRaw, sentWire int64
	tokenSerial       int
	quota             *quotaState
}

type injected struct {
	code   int
	status string
}

// NewServer returns an empty stand-in; add spreadsheets with CreateSpreadsheet.
func NewServer(opts Options) *Server {
	s := &Server{
		log:      opts.Logger,
		maxBytes: opts.MaxRequestBytes,
		caller:   opts.Caller,
		books:    map[string]*spreadsheet{},
		tokens:   map[string]string{},
		quota:    newQuotaState(opts.Quota),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultMaxRequestBytes
	}
	if s.caller == "" {
		s.caller = DefaultCaller
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /token", s.handleToken)
	s.mux.HandleFunc("GET /v4/spreadsheets/{id}", s.api(s.handleGet))
	s.mux.HandleFunc("POST /v4/spreadsheets/{idverb}", s.api(s.handleBatchUpdate))
	s.mux.HandleFunc("GET /v4/spreadsheets/{id}/values/{range}", s.api(s.handleValuesGet))
	s.mux.HandleFunc("GET /v4/spreadsheets/{id}/values:batchGet", s.api(s.handleValuesBatchGet))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Method not found: %s %s", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.log.Debug("sheetstest request", "method", r.Method, "path", r.URL.EscapedPath())
	s.mux.ServeHTTP(w, r)
}

// apiHandler handles an authorised API request for one spreadsheet; it runs
// with s.mu held and returns the status and body to send.
type apiHandler func(r *http.Request, book *spreadsheet, body []byte) (int, any)

// api wraps h with counting, error injection, the payload limit, caller
// identity and the spreadsheet's sharing check.
func (s *Server) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, tooBig, err := readBody(r, s.maxBytes)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests++
		id := r.PathValue("id")
		isBatch := id == ""
		handle := h
		if isBatch {
			var verb string
			id, verb, _ = strings.Cut(r.PathValue("idverb"), ":")
			switch verb {
			case "batchUpdate":
				s.batchCalls++
			case "getByDataFilter": // a read, served by handleGetByDataFilter
				isBatch = false
				handle = s.handleGetByDataFilter
			default:
				writeError(w, http.StatusNotFound, "NOT_FOUND", "Method not found.")
				return
			}
		}
		if len(s.inject) > 0 {
			e := s.inject[0]
			s.inject = s.inject[1:]
			writeError(w, e.code, e.status, injectedMessage(e))
			return
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Could not read request body.")
			return
		}
		if tooBig {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT",
				fmt.Sprintf("Request payload size exceeds the limit: %d bytes.", s.maxBytes))
			return
		}
		who, ok := s.identify(r)
		if !ok {
			writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED",
				"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
			return
		}
		who = strings.ToLower(who)
		if d := s.quota.admit(who, requestKind(r)); d != nil {
			writeQuotaError(w, d)
			return
		}
		book := s.books[id]
		if book == nil {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.")
			return
		}
		if !book.shared[who] && (isBatch || !book.readers[who]) {
			writeError(w, http.StatusForbidden, "PERMISSION_DENIED", "The caller does not have permission")
			return
		}
		var fault *BatchFault
		if isBatch {
			fault = s.batchFault(id)
		}
		if fault != nil && !fault.AfterCommit {
			injectedBatchError(w, fault)
			return
		}
		code, out := handle(r, book, body)
		if ae, isErr := out.(apiError); isErr {
			writeError(w, code, ae.status, ae.message)
			return
		}
		if fault != nil {
			injectedBatchError(w, fault) // applied, but the answer says otherwise
			return
		}
		raw, wire := writeAnswer(w, r, code, out)
		s.sentRaw += raw
		s.sentWire += wire
	}
}

// acceptsGzip reports whether Google would gzip its answer to r: the
// request accepts it and its User-Agent contains "gzip", as Google's
// performance guide requires.
func acceptsGzip(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") && strings.Contains(r.Header.Get("User-Agent"), "gzip")
}

// writeAnswer writes an API answer, gzipped when the request asks for it
// as Google requires; it returns the body's size before and after gzip.
func writeAnswer(w http.ResponseWriter, r *http.Request, code int, v any) (raw, wire int64) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "INTERNAL", err.Error())
		return 0, 0
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Vary", "Origin, X-Origin, Referer")
	if !acceptsGzip(r) {
		w.WriteHeader(code)
		_, _ = w.Write(body)
		return int64(len(body)), int64(len(body))
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(body)
	_ = zw.Close()
	w.Header().Set("Content-Encoding", "gzip")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
	return int64(len(body)), int64(buf.Len())
}

// ResponseBytes is the size of the API answers sent so far (errors
// excepted), before (raw) and after gzip (wire).
func (s *Server) ResponseBytes() (raw, wire int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentRaw, s.sentWire
}

func injectedMessage(e injected) string {
	switch {
	case e.code == http.StatusTooManyRequests:
		return "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:0'."
	case e.code >= 500:
		return "The service is currently unavailable."
	default:
		return "Injected error."
	}
}

// identify returns the caller's e-mail; false for an unknown bearer token.
func (s *Server) identify(r *http.Request) (string, bool) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return "", false
		}
		email, ok := s.tokens[tok]
		return email, ok
	}
	if h := r.Header.Get(CallerHeader); h != "" {
		return h, true
	}
	return s.caller, true
}

func readBody(r *http.Request, limit int) (body []byte, tooBig bool, err error) {
	if r.Body == nil {
		return nil, false, nil
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return nil, false, err
	}
	return body, len(body) > limit, nil
}

// apiError is a Google error returned by an apiHandler.
type apiError struct {
	status, message string
}

func badRequest(format string, args ...any) (int, any) {
	return http.StatusBadRequest, apiError{"INVALID_ARGUMENT", fmt.Sprintf(format, args...)}
}

// writeError writes Google's error body.
func writeError(w http.ResponseWriter, code int, status, message string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{
		"code": code, "message": message, "status": status,
	}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
