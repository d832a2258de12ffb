package service_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// relOptions tune the engine the reliability tests build: unlike world.engine they set the
// Naver client's timeouts and retry pacing, the data dir, and where the log goes.
type relOptions struct {
	fetchWorkers, processWorkers int
	leaseTTL                     time.Duration
	replica                      string
	// httpTimeout is the Naver client's HTTP timeout; default 10s.
	httpTimeout time.Duration
	// dataDir is the engine's DataDir; default a fresh temp dir.
	dataDir string
	// log receives the engine's slog text output besides t.Log (nil: t.Log only).
	log io.Writer
	// quiet drops the t.Log copy (the soak would log megabytes).
	quiet       bool
	maxAttempts int
	noStart     bool
	// window is the engine's ReportWindow; default the service's.
	window int
}

// syncBuffer is an io.Writer safe for the engine's concurrent loggers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// relEngine builds (and unless noStart, starts) one engine replica on the world.
func (w *world) relEngine(o relOptions) *engine {
	t := w.t
	t.Helper()
	if o.leaseTTL == 0 {
		o.leaseTTL = 3 * time.Second
	}
	var outs []io.Writer
	if !o.quiet {
		outs = append(outs, servicetest.Writer(t))
	}
	if o.log != nil {
		outs = append(outs, o.log)
	}
	e := w.Engine(servicetest.EngineOptions{
		Replica: o.replica, FetchWorkers: o.fetchWorkers, ProcessWorkers: o.processWorkers,
		LeaseTTL: o.leaseTTL, PollInterval: 100 * time.Millisecond, MaxAttempts: o.maxAttempts, ReportWindow: o.window,
		HTTPTimeout: o.httpTimeout, DataDir: o.dataDir, NoStart: o.noStart, Log: io.MultiWriter(outs...),
	})
	return &engine{svc: e.Service, store: e.Store}
}

// startEngine starts an engine's workers and stops them when the test ends.
func startEngine(t *testing.T, svc *service.Service) {
	t.Helper()
	(&servicetest.Engine{Service: svc}).Start(t)
}

// enqueue queues a sync of the last days days of an account.
func enqueue(t *testing.T, e *engine, accountID string, days int) service.Sync {
	t.Helper()
	s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: accountID, Days: days})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return s
}

// dayTotals are the AD metrics of one day; pending when the sheet shows the day as not ready.
type dayTotals struct {
	impressions, clicks int64
	cost                float64
	pending             bool
}

// pendingRow reports whether a sheet row stands for a day not ready at Naver yet.
func pendingRow(row []any) bool {
	return len(row) > 1 && row[1] == "(pending: not ready at Naver yet)"
}

// sheetTotals reads a tab written by the engine and sums, per day, impressions, clicks and
// Naver's own cost column. It fails the test when two rows share their key (date and text
// columns): a half file processed twice, or rows written twice, would show up here.
func sheetTotals(t *testing.T, w *world, sheet, tab string) map[string]dayTotals {
	t.Helper()
	vals := w.sheets.Values(sheet, tab)
	if len(vals) == 0 {
		t.Fatalf("sheet %s/%s is empty", sheet, tab)
	}
	col := map[string]int{}
	for i, h := range vals[0] {
		if s, ok := h.(string); ok {
			col[s] = i
		}
	}
	for _, name := range []string{"Date", "Device", "Impressions", "Clicks", "Cost (as reported by Naver)"} {
		if _, ok := col[name]; !ok {
			t.Fatalf("sheet %s/%s: no column %q in header %v", sheet, tab, name, vals[0])
		}
	}
	num := func(row []any, name string) float64 {
		i := col[name]
		if i >= len(row) || row[i] == nil {
			return 0
		}
		f, ok := row[i].(float64)
		if !ok {
			t.Fatalf("sheet %s/%s: column %q holds %T %v", sheet, tab, name, row[i], row[i])
		}
		return f
	}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	out := map[string]dayTotals{}
	seen := map[string]bool{}
	for r, row := range vals[1:] {
		serial := num(row, "Date")
		day := epoch.AddDate(0, 0, int(serial)).Format("2006-01-02")
		var key strings.Builder
		key.WriteString(day)
		for i := 1; i <= col["Device"] && i < len(row); i++ {
			fmt.Fprintf(&key, "|%v", row[i])
		}
		if seen[key.String()] {
			t.Errorf("sheet %s/%s row %d: duplicate row %s", sheet, tab, r+2, key.String())
		}
		seen[key.String()] = true
		d := out[day]
		if pendingRow(row) {
			d.pending = true
			out[day] = d
			continue
		}
		d.impressions += int64(num(row, "Impressions"))
		d.clicks += int64(num(row, "Clicks"))
		d.cost += num(row, "Cost (as reported by Naver)")
		out[day] = d
	}
	return out
}

