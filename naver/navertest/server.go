package navertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/naversync/naversync/naver"
)

// Options configure a [Server]. The zero value is usable.
type Options struct {
	// Now is the server's clock: it defines "today" (KST) for the served
	// window, job build times and the timestamp check; default time.Now.
	Now func() time.Time
	// BuildDelay: a job is REGIST, then RUNNING, until its creation time
	// plus BuildDelay, then BUILT (or NONE / ERROR).
	BuildDelay time.Duration
	// InstantBuild, with BuildDelay == 0, makes the create answer already
	// final (BUILT with a downloadUrl). Otherwise a create answers REGIST.
	InstantBuild bool
	// ReadyAfter is how long after midnight in Seoul yesterday's stat reports become ready;
	// before that a create for yesterday answers 20007 ("not ready yet"). Naver usually needs
	// 3–4 hours, at times until 6–10 AM. Zero: ready at midnight.
	ReadyAfter time.Duration
	// ServedDays is how far back stat reports are served; default 365. Each
	// type is served for naver.ServedDays(type, ServedDays) days (AD 365 at
	// most, SHOPPINGKEYWORD_DETAIL 180, SHOPPINGKEYWORD_CONVERSION_DETAIL
	// 45). Today, the future and older days answer 400 code 10004.
	ServedDays int
	// MaxJobs per customer, default 100. The next stat create silently
	// deletes the oldest stat job; a master create beyond it answers 400.
	MaxJobs int
	// Latency is added to every API call; DownloadLatency to every
	// download. Both honour the request's context.
	Latency         time.Duration
	DownloadLatency time.Duration
	// Logger gets one debug line per request; default discards.
	Logger *slog.Logger
	// BuildSpread adds up to this much to BuildDelay, per job (fixed by the
	// job's id), so that build times vary as Naver's do.
	BuildSpread time.Duration
	// LinkBytesPerSecond is each customer's download link: the bytes per
	// second that customer's downloads share; 0 unlimited (limits.go).
	LinkBytesPerSecond int64
	// RateLimit bounds each customer's calls per second as Naver does
	// (limits.go); the zero value sets no limit.
	RateLimit RateLimit
}

// Server simulates the Naver Search Ad API. It is safe for concurrent use.
type Server struct {
	opts Options
	now  func() time.Time
	log  *slog.Logger

	mu           sync.Mutex
	customers    map[string]*customer
	secrets      map[string]string // API key -> secret key
	statJobs     map[int64]*statJob
	masterJobs   map[string]*masterJob
	tokens       map[string]jobRef // escaped authtoken -> job
	live         map[string]*liveJobs
	faults       []*faultState
	requests     []*Request // guarded by mu, as are the fields of each
	nextStatID   int64
	nextMasterID uint64
	txSeq        uint64
	costs        *costs // rate limits and download links (limits.go)
}

// New returns a simulator with no customers.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ServedDays <= 0 {
		opts.ServedDays = 365
	}
	if opts.MaxJobs <= 0 {
		opts.MaxJobs = 100
	}
	return &Server{
		opts:         opts,
		now:          opts.Now,
		log:          opts.Logger,
		customers:    make(map[string]*customer),
		secrets:      make(map[string]string),
		statJobs:     make(map[int64]*statJob),
		masterJobs:   make(map[string]*masterJob),
		tokens:       make(map[string]jobRef),
		live:         make(map[string]*liveJobs),
		nextStatID:   1102135, // ids restarted low after Naver's 2025-10-27 migration
		nextMasterID: 0x5f3a000000000000,
		costs:        newCosts(opts),
	}
}

// Request is one request the server received.
type Request struct {
	Customer      string // X-Customer
	Method        string
	Path          string
	ReportType    string    // stat report type, or master item, when known
	StatDate      time.Time // stat report day (00:00 UTC), when known
	JobID         string    // job addressed or created, when known
	Start, End    time.Time // by Options.Now
	Status        int       // HTTP status answered
	TransactionID string
}

// Requests returns a copy of every request received so far, in arrival order. A request is
// recorded as it arrives (a create whose client hung up still counts); Status and End are
// filled in when its answer has been written (zero until then).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// call is the state of one request while it is served.
type call struct {
	w        *statusWriter
	r        *http.Request
	rec      *Request
	customer *customer
}

// ServeHTTP serves one API request.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.txSeq++
	tx := fmt.Sprintf("%016x-sim", s.txSeq)
	s.mu.Unlock()
	rw.Header()["X-Transaction-ID"] = []string{tx} // spelled as Naver does; clients that match case-sensitively (the official PHP sample) find it
	w := &statusWriter{ResponseWriter: rw}
	rec := &Request{
		Customer: r.Header.Get("X-Customer"), Method: r.Method, Path: r.URL.Path,
		Start: s.now(), TransactionID: tx,
	}
	// The handler fills in what it learns (report type, day, job id) on its own copy; the
	// record in s.requests is written under mu only.
	c := &call{w: w, r: r, rec: rec}
	stored := *rec
	s.mu.Lock()
	s.requests = append(s.requests, &stored)
	s.mu.Unlock()
	defer func() {
		rec.End = s.now()
		rec.Status = w.status
		s.mu.Lock()
		stored = *rec
		s.mu.Unlock()
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "navertest request",
			slog.String("customer_id", rec.Customer), slog.String("method", rec.Method),
			slog.String("path", rec.Path), slog.Int("status", rec.Status))
	}()
	s.serve(c)
}

