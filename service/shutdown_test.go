package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// Stopping the engine mid-fetch releases the customer's lease at once and leaves the sync
// queued, resumable: a new engine finishes it from the files already downloaded.
func TestGracefulShutdownReleasesLeaseAndResumes(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 20 * time.Millisecond})
			w.customer("1001", 1, 1, 1)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: time.Minute, noStart: true})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelCampaign)
			ctx := t.Context()
			if err := e.svc.Start(ctx); err != nil {
				t.Fatal(err)
			}
			sy, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 120, Full: true})
			if err != nil {
				t.Fatal(err)
			}
			waitUntil(t, func() bool {
				s, err := e.svc.GetSync(ctx, sy.ID)
				return err == nil && s.Progress.ReportsFetched >= 10
			})
			stopCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := e.svc.Stop(stopCtx); err != nil {
				t.Fatal(err)
			}
			got, err := e.svc.GetSync(ctx, sy.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != service.StatusQueued {
				t.Fatalf("after shutdown the sync is %s, want queued (resumable)", got.Status)
			}
			if leases, err := e.svc.Leases(ctx); err != nil || len(leases) != 0 {
				t.Fatalf("leases after shutdown: %+v %v (a lease TTL of a minute would otherwise hold the customer)", leases, err)
			}
			fetched := got.Progress.ReportsFetched
			before := len(w.naver.Requests())
			// A new engine (a restart) resumes: it asks Naver only for what was not downloaded.
			e2 := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: time.Minute})
			done := waitTerminal(t, e2.svc, sy.ID)[sy.ID]
			if done.Status != service.StatusSucceeded {
				t.Fatalf("resumed sync: %s %+v", done.Status, done.Error)
			}
			creates := 0
			for _, r := range w.naver.Requests()[before:] {
				if r.Method == "POST" && r.Path == "/stat-reports" {
					creates++
				}
			}
			if want := 240 - fetched; creates > want {
				t.Errorf("the resumed sync created %d reports, want at most the %d not yet downloaded", creates, want)
			}
		})
	}
}
