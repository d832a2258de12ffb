package service_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// Google fails while the sync writes: quota answers and 500s pass (the sync succeeds, the
// processing retries never go back to Naver); a spreadsheet unshared or deleted mid-run fails
// the sync with an error that says what to do, its downloaded files are kept, and RetrySync
// writes the table once the sheet is back without a single new Naver request.
func TestFaultGoogle(t *testing.T) {
	type tc struct {
		name string
		// strike runs once, on the first Sheets request of the run.
		strike func(s *sheetstest.Server)
		// wantKind is the failed sync's error kind; "" means the sync must succeed.
		wantKind service.ErrorKind
		wantText string // part of the failed sync's message
		// heal puts the sheet back before RetrySync.
		heal func(s *sheetstest.Server)
	}
	cases := []tc{
		{name: "quota burst", strike: func(s *sheetstest.Server) { s.InjectErrors(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", 4) }},
		{name: "500s", strike: func(s *sheetstest.Server) { s.InjectErrors(http.StatusInternalServerError, "INTERNAL", 4) }},
		{name: "503s", strike: func(s *sheetstest.Server) { s.InjectErrors(http.StatusServiceUnavailable, "UNAVAILABLE", 3) }},
		{
			// Processing retries are bounded too (by MaxAttempts processing claims).
			name:     "500s that never end",
			strike:   func(s *sheetstest.Server) { s.InjectErrors(http.StatusInternalServerError, "INTERNAL", 10000) },
			wantKind: "sheet", wantText: "500",
			heal: func(s *sheetstest.Server) { s.ClearErrors() },
		},
		{
			name:     "unshared mid-run",
			strike:   func(s *sheetstest.Server) { s.Unshare("sheet-g", sheetstest.DefaultCaller) },
			wantKind: "not_shared", wantText: "share the spreadsheet with",
			heal: func(s *sheetstest.Server) { s.Share("sheet-g", sheetstest.DefaultCaller) },
		},
		{
			name:     "deleted mid-run",
			strike:   func(s *sheetstest.Server) { s.DeleteSpreadsheet("sheet-g") },
			wantKind: "spreadsheet_not_found", wantText: "spreadsheet not found",
			heal: func(s *sheetstest.Server) { s.CreateSpreadsheet("sheet-g", sheetstest.DefaultCaller) },
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, db := range storetest.Databases(t) {
				t.Run(db.Name, func(t *testing.T) {
					w := newWorld(t, db, worldOptions{})
					w.customer("4004", 2, 2, 2)
					ttl := 3 * time.Second
					e := w.relEngine(relOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: ttl, maxAttempts: 4})
					a := w.account(e, "Sheet trouble", "4004", "sheet-g", service.LevelKeyword)
					var once sync.Once
					var atWrite atomic.Int64
					atWrite.Store(-1)
					w.setSheetGate(func(*http.Request) {
						once.Do(func() {
							atWrite.Store(int64(len(w.naver.Requests())))
							c.strike(w.sheets)
						})
					})
					s := enqueue(t, e, a.ID, 5)
					got := waitTerminal(t, e.svc, s.ID)[s.ID]
					naverAtWrite := int(atWrite.Load())
					if naverAtWrite <= 0 {
						t.Fatalf("the sync never reached the sheet (naver requests before the write: %d)", naverAtWrite)
					}
					if n := len(w.naver.Requests()); n != naverAtWrite {
						t.Errorf("Naver got %d requests after the first sheet write began (processing retries must not fetch again)", n-naverAtWrite)
					}
					if c.wantKind == "" {
						if got.Status != service.StatusSucceeded {
							t.Fatalf("sync ended %s %+v, want succeeded once Google recovered", got.Status, got.Error)
						}
						checkSheetMatchesNaver(t, w, "sheet-g", "4004", got.From, got.To)
						checkNoLeaseHeld(t, w, e, ttl)
						return
					}
					if got.Status != service.StatusFailed || got.Error == nil || got.Error.Kind != c.wantKind || !strings.Contains(got.Error.Message, c.wantText) {
						t.Fatalf("sync ended %s %+v, want failed, kind %s, message naming %q", got.Status, got.Error, c.wantKind, c.wantText)
					}
					t.Logf("failed clearly: %s", got.Error.Message)
					if got.Progress.ReportsFetched != got.Progress.ReportsTotal || got.Progress.ReportsTotal == 0 {
						t.Errorf("progress %+v: the failed sync should have fetched everything", got.Progress)
					}
					c.heal(w.sheets)
					before := len(w.naver.Requests())
					r, err := e.svc.RetrySync(t.Context(), got.ID, "")
					if err != nil {
						t.Fatal(err)
					}
					if r.RetryOf != got.ID || r.Trigger != service.TriggerRetry {
						t.Errorf("retry %+v: want retry_of %s and trigger retry", r, got.ID)
					}
					rgot := waitTerminal(t, e.svc, r.ID)[r.ID]
					if rgot.Status != service.StatusSucceeded {
						t.Fatalf("retry ended %s %+v", rgot.Status, rgot.Error)
					}
					if after := len(w.naver.Requests()); after != before {
						for _, q := range w.naver.Requests()[before:] {
							t.Logf("new Naver request: %s %s %s", q.Method, q.Path, q.ReportType)
						}
						t.Errorf("the retry sent %d requests to Naver, want 0: the failed sync's files must be reused", after-before)
					}
					checkSheetMatchesNaver(t, w, "sheet-g", "4004", rgot.From, rgot.To)
					checkNoLeaseHeld(t, w, e, ttl)
				})
			}
		})
	}
}
