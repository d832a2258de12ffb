package service_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// Two replicas (two Stores on one database, each with a Writer per identity and one
// SharedBudget) write many spreadsheets as two identities of one project against the stand-in
// enforcing Google's per-user and per-project quota (a short window; the project's below the
// two identities' sum): Google never answers 429, and no window ever saw more requests than the
// quota, per identity or per project, whichever replica sent them. Without the shared budget (each
// replica pacing itself, as before) the two together send twice the quota and meet 429s.
func TestTwoReplicasShareOneIdentitysQuota(t *testing.T) {
	const (
		window  = 2 * time.Second
		perUser = 8 // reads, and writes, per window per identity
		perProj = 12
		sheets  = 10 // per replica and identity
		project = "agency"
	)
	identities := []string{"a@" + project + ".iam.gserviceaccount.com", "b@" + project + ".iam.gserviceaccount.com"}
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			srv := sheetstest.NewServer(sheetstest.Options{Quota: sheetstest.Quota{
				ReadsPerUser: perUser, WritesPerUser: perUser, ReadsPerProject: perProj, WritesPerProject: perProj, Window: window,
			}})
			hs := httptest.NewServer(srv)
			t.Cleanup(hs.Close)
			quota := service.QuotaConfig{
				// A generous guard: the race detector on a shared machine delays requests unevenly.
				User:         google.Quota{Reads: perUser, Writes: perUser, Window: window, Guard: window / 4},
				ProjectReads: perProj, ProjectWrites: perProj,
			}
			var wg sync.WaitGroup
			for r := range 2 {
				st, err := store.Open(t.Context(), db.URL, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = st.Close() })
				budget := service.NewSharedBudget(st, quota)
				for _, identity := range identities {
					w, err := google.NewWriter(t.Context(), google.Config{Endpoint: hs.URL, ServiceAccountEmail: identity,
						HTTPClient: &http.Client{Transport: callerTransport{email: identity}}, Budget: budget, BackoffBase: 10 * time.Millisecond})
					if err != nil {
						t.Fatal(err)
					}
					for i := range sheets {
						id := fmt.Sprintf("sheet-%d-%s-%d", r, identity, i)
						srv.CreateSpreadsheet(id, identity)
						wg.Go(func() {
							if _, err := w.WriteTable(t.Context(), id, "Daily", budgetTable(3), google.Status{SyncID: id}); err != nil {
								t.Errorf("replica %d, %s: %v", r, id, err)
							}
						})
					}
				}
			}
			wg.Wait()
			u := srv.QuotaUsage()
			proj := u.Projects[project]
			for _, identity := range identities {
				user := u.Callers[identity]
				t.Logf("%s: reads %+v, writes %+v", identity, user.Reads, user.Writes)
				if user.Writes.Requests < 2*sheets {
					t.Fatalf("%s: only %d writes reached the stand-in", identity, user.Writes.Requests)
				}
				for name, c := range map[string]sheetstest.QuotaCount{"reads": user.Reads, "writes": user.Writes} {
					if c.Rejected != 0 || c.Peak > perUser {
						t.Errorf("%s %s: %d answered 429, at most %d in one window (quota %d)", identity, name, c.Rejected, c.Peak, perUser)
					}
				}
			}
			t.Logf("project: reads %+v, writes %+v", proj.Reads, proj.Writes)
			for name, c := range map[string]sheetstest.QuotaCount{"reads": proj.Reads, "writes": proj.Writes} {
				if c.Rejected != 0 || c.Peak > perProj {
					t.Errorf("project %s: %d answered 429, at most %d in one window (quota %d)", name, c.Rejected, c.Peak, perProj)
				}
			}
		})
	}
}

// budgetTable is a small daily table of n days.
func budgetTable(n int) google.Table {
	cols := []google.Column{{Name: "Date", Type: google.Date}, {Name: "Clicks", Type: google.Integer}}
	return google.Table{Columns: cols, NumRows: n, Rows: func(yield func([]any) bool) {
		for i := range n {
			if !yield([]any{time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC), int64(i)}) {
				return
			}
		}
	}}
}
