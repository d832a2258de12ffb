package service_test

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// The rate one replica learned for a customer (its naver client against the
// simulator's limit, saved through its store) is where another replica's
// client starts for that customer: not the slow start of a new customer.
func TestLearnedRateSharedByTwoReplicas(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			const limit = 30.0
			sim := navertest.New(navertest.Options{InstantBuild: true, RateLimit: navertest.RateLimit{PerSecond: limit}})
			cred := naver.Credentials{CustomerID: "5150", APIKey: "key-5150", SecretKey: "secret-5150"}
			sim.AddCustomer(navertest.Customer{ID: cred.CustomerID, APIKey: cred.APIKey, SecretKey: cred.SecretKey, Seed: 3})
			srv := httptest.NewServer(sim)
			t.Cleanup(srv.Close)
			client := func(st *store.Store) *naver.Client {
				c, err := naver.NewClient(naver.Options{BaseURL: srv.URL, RatePerSecond: 5, MaxRatePerSecond: 10 * limit,
					RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond, RateMemory: st, TempDir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			a := client(storetest.Open(t, db, store.Options{}))
			b := client(storetest.Open(t, db, store.Options{}))
			ctx := t.Context()
			fresh, err := b.CustomerRate(ctx, "9999")
			if err != nil || fresh.Limit != 0 || fresh.Rate != 5 {
				t.Fatalf("a customer never seen: %+v, %v; want the slow start at 5/s", fresh, err)
			}

			// Replica a fetches until its rate met the limit (a 429 and a drop).
			yesterday := time.Now().In(time.FixedZone("KST", 9*3600)).AddDate(0, 0, -1)
			day := 0
			deadline := time.Now().Add(2 * time.Minute)
			for {
				var wg sync.WaitGroup
				for range 10 {
					day++
					d := time.Date(yesterday.Year(), yesterday.Month(), yesterday.Day()-day%300, 0, 0, 0, 0, time.UTC)
					wg.Go(func() {
						var s sink
						if _, err := a.FetchStatReport(ctx, cred, naver.StatRequest{ReportType: "AD", Day: d}, &s); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
				st, err := a.CustomerRate(ctx, cred.CustomerID)
				if err != nil || t.Failed() {
					t.Fatal(err)
				}
				if st.Cuts > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no 429 after %d reports: %+v", day, st)
				}
			}
			learned, err := a.CustomerRate(ctx, cred.CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.CustomerRate(ctx, cred.CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("replica a: %+v; replica b starts at %+v", learned, got)
			if got.Limit <= 0 || got.Rate <= 5 || got.Limit > learned.Peak {
				t.Errorf("replica b starts at %+v; replica a learned %+v", got, learned)
			}
			if ls := sim.LimitStats(cred.CustomerID); ls.Penalties != 0 {
				t.Errorf("a burst of 429s: %+v", ls)
			}
		})
	}
}

// sink is an in-memory naver.Sink.
type sink struct{ b []byte }

func (s *sink) Write(p []byte) (int, error) { s.b = append(s.b, p...); return len(p), nil }
func (s *sink) Reset() error                { s.b = s.b[:0]; return nil }
