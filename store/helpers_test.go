package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// newClock is the clock of one test's Stores: the database's time, starting at a fixed instant
// and running on in real time; tests jump it with Advance to expire leases and claims.
func newClock() *store.Clock { return store.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) }

// env is one database under test with its clock.
type env struct {
	db    storetest.DB
	clock *store.Clock
	s     *store.Store
}

// open opens another Store (replica) on the env's database and clock.
func (e *env) open(t *testing.T) *store.Store {
	t.Helper()
	return storetest.Open(t, e.db, store.Options{Clock: e.clock, Logger: testLogger(t)})
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

// slack is how far a time the store stamped may be from the test's reading of the clock: the
// store's time runs on in real time (it is the database's clock), so exact equality would
// depend on how fast the machine is.
const slack = 2 * time.Second

// near reports whether got is within slack of want.
func near(got, want time.Time) bool {
	d := got.Sub(want)
	return d > -slack && d < slack
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// storetestOpenWithHostClock opens a replica on the env's database whose host clock is host.
func storetestOpenWithHostClock(t *testing.T, e *env, host func() time.Time) *store.Store {
	t.Helper()
	return storetest.Open(t, e.db, store.Options{Clock: e.clock, Now: host, Logger: testLogger(t)})
}

// rescueOne runs Rescue and wants exactly one sync repaired.
func rescueOne(ctx context.Context, s *store.Store) error {
	n, err := s.Rescue(ctx)
	if err == nil && n != 1 {
		err = fmt.Errorf("Rescue repaired %d syncs, want 1", n)
	}
	return err
}
