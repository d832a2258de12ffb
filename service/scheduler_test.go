package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// Two replicas on one database (each runs its scheduler from Start to Stop) both fire the 06:00 (Asia/Seoul) refresh: each active account
// gets exactly one scheduled sync; an opted-out account none; an account with its own time
// gets its sync at that time; a restart after the hour does not run the refresh again, and a
// day on which no replica was up at the hour is caught up at start.
func TestRefreshOncePerAccountAcrossReplicas(t *testing.T) {
	kst := time.FixedZone("KST", 9*3600)
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			// The accounts are made at 05:50 in Seoul on 2026-11-27 (20:50 UTC on the 26th);
			// then the clock moves to 05:59:55 and the engines start, so the 06:00 refresh fires
			// in five seconds.
			w := newWorld(t, db, worldOptions{start: time.Date(2026, 11, 27, 5, 50, 0, 0, kst)})
			w.customer("1001", 1, 1, 1)
			w.customer("2002", 1, 1, 1)
			done := make(chan string, 64)
			hook := func(replica string) func(string) {
				return func(msg string) {
					if msg == "refresh run" {
						select {
						case done <- replica:
						default:
						}
					}
				}
			}
			sched := &service.SchedulerConfig{PendingRetry: "-"}
			e1 := w.engine(engineOptions{replica: "r1", fetchWorkers: 1, processWorkers: 1, noStart: true, logHook: hook("r1"), scheduler: sched})
			e2 := w.engine(engineOptions{replica: "r2", fetchWorkers: 1, processWorkers: 1, noStart: true, logHook: hook("r2"), scheduler: sched})
			a1 := w.account(e1, "A1", "1001", "s1", service.LevelCampaign)
			a2 := w.account(e1, "A2", "1001", "s2", service.LevelCampaign)
			a3 := w.account(e1, "A3", "2002", "s3", service.LevelCampaign)
			off := w.account(e1, "Off", "2002", "s4", service.LevelCampaign)
			own := w.account(e1, "Own", "2002", "s5", service.LevelCampaign)
			ctx := t.Context()
			if _, err := e1.svc.UpdateAccount(ctx, off.ID, service.AccountPatch{RefreshEnabled: ptr(false)}); err != nil {
				t.Fatal(err)
			}
			if _, err := e1.svc.UpdateAccount(ctx, own.ID, service.AccountPatch{RefreshTime: ptr("07:30")}); err != nil {
				t.Fatal(err)
			}
			// The scheduler runs with the engine (Start to Stop). What the scheduled syncs do is
			// not this test's matter: Naver keeps their calls waiting until the engine stops.
			w.naver.SetFault(navertest.Fault{Kind: navertest.SlowResponse, Delay: time.Hour})
			stop := func(e *engine) error {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				return e.svc.Stop(ctx)
			}
			start := func(e *engine) {
				t.Helper()
				if err := e.svc.Start(ctx); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = stop(e) })
			}
			advanceTo(w, time.Date(2026, 11, 27, 5, 59, 55, 0, kst))
			start(e1)
			start(e2)
			st, err := e1.svc.SchedulerStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sixAM := time.Date(2026, 11, 27, 6, 0, 0, 0, kst)
			if len(st.NextRuns) == 0 || !st.NextRuns[0].Equal(sixAM) {
				t.Fatalf("next runs %v, want first at %s (06:00 in Seoul)", st.NextRuns, sixAM.UTC())
			}
			waitFor(t, done, "r1", "r2") // both replicas fire at 06:00
			if got := scheduledAccounts(t, e1.store, "2026-11-27"); !sameSet(got, a1.ID, a2.ID, a3.ID) {
				t.Fatalf("scheduled syncs for %v, want exactly one each for A1, A2, A3", got)
			}
			syncs, _, err := e1.store.ListSyncs(ctx, store.SyncFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range syncs {
				if s.To != "2026-11-26" || s.Trigger != service.TriggerScheduled {
					t.Errorf("sync %s: to %s trigger %s, want yesterday in Seoul (2026-11-26), scheduled", s.ID, s.To, s.Trigger)
				}
				if s.CreatedAt.Before(sixAM) {
					t.Errorf("sync %s queued at %s, before the hour", s.ID, s.CreatedAt)
				}
			}
			// The account with its own time is refreshed at 07:30, not before.
			if got := scheduledAccounts(t, e1.store, "2026-11-27"); sameSet(got, a1.ID, a2.ID, a3.ID, own.ID) {
				t.Fatal("the account with its own time 07:30 was refreshed at 06:00")
			}
			_ = stop(e2)
			if err := stop(e1); err != nil {
				t.Fatal(err)
			}
			advanceTo(w, time.Date(2026, 11, 27, 7, 29, 50, 0, kst))
			start(e1)
			// The minute job at 07:30 (ten seconds away: room for the engine to start) refreshes Own.
			waitUntil(t, func() bool { return len(scheduledAccounts(t, e1.store, "2026-11-27")) == 4 })
			if got := scheduledAccounts(t, e1.store, "2026-11-27"); !sameSet(got, a1.ID, a2.ID, a3.ID, own.ID) {
				t.Fatalf("scheduled syncs for %v, want A1, A2, A3 and Own once each", got)
			}
			// A restart after the hour (a new scheduler on r1) does not refresh again.
			if err := stop(e1); err != nil {
				t.Fatal(err)
			}
			start(e1)
			if n := countScheduled(t, e1.store, "2026-11-27"); n != 4 {
				t.Fatalf("%d scheduled syncs after the restart, want still 4", n)
			}
			// Both replicas are down across the next morning's hour; the first to start catches up.
			_ = stop(e1)
			_ = stop(e2)
			advanceTo(w, time.Date(2026, 11, 28, 7, 0, 0, 0, kst))
			start(e2)
			if got := scheduledAccounts(t, e1.store, "2026-11-28"); !sameSet(got, a1.ID, a2.ID, a3.ID) {
				t.Fatalf("caught-up syncs for %v, want A1, A2, A3", got)
			}
		})
	}
}

// advanceTo moves the world's clock (simulator and every store) forward to at.
func advanceTo(w *world, at time.Time) { w.Clock.Advance(at.Sub(w.Clock.Now())) }

func ptr[T any](v T) *T { return &v }

func waitFor(t *testing.T, ch <-chan string, want ...string) {
	t.Helper()
	seen := map[string]bool{}
	deadline := time.After(20 * time.Second)
	for len(seen) < len(want) {
		select {
		case r := <-ch:
			seen[r] = true
		case <-deadline:
			t.Fatalf("only %v of %v ran the refresh", seen, want)
		}
	}
}

func scheduledAccounts(t *testing.T, st *store.Store, day string) []string {
	t.Helper()
	syncs, _, err := st.ListSyncs(context.Background(), store.SyncFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range syncs {
		if s.ScheduledFor == day {
			out = append(out, s.AccountID)
		}
	}
	return out
}

func countScheduled(t *testing.T, st *store.Store, day string) int {
	t.Helper()
	n := 0
	syncs, _, err := st.ListSyncs(context.Background(), store.SyncFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syncs {
		if s.Trigger == service.TriggerScheduled && (day == "" || s.ScheduledFor == day) {
			n++
		}
	}
	return n
}

func sameSet(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	m := map[string]int{}
	for _, g := range got {
		m[g]++
	}
	for _, w := range want {
		if m[w] != 1 {
			return false
		}
	}
	return true
}
