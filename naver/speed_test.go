package naver_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
)

// plainOnly wraps the simulator so that downloads are answered as plain TSV,
// as when Naver ignores X-Accept-Encoding.
func plainOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("X-Accept-Encoding")
		h.ServeHTTP(w, r)
	})
}

// client returns a client of the env's simulator served through wrap.
func (e *env) clientVia(t *testing.T, wrap func(http.Handler) http.Handler, co naver.Options) *naver.Client {
	t.Helper()
	srv := httptest.NewServer(wrap(e.sim))
	t.Cleanup(srv.Close)
	co.BaseURL, co.Now = srv.URL, e.now
	if co.PollMin == 0 {
		co.PollMin, co.PollMax = time.Millisecond, 5*time.Millisecond
	}
	if co.RetryMin == 0 {
		co.RetryMin, co.RetryMax = time.Millisecond, 5*time.Millisecond
	}
	if co.RatePerSecond == 0 {
		co.RatePerSecond = 10000
	}
	co.TempDir = t.TempDir()
	c, err := naver.NewClient(co)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDownloadZipAndPlain(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(http.Handler) http.Handler
		zip  bool
	}{
		{"zip", func(h http.Handler) http.Handler { return h }, true},
		{"plain", plainOnly, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, navertest.Options{InstantBuild: true}, naver.Options{})
			c := e.clientVia(t, tc.wrap, naver.Options{})
			var sink memSink
			res, err := c.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink)
			if err != nil {
				t.Fatal(err)
			}
			e.checkADFile(t, e.a.CustomerID, yesterday(), sink.Bytes())
			if res.Calls != 3 {
				t.Errorf("Calls = %d, want 3 (create, download, delete)", res.Calls)
			}
			wire := e.sim.LimitStats(e.a.CustomerID).DownloadBytes
			if tc.zip && !(wire > 0 && wire*3 < res.Bytes) {
				t.Errorf("zip: %d bytes on the wire for %d bytes of TSV", wire, res.Bytes)
			}
			if !tc.zip && wire != res.Bytes {
				t.Errorf("plain: %d bytes on the wire, %d written", wire, res.Bytes)
			}
		})
	}
}

func TestDamagedZipIsRetried(t *testing.T) {
	e := setup(t, navertest.Options{InstantBuild: true}, naver.Options{})
	e.sim.SetFault(navertest.Fault{Kind: navertest.CorruptZip, Count: 1})
	c := e.clientVia(t, func(h http.Handler) http.Handler { return h }, naver.Options{})
	var sink memSink
	if _, err := c.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink); err != nil {
		t.Fatal(err)
	}
	e.checkADFile(t, e.a.CustomerID, yesterday(), sink.Bytes())
	if n := countReq(e.requests(e.a.CustomerID), http.MethodGet, "/report-download"); n != 2 {
		t.Errorf("%d downloads, want 2 (the damaged one and its retry)", n)
	}
	if sink.resets < 2 {
		t.Errorf("sink reset %d times, want a reset before the retry", sink.resets)
	}
}

// shortRowOnce answers the first download with its plain file cut in the
// middle of a row, ending the body cleanly (no transport error to notice).
func shortRowOnce(h http.Handler) http.Handler {
	var done atomic.Bool
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("X-Accept-Encoding")
		if r.URL.Path != "/report-download" || done.Swap(true) {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		cut := bytes.IndexByte(body[len(body)/2:], '\t') + len(body)/2
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body[:cut])
	})
}

func TestShortRowIsRefusedAndRetried(t *testing.T) {
	e := setup(t, navertest.Options{InstantBuild: true}, naver.Options{})
	c := e.clientVia(t, shortRowOnce, naver.Options{})
	var sink memSink
	if _, err := c.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink); err != nil {
		t.Fatal(err)
	}
	e.checkADFile(t, e.a.CustomerID, yesterday(), sink.Bytes())
	if n := countReq(e.requests(e.a.CustomerID), http.MethodGet, "/report-download"); n != 2 {
		t.Errorf("%d downloads, want 2", n)
	}
	// One attempt only: the short row is an error that says what it is.
	c = e.clientVia(t, shortRowOnce, naver.Options{MaxAttempts: 1})
	_, err := c.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink)
	if !errors.Is(err, naver.ErrDamaged) || !naver.IsTransient(err) {
		t.Fatalf("err = %v, want a transient ErrDamaged", err)
	}
}

