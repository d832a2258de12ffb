package navertest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
)

// now is 2026-05-10 12:00 KST and advances with real time.
func clock() func() time.Time { return clockAt(time.Date(2026, 5, 10, 3, 0, 0, 0, time.UTC)) }

// clockAt starts at epoch and advances with real time.
func clockAt(epoch time.Time) func() time.Time {
	start := time.Now()
	return func() time.Time { return epoch.Add(time.Since(start)) }
}

type sink struct{ bytes.Buffer }

func (s *sink) Reset() error { s.Buffer.Reset(); return nil }

type fixture struct {
	sim    *navertest.Server
	srv    *httptest.Server
	client *naver.Client
	cred   naver.Credentials
	now    func() time.Time
}

func newFixture(t *testing.T, opts navertest.Options) *fixture {
	t.Helper()
	if opts.Now == nil {
		opts.Now = clock()
	}
	now := opts.Now
	sim := navertest.New(opts)
	cred := naver.Credentials{CustomerID: "111", APIKey: "key-1", SecretKey: "secret-1"}
	sim.AddCustomer(navertest.Customer{ID: cred.CustomerID, APIKey: cred.APIKey, SecretKey: cred.SecretKey, Seed: 7})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := naver.NewClient(naver.Options{
		BaseURL: srv.URL, Now: now, PollMin: time.Millisecond, PollMax: 2 * time.Millisecond,
		RetryMin: time.Millisecond, RetryMax: 2 * time.Millisecond, RatePerSecond: 10000, Burst: 10000,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{sim: sim, srv: srv, client: c, cred: cred, now: now}
}

// do sends a request signed over signPath to rawURL.
func (f *fixture) do(t *testing.T, method, rawURL, signPath string, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	ts := f.now().UnixMilli()
	req.Header.Set("X-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-API-KEY", f.cred.APIKey)
	req.Header.Set("X-Customer", f.cred.CustomerID)
	req.Header.Set("X-Signature", naver.Sign(f.cred.SecretKey, ts, method, signPath))
	if body != "" {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestDeterministicFiles(t *testing.T) {
	f := newFixture(t, navertest.Options{InstantBuild: true})
	var a, b sink
	for _, s := range []*sink{&a, &b} {
		if _, err := f.client.FetchStatReport(t.Context(), f.cred, naver.StatRequest{ReportType: "AD", Day: day(2026, 5, 1)}, s); err != nil {
			t.Fatal(err)
		}
	}
	if a.Len() == 0 || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("files differ or are empty (%d, %d bytes)", a.Len(), b.Len())
	}
	// Default entities: 3 campaigns x 4 ad groups x (10 keywords + 1 "-") x 2 devices.
	rows, dash := 0, 0
	if err := naver.ParseAD(&a, "AD", func(r *naver.ADRow) error {
		rows++
		if r.KeywordID == "-" {
			dash++
		}
		if r.Device != "P" && r.Device != "M" {
			t.Errorf("device %q", r.Device)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if rows != 3*4*11*2 || dash != 3*4*2 {
		t.Errorf("%d rows, %d with '-' keyword", rows, dash)
	}
}

func TestCostVATRule(t *testing.T) {
	f := newFixture(t, navertest.Options{InstantBuild: true})
	tests := []struct {
		day         time.Time
		wantDecimal bool
	}{
		{day(2026, 3, 29), true},
		{day(2026, 3, 30), false},
	}
	for _, tt := range tests {
		var s sink
		res, err := f.client.FetchStatReport(t.Context(), f.cred, naver.StatRequest{ReportType: "AD", Day: tt.day}, &s)
		if err != nil || res.Status != naver.StatusBuilt {
			t.Fatalf("%v: %+v %v", tt.day, res, err)
		}
		decimal := false
		for _, line := range strings.Split(strings.TrimSpace(s.String()), "\n") {
			if strings.Contains(strings.Split(line, "\t")[11], ".") {
				decimal = true
			}
		}
		if decimal != tt.wantDecimal {
			t.Errorf("%s: decimal costs = %v", tt.day.Format(time.DateOnly), decimal)
		}
	}
}

func TestConversionTypesByDate(t *testing.T) {
	// Within a year of 2024-07-03: AD_CONVERSION is served for 365 days.
	f := newFixture(t, navertest.Options{InstantBuild: true, Now: clockAt(time.Date(2025, 1, 10, 3, 0, 0, 0, time.UTC))})
	for _, tt := range []struct {
		day   time.Time
		codes bool
	}{{day(2024, 7, 2), false}, {day(2024, 7, 3), true}} {
		var s sink
		if _, err := f.client.FetchStatReport(t.Context(), f.cred, naver.StatRequest{ReportType: "AD_CONVERSION", Day: tt.day}, &s); err != nil {
			t.Fatal(err)
		}
		rows := 0
		if err := naver.ParseADConversion(&s, "conv", func(r *naver.ConversionRow) error {
			rows++
			_, err := strconv.Atoi(r.ConversionType)
			if (err != nil) != tt.codes {
				t.Errorf("%s: type %q", tt.day.Format(time.DateOnly), r.ConversionType)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if rows == 0 {
			t.Errorf("%s: no conversion rows", tt.day.Format(time.DateOnly))
		}
	}
}

func TestDownloadStrictness(t *testing.T) {
	f := newFixture(t, navertest.Options{InstantBuild: true})
	r, err := f.client.CreateStatReport(t.Context(), f.cred, "AD", day(2026, 5, 9))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.DownloadURL, "%2F") || !strings.Contains(r.DownloadURL, "%2B") || !strings.Contains(r.DownloadURL, "fileVersion=v2") {
		t.Fatalf("downloadUrl %s", r.DownloadURL)
	}
	tests := []struct {
		name, url, signPath string
		want                int
	}{
		{"as given", r.DownloadURL, "/report-download", http.StatusOK},
		{"without fileVersion", strings.Replace(r.DownloadURL, "&fileVersion=v2", "", 1), "/report-download", http.StatusInternalServerError},
		{"token decoded", strings.NewReplacer("%2F", "/", "%2B", "+").Replace(r.DownloadURL), "/report-download", http.StatusNotFound},
		{"signed with the query", r.DownloadURL, "/report-download?" + strings.SplitN(r.DownloadURL, "?", 2)[1], http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.do(t, http.MethodGet, tt.url, tt.signPath, "")
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.want, body)
			}
			if resp.Header.Get("X-Transaction-ID") == "" {
				t.Error("no X-Transaction-ID")
			}
		})
	}
}

func TestAuthProblems(t *testing.T) {
	f := newFixture(t, navertest.Options{})
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/stat-reports", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p struct{ Type string }
	_ = json.NewDecoder(resp.Body).Decode(&p)
	if resp.StatusCode != http.StatusForbidden || p.Type != "urn:naver:api:problem:missing-header" || resp.Header.Get("X-Transaction-ID") == "" {
		t.Errorf("status %d type %q", resp.StatusCode, p.Type)
	}
	// A path with "//" is signed as sent, so a client signing the clean
	// path fails, as at Naver.
	resp2, body := f.do(t, http.MethodGet, f.srv.URL+"//stat-reports", "/stat-reports", "")
	if resp2.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "invalid-signature") {
		t.Errorf("// path: %d %s", resp2.StatusCode, body)
	}
}

func TestDuplicateContentTypeRefused(t *testing.T) {
	f := newFixture(t, navertest.Options{})
	body := `{"reportTp":"AD","statDt":"20260509"}`
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/stat-reports", strings.NewReader(body))
	ts := f.now().UnixMilli()
	req.Header.Set("X-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-API-KEY", f.cred.APIKey)
	req.Header.Set("X-Customer", f.cred.CustomerID)
	req.Header.Set("X-Signature", naver.Sign(f.cred.SecretKey, ts, http.MethodPost, "/stat-reports"))
	req.Header.Add("Content-Type", "application/json;charset=UTF-8")
	req.Header.Add("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	// The same request with one header is accepted, and YYYY-MM-DD is not.
	if resp, b := f.do(t, http.MethodPost, f.srv.URL+"/stat-reports", "/stat-reports", body); resp.StatusCode != http.StatusOK {
		t.Errorf("single header: %d %s", resp.StatusCode, b)
	}
	if resp, b := f.do(t, http.MethodPost, f.srv.URL+"/stat-reports", "/stat-reports", `{"reportTp":"AD","statDt":"2026-05-09"}`); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "11001") {
		t.Errorf("YYYY-MM-DD: %d %s", resp.StatusCode, b)
	}
}

func TestRequestsRecorded(t *testing.T) {
	f := newFixture(t, navertest.Options{BuildDelay: 2 * time.Millisecond})
	var s sink
	res, err := f.client.FetchStatReport(t.Context(), f.cred, naver.StatRequest{ReportType: "AD", Day: day(2026, 5, 8)}, &s)
	if err != nil {
		t.Fatal(err)
	}
	rs := f.sim.Requests()
	if len(rs) != res.Calls {
		t.Fatalf("%d requests recorded, client made %d", len(rs), res.Calls)
	}
	for i, r := range rs {
		if r.Customer != f.cred.CustomerID || r.ReportType != "AD" || !r.StatDate.Equal(day(2026, 5, 8)) ||
			r.JobID != res.JobID || r.End.Before(r.Start) || r.Status/100 != 2 || r.TransactionID == "" {
			t.Errorf("request %d: %+v", i, r)
		}
		if i > 0 && r.Start.Before(rs[i-1].End) {
			t.Errorf("requests of one sequential fetch overlap: %+v, %+v", rs[i-1], r)
		}
	}
}

func TestConcurrentCustomers(t *testing.T) {
	f := newFixture(t, navertest.Options{BuildDelay: time.Millisecond})
	var creds []naver.Credentials
	for i := range 4 {
		c := naver.Credentials{CustomerID: strconv.Itoa(200 + i), APIKey: "key-1", SecretKey: "secret-1"}
		f.sim.AddCustomer(navertest.Customer{ID: c.CustomerID, APIKey: c.APIKey, SecretKey: c.SecretKey, Seed: int64(i)})
		creds = append(creds, c)
	}
	var wg sync.WaitGroup
	for _, c := range creds {
		for d := range 5 {
			wg.Go(func() {
				var s sink
				if _, err := f.client.FetchStatReport(t.Context(), c, naver.StatRequest{ReportType: "AD", Day: day(2026, 5, 9).AddDate(0, 0, -d)}, &s); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	for _, c := range creds {
		if n := f.sim.OutstandingJobs(c.CustomerID); n != 0 {
			t.Errorf("%s: %d jobs left", c.CustomerID, n)
		}
		if m := f.sim.MaxOutstanding(c.CustomerID); m < 1 || m > 5 {
			t.Errorf("%s: MaxOutstanding %d", c.CustomerID, m)
		}
	}
}

func TestADTotalsUnknown(t *testing.T) {
	f := newFixture(t, navertest.Options{})
	if i, c, cost := f.sim.ADTotals("nobody", day(2026, 5, 9)); i != 0 || c != 0 || cost != 0 {
		t.Error("totals for an unknown customer")
	}
}

// A file is built from the data as they are when it is downloaded: a day Naver revised, or a
// campaign renamed, is not served from the simulator's cache of zipped files (kept from a
// file's second download on), whose key must name the data's version.
func TestRevisedAndRenamedFilesAreNotServedFromTheCache(t *testing.T) {
	f := newFixture(t, navertest.Options{InstantBuild: true})
	d := day(2026, 5, 1)
	stat := func() []byte {
		var s sink
		if _, err := f.client.FetchStatReport(t.Context(), f.cred, naver.StatRequest{ReportType: "AD", Day: d}, &s); err != nil {
			t.Fatal(err)
		}
		return bytes.Clone(s.Bytes())
	}
	master := func() string {
		var s sink
		if _, err := f.client.FetchMasterReport(t.Context(), f.cred, "Campaign", time.Time{}, &s); err != nil {
			t.Fatal(err)
		}
		return s.String()
	}
	before, _ := stat(), stat() // the second download is kept
	_, _ = master(), master()
	f.sim.Revise(f.cred.CustomerID, d)
	campaigns, _, _ := f.sim.EntityIDs(f.cred.CustomerID)
	const renamed = "봄 세일 (renamed)"
	if !f.sim.Rename(f.cred.CustomerID, campaigns[0], renamed) {
		t.Fatal("rename: campaign not found")
	}
	if after := stat(); bytes.Equal(before, after) {
		t.Errorf("the revised day's file is the one before the revision")
	}
	if m := master(); !strings.Contains(m, renamed) {
		t.Errorf("the campaign master report after the rename lacks the new name:\n%s", m)
	}
}
