package service_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// A burst of 429s from Google, longer than the writer's retries of a server error and than a
// sync's attempts could absorb, fails no sync and uses no attempt: quota is a wait. The sync
// succeeds on its first fetch claim and its first processing claim.
func TestQuotaBurstFailsNoSyncUsesNoAttempt(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("4005", 2, 2, 2)
			e := w.relEngine(relOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 3 * time.Second, maxAttempts: 3})
			a := w.account(e, "Quota burst", "4005", "sheet-q", service.LevelKeyword)
			var once sync.Once
			w.setSheetGate(func(*http.Request) {
				once.Do(func() { w.sheets.InjectErrors(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", 60) })
			})
			s := enqueue(t, e, a.ID, 5)
			got := waitTerminal(t, e.svc, s.ID)[s.ID]
			if got.Status != service.StatusSucceeded {
				t.Fatalf("sync ended %s %+v, want succeeded: quota must never fail a sync", got.Status, got.Error)
			}
			if got.Attempts != 1 {
				t.Errorf("attempts = %d, want 1: quota must use no attempt", got.Attempts)
			}
			row, err := e.store.GetSync(t.Context(), s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n := row.ClaimToken - row.FreeClaims; n != 1 {
				t.Errorf("processing attempts = %d (claims %d, free %d), want 1: quota must use no attempt", n, row.ClaimToken, row.FreeClaims)
			}
			checkSheetMatchesNaver(t, w, "sheet-q", "4005", got.From, got.To)
		})
	}
}

// A sheet write still waiting for Google's quota when its claim ends (here a shutdown) goes
// back to the queue without using an attempt; a new engine finishes the sync once Google
// answers again.
func TestQuotaWaitInterruptedUsesNoAttempt(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("4006", 1, 1, 1)
			e := w.relEngine(relOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 3 * time.Second, maxAttempts: 2, noStart: true})
			a := w.account(e, "Quota wait", "4006", "sheet-w", service.LevelCampaign)
			ctx := t.Context()
			if err := e.svc.Start(ctx); err != nil {
				t.Fatal(err)
			}
			var once sync.Once
			w.setSheetGate(func(*http.Request) {
				once.Do(func() { w.sheets.InjectErrors(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", 1_000_000) })
			})
			s := enqueue(t, e, a.ID, 3)
			waitUntil(t, func() bool { return w.sheets.RequestCount() > 20 }) // well past MaxRetries
			stopCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := e.svc.Stop(stopCtx); err != nil {
				t.Fatal(err)
			}
			row, err := e.store.GetSync(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if row.Status == store.StatusFailed || row.ClaimToken != 1 || row.FreeClaims != 1 || row.Attempts != 1 {
				t.Fatalf("after the interrupted quota wait: status %s, processing claims %d (free %d), fetch attempts %d; want not failed, the one claim free, 1 fetch attempt",
					row.Status, row.ClaimToken, row.FreeClaims, row.Attempts)
			}
			if row.ErrorKind != string(service.KindQuota) {
				t.Errorf("error kind %q, want quota", row.ErrorKind)
			}
			w.sheets.ClearErrors()
			e2 := w.relEngine(relOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 3 * time.Second, maxAttempts: 2})
			got := waitTerminal(t, e2.svc, s.ID)[s.ID]
			if got.Status != service.StatusSucceeded || got.Attempts != 1 {
				t.Fatalf("sync ended %s %+v, attempts %d; want succeeded, 1 attempt", got.Status, got.Error, got.Attempts)
			}
			if row, err = e2.store.GetSync(ctx, s.ID); err != nil || row.ClaimToken-row.FreeClaims != 1 {
				t.Errorf("processing attempts = %d (claims %d, free %d), want 1", row.ClaimToken-row.FreeClaims, row.ClaimToken, row.FreeClaims)
			}
		})
	}
}
