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
			// A new engine (a restart) resumes: it asks Naver only for what was not downloaded, and
			// a create the shutdown interrupted (its answer lost, or its job not yet downloaded) is
			// continued from the journal, not made again.
			e2 := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: time.Minute})
			done := waitTerminal(t, e2.svc, sy.ID)[sy.ID]
			if done.Status != service.StatusSucceeded {
				t.Fatalf("resumed sync: %s %+v", done.Status, done.Error)
			}
			creates := map[string]int{}
			total := 0
			for _, r := range w.naver.Requests() {
				if r.Method == "POST" && r.Path == "/stat-reports" {
					creates[r.ReportType+" "+r.StatDate.Format("2006-01-02")]++
					total++
				}
			}
			for k, n := range creates {
				if n != 1 {
					t.Errorf("%s was created %d times, want once", k, n)
				}
			}
			if len(creates) != 240 || total != 240 {
				t.Errorf("%d creates of %d reports, want each of the 240 reports created once", total, len(creates))
			}
			if n := w.naver.OutstandingJobs("1001"); n != 0 {
				t.Errorf("%d jobs left at Naver, want every job deleted", n)
			}
		})
	}
}
