package bench

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
)

// Request kinds as Google's Sheets quotas count them.
type sheetKind int

const (
	sheetRead sheetKind = iota
	sheetWrite
	sheetOther // the token endpoint and anything outside the API
)

// sheetRequest is one request the Sheets stand-in answered, as the bench saw it.
type sheetRequest struct {
	at       time.Time
	identity string
	kind     sheetKind
	status   int
	// sent is the request's body, received the answer's as on the wire (gzipped when asked).
	sent, received int64
	// tab is the tab the engine's writer was working on when the request came (tabWriter); ""
	// when no writer says.
	tab string
}

// sheetLog records every Sheets request of a scenario with its caller, kind, answer and size,
// from outside the stand-in (black-box: what Google would have seen).
type sheetLog struct {
	mu   sync.Mutex
	reqs []sheetRequest
	tab  string // the tab the writer works on now (setTab)
}

// setTab says which tab the requests from now on are for.
func (l *sheetLog) setTab(tab string) {
	l.mu.Lock()
	l.tab = tab
	l.mu.Unlock()
}

// currentTab is the tab set last.
func (l *sheetLog) currentTab() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tab
}

// classifySheet tells a read from a write by Google's quota rules: reads are GET spreadsheets,
// values.get, values.batchGet and POST spreadsheets:getByDataFilter (and values:batchGetByDataFilter);
// writes are batchUpdate and the values writes.
func classifySheet(r *http.Request) sheetKind {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/v4/spreadsheets") {
		return sheetOther
	}
	if r.Method == http.MethodGet {
		return sheetRead
	}
	if strings.Contains(p, "ByDataFilter") {
		return sheetRead
	}
	return sheetWrite
}

// callerOf is the identity a request speaks for: the stand-in's caller header, which the fleet's
// writers set, else the stand-in's default caller.
func callerOf(r *http.Request) string {
	if c := r.Header.Get(sheetstest.CallerHeader); c != "" {
		return strings.ToLower(c)
	}
	return sheetstest.DefaultCaller
}

func (l *sheetLog) add(q sheetRequest) {
	l.mu.Lock()
	l.reqs = append(l.reqs, q)
	l.mu.Unlock()
}

// between returns the requests answered at or after from and before to.
func (l *sheetLog) between(from, to time.Time) []sheetRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []sheetRequest
	for _, q := range l.reqs {
		if !q.at.Before(from) && q.at.Before(to) {
			out = append(out, q)
		}
	}
	return out
}

// statusRecorder keeps the status a handler answered and counts the body bytes it wrote.
type statusRecorder struct {
	http.ResponseWriter
	status  int
	written int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.written += int64(n)
	return n, err
}

// countingBody counts the bytes read from a request body.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// callerTransport sends every request as one identity (the stand-in's caller header), as a
// service-account key's token would.
type callerTransport struct {
	email string
	base  http.RoundTripper
}

func (t callerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(sheetstest.CallerHeader, t.email)
	return t.base.RoundTrip(r)
}

// projectOf is a caller's Google Cloud project: the part of a service account's e-mail between
// "@" and ".iam.gserviceaccount.com"; "default" for any other caller (the stand-in's rule).
func projectOf(email string) string {
	_, dom, ok := strings.Cut(email, "@")
	if p, found := strings.CutSuffix(dom, ".iam.gserviceaccount.com"); ok && found && p != "" {
		return p
	}
	return "default"
}

// QuotaUse is one identity's (or one project's) use of the Sheets API in a phase.
type QuotaUse struct {
	// Name is the identity's e-mail or the project's id.
	Name string
	// Reads and Writes are the requests Google accepted; ReadsLimited and WritesLimited those
	// it answered 429.
	Reads, Writes, ReadsLimited, WritesLimited int
	// MaxReads and MaxWrites are the most requests sent (accepted or not, as they reached the
	// stand-in) in any window of the quota's length (a minute unless scaled down).
	MaxReads, MaxWrites int
}

