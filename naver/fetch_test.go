package naver_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
)

func TestFetchStatReportPollsUntilBuilt(t *testing.T) {
	e := setup(t, navertest.Options{BuildDelay: 30 * time.Millisecond}, naver.Options{})
	var sink memSink
	res, err := e.client.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != naver.StatusBuilt || res.Bytes != int64(sink.Len()) || res.JobID == "" {
		t.Fatalf("result %+v, sink %d bytes", res, sink.Len())
	}
	e.checkADFile(t, e.a.CustomerID, yesterday(), sink.Bytes())
	rs := e.requests(e.a.CustomerID)
	if countReq(rs, http.MethodGet, "/stat-reports/"+res.JobID) < 1 {
		t.Errorf("no poll in %+v", rs)
	}
	if countReq(rs, http.MethodDelete, "/stat-reports/"+res.JobID) != 1 {
		t.Errorf("job not deleted once: %+v", rs)
	}
	if res.Calls != len(rs) {
		t.Errorf("Calls = %d, server saw %d", res.Calls, len(rs))
	}
	if n := e.sim.OutstandingJobs(e.a.CustomerID); n != 0 {
		t.Errorf("%d jobs left", n)
	}
}

func TestFetchStatReportBuiltAtCreate(t *testing.T) {
	e := setup(t, navertest.Options{InstantBuild: true}, naver.Options{})
	var sink memSink
	res, err := e.client.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 3 {
		t.Errorf("Calls = %d, want 3 (create, download, delete)", res.Calls)
	}
	rs := e.requests(e.a.CustomerID)
	var got []string
	for _, r := range rs {
		got = append(got, r.Method+" "+r.Path)
	}
	want := "POST /stat-reports|GET /report-download|DELETE /stat-reports/" + res.JobID
	if strings.Join(got, "|") != want {
		t.Errorf("requests %q, want %q", got, want)
	}
	e.checkADFile(t, e.a.CustomerID, yesterday(), sink.Bytes())
}

func TestFetchStatReportNone(t *testing.T) {
	e := setup(t, navertest.Options{BuildDelay: 5 * time.Millisecond}, naver.Options{})
	day := e.noDataDay(t, e.a.CustomerID)
	var sink memSink
	res, err := e.client.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: day}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != naver.StatusNone || sink.Len() != 0 {
		t.Errorf("result %+v, %d bytes", res, sink.Len())
	}
	if countReq(e.requests(e.a.CustomerID), http.MethodDelete, "/stat-reports/"+res.JobID) != 1 {
		t.Error("NONE job not deleted")
	}
	if n := e.sim.OutstandingJobs(e.a.CustomerID); n != 0 {
		t.Errorf("%d jobs left", n)
	}
}

func TestFetchStatReportRecreates(t *testing.T) {
	tests := []struct {
		name        string
		fault       navertest.Fault
		wantCreates int
		wantErr     error
	}{
		{"ERROR then success", navertest.Fault{Kind: navertest.ReportError, Count: 1}, 2, nil},
		{"ERROR three times", navertest.Fault{Kind: navertest.ReportError}, 3, naver.ErrReportFailed},
		{"vanished job (20011)", navertest.Fault{Kind: navertest.VanishJob, Count: 1}, 2, nil},
		{"data changed", navertest.Fault{Kind: navertest.DataChanged, Count: 1}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, navertest.Options{BuildDelay: 5 * time.Millisecond}, naver.Options{})
			e.sim.SetFault(tt.fault)
			var sink memSink
			res, err := e.client.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			rs := e.requests(e.a.CustomerID)
			if n := countReq(rs, http.MethodPost, "/stat-reports"); n != tt.wantCreates {
				t.Errorf("%d creates, want %d", n, tt.wantCreates)
			}
			if err == nil {
				e.checkADFile(t, e.a.CustomerID, yesterday(), sink.Bytes())
			}
			if n := e.sim.OutstandingJobs(e.a.CustomerID); n != 0 {
				t.Errorf("%d jobs left", n)
			}
			if res.Calls != len(rs) {
				t.Errorf("Calls = %d, server saw %d", res.Calls, len(rs))
			}
		})
	}
}

