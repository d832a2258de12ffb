package naver_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
)

// testEpoch is "now" at the start of every test: 2026-05-10 12:00 KST.
// The shared clock advances with real time so that jobs build and polls
// progress, while days stay predictable.
func testEpoch() time.Time { return time.Date(2026, 5, 10, 3, 0, 0, 0, time.UTC) }

// yesterday is the latest served day at testEpoch.
func yesterday() time.Time { return time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC) }

func testClock() func() time.Time {
	start, epoch := time.Now(), testEpoch()
	return func() time.Time { return epoch.Add(time.Since(start)) }
}

type env struct {
	sim    *navertest.Server
	srv    *httptest.Server
	client *naver.Client
	a, b   naver.Credentials
	now    func() time.Time
}

// setup starts a simulator with two customers (a and b, sharing one
// license) and a client pointed at it. Zero option fields get fast test
// defaults.
func setup(t *testing.T, so navertest.Options, co naver.Options) *env {
	t.Helper()
	now := testClock()
	if so.Now == nil {
		so.Now = now
	}
	sim := navertest.New(so)
	a := naver.Credentials{CustomerID: "1234567", APIKey: "0100000000licence-key", SecretKey: "AQAAAAsecret+/key=="}
	b := naver.Credentials{CustomerID: "7654321", APIKey: a.APIKey, SecretKey: a.SecretKey}
	sim.AddCustomer(navertest.Customer{ID: a.CustomerID, APIKey: a.APIKey, SecretKey: a.SecretKey, Seed: 1})
	sim.AddCustomer(navertest.Customer{ID: b.CustomerID, APIKey: b.APIKey, SecretKey: b.SecretKey, Seed: 2})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	if co.BaseURL == "" {
		co.BaseURL = srv.URL
	}
	if co.Now == nil {
		co.Now = now
	}
	if co.Logger == nil {
		co.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if co.PollMin == 0 {
		co.PollMin, co.PollMax = time.Millisecond, 5*time.Millisecond
	}
	if co.RetryMin == 0 {
		co.RetryMin, co.RetryMax = time.Millisecond, 5*time.Millisecond
	}
	if co.RatePerSecond == 0 {
		co.RatePerSecond, co.Burst = 10000, 10000
	}
	if co.ClockSlack == 0 {
		// The simulator reads the same clock: a lost create's window is its timeout and a little.
		co.ClockSlack = 100 * time.Millisecond
	}
	c, err := naver.NewClient(co)
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, srv: srv, client: c, a: a, b: b, now: now}
}

// requests returns the simulator's record for one customer.
func (e *env) requests(customerID string) []navertest.Request {
	var out []navertest.Request
	for _, r := range e.sim.Requests() {
		if r.Customer == customerID {
			out = append(out, r)
		}
	}
	return out
}

func countReq(rs []navertest.Request, method, path string) int {
	n := 0
	for _, r := range rs {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// memSink is an in-memory naver.Sink.
type memSink struct {
	bytes.Buffer
	resets int
}

func (m *memSink) Reset() error {
	m.Buffer.Reset()
	m.resets++
	return nil
}

// sumAD parses an AD file and sums it.
func sumAD(t *testing.T, data []byte) (impressions, clicks int64, cost float64, rows int) {
	t.Helper()
	err := naver.ParseAD(bytes.NewReader(data), "AD", func(r *naver.ADRow) error {
		impressions += r.Impressions
		clicks += r.Clicks
		cost += r.Cost
		rows++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return impressions, clicks, cost, rows
}

// checkADFile asserts that data is the complete AD file of day.
func (e *env) checkADFile(t *testing.T, customerID string, day time.Time, data []byte) {
	t.Helper()
	wi, wc, wcost := e.sim.ADTotals(customerID, day)
	gi, gc, gcost, rows := sumAD(t, data)
	if rows == 0 || gi != wi || gc != wc || !closeTo(gcost, wcost) {
		t.Fatalf("file sums to (%d, %d, %.2f) in %d rows, want (%d, %d, %.2f)", gi, gc, gcost, rows, wi, wc, wcost)
	}
}

func closeTo(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-6*max(1, a, b)
}

// noDataDay finds a served day on which customerID has no data.
func (e *env) noDataDay(t *testing.T, customerID string) time.Time {
	t.Helper()
	for d := 1; d < 365; d++ {
		day := yesterday().AddDate(0, 0, -d+1)
		if i, _, _ := e.sim.ADTotals(customerID, day); i == 0 {
			return day
		}
	}
	t.Fatal("no day without data")
	return time.Time{}
}
