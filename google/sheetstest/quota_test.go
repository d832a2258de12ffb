package sheetstest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/google/sheetstest"
)

// fakeClock is a settable clock for the quota's window.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// quotaCall sends a read (GET) or a write (batchUpdate) to the book as caller and returns the
// status, the error message and the Retry-After header.
func quotaCall(t *testing.T, url, caller string, write bool) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/v4/spreadsheets/"+book, nil)
	if write {
		req, _ = http.NewRequest(http.MethodPost, url+"/v4/spreadsheets/"+book+":batchUpdate",
			strings.NewReader(`{"requests":[{"updateCells":{"start":{"sheetId":0},"rows":[{"values":[{"userEnteredValue":{"stringValue":"x"}}]}],"fields":"userEnteredValue"}}]}`))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(sheetstest.CallerHeader, caller)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Error struct {
			Message, Status string
		}
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode == http.StatusTooManyRequests && body.Error.Status != "RESOURCE_EXHAUSTED" {
		t.Errorf("429 with status %q, want RESOURCE_EXHAUSTED", body.Error.Status)
	}
	return res.StatusCode, body.Error.Message, res.Header.Get("Retry-After")
}

func TestQuotaPerUserAndProjectRollingWindow(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv := sheetstest.NewServer(sheetstest.Options{Quota: sheetstest.Quota{
		ReadsPerUser: 2, WritesPerUser: 1, ReadsPerProject: 3, Window: time.Minute, Now: clock.Now,
	}})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	a, b := "A@p1.iam.gserviceaccount.com", "b@p1.iam.gserviceaccount.com"
	other := "c@p2.iam.gserviceaccount.com"
	srv.CreateSpreadsheet(book, "a@p1.iam.gserviceaccount.com", b, other)

	expect := func(caller string, write bool, code int, msg, retry string) {
		t.Helper()
		gotCode, gotMsg, gotRetry := quotaCall(t, hs.URL, caller, write)
		if gotCode != code || !strings.Contains(gotMsg, msg) || gotRetry != retry {
			t.Errorf("%s write=%v: %d %q Retry-After %q, want %d %q Retry-After %q", caller, write, gotCode, gotMsg, gotRetry, code, msg, retry)
		}
	}
	expect(a, false, 200, "", "")
	clock.Advance(20 * time.Second)
	expect(a, false, 200, "", "")
	// The third read within the minute: the per-user limit; the first read leaves the window in 40 s.
	expect(a, false, 429, "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'sheets.googleapis.com'", "40")
	// Writes are a separate metric.
	expect(a, true, 200, "", "")
	expect(a, true, 429, "limit 'Write requests per minute per user'", "60")
	// Another caller of the same project: its own per-user quota, but the project's third read is its last.
	expect(b, false, 200, "", "")
	expect(b, false, 429, "limit 'Read requests per minute' of service", "40")
	// Another project is not touched.
	expect(other, false, 200, "", "")
	// Rolling, not fixed minutes: 39.5 s on, the first read is still in the window; 1 s on, it is out.
	clock.Advance(39500 * time.Millisecond)
	expect(a, false, 429, "per minute per user", "1")
	clock.Advance(time.Second)
	expect(a, false, 200, "", "")

	u := srv.QuotaUsage()
	ca := u.Callers["a@p1.iam.gserviceaccount.com"]
	if want := (sheetstest.QuotaCount{Requests: 5, Rejected: 2, Peak: 4}); ca.Reads != want {
		t.Errorf("caller a reads = %+v, want %+v", ca.Reads, want)
	}
	if want := (sheetstest.QuotaCount{Requests: 2, Rejected: 1, Peak: 2}); ca.Writes != want {
		t.Errorf("caller a writes = %+v, want %+v", ca.Writes, want)
	}
	if want := (sheetstest.QuotaCount{Requests: 7, Rejected: 3, Peak: 6}); u.Projects["p1"].Reads != want {
		t.Errorf("project p1 reads = %+v, want %+v", u.Projects["p1"].Reads, want)
	}
	if want := (sheetstest.QuotaCount{Requests: 1, Peak: 1}); u.Projects["p2"].Reads != want {
		t.Errorf("project p2 reads = %+v, want %+v", u.Projects["p2"].Reads, want)
	}
}

func TestNoQuotaByDefaultButCounted(t *testing.T) {
	srv := sheetstest.NewServer(sheetstest.Options{})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	srv.CreateSpreadsheet(book, sheetstest.DefaultCaller)
	for range 100 {
		if code, msg, _ := quotaCall(t, hs.URL, sheetstest.DefaultCaller, true); code != 200 {
			t.Fatalf("write: %d %s", code, msg)
		}
	}
	got := srv.QuotaUsage().Projects[sheetstest.ProjectOf(sheetstest.DefaultCaller)].Writes
	if got.Requests != 100 || got.Rejected != 0 || got.Peak != 100 {
		t.Errorf("writes = %+v, want 100 requests, none rejected, peak 100", got)
	}
}

func TestProjectOf(t *testing.T) {
	for in, want := range map[string]string{
		"sa@my-proj.iam.gserviceaccount.com": "my-proj",
		"SA@My-Proj.IAM.gserviceaccount.com": "my-proj",
		"someone@example.com":                "default",
		"no-at-sign":                         "default",
	} {
		if got := sheetstest.ProjectOf(in); got != want {
			t.Errorf("ProjectOf(%q) = %q, want %q", in, got, want)
		}
	}
}