func TestFetchStatReportFaults(t *testing.T) {
	tests := []struct {
		name      string
		fault     navertest.Fault
		day       time.Time
		wantErr   error // nil: the fetch must succeed
		transient bool
		wantCalls int // 0: do not check
	}{
		{name: "429 twice", fault: navertest.Fault{Kind: navertest.RateLimit429, Count: 2}},
		{name: "429 with Retry-After", fault: navertest.Fault{Kind: navertest.RateLimit429, Count: 1, RetryDelay: time.Second}},
		{name: "1016 twice", fault: navertest.Fault{Kind: navertest.TooManyConnections1016, Count: 2}},
		{name: "500 twice", fault: navertest.Fault{Kind: navertest.ServerError500, Count: 2}},
		{name: "503 always", fault: navertest.Fault{Kind: navertest.Maintenance503}, wantErr: naver.ErrMaintenance, transient: true, wantCalls: 5},
		{name: "download cut", fault: navertest.Fault{Kind: navertest.CutDownload, Count: 1}},
		{name: "download cut always", fault: navertest.Fault{Kind: navertest.CutDownload}, wantErr: naver.ErrTransport, transient: true},
		{name: "slow answer", fault: navertest.Fault{Kind: navertest.SlowResponse, Count: 1, Delay: time.Minute}},
		{name: "20007 yesterday", fault: navertest.Fault{Kind: navertest.NotReady20007}, wantErr: naver.ErrNotReady, transient: true, wantCalls: 1},
		{name: "20007 only hits yesterday", fault: navertest.Fault{Kind: navertest.NotReady20007}, day: yesterday().AddDate(0, 0, -3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A short HTTP timeout lets SlowResponse become a transport error.
			e := setup(t, navertest.Options{InstantBuild: true},
				naver.Options{HTTPClient: &http.Client{Timeout: 2 * time.Second}})
			e.sim.SetFault(tt.fault)
			day := tt.day
			if day.IsZero() {
				day = yesterday()
			}
			var sink memSink
			res, err := e.client.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: day}, &sink)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				e.checkADFile(t, e.a.CustomerID, day, sink.Bytes())
			} else if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && naver.IsTransient(err) != tt.transient {
				t.Errorf("IsTransient(%v) = %v", err, !tt.transient)
			}
			if tt.wantCalls != 0 && res.Calls != tt.wantCalls {
				t.Errorf("Calls = %d, want %d", res.Calls, tt.wantCalls)
			}
			if n := e.sim.OutstandingJobs(e.a.CustomerID); n != 0 {
				t.Errorf("%d jobs left", n)
			}
		})
	}
}

func TestPrematureNoneThenBuilt(t *testing.T) {
	e := setup(t, navertest.Options{InstantBuild: true}, naver.Options{})
	e.sim.SetFault(navertest.Fault{Kind: navertest.PrematureNone, Count: 1})
	var sink memSink
	res, err := e.client.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink)
	if err != nil || res.Status != naver.StatusNone {
		t.Fatalf("first fetch: %+v, %v; want NONE", res, err)
	}
	res, err = e.client.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink)
	if err != nil || res.Status != naver.StatusBuilt {
		t.Fatalf("second fetch: %+v, %v; want BUILT", res, err)
	}
	e.checkADFile(t, e.a.CustomerID, yesterday(), sink.Bytes())
}

func TestRateLimitBurstPausesOnlyThatCustomer(t *testing.T) {
	e := setup(t, navertest.Options{InstantBuild: true}, naver.Options{RateLimitPause: time.Hour})
	e.sim.SetFault(navertest.Fault{Customer: e.a.CustomerID, Kind: navertest.RateLimit429, Count: 5})
	var sink memSink
	_, err := e.client.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink)
	var rl *naver.RateLimitError
	if !errors.Is(err, naver.ErrRateLimited) || !errors.As(err, &rl) {
		t.Fatalf("err = %v, want a *RateLimitError", err)
	}
	if until := e.client.PausedUntil(e.a.CustomerID); until.Sub(e.now()) < 50*time.Minute {
		t.Errorf("customer a paused until %v", until)
	}
	if until := e.client.PausedUntil(e.b.CustomerID); !until.IsZero() {
		t.Errorf("customer b paused until %v", until)
	}
	if _, err := e.client.FetchStatReport(t.Context(), e.b, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink); err != nil {
		t.Fatalf("customer b: %v", err)
	}
	before := len(e.requests(e.a.CustomerID))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := e.client.FetchStatReport(ctx, e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("paused customer: err = %v", err)
	}
	if after := len(e.requests(e.a.CustomerID)); after != before {
		t.Errorf("paused customer sent %d requests", after-before)
	}
}

