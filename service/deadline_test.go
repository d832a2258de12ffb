package service_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// No Naver call of a customer leaves after its holder's deadline, whatever context it runs on
// and wherever it waits: the database is cut off (renewals hang) while the customer's calls are
// held by the rate limiter's pause (a burst of 429s) and a master job's poll hangs at Naver.
// When the deadline comes, the master job's delete (which outlives the fetch's context) and the
// calls waiting for the pause are refused where they would be sent. The simulator's record
// shows no request that started after the deadline (at the latest the lease's expiry in the
// database less the margin). (Before: the master job's delete ran on a context detached from
// the holder, waited out the pause and went out after the lease had expired.)
func TestNoNaverCallAfterTheHoldersDeadline(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 30 * time.Millisecond})
			w.customer("1001", 1, 1, 1)
			cut := newDBCutter(t, db)
			stopped := make(chan struct{})
			var once sync.Once
			ttl := 4 * time.Second
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, ProcessWorkers: 1, LeaseTTL: ttl, DatabaseURL: cut.url,
				RateLimitPause: 10 * time.Second,
				LogHook: func(msg string) {
					if strings.HasPrefix(msg, "claim lost") {
						once.Do(func() { close(stopped) })
					}
				}})
			// Master jobs' polls and deletes hang at Naver (until the client hangs up).
			w.naver.SetFault(navertest.Fault{Customer: "1001", Kind: navertest.SlowResponse, Delay: time.Minute, Path: "/master-reports/"})
			a := w.Account(e, "A", "1001", "sheet-a", service.LevelCampaign)
			sy := enqueueEngine(t, e, a.ID, service.SyncRequest{Days: 300, Full: true})
			waitUntil(t, func() bool {
				s, err := e.Service.GetSync(t.Context(), sy.ID)
				return err == nil && s.Status == service.StatusFetching && s.Progress.ReportsFetched >= 10 && hanging(w.naver.Requests(), "/master-reports/")
			})
			// A burst of 429s pauses the customer's calls for 10 s, longer than the lease.
			w.naver.SetFault(navertest.Fault{Customer: "1001", Kind: navertest.RateLimit429, Count: 5})
			waitUntil(t, func() bool {
				n := 0
				for _, r := range w.naver.Requests() {
					if r.Status == http.StatusTooManyRequests {
						n++
					}
				}
				return n >= 5
			})
			cut.cut()
			select {
			case <-stopped:
			case <-time.After(time.Minute):
				t.Fatal("the holder did not stop while its database was cut off")
			}
			reqs := w.naver.Requests()
			deadline := leaseExpiry(t, db, "1001").Add(-ttl / 5) // the holder's deadline is no later
			late := 0
			for _, r := range reqs {
				if r.Customer == "1001" && r.Start.After(deadline) {
					late++
					t.Errorf("%s %s sent at %s, %s after the holder's deadline (%s at the latest)", r.Method, r.Path, r.Start, r.Start.Sub(deadline).Round(time.Millisecond), deadline)
				}
			}
			t.Logf("%d requests, %d after the holder's deadline", len(reqs), late)
			w.naver.ClearFaults()
			cut.restore()
			if got := waitTerminal(t, e.Service, sy.ID)[sy.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("after the database came back: %s %+v", got.Status, got.Error)
			}
		})
	}
}

// hanging reports whether a request to a path under prefix is still open at the simulator.
func hanging(reqs []navertest.Request, prefix string) bool {
	for _, r := range reqs {
		if strings.HasPrefix(r.Path, prefix) && r.End.IsZero() {
			return true
		}
	}
	return false
}

// A holder that lost its lease does not free the customer while a Naver call it had in flight
// may still be running at Naver. The database hangs (renewals with it) while a call is held at
// Naver (the server goes on with it though the client hangs up); the holder's deadline passes;
// the database answers again at once, so the holder could give the lease back; it does not:
// right after it wrote its outcome, the lease is still live, to expire by itself. (Before: the
// lease was given back at once, so another worker could start on the customer while Naver was
// still working on the old holder's call.)
func TestLostLeaseIsNotFreedWhileACallIsInFlight(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 30 * time.Millisecond})
			w.customer("1001", 1, 1, 1)
			cut := newDBCutter(t, db)
			var restore sync.Once
			ttl := 6 * time.Second
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, ProcessWorkers: 1, LeaseTTL: ttl, DatabaseURL: cut.url,
				LogHook: func(msg string) {
					if strings.HasPrefix(msg, "claim could lapse") || strings.HasPrefix(msg, "renew claim failed") {
						restore.Do(cut.restore) // the database answers again as the deadline passes
					}
				}})
			a := w.Account(e, "A", "1001", "sheet-a", service.LevelCampaign)
			sy := enqueueEngine(t, e, a.ID, service.SyncRequest{Days: 300, Full: true})
			waitUntil(t, func() bool {
				s, err := e.Service.GetSync(t.Context(), sy.ID)
				return err == nil && s.Status == service.StatusFetching && s.Progress.ReportsFetched >= 10
			})
			// Naver holds every new request of the customer (hung up or not) until let go.
			let := make(chan struct{})
			var held atomic.Int64
			w.setNaverHook(func(r *http.Request) {
				if r.Header.Get("X-Customer") == "1001" {
					held.Add(1)
					<-let
				}
			})
			defer close(let)
			waitUntil(t, func() bool { return held.Load() > 0 })
			cut.cut()
			waitUntil(t, func() bool {
				s, err := e.Service.GetSync(t.Context(), sy.ID)
				return err == nil && s.Status != service.StatusFetching
			})
			leases, err := e.Service.Leases(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !holds(leases, "1001") {
				t.Fatalf("the customer was freed while Naver still worked on %d held calls of the holder that lost it", held.Load())
			}
		})
	}
}
