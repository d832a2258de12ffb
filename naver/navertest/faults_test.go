package navertest_test

import (
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
