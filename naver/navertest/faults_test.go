package navertest_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
)

func TestFaultFilters(t *testing.T) {
	f := newFixture(t, navertest.Options{InstantBuild: true})
	f.sim.SetFault(navertest.Fault{Kind: navertest.ServerError500, Until: f.now().Add(-time.Second)}) // over
	f.sim.SetFault(navertest.Fault{Kind: navertest.ServerError500, Customer: "someone-else"})
	f.sim.SetFault(navertest.Fault{Kind: navertest.ServerError500, Count: 1, Path: "/report-download"})
	var s sink
	if _, err := f.client.FetchStatReport(t.Context(), f.cred, naver.StatRequest{ReportType: "AD", Day: day(2026, 5, 9)}, &s); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range f.sim.Requests() {
		if r.Status == http.StatusInternalServerError {
			got = append(got, r.Method+" "+r.Path)
		}
	}
	if len(got) != 1 || got[0] != "GET /report-download" {
		t.Errorf("500s on %v, want exactly one on the download", got)
	}
	f.sim.ClearFaults()
	f.sim.SetFault(navertest.Fault{Kind: navertest.Maintenance503})
	f.sim.ClearFaults()
	if err := f.client.CheckCredentials(t.Context(), f.cred); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
}

// The faults of the job journal's tests: a DELETE that fails (the job stays), a create whose
// job registers only after its answer was lost, a listing that lags, and another tool's jobs
// of a given report and day, with a record of who deleted what.
func TestJobFaults(t *testing.T) {
	f := newFixture(t, navertest.Options{InstantBuild: true})
	ctx := t.Context()
	foreign := f.sim.CreateForeignJob(f.cred.CustomerID, "AD", day(2026, 5, 9))

	f.sim.SetFault(navertest.Fault{Kind: navertest.DeleteFails, Count: 1})
	r, err := f.client.CreateStatReport(ctx, f.cred, "AD", day(2026, 5, 8))
	if err != nil {
		t.Fatal(err)
	}
	// The client retries the 500; the first DELETE fails, the second deletes.
	if err := f.client.DeleteStatReport(ctx, f.cred, r.ReportJobID); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, q := range f.sim.Requests() {
		if q.Method == http.MethodDelete && q.Status == http.StatusInternalServerError {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d DELETEs failed, want 1", failed)
	}

	f.sim.SetFault(navertest.Fault{Kind: navertest.LateRegistration, Count: 1, Delay: 200 * time.Millisecond})
	if _, err := f.client.CreateStatReport(ctx, f.cred, "AD", day(2026, 5, 7)); !errors.Is(err, naver.ErrUncertain) {
		t.Fatalf("create with a late registration: %v, want ErrUncertain", err)
	}
	if jobs, err := f.client.ListStatReports(ctx, f.cred); err != nil || len(jobs) != 1 {
		t.Fatalf("right after the lost answer: %d jobs (%v), want only the other tool's", len(jobs), err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		jobs, err := f.client.ListStatReports(ctx, f.cred)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the late job never registered")
		}
		time.Sleep(20 * time.Millisecond)
	}

	f.sim.SetFault(navertest.Fault{Kind: navertest.ListingLag, Count: 1, Delay: time.Hour})
	if jobs, err := f.client.ListStatReports(ctx, f.cred); err != nil || len(jobs) != 0 {
		t.Errorf("a listing lagging an hour shows %d jobs (%v), want none", len(jobs), err)
	}

	if err := f.client.DeleteStatReport(ctx, f.cred, foreign); err != nil {
		t.Fatal(err)
	}
	if ids := f.sim.ForeignDeleted(f.cred.CustomerID); len(ids) != 1 || ids[0] != foreign {
		t.Errorf("foreign jobs deleted through the API: %v, want [%d]", ids, foreign)
	}
	if f.sim.DeleteForeignJob(foreign) {
		t.Error("a deleted job was deleted again by its tool")
	}
}
