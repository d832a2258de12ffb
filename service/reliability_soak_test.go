package service_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// Soak: two replicas share one database and work through rounds of syncs for many customers
// (two accounts each, so syncs contend for the customer lease) while the simulator injects
// 429, 1016, 500 and cut downloads. Every sync ends succeeded,
// no lease is held, the simulator's own record shows no two syncs of one customer talking to
// Naver at once, and each sheet holds exactly Naver's totals over its last range.
//
// Default: 20 customers x 2 accounts x 3 rounds = 120 syncs. NAVERSYNC_SOAK=long: 60 customers
// x 2 accounts x 6 rounds = 720 syncs, by hand.
func TestReliabilitySoak(t *testing.T) {
	customers, rounds := 20, 3
	if os.Getenv("NAVERSYNC_SOAK") == "long" {
		customers, rounds = 60, 6
	}
	if testing.Short() {
		t.Skip("soak skipped in -short mode")
	}
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			start := time.Now()
			w := newWorld(t, db, worldOptions{buildDelay: 2 * time.Millisecond})
			ttl := 3 * time.Second
			r1 := w.relEngine(relOptions{fetchWorkers: 4, processWorkers: 2, leaseTTL: ttl, maxAttempts: 10, quiet: true, replica: "soak-a"})
			r2 := w.relEngine(relOptions{fetchWorkers: 4, processWorkers: 2, leaseTTL: ttl, maxAttempts: 10, quiet: true, replica: "soak-b"})
			type acct struct {
				id, sheet, customer string
			}
			var accts []acct
			levels := []string{service.LevelCampaign, service.LevelAdgroup, service.LevelKeyword}
			for i := range customers {
				c := fmt.Sprintf("%d", 100000+i)
				w.customer(c, 1+i%2, 2, 2+i%3)
				for k := range 2 {
					sheet := fmt.Sprintf("soak-%s-%d", c, k)
					a := w.account(r1, "Soak "+sheet, c, sheet, levels[(i+k)%3])
					accts = append(accts, acct{a.ID, sheet, c})
				}
			}
			for _, f := range []navertest.Fault{
				{Kind: navertest.RateLimit429, Count: 40},
				{Kind: navertest.TooManyConnections1016, Count: 20},
				{Kind: navertest.ServerError500, Count: 30},
				{Kind: navertest.CutDownload, Count: 30},
				// Not here: VanishJob, DataChanged and ReportError, which the client survives only
				// twice per job (TestFaultNaver covers them); at soak density one job can be hit
				// three times and its sync then fails for good, as designed.
			} {
				w.naver.SetFault(f)
			}
			var all []service.Sync
			last := map[string]service.Sync{}
			for round := range rounds {
				var ids []string
				for i, a := range accts {
					// Alternate replicas for enqueueing; either may run the sync.
					e := r1
					if i%2 == 1 {
						e = r2
					}
					s := enqueue(t, e, a.id, 2+(round+i)%3)
					ids = append(ids, s.ID)
				}
				got := waitTerminal(t, r1.svc, ids...)
				for i, id := range ids {
					s := got[id]
					if s.Status != service.StatusSucceeded {
						t.Errorf("round %d: sync %s of customer %s ended %s %+v", round, id, s.CustomerID, s.Status, s.Error)
					}
					all = append(all, s)
					last[accts[i].id] = s
				}
			}
			if t.Failed() {
				return
			}
			n := checkNoOverlapRetried(t, w.naver.Requests(), all)
			for _, a := range accts {
				s := last[a.id]
				checkSheetMatchesNaver(t, w, a.sheet, a.customer, s.From, s.To)
			}
			checkNoLeaseHeld(t, w, r1, ttl)
			for _, s := range allSyncs(t, r2) {
				if !s.Terminal() {
					t.Errorf("sync %s is still %s", s.ID, s.Status)
				}
			}
			faulted := 0
			for _, r := range w.naver.Requests() {
				if r.Status >= 400 {
					faulted++
				}
			}
			t.Logf("soak %s: %d syncs, %d customers, %d Naver requests (%d answered with an error), in %s",
				db.Name, len(all), customers, n, faulted, time.Since(start).Round(time.Millisecond))
		})
	}
}
