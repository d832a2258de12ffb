package service_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// The PostgreSQL server restarts twice under a running engine: once while syncs fetch, once
// while one writes its sheet. A restart is, to its clients, every connection terminated; that is
// done here with pg_terminate_backend from a separate connection (only on this test's own
// connections, tagged by application_name, so suites running beside it on the same server are
// not disturbed). Every sync must still end succeeded with the right sums, no lease held, and
// the engine ready again.
func TestFaultDatabaseRestart(t *testing.T) {
	var pg *storetest.DB
	for _, db := range storetest.Databases(t) {
		if db.Name == store.DialectPostgres {
			pg = &db
		}
	}
	if pg == nil {
		t.Skip("needs PostgreSQL (" + storetest.EnvDatabaseURL + "); a SQLite file has no server to restart")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	app := "naversync_fault_" + hex.EncodeToString(b[:])
	u, err := url.Parse(pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	db := storetest.DB{Name: pg.Name, URL: u.String()}

	admin, err := pgx.Connect(t.Context(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	var adminMu sync.Mutex
	var terminated atomic.Int64
	restart := func() {
		adminMu.Lock()
		defer adminMu.Unlock()
		var n int64
		err := admin.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`, app).Scan(&n)
		if err != nil {
			t.Errorf("terminate backends: %v", err)
			return
		}
		terminated.Add(n)
	}

	w := newWorld(t, db, worldOptions{buildDelay: 5 * time.Millisecond})
	ttl := 3 * time.Second
	e := w.relEngine(relOptions{fetchWorkers: 3, processWorkers: 2, leaseTTL: ttl, maxAttempts: 8})
	var ids []string
	sheets := map[string]string{}
	for i, c := range []string{"6001", "6002", "6003"} {
		w.customer(c, 2, 2, 3)
		sheet := "sheet-db-" + c
		a := w.account(e, "Restart "+c, c, sheet, service.LevelAdgroup)
		s := enqueue(t, e, a.ID, 8+i)
		ids = append(ids, s.ID)
		sheets[s.ID] = sheet
	}
	var naverCalls atomic.Int64
	var fetchStrike, writeStrike sync.Once
	struck := make(chan struct{}, 2)
	w.setNaverHook(func(*http.Request) {
		if naverCalls.Add(1) == 20 {
			fetchStrike.Do(func() { restart(); struck <- struct{}{} })
		}
	})
	w.setSheetGate(func(*http.Request) {
		writeStrike.Do(func() { restart(); struck <- struct{}{} })
	})
	got := waitTerminalThrough(t, e.svc, 90*time.Second, ids...)
	if len(struck) != 2 {
		t.Fatalf("the database was restarted %d times, want 2 (once fetching, once writing)", len(struck))
	}
	if terminated.Load() == 0 {
		t.Fatal("pg_terminate_backend ended no connection of the engine: the fault was not injected")
	}
	t.Logf("terminated %d engine connections in 2 restarts", terminated.Load())
	for _, id := range ids {
		s := got[id]
		if s.Status != service.StatusSucceeded {
			t.Errorf("sync %s ended %s %+v, want succeeded after the restart", id, s.Status, s.Error)
			continue
		}
		checkSheetMatchesNaver(t, w, sheets[id], s.CustomerID, s.From, s.To)
	}
	checkNoLeaseHeld(t, w, e, ttl)
	if err := e.svc.Ready(t.Context()); err != nil {
		t.Errorf("engine not ready after the restart: %v", err)
	}
	// A sync queued after the restarts runs too (the wake-up listener reconnected or the poll
	// covers it).
	a := w.account(e, "After", "6001", "sheet-db-after", service.LevelCampaign)
	s := enqueue(t, e, a.ID, 3)
	if r := waitTerminal(t, e.svc, s.ID)[s.ID]; r.Status != service.StatusSucceeded {
		t.Errorf("sync after the restarts: %s %+v", r.Status, r.Error)
	}
}
