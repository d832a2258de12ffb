package service_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// waitCounter counts the engine's "no room among the customer's Naver report jobs" waits.
type waitCounter struct{ n atomic.Int64 }

func (c *waitCounter) hook(msg string) {
	if strings.HasPrefix(msg, "no room among") {
		c.n.Add(1)
	}
}

// A wait for room among the customer's Naver jobs is its own state and uses up no attempt: a
// sync that waited more often than MaxAttempts and then meets one transient failure (a 503
// that outlasts the client's own retries) is retried and succeeds. (Before: every wait was a
// claim that counted as an attempt, and the 503 failed the sync for good.)
func TestWaitingForRoomUsesNoAttempt(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 2 * time.Millisecond})
			w.customer("2002", 1, 1, 1)
			w.naver.AddForeignJobs("2002", 95)
			var waits waitCounter
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, ProcessWorkers: 1, MaxAttempts: 2,
				NaverJobsRetry: 20 * time.Millisecond, NaverJobsMaxWait: time.Hour, LogHook: waits.hook})
			sy := enqueueEngine(t, e, w.Account(e, "Waits", "2002", "sheet-waits", service.LevelCampaign).ID, service.SyncRequest{Days: 5})
			waitUntil(t, func() bool { return waits.n.Load() >= 4 })
			// Every call of the next claim meets Naver's maintenance: the client's 5 tries of
			// its first call all get 503, so the sync-level retry decides.
			w.naver.SetFault(navertest.Fault{Customer: "2002", Kind: navertest.Maintenance503, Count: 5})
			w.naver.DeleteForeignJobs("2002", 30)
			got := waitTerminal(t, e.Service, sy.ID)[sy.ID]
			if got.Status != service.StatusSucceeded {
				t.Fatalf("after %d waits and one 503: %s %+v (attempts %d)", waits.n.Load(), got.Status, got.Error, got.Attempts)
			}
			if got.Attempts > 2 {
				t.Errorf("attempts = %d after %d waits, want the waits not counted (at most 2)", got.Attempts, waits.n.Load())
			}
			if own, foreign := w.naver.Evicted("2002"); own != 0 || foreign != 0 {
				t.Errorf("Naver's cap deleted %d of our jobs and %d of other tools'", own, foreign)
			}
		})
	}
}

// The maximum wait for room counts from the start of the current wait, not from the first
// wait of the sync: a sync that waited 40 minutes, then got room and fetched, then met a full
// customer again and waited another 30 minutes (70 since its first wait, with a maximum of an
// hour) is still waiting, and succeeds once room is freed. (Before: waiting_since was kept from
// the first wait and the sync failed "other tools hold ...".)
func TestSecondWaitForRoomCountsFromItsOwnStart(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 2 * time.Millisecond})
			w.customer("2002", 1, 1, 1)
			w.naver.AddForeignJobs("2002", 95)
			var waits waitCounter
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, ProcessWorkers: 1, ReportWindow: 2,
				NaverJobsRetry: 300 * time.Millisecond, NaverJobsMaxWait: time.Hour, LogHook: waits.hook})
			sy := enqueueEngine(t, e, w.Account(e, "Waits", "2002", "sheet-waits", service.LevelCampaign).ID, service.SyncRequest{Days: 10})
			// The clock jumps only while the sync waits with no lease (never under a live claim).
			waiting := func() bool {
				s, err := e.Service.GetSync(t.Context(), sy.ID)
				leases, lerr := e.Service.Leases(t.Context())
				return err == nil && lerr == nil && s.Status == service.StatusQueued && s.Phase == service.PhaseWaitingNaverJobs && !holds(leases, "2002")
			}
			waitUntil(t, func() bool { return waits.n.Load() >= 1 && waiting() })
			w.Clock.Advance(40 * time.Minute)
			// Room comes; once the sync has created a few jobs, the other tool fills it again
			// (93 of theirs and at most 2 of ours: nothing is evicted).
			var creates atomic.Int64
			w.setNaverHook(func(r *http.Request) {
				if r.Method == http.MethodPost && r.URL.Path == "/stat-reports" && creates.Add(1) == 3 {
					w.naver.AddForeignJobs("2002", 28)
				}
			})
			before := waits.n.Load()
			w.naver.DeleteForeignJobs("2002", 30)
			waitUntil(t, func() bool { return waits.n.Load() > before && waiting() })
			if creates.Load() < 3 {
				t.Fatalf("the sync waited again after %d creates: it never got room in between", creates.Load())
			}
			w.Clock.Advance(30 * time.Minute)
			// It goes on waiting after the jump: a wait that ended with the jump behind it.
			again := waits.n.Load()
			waitUntil(t, func() bool {
				s, err := e.Service.GetSync(t.Context(), sy.ID)
				return waits.n.Load() > again+1 && waiting() || err == nil && s.Status == service.StatusFailed
			})
			if s, err := e.Service.GetSync(t.Context(), sy.ID); err != nil || s.Status != service.StatusQueued || s.Phase != service.PhaseWaitingNaverJobs {
				t.Fatalf("30 minutes into its second wait (70 since the first): %s/%s %+v (%v), want still waiting", s.Status, s.Phase, s.Error, err)
			}
			w.naver.DeleteForeignJobs("2002", 30)
			got := waitTerminal(t, e.Service, sy.ID)[sy.ID]
			if got.Status != service.StatusSucceeded {
				t.Fatalf("after room was freed: %s %+v", got.Status, got.Error)
			}
			if own, foreign := w.naver.Evicted("2002"); own != 0 || foreign != 0 {
				t.Errorf("Naver's cap deleted %d of our jobs and %d of other tools'", own, foreign)
			}
		})
	}
}
