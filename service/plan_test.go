package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// The morning refresh queues a plan the fetch queue follows: the customer with the most days to
// fetch first, a customer's accounts back to back with the stalest first, and a busy customer
// stepped over (the next customer's sync is claimed meanwhile).
func TestRefreshPlanOrdersTheClaims(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			for _, c := range []string{"1001", "1002", "1003"} {
				w.customer(c, 1, 1, 1)
			}
			e := w.engine(engineOptions{noStart: true})
			ctx := t.Context()
			history := func(a service.Account, days int) {
				t.Helper()
				if _, err := e.svc.UpdateAccount(ctx, a.ID, service.AccountPatch{HistoryDays: &days}); err != nil {
					t.Fatal(err)
				}
			}
			// Customer 1001: two accounts of 30 days; 1002: one of 60 days; 1003: one of 10 days.
			xSynced := w.account(e, "X synced", "1001", "sheet-xs", service.LevelCampaign)
			xNever := w.account(e, "X never", "1001", "sheet-xn", service.LevelCampaign)
			y := w.account(e, "Y", "1002", "sheet-y", service.LevelCampaign)
			z := w.account(e, "Z", "1003", "sheet-z", service.LevelCampaign)
			history(xSynced, 30)
			history(xNever, 30)
			history(y, 60)
			history(z, 10)
			// xSynced has synced once (its data is newer than xNever's, which never synced).
			one, _, err := e.store.EnqueueSync(ctx, &store.Sync{AccountID: xSynced.ID, CustomerID: "1001", From: "2026-07-01", To: "2026-07-01"})
			if err != nil {
				t.Fatal(err)
			}
			_, fc, err := e.store.ClaimFetch(ctx, "test", time.Minute)
			if err != nil || fc == nil || fc.SyncID != one.ID {
				t.Fatalf("claim the setup sync: %+v %v", fc, err)
			}
			if err := e.store.FinishFetch(ctx, *fc); err != nil {
				t.Fatal(err)
			}
			_, pc, err := e.store.ClaimProcess(ctx, "test", time.Minute)
			if err != nil || pc == nil {
				t.Fatalf("claim the setup sync's processing: %+v %v", pc, err)
			}
			if err := e.store.CompleteSync(ctx, *pc, 0, store.SheetRecord{}); err != nil {
				t.Fatal(err)
			}

			if n, err := e.svc.RunRefreshNow(ctx); err != nil || n != 4 {
				t.Fatalf("refresh queued %d (%v), want 4", n, err)
			}
			name := map[string]string{xSynced.ID: xSynced.Name, xNever.ID: xNever.Name, y.ID: y.Name, z.ID: z.Name}
			var claims []*store.Claim
			var got []string
			for {
				sy, c, err := e.store.ClaimFetch(ctx, "test", time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				if sy == nil {
					break
				}
				claims = append(claims, c)
				got = append(got, name[sy.AccountID])
			}
			// 1002 (60 days) first, 1001 (30 days, its stalest account first), 1003 (10 days);
			// 1001's second account waits for its customer.
			want := []string{"Y", "X never", "Z"}
			if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
				t.Fatalf("claimed %q, want %q", got, want)
			}
			if err := e.store.FinishFetch(ctx, *claims[1]); err != nil {
				t.Fatal(err)
			}
			if sy, _, err := e.store.ClaimFetch(ctx, "test", time.Minute); err != nil || sy == nil || sy.AccountID != xSynced.ID {
				t.Fatalf("after 1001's first sync the claim is %+v (%v), want 1001's second account", sy, err)
			}
		})
	}
}

// A customer's work is the days its refresh must fetch, not its window: a customer whose long
// window is settled on disk (only the settle window is fetched again) goes after one with a
// shorter window never fetched.
func TestRefreshPlanCountsOnlyUnsettledDays(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 1, 1)
			w.customer("1002", 1, 1, 1)
			e := w.engine(engineOptions{noStart: true, fetchWorkers: 2, processWorkers: 1})
			ctx := t.Context()
			held := w.account(e, "held", "1001", "sheet-held", service.LevelCampaign)
			fresh := w.account(e, "fresh", "1002", "sheet-fresh", service.LevelCampaign)
			for a, days := range map[string]int{held.ID: 60, fresh.ID: 20} {
				if _, err := e.svc.UpdateAccount(ctx, a, service.AccountPatch{HistoryDays: &days}); err != nil {
					t.Fatal(err)
				}
			}
			// 1001's 60 days are fetched once (a backfill), then the workers stop.
			if err := e.svc.Start(ctx); err != nil {
				t.Fatal(err)
			}
			back, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: held.ID, Trigger: service.TriggerBackfill})
			if err != nil {
				t.Fatal(err)
			}
			if got := waitTerminal(t, e.svc, back.ID)[back.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("backfill: %s %+v", got.Status, got.Error)
			}
			stop, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := e.svc.Stop(stop); err != nil {
				t.Fatal(err)
			}
			if n, err := e.svc.RunRefreshNow(ctx); err != nil || n != 2 {
				t.Fatalf("refresh queued %d (%v), want 2", n, err)
			}
			sy, _, err := e.store.ClaimFetch(ctx, "test", time.Minute)
			if err != nil || sy == nil {
				t.Fatalf("claim: %+v %v", sy, err)
			}
			// 1002: 20 days to fetch; 1001: only its 7 settle days (the rest is on disk).
			if sy.AccountID != fresh.ID {
				t.Fatalf("the plan starts with customer %s, want 1002 (20 days to fetch, against 1001's 7)", sy.CustomerID)
			}
		})
	}
}
