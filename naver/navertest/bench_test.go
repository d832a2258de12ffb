package navertest_test

import (
	"net/http/httptest"
	"testing"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
)

// BenchmarkFetchLargeDay fetches one 5,200-row AD day per operation
// through the client (create, download, delete).
func BenchmarkFetchLargeDay(b *testing.B) {
	now := clock()
	sim := navertest.New(navertest.Options{Now: now, InstantBuild: true})
	cred := naver.Credentials{CustomerID: "9", APIKey: "k", SecretKey: "s"}
	sim.AddCustomer(navertest.Customer{ID: "9", APIKey: "k", SecretKey: "s", Seed: 9,
		Campaigns: 10, AdgroupsPerCampaign: 20, KeywordsPerAdgroup: 12})
	srv := newServer(b, sim)
	c, err := naver.NewClient(naver.Options{BaseURL: srv, Now: now, RatePerSecond: 1e6, Burst: 1e6})
	if err != nil {
		b.Fatal(err)
	}
	var s sink
	d := 0
	for b.Loop() {
		s.Reset()
		res, err := c.FetchStatReport(b.Context(), cred, naver.StatRequest{ReportType: "AD", Day: day(2026, 5, 9).AddDate(0, 0, -(d % 300))}, &s)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(res.Bytes)
		d++
	}
}

func newServer(b *testing.B, sim *navertest.Server) string {
	b.Helper()
	srv := httptest.NewServer(sim)
	b.Cleanup(srv.Close)
	return srv.URL
}