func TestStalledDownloadIsRetried(t *testing.T) {
	e := setup(t, navertest.Options{InstantBuild: true}, naver.Options{})
	e.sim.SetFault(navertest.Fault{Kind: navertest.StallDownload, Count: 1})
	// The default transport (no total timeout), as in production.
	c := e.clientVia(t, func(h http.Handler) http.Handler { return h }, naver.Options{StallTimeout: 300 * time.Millisecond})
	var sink memSink
	if _, err := c.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink); err != nil {
		t.Fatal(err)
	}
	e.checkADFile(t, e.a.CustomerID, yesterday(), sink.Bytes())
	if n := countReq(e.requests(e.a.CustomerID), http.MethodGet, "/report-download"); n != 2 {
		t.Errorf("%d downloads, want 2 (the stalled one and its retry)", n)
	}
}

func TestSlowProgressingDownloadIsNotCut(t *testing.T) {
	e := setup(t, navertest.Options{InstantBuild: true}, naver.Options{})
	// About 26 KB of TSV on a 12 KB/s link: over 2 s in all, four times the
	// stall timeout, but a chunk about every 85 ms.
	e.sim.SetLink(12 << 10)
	c := e.clientVia(t, plainOnly, naver.Options{StallTimeout: 500 * time.Millisecond})
	var sink memSink
	res, err := c.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: yesterday()}, &sink)
	if err != nil {
		t.Fatal(err)
	}
	e.checkADFile(t, e.a.CustomerID, yesterday(), sink.Bytes())
	if n := countReq(e.requests(e.a.CustomerID), http.MethodGet, "/report-download"); n != 1 || res.Bytes < 4*(12<<10)/2 {
		t.Errorf("%d downloads of %d bytes, want one of more than two seconds' worth", n, res.Bytes)
	}
}

// Every stat report type downloads through the client in its documented
// layout; AD_DETAIL is the one the official PHP sample asks for.
func TestEveryReportTypeDownloads(t *testing.T) {
	e := setup(t, navertest.Options{BuildDelay: 3 * time.Millisecond}, naver.Options{})
	for _, tp := range naver.ReportTypes() {
		var sink memSink
		res, err := e.client.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: tp, Day: yesterday()}, &sink)
		if err != nil || res.Status != naver.StatusBuilt {
			t.Fatalf("%s: %+v, %v", tp, res, err)
		}
		rows := 0
		err = naver.ParseRows(bytes.NewReader(sink.Bytes()), tp, tp, func(f []string) error {
			if f[1] != e.a.CustomerID {
				return fmt.Errorf("customer column %q", f[1])
			}
			rows++
			return nil
		})
		if err != nil || rows == 0 {
			t.Errorf("%s: %d rows, %v", tp, rows, err)
		}
	}
}

// The client's rate rises from its start to the simulator's limit, drops on
// a 429, and never draws a burst of them.
func TestAdaptiveRateFindsTheLimit(t *testing.T) {
	const limit = 30.0
	e := setup(t, navertest.Options{InstantBuild: true, RateLimit: navertest.RateLimit{PerSecond: limit}}, naver.Options{})
	c := e.clientVia(t, func(h http.Handler) http.Handler { return h }, naver.Options{
		RatePerSecond: 5, MaxRatePerSecond: 10 * limit, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
	})
	deadline := time.Now().Add(2 * time.Minute)
	day := 0
	for {
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for range 10 {
			day++
			d := yesterday().AddDate(0, 0, -(day % 300))
			wg.Add(1)
			go func() {
				defer wg.Done()
				var sink memSink
				if _, err := c.FetchStatReport(t.Context(), e.a, naver.StatRequest{ReportType: "AD", Day: d}, &sink); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		st, err := c.CustomerRate(t.Context(), e.a.CustomerID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Cuts >= 2 {
			t.Logf("after %d reports: %+v", day, st)
			if st.Peak < limit/2 || st.Limit < limit/2 || st.Limit > 2*limit {
				t.Errorf("peak %.1f/s, limit found %.1f/s; the simulator allows %.0f/s", st.Peak, st.Limit, limit)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no two drops of the rate after %d reports: %+v", day, st)
		}
	}
	if ls := e.sim.LimitStats(e.a.CustomerID); ls.Penalties != 0 || ls.Limited == 0 {
		t.Errorf("simulator: %+v; want some 429s and no burst", ls)
	}
	if !c.PausedUntil(e.a.CustomerID).IsZero() {
		t.Error("the client paused the customer: it saw a burst of 429s")
	}
}