// maxInWindow is the most times in any half-open window [t, t+w).
func maxInWindow(ts []time.Time, w time.Duration) int {
	s := slices.Clone(ts)
	slices.SortFunc(s, func(a, b time.Time) int { return a.Compare(b) })
	best, j := 0, 0
	for i := range s {
		for s[i].Sub(s[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// quotaUse sums requests per key (identity or project).
func quotaUse(reqs []sheetRequest, window time.Duration, key func(string) string) []QuotaUse {
	type acc struct {
		u             QuotaUse
		reads, writes []time.Time
	}
	byKey := map[string]*acc{}
	var order []string
	for _, q := range reqs {
		if q.kind == sheetOther {
			continue
		}
		k := key(q.identity)
		a := byKey[k]
		if a == nil {
			a = &acc{u: QuotaUse{Name: k}}
			byKey[k] = a
			order = append(order, k)
		}
		limited := q.status == http.StatusTooManyRequests
		if q.kind == sheetRead {
			a.reads = append(a.reads, q.at)
		} else {
			a.writes = append(a.writes, q.at)
		}
		switch {
		case q.kind == sheetRead && limited:
			a.u.ReadsLimited++
		case q.kind == sheetRead:
			a.u.Reads++
		case limited:
			a.u.WritesLimited++
		default:
			a.u.Writes++
		}
	}
	slices.Sort(order)
	out := make([]QuotaUse, 0, len(order))
	for _, k := range order {
		a := byKey[k]
		a.u.MaxReads, a.u.MaxWrites = maxInWindow(a.reads, window), maxInWindow(a.writes, window)
		out = append(out, a.u)
	}
	return out
}

// tabWriter is the engine's Sheets writer, every call passed through, telling log which tab
// the calls with a tab are for, so that the requests at the stand-in's door can be counted per
// tab (the engine writes one spreadsheet's tabs one after the other).
type tabWriter struct {
	service.SheetWriter
	log *sheetLog
}

func (w tabWriter) WriteTableFrom(ctx context.Context, spreadsheetID, tab string, prev *google.Layout, t google.Table, st google.Status) (google.WriteResult, error) {
	w.log.setTab(tab)
	return w.SheetWriter.WriteTableFrom(ctx, spreadsheetID, tab, prev, t, st)
}

func (w tabWriter) CheckAccess(ctx context.Context, spreadsheetID string, tabs ...string) (google.Access, error) {
	if len(tabs) > 0 {
		w.log.setTab(tabs[0])
	}
	return w.SheetWriter.CheckAccess(ctx, spreadsheetID, tabs...)
}

func (w tabWriter) TabHoldsForeignData(ctx context.Context, spreadsheetID, tab string) (google.TabContent, error) {
	w.log.setTab(tab)
	return w.SheetWriter.TabHoldsForeignData(ctx, spreadsheetID, tab)
}

// SheetUse is the Sheets API's use by some syncs, for one tab or in all.
type SheetUse struct {
	// Tab is the tab's title ("" in all).
	Tab string
	// Requests are the requests the stand-in answered (reads and writes); Sent their body
	// bytes, Received the answers' bytes as on the wire.
	Requests       int
	Sent, Received int64
	// Rows and Cells are the tab's size in the spreadsheet after the syncs (in all: the
	// spreadsheet's cells, against Google's limit), where the scenario looks (TabsYear).
	Rows  int
	Cells int64
}

// sheetUse sums requests per tab, in the order of tabs, and in all (the last); a request for
// no tab of tabs counts in all only.
func sheetUse(reqs []sheetRequest, tabs []string) []SheetUse {
	out := make([]SheetUse, len(tabs)+1)
	for i, t := range tabs {
		out[i].Tab = t
	}
	add := func(u *SheetUse, q sheetRequest) {
		u.Requests++
		u.Sent += q.sent
		u.Received += q.received
	}
	for _, q := range reqs {
		if q.kind == sheetOther {
			continue
		}
		add(&out[len(tabs)], q)
		if i := slices.Index(tabs, q.tab); i >= 0 {
			add(&out[i], q)
		}
	}
	return out
}
