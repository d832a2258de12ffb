package navertest_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
)

// Calls over the rate get Naver's 429 without Retry-After; a burst of them
// puts the customer in the penalty, where every call is refused.
func TestRateLimitAnswers429AndPenalizesBursts(t *testing.T) {
	f := newFixture(t, navertest.Options{RateLimit: navertest.RateLimit{
		PerSecond: 0.001, Burst: 1, PenaltyAfter: 3, PenaltyWindow: time.Hour, Penalty: time.Hour}})
	var codes []int
	for range 5 {
		resp, body := f.do(t, http.MethodGet, f.srv.URL+"/stat-reports", "/stat-reports", "")
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			if resp.Header.Get("Retry-After") != "" || !bytes.Contains(body, []byte(`"code":429`)) {
				t.Errorf("429 with Retry-After %q, body %s", resp.Header.Get("Retry-After"), body)
			}
		}
	}
	if codes[0] != http.StatusOK || codes[1] != http.StatusTooManyRequests {
		t.Fatalf("codes %v, want the first call through and then 429s", codes)
	}
	if st := f.sim.LimitStats(f.cred.CustomerID); st.Limited != 4 || st.Penalties != 1 {
		t.Errorf("stats %+v, want 4 refused and one penalty", st)
	}
}

// A download asked for as a zip is a zip; the link counts its bytes.
func TestZipAnswerIsSmaller(t *testing.T) {
	f := newFixture(t, navertest.Options{InstantBuild: true})
	var s sink
	res, err := f.client.FetchStatReport(t.Context(), f.cred, naver.StatRequest{ReportType: "AD", Day: day(2026, 5, 1)}, &s)
	if err != nil {
		t.Fatal(err)
	}
	if wire := f.sim.LimitStats(f.cred.CustomerID).DownloadBytes; wire <= 0 || wire*3 > res.Bytes {
		t.Errorf("%d bytes sent for %d bytes of TSV", wire, res.Bytes)
	}
}
