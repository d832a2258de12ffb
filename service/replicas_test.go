package service_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// Two engine instances (replicas) on one database hammer the customer leases with many syncs of
// few customers. From the Naver simulator's own record: no two syncs of one customer ever talked
// to Naver at the same time, every sync succeeded, and no lease is left.
func TestTwoReplicasNeverDoubleBookACustomer(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 2 * time.Millisecond})
			customers := []string{"1001", "2002", "3003"}
			for _, c := range customers {
				w.customer(c, 1, 1, 1)
			}
			r1 := w.engine(engineOptions{replica: "r1", fetchWorkers: 3, processWorkers: 2, leaseTTL: 10 * time.Second})
			r2 := w.engine(engineOptions{replica: "r2", fetchWorkers: 3, processWorkers: 2, leaseTTL: 10 * time.Second})
			var accts []service.Account
			for i := 0; i < 6; i++ {
				c := customers[i%len(customers)]
				accts = append(accts, w.account(r1, fmt.Sprintf("acct-%d", i), c, fmt.Sprintf("sheet-%d", i), service.LevelCampaign))
			}
			ctx := t.Context()
			var ids []string
			for round := 0; round < 4; round++ {
				for i, a := range accts {
					e := []*engine{r1, r2}[(round+i)%2] // both replicas take requests
					s, created, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 4 + round, Full: true})
					if err != nil || !created {
						t.Fatalf("enqueue: %v (created %v)", err, created)
					}
					ids = append(ids, s.ID)
				}
			}
			got := waitTerminal(t, r1.svc, ids...)
			var syncs []service.Sync
			for _, id := range ids {
				s := got[id]
				if s.Status != service.StatusSucceeded {
					t.Fatalf("%s: %s %+v", id, s.Status, s.Error)
				}
				syncs = append(syncs, s)
			}
			if n := checkNoOverlap(t, w.naver.Requests(), syncs); n < len(ids)*4 {
				t.Fatalf("only %d requests checked for %d syncs", n, len(ids))
			}
			leases, err := r2.svc.Leases(ctx)
			if err != nil || len(leases) != 0 {
				t.Fatalf("leases left: %+v (%v)", leases, err)
			}
		})
	}
}
