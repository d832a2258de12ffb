package store_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// clock is a settable clock shared by the Stores of one test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one database under test with its clock.
type env struct {
	db    storetest.DB
	clock *clock
	s     *store.Store
}

// open opens another Store (replica) on the env's database and clock.
func (e *env) open(t *testing.T) *store.Store {
	t.Helper()
	return storetest.Open(t, e.db, store.Options{Now: e.clock.Now, Logger: testLogger(t)})
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tLogWriter struct{ t *testing.T }

func (w tLogWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// each runs fn as a parallel subtest per dialect, each with a fresh database.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Parallel()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Parallel()
			e := &env{db: db, clock: newClock()}
			e.s = e.open(t)
			fn(t, e)
		})
	}
}

func ctxT(t *testing.T) context.Context { return t.Context() }

// mustEnqueue queues a manual sync of customer/account over one day.
func mustEnqueue(t *testing.T, s *store.Store, in store.Sync) store.Sync {
	t.Helper()
	if in.From == "" {
		in.From, in.To = "2026-02-01", "2026-02-01"
	}
	if in.AccountID == "" {
		in.AccountID = "acc-" + in.CustomerID
	}
	got, created, err := s.EnqueueSync(ctxT(t), &in)
	if err != nil {
		t.Fatalf("EnqueueSync: %v", err)
	}
	if !created {
		t.Fatalf("EnqueueSync: not created, got existing %s", got.ID)
	}
	return got
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