// checkSheetMatchesNaver compares a tab's per-day sums with the simulator's own totals of the
// customer's AD files: every day of [from, to] must be there, and every day the tab holds must
// equal Naver's totals (true only when every file was processed whole and once).
func checkSheetMatchesNaver(t *testing.T, w *world, sheet, customer, from, to string) {
	t.Helper()
	got := sheetTotals(t, w, sheet, "data")
	f, err1 := time.Parse("2006-01-02", from)
	l, err2 := time.Parse("2006-01-02", to)
	if err1 != nil || err2 != nil {
		t.Fatalf("range %s..%s: %v %v", from, to, err1, err2)
	}
	for d := f; !d.After(l); d = d.AddDate(0, 0, 1) {
		day := d.Format("2006-01-02")
		imp, clk, cost := w.naver.ADTotals(customer, d)
		g := got[day]
		if g.pending {
			t.Errorf("sheet %s day %s: pending, want Naver's data", sheet, day)
		}
		if g.impressions != imp || g.clicks != clk || math.Abs(g.cost-cost) > 0.005*float64(max(1, clk)) {
			t.Errorf("sheet %s day %s: impressions/clicks/cost %d/%d/%.2f, Naver's file sums to %d/%d/%.2f", sheet, day, g.impressions, g.clicks, g.cost, imp, clk, cost)
		}
		delete(got, day)
	}
	// The sheet holds every day the customer has files for (the whole table is rewritten), so
	// days outside this sync's range come from earlier syncs: they must be exact too.
	for day, g := range got {
		d, err := time.Parse("2006-01-02", day)
		if err != nil {
			t.Fatalf("sheet %s: day %q: %v", sheet, day, err)
		}
		if g.pending {
			continue // shown as not ready yet: no figures to compare
		}
		imp, clk, cost := w.naver.ADTotals(customer, d)
		if g.impressions != imp || g.clicks != clk || math.Abs(g.cost-cost) > 0.005*float64(max(1, clk)) {
			t.Errorf("sheet %s day %s (outside %s..%s): %d/%d/%.2f, Naver's file sums to %d/%d/%.2f", sheet, day, from, to, g.impressions, g.clicks, g.cost, imp, clk, cost)
		}
	}
}

// checkNoLeaseHeld fails when a customer lease is still live, or when a stored lease was ever
// set to run longer than one TTL past its last renewal.
func checkNoLeaseHeld(t *testing.T, w *world, e *engine, ttl time.Duration) {
	t.Helper()
	leases, err := e.svc.Leases(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(leases) != 0 {
		t.Errorf("leases still held: %+v", leases)
	}
	db := rawDB(t, w.db)
	rows, err := db.QueryContext(t.Context(), "SELECT customer_id, acquired_at, renewed_at, expires_at FROM customer_leases")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var acq, ren, exp sql.NullTime
		if err := rows.Scan(&c, &acq, &ren, &exp); err != nil {
			t.Fatal(err)
		}
		from := acq.Time
		if ren.Valid && ren.Time.After(from) {
			from = ren.Time
		}
		if exp.Time.Sub(from) > ttl+time.Second {
			t.Errorf("customer %s: lease expires %s, more than the TTL %s after its last renewal %s", c, exp.Time, ttl, from)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// rawDB opens the test database with database/sql, bypassing the store.
func rawDB(t *testing.T, d storetest.DB) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if d.Name == store.DialectPostgres {
		db, err = sql.Open("pgx", d.URL)
	} else {
		db, err = sql.Open("sqlite", strings.TrimPrefix(d.URL, "sqlite://")+"?_pragma=busy_timeout(5000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// allTerminal lists every sync and fails unless each one is terminal.
func allSyncs(t *testing.T, e *engine) []service.Sync {
	t.Helper()
	var out []service.Sync
	cursor := ""
	for {
		page, next, err := e.svc.ListSyncs(t.Context(), service.SyncFilter{Limit: 200, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// tmpEntries counts what is left in the engine's temp download dir.
func tmpEntries(t *testing.T, dataDir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dataDir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// waitTerminalThrough is waitTerminal for tests that break the database under the engine: a
// failed read (the test's own connection was cut too) is retried until the deadline.
func waitTerminalThrough(t *testing.T, svc *service.Service, d time.Duration, ids ...string) map[string]service.Sync {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	out := map[string]service.Sync{}
	for _, id := range ids {
		for {
			err := svc.Follow(ctx, id, func(s service.Sync) error { out[id] = s; return nil })
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("sync %s did not finish: %v (last: %+v)", id, err, out[id])
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond): // back off before reading again
			}
		}
	}
	return out
}

// checkNoOverlapRetried is checkNoOverlap for syncs that may have taken several attempts: a
// sync keeps only its last attempt's lease interval, so a request of an earlier attempt lies in
// no interval. Such requests are counted (and logged), not failed, when the customer has a sync
// with more than one attempt; a request inside two syncs' intervals, or two overlapping
// intervals, always fails. It returns the number of requests checked.
func checkNoOverlapRetried(t *testing.T, reqs []navertest.Request, syncs []service.Sync) int {
	t.Helper()
	retried := map[string]bool{}
	for _, s := range syncs {
		if s.Attempts > 1 {
			retried[s.CustomerID] = true
		}
	}
	var strict []navertest.Request
	earlier := 0
	for _, r := range reqs {
		in := 0
		for _, s := range syncs {
			tm := s.Timings
			if s.CustomerID == r.Customer && tm.LockAcquiredAt != nil && tm.LockReleasedAt != nil &&
				!r.Start.Before(*tm.LockAcquiredAt) && !r.End.After(*tm.LockReleasedAt) {
				in++
			}
		}
		if in == 0 && retried[r.Customer] {
			earlier++
			continue
		}
		strict = append(strict, r)
	}
	if earlier > 0 {
		t.Logf("%d requests belong to earlier attempts of retried syncs (no recorded interval)", earlier)
	}
	return checkNoOverlap(t, strict, syncs)
}