func TestAuthErrorsAreNotRetried(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(*naver.Credentials, *naver.Options)
		wantType string
	}{
		{"wrong secret", func(c *naver.Credentials, _ *naver.Options) { c.SecretKey = "wrong-secret" }, "urn:naver:api:problem:invalid-signature"},
		{"unknown key", func(c *naver.Credentials, _ *naver.Options) { c.APIKey = "0100000000unknown" }, "urn:naver:api:problem:auth-failed"},
		{"clock 2 min slow", func(_ *naver.Credentials, o *naver.Options) {
			clock := testClock()
			o.Now = func() time.Time { return clock().Add(-2 * time.Minute) }
		}, "urn:naver:api:problem:invalid-timestamp"},
		{"empty key", func(c *naver.Credentials, _ *naver.Options) { c.APIKey = "" }, "urn:naver:api:problem:missing-header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var co naver.Options
			e := setup(t, navertest.Options{}, co)
			cred := e.a
			tt.mutate(&cred, &co)
			if co.Now != nil {
				co.BaseURL = e.srv.URL
				c, err := naver.NewClient(co)
				if err != nil {
					t.Fatal(err)
				}
				e.client = c
			}
			err := e.client.CheckCredentials(t.Context(), cred)
			var ae *naver.APIError
			if !errors.Is(err, naver.ErrAuth) || !errors.As(err, &ae) || ae.Type != tt.wantType {
				t.Fatalf("err = %v, want %s", err, tt.wantType)
			}
			if ae.TransactionID == "" {
				t.Error("no transaction id")
			}
			if naver.IsTransient(err) {
				t.Error("auth error is transient")
			}
			if n := len(e.sim.Requests()); n != 1 {
				t.Errorf("%d requests, want 1 (no retry)", n)
			}
			if cred.SecretKey != "" && strings.Contains(err.Error(), cred.SecretKey) {
				t.Errorf("error %q contains the secret", err)
			}
			// Naver echoes the signature in invalid-signature answers.
			if tt.wantType == "urn:naver:api:problem:invalid-signature" && !strings.Contains(err.Error(), "Signature '[redacted]'") {
				t.Errorf("signature not redacted: %v", err)
			}
		})
	}
	t.Run("good credentials", func(t *testing.T) {
		e := setup(t, navertest.Options{}, naver.Options{})
		if err := e.client.CheckCredentials(t.Context(), e.a); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDownloadRefusesForeignHost(t *testing.T) {
	e := setup(t, navertest.Options{}, naver.Options{})
	for _, u := range []string{
		"http://evil.example/report-download?authtoken=x&fileVersion=v2",
		"https://" + strings.TrimPrefix(e.srv.URL, "http://") + "/report-download?authtoken=x",
		"::bad",
	} {
		var sink memSink
		if _, err := e.client.Download(t.Context(), e.a, u, &sink); !errors.Is(err, naver.ErrForeignHost) {
			t.Errorf("Download(%q) err = %v", u, err)
		}
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestBaseURLTrailingSlash(t *testing.T) {
	e := setup(t, navertest.Options{InstantBuild: true}, naver.Options{})
	c, err := naver.NewClient(naver.Options{BaseURL: e.srv.URL + "/", Now: e.now})
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if _, err := c.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink); err != nil {
		t.Fatal(err)
	}
	for _, r := range e.sim.Requests() {
		if strings.HasPrefix(r.Path, "//") {
			t.Errorf("request to %s", r.Path)
		}
	}
}

func TestStatJobCap(t *testing.T) {
	e := setup(t, navertest.Options{}, naver.Options{})
	var first int64
	for i := range 101 {
		r, err := e.client.CreateStatReport(t.Context(), e.a, "AD", yesterday().AddDate(0, 0, -i))
		if err != nil {
			t.Fatalf("create %d: %v", i+1, err)
		}
		if i == 0 {
			first = r.ReportJobID
		}
	}
	if _, err := e.client.GetStatReport(t.Context(), e.a, first); !errors.Is(err, naver.ErrNotFound) {
		t.Errorf("oldest job: err = %v, want ErrNotFound", err)
	}
	list, err := e.client.ListStatReports(t.Context(), e.a)
	if err != nil || len(list) != 100 {
		t.Fatalf("list: %d jobs, %v", len(list), err)
	}
	if e.sim.MaxOutstanding(e.a.CustomerID) != 100 {
		t.Errorf("MaxOutstanding = %d", e.sim.MaxOutstanding(e.a.CustomerID))
	}
}

func TestForeignJobsCountTowardCap(t *testing.T) {
	e := setup(t, navertest.Options{MaxJobs: 3}, naver.Options{})
	e.sim.AddForeignJobs(e.a.CustomerID, 3)
	r, err := e.client.CreateStatReport(t.Context(), e.a, "AD", yesterday())
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.client.ListStatReports(t.Context(), e.a)
	if err != nil || len(list) != 3 || list[2].ReportJobID != r.ReportJobID {
		t.Fatalf("list %+v, %v", list, err)
	}
}

func TestNotServedDays(t *testing.T) {
	e := setup(t, navertest.Options{}, naver.Options{})
	today := yesterday().AddDate(0, 0, 1)
	for name, day := range map[string]time.Time{
		"today": today, "future": today.AddDate(0, 0, 3), "366 days ago": today.AddDate(0, 0, -366),
	} {
		_, err := e.client.CreateStatReport(t.Context(), e.a, "AD", day)
		if !errors.Is(err, naver.ErrNotServed) || naver.IsTransient(err) {
			t.Errorf("%s: err = %v, want ErrNotServed", name, err)
		}
	}
	if n := len(e.sim.Requests()); n != 3 {
		t.Errorf("%d requests, want 3 (no retries)", n)
	}
	r, err := e.client.CreateStatReport(t.Context(), e.a, "AD", today.AddDate(0, 0, -365))
	if err != nil {
		t.Fatalf("365 days ago: %v", err)
	}
	if !r.Day.Equal(today.AddDate(0, 0, -365)) || r.Status != naver.StatusRegist {
		t.Errorf("job %+v", r)
	}
}

func TestJobOfAnotherCustomer(t *testing.T) {
	e := setup(t, navertest.Options{}, naver.Options{})
	r, err := e.client.CreateStatReport(t.Context(), e.a, "AD", yesterday())
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetStatReport(t.Context(), e.b, r.ReportJobID)
	var ae *naver.APIError
	if !errors.As(err, &ae) || ae.Code != 20005 || !errors.Is(err, naver.ErrNotFound) {
		t.Fatalf("err = %v, want 403 20005", err)
	}
}

func TestCallsPerReportOverManyDays(t *testing.T) {
	e := setup(t, navertest.Options{InstantBuild: true}, naver.Options{})
	total := 0
	for d := range 30 {
		day := yesterday().AddDate(0, 0, -d)
		for _, typ := range []string{"AD", "AD_CONVERSION"} {
			var sink memSink
			res, err := e.client.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: typ, Day: day}, &sink)
			if err != nil {
				t.Fatalf("%s %s: %v", typ, day.Format(time.DateOnly), err)
			}
			want := 3 // create, download, delete
			if res.Status == naver.StatusNone {
				want = 2 // create, delete
			}
			if res.Calls != want {
				t.Errorf("%s %s: %d calls, want %d", typ, day.Format(time.DateOnly), res.Calls, want)
			}
			total += res.Calls
		}
	}
	if n := len(e.requests(e.a.CustomerID)); n != total {
		t.Errorf("server saw %d requests, client counted %d", n, total)
	}
	if e.sim.MaxOutstanding(e.a.CustomerID) != 1 {
		t.Errorf("MaxOutstanding = %d, want 1", e.sim.MaxOutstanding(e.a.CustomerID))
	}
}

func TestFetchMasterReport(t *testing.T) {
	e := setup(t, navertest.Options{BuildDelay: 5 * time.Millisecond}, naver.Options{})
	counts := map[string]int{}
	for _, item := range []string{"Campaign", "Adgroup", "Keyword"} {
		var sink memSink
		res, err := e.client.FetchMasterReport(t.Context(), e.a, item, time.Time{}, &sink)
		if err != nil || res.Status != naver.StatusBuilt {
			t.Fatalf("%s: %+v, %v", item, res, err)
		}
		var perr error
		switch item {
		case "Campaign":
			perr = naver.ParseCampaigns(&sink, item, func(c *naver.Campaign) error {
				if !strings.HasPrefix(c.ID, "cmp-") || c.Name == "" {
					t.Errorf("campaign %+v", c)
				}
				counts[item]++
				return nil
			})
		case "Adgroup":
			perr = naver.ParseAdgroups(&sink, item, func(a *naver.Adgroup) error {
				if !strings.HasPrefix(a.ID, "grp-") || !strings.HasPrefix(a.CampaignID, "cmp-") {
					t.Errorf("adgroup %+v", a)
				}
				counts[item]++
				return nil
			})
		case "Keyword":
			perr = naver.ParseKeywords(&sink, item, func(k *naver.Keyword) error {
				if !strings.HasPrefix(k.ID, "nkw-") || !strings.HasPrefix(k.AdgroupID, "grp-") {
					t.Errorf("keyword %+v", k)
				}
				counts[item]++
				return nil
			})
		}
		if perr != nil {
			t.Fatal(perr)
		}
	}
	if counts["Campaign"] != 3 || counts["Adgroup"] != 12 || counts["Keyword"] != 120 {
		t.Errorf("counts %v", counts)
	}
	var sink memSink
	res, err := e.client.FetchMasterReport(t.Context(), e.a, "Keyword", testEpoch().AddDate(0, 0, -7), &sink)
	if err != nil || res.Status != naver.StatusNone {
		t.Errorf("delta: %+v, %v; want NONE", res, err)
	}
	e.sim.SetFault(navertest.Fault{Kind: navertest.VanishJob, Count: 1})
	if res, err := e.client.FetchMasterReport(t.Context(), e.a, "Campaign", time.Time{}, &sink); err != nil || res.Status != naver.StatusBuilt {
		t.Errorf("after vanished job: %+v, %v", res, err)
	}
	if n := e.sim.OutstandingJobs(e.a.CustomerID); n != 0 {
		t.Errorf("%d jobs left", n)
	}
}

func TestMasterJobLimitAndDeleted(t *testing.T) {
	e := setup(t, navertest.Options{MaxJobs: 2}, naver.Options{})
	r, err := e.client.CreateMasterReport(t.Context(), e.a, "Campaign", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateMasterReport(t.Context(), e.a, "Adgroup", time.Time{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.CreateMasterReport(t.Context(), e.a, "Keyword", time.Time{})
	if !errors.Is(err, naver.ErrJobLimit) || naver.IsTransient(err) {
		t.Fatalf("third create: err = %v, want ErrJobLimit", err)
	}
	if err := e.client.DeleteMasterReport(t.Context(), e.a, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.GetMasterReport(t.Context(), e.a, r.ID); !errors.Is(err, naver.ErrNotFound) {
		t.Errorf("deleted job: err = %v, want ErrNotFound (204)", err)
	}
}

func TestFetchHonoursContext(t *testing.T) {
	e := setup(t, navertest.Options{BuildDelay: time.Hour}, naver.Options{})
	// Wrap the simulator to learn (by a signal, not a sleep) when the
	// client starts polling.
	polled := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.sim.ServeHTTP(w, r)
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/stat-reports/") {
			once.Do(func() { close(polled) })
		}
	}))
	t.Cleanup(srv.Close)
	c, err := naver.NewClient(naver.Options{BaseURL: srv.URL, Now: e.now, PollMin: time.Millisecond, PollMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var sink memSink
	done := make(chan error, 1)
	go func() {
		_, err := c.FetchStatReport(ctx, e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink)
		done <- err
	}()
	select {
	case <-polled:
	case err := <-done:
		t.Fatalf("fetch ended early: %v", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// The abandoned job is still deleted, so it does not count toward the cap.
	if n := e.sim.OutstandingJobs(e.a.CustomerID); n != 0 {
		t.Errorf("%d jobs left", n)
	}
}