func (s *Server) serve(c *call) {
	r := c.r
	// Read the (small) body first: only then does net/http notice a client
	// that hangs up, and cancel r.Context() during SlowResponse or Latency.
	body, err := io.ReadAll(http.MaxBytesReader(c.w, r.Body, 64<<10))
	if err != nil {
		writeCode(c, http.StatusBadRequest, 11001, "잘못된 파라미터 형식입니다.")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	signPath := r.URL.EscapedPath()
	if !s.authenticate(c, signPath) || s.rateLimited(c) {
		return
	}
	download := r.URL.Path == "/report-download"
	d := s.opts.Latency
	if download {
		d = s.opts.DownloadLatency
	}
	if !pause(r.Context(), d) {
		return
	}
	if s.gatewayFault(c) {
		return
	}
	path := r.URL.Path
	switch {
	case download && r.Method == http.MethodGet:
		s.download(c)
	case path == "/stat-reports":
		switch r.Method {
		case http.MethodPost:
			s.createStat(c)
		case http.MethodGet:
			s.listStat(c)
		case http.MethodDelete:
			s.deleteAllStat(c)
		default:
			methodNotAllowed(c)
		}
	case strings.HasPrefix(path, "/stat-reports/"):
		id, err := strconv.ParseInt(strings.TrimPrefix(path, "/stat-reports/"), 10, 64)
		if err != nil {
			writeCode(c, http.StatusBadRequest, 11001, "잘못된 파라미터 형식입니다.")
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.getStat(c, id)
		case http.MethodDelete:
			s.deleteStat(c, id)
		default:
			methodNotAllowed(c)
		}
	case path == "/master-reports":
		switch r.Method {
		case http.MethodPost:
			s.createMaster(c)
		case http.MethodGet:
			s.listMaster(c)
		case http.MethodDelete:
			s.deleteAllMaster(c)
		default:
			methodNotAllowed(c)
		}
	case strings.HasPrefix(path, "/master-reports/"):
		id := strings.TrimPrefix(path, "/master-reports/")
		switch r.Method {
		case http.MethodGet:
			s.getMaster(c, id)
		case http.MethodDelete:
			s.deleteMaster(c, id)
		default:
			methodNotAllowed(c)
		}
	default:
		writeCode(c, http.StatusNotFound, 404, "Not Found")
	}
}

// authenticate checks headers, key, timestamp and signature as Naver does;
// on failure it answers 403 with a problem document and returns false.
func (s *Server) authenticate(c *call, signPath string) bool {
	h := c.r.Header
	for _, name := range []string{"X-Timestamp", "X-API-KEY", "X-Customer", "X-Signature"} {
		if h.Get(name) == "" {
			writeProblem(c, "missing-header", "Missing Header", fmt.Sprintf("Header '%s' is missing.", name), "")
			return false
		}
	}
	s.mu.Lock()
	secret, keyOK := s.secrets[h.Get("X-API-KEY")]
	cust := s.customers[h.Get("X-Customer")]
	s.mu.Unlock()
	if !keyOK {
		writeProblem(c, "auth-failed", "Authentication Failed", "The API key is not registered.", "")
		return false
	}
	ts, err := strconv.ParseInt(h.Get("X-Timestamp"), 10, 64)
	if err != nil || absDuration(s.now().Sub(time.UnixMilli(ts))) > 60*time.Second {
		writeProblem(c, "invalid-timestamp", "Invalid Timestamp", "Request has expired.", "")
		return false
	}
	sig := h.Get("X-Signature")
	if want := naver.Sign(secret, ts, c.r.Method, signPath); sig != want {
		writeProblem(c, "invalid-signature", "Invalid Signature", fmt.Sprintf("Signature '%s' is invalid.", sig), sig)
		return false
	}
	if cust == nil || cust.APIKey != h.Get("X-API-KEY") {
		writeCode(c, http.StatusForbidden, 1018, "권한이 없습니다.")
		return false
	}
	c.customer = cust
	return true
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// pause waits d unless the request's context ends first; it reports
// whether the wait completed.
func pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func writeJSON(c *call, status int, v any) {
	c.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	c.w.WriteHeader(status)
	_ = json.NewEncoder(c.w).Encode(v)
}

// writeCode answers the {"code","message"} shape of the report services.
func writeCode(c *call, status, code int, msg string) {
	writeJSON(c, status, map[string]any{"code": code, "message": msg})
}

func writeProblem(c *call, kind, title, detail, signature string) {
	body := map[string]any{
		"type": "urn:naver:api:problem:" + kind, "title": title, "status": http.StatusForbidden, "detail": detail,
	}
	if signature != "" {
		body["signature"] = signature // Naver echoes it back
	}
	c.w.Header().Set("Content-Type", "application/problem+json")
	c.w.WriteHeader(http.StatusForbidden)
	_ = json.NewEncoder(c.w).Encode(body)
}

func methodNotAllowed(c *call) {
	writeCode(c, http.StatusMethodNotAllowed, 405, "Method Not Allowed")
}

// checkJSONBody enforces exactly one Content-Type: application/json header
// and decodes the body into v (at most 64 KiB).
func checkJSONBody(c *call, v any) bool {
	cts := c.r.Header.Values("Content-Type")
	if len(cts) != 1 || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(cts[0])), "application/json") {
		writeCode(c, http.StatusBadRequest, 11001, "잘못된 파라미터 형식입니다. (Content-Type)")
		return false
	}
	if err := json.NewDecoder(c.r.Body).Decode(v); err != nil {
		writeCode(c, http.StatusBadRequest, 11001, "잘못된 파라미터 형식입니다.")
		return false
	}
	return true
}

// baseURL is the scheme and host the request came to, for downloadUrls.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
