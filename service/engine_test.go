package service_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// Two syncs of one customer and one of another run through the real engine. From the
// simulator's own record: the shared customer's syncs never talked to Naver at once, and the
// second fetched while the first was still processing. The first sync's sheet write is held
// until Naver sees the second sync's calls, so an engine that kept the lease through
// processing would never finish this test.
func TestSharedCustomerFetchesWhileOtherProcesses(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 5 * time.Millisecond})
			w.customer("1001", 2, 2, 3)
			w.customer("2002", 1, 2, 2)
			e := w.engine(engineOptions{fetchWorkers: 2, processWorkers: 2, leaseTTL: 5 * time.Second})
			a := w.account(e, "Acme Shoes", "1001", "sheet-a", service.LevelKeyword)
			b := w.account(e, "Acme Bags", "1001", "sheet-b", service.LevelAdgroup)
			c := w.account(e, "Blue Cafe", "2002", "sheet-c", service.LevelCampaign)

			// Hold sheet-a's writes until the second sync of customer 1001 has finished
			// fetching: only an engine that gave the lease back before processing gets there.
			var secondID atomic.Value
			secondID.Store("")
			var gateOpened atomic.Bool
			w.setSheetGate(func(r *http.Request) {
				if !strings.Contains(r.URL.Path, "sheet-a") || r.Method != http.MethodPost {
					return
				}
				deadline := time.Now().Add(60 * time.Second)
				for time.Now().Before(deadline) {
					if id := secondID.Load().(string); id != "" {
						if s, err := e.svc.GetSync(context.Background(), id); err == nil && s.Timings.LockReleasedAt != nil {
							gateOpened.Store(true)
							return
						}
					}
					time.Sleep(5 * time.Millisecond)
				}
			})
			ctx := t.Context()
			sa, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 20})
			if err != nil {
				t.Fatal(err)
			}
			sb, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: b.ID, Days: 20})
			if err != nil {
				t.Fatal(err)
			}
			secondID.Store(sb.ID)
			sc, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: c.ID, Days: 20})
			if err != nil {
				t.Fatal(err)
			}
			got := waitTerminal(t, e.svc, sa.ID, sb.ID, sc.ID)
			for id, s := range got {
				if s.Status != service.StatusSucceeded {
					t.Fatalf("sync %s: %s %+v", id, s.Status, s.Error)
				}
			}
			if !gateOpened.Load() {
				t.Fatal("the second sync of customer 1001 did not fetch while the first one was processing")
			}
			first, second := got[sa.ID], got[sb.ID]
			if second.Timings.LockAcquiredAt.Before(*first.Timings.LockAcquiredAt) {
				first, second = second, first
			}
			if !second.Timings.LockAcquiredAt.Before(*first.Timings.FinishedAt) {
				t.Errorf("second sync took the lease at %s, after the first finished at %s", second.Timings.LockAcquiredAt, first.Timings.FinishedAt)
			}
			n := checkNoOverlap(t, w.naver.Requests(), []service.Sync{got[sa.ID], got[sb.ID], got[sc.ID]})
			if n == 0 {
				t.Fatal("the simulator recorded no requests")
			}
			// Every sheet got rows, and no lease is left behind.
			for _, sheet := range []string{"sheet-a", "sheet-b", "sheet-c"} {
				if v := w.sheets.Values(sheet, "data"); len(v) < 2 {
					t.Errorf("%s: %d rows, want data", sheet, len(v))
				}
			}
			leases, err := e.svc.Leases(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(leases) != 0 {
				t.Errorf("leases still held: %+v", leases)
			}
		})
	}
}

// A fetch worker takes customer B's sync while customer A is locked by someone else, instead
// of waiting behind A.
func TestWorkerTakesOtherCustomerWhileOneIsLocked(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 1, 2)
			w.customer("2002", 1, 1, 2)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 5 * time.Second, noStart: true})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelCampaign)
			b := w.account(e, "B", "2002", "sheet-b", service.LevelCampaign)
			ctx := t.Context()
			// Another replica holds customer 1001 (it claimed A's first sync and keeps the lease).
			sa, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 3})
			if err != nil {
				t.Fatal(err)
			}
			other := storetest.Open(t, db, store.Options{Clock: w.Clock})
			held, lease, err := other.ClaimFetch(ctx, "other-replica/fetch-0", time.Hour)
			if err != nil || held == nil || held.ID != sa.ID {
				t.Fatalf("claim by the other replica: %v %+v", err, held)
			}
			// A second sync of customer 1001 queued first, then B's.
			sa2, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 5})
			if err != nil {
				t.Fatal(err)
			}
			sb, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: b.ID, Days: 3})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.svc.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = e.svc.Stop(c)
			})
			got := waitTerminal(t, e.svc, sb.ID)
			if got[sb.ID].Status != service.StatusSucceeded {
				t.Fatalf("B: %+v", got[sb.ID])
			}
			cur, err := e.svc.GetSync(ctx, sa2.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Status != service.StatusQueued || cur.Phase != service.PhaseWaitingCustomer {
				t.Errorf("A's second sync: %s/%s, want queued/waiting_customer while 1001 is held", cur.Status, cur.Phase)
			}
			// Once the other replica lets go, A's second sync runs at once.
			if err := other.ReleaseLease(ctx, lease.Lease()); err != nil {
				t.Fatal(err)
			}
			got = waitTerminal(t, e.svc, sa2.ID)
			if got[sa2.ID].Status != service.StatusSucceeded {
				t.Fatalf("A2: %+v", got[sa2.ID])
			}
		})
	}
}
