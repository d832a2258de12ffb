package store_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// Two replicas (two Stores on one database) reserve slots concurrently for two identities of
// one project: each identity's slots are at least its gap apart, and all slots of the project
// at least the project's gap apart, whichever replica took them. A hold moves the next slot.
func TestReserveQuotaSharedAcrossReplicas(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			var replicas [2]*store.Store
			for i := range replicas {
				st, err := store.Open(t.Context(), db.URL, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = st.Close() })
				replicas[i] = st
			}
			const userGap, projectGap = 10 * time.Millisecond, 4 * time.Millisecond
			const perWorker = 15
			var mu sync.Mutex
			slots := map[string][]time.Time{}
			var wg sync.WaitGroup
			for r, st := range replicas {
				for w := range 4 {
					id := fmt.Sprintf("sa%d@proj.iam.gserviceaccount.com", w%2)
					wg.Go(func() {
						for range perWorker {
							slot, err := st.ReserveQuota(t.Context(), []store.QuotaLimit{
								{Key: "user/write/" + id, Gap: userGap},
								{Key: "project/write/proj", Gap: projectGap},
							})
							if err != nil {
								t.Errorf("replica %d: %v", r, err)
								return
							}
							mu.Lock()
							slots[id] = append(slots[id], slot)
							slots["project"] = append(slots["project"], slot)
							mu.Unlock()
						}
					})
				}
			}
			wg.Wait()
			check := func(key string, gap time.Duration, n int) {
				t.Helper()
				s := slots[key]
				slices.SortFunc(s, time.Time.Compare)
				if len(s) != n {
					t.Fatalf("%s: %d slots, want %d", key, len(s), n)
				}
				for i := 1; i < len(s); i++ {
					if d := s[i].Sub(s[i-1]); d < gap {
						t.Fatalf("%s: slots %d and %d are %v apart, want at least %v", key, i-1, i, d, gap)
					}
				}
			}
			check("sa0@proj.iam.gserviceaccount.com", userGap, 4*perWorker)
			check("sa1@proj.iam.gserviceaccount.com", userGap, 4*perWorker)
			check("project", projectGap, 8*perWorker)

			// A hold (a 429's Retry-After) seen by the other replica.
			key := "user/read/held@proj.iam.gserviceaccount.com"
			if err := replicas[0].HoldQuota(t.Context(), key, time.Hour); err != nil {
				t.Fatal(err)
			}
			slot, err := replicas[1].ReserveQuota(t.Context(), []store.QuotaLimit{{Key: key, Gap: userGap}})
			if err != nil {
				t.Fatal(err)
			}
			if min := replicas[1].Now().Add(59 * time.Minute); slot.Before(min) {
				t.Errorf("slot after a one-hour hold = %v, want after %v", slot, min)
			}
			// A shorter hold does not shorten a longer wait.
			if err := replicas[1].HoldQuota(t.Context(), key, time.Second); err != nil {
				t.Fatal(err)
			}
			again, err := replicas[0].ReserveQuota(t.Context(), []store.QuotaLimit{{Key: key, Gap: userGap}})
			if err != nil {
				t.Fatal(err)
			}
			if want := slot.Add(userGap); !again.Equal(want) {
				t.Errorf("next slot = %v, want %v", again, want)
			}
		})
	}
}

// A request whose identity (a gated limit) has no room yet reserves nothing, and in particular
// does not push its project's schedule: another identity of the project gets the project's next
// slot, not one behind the backlogged identity's. (Before the gate, the backlogged identity's
// reservation moved the project's next free time to its own slot, and every other identity of
// the project waited behind it: the fleet benchmark's five-identity morning ran at a third of
// its quotas.)
func TestReserveQuotaGateKeepsTheProjectSchedule(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			st := storetest.Open(t, db, store.Options{})
			const userGap, projectGap = time.Hour, time.Minute
			limits := func(id string) []store.QuotaLimit {
				return []store.QuotaLimit{{Key: "user/" + id, Gap: userGap, Gate: true}, {Key: "project/p", Gap: projectGap}}
			}
			first, err := st.ReserveQuota(t.Context(), limits("a"))
			if err != nil {
				t.Fatal(err)
			}
			// a's quota has no room for an hour: nothing is reserved.
			_, err = st.ReserveQuota(t.Context(), limits("a"))
			var nr *store.QuotaNotReady
			if !errors.As(err, &nr) || !nr.At.Equal(first.Add(userGap)) {
				t.Fatalf("second request of a: %v, want not ready until %s", err, first.Add(userGap))
			}
			// b is sent in the project's next slot, a minute after a's first, not after an hour.
			got, err := st.ReserveQuota(t.Context(), limits("b"))
			if err != nil {
				t.Fatal(err)
			}
			if want := first.Add(projectGap); !got.Equal(want) {
				t.Fatalf("b's slot %s, want %s (the project's next slot; a's backlog must not push it)", got, want)
			}
			// Ungated limits reserve as before: the slot is the latest next free time.
			got, err = st.ReserveQuota(t.Context(), []store.QuotaLimit{{Key: "user/a", Gap: userGap}, {Key: "project/p", Gap: projectGap}})
			if err != nil || !got.Equal(first.Add(userGap)) {
				t.Fatalf("ungated: %s, %v; want %s", got, err, first.Add(userGap))
			}
		})
	}
}
