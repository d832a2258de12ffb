package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naversync/naversync/api"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// BenchmarkLargeHistory measures the API's and the engine's frequent queries on PostgreSQL
// with a small history (1,000 syncs) and a year of daily refreshes for 1,000 accounts and more
// (1,000,000 syncs): p50 and p99 of GET /syncs (unfiltered, by account, by customer, by
// status), GET /accounts, /metrics, each through real HTTP requests to the api handler, and
// the engine's fetch claim (store.ClaimFetch) and change feed look (store.RecentSyncChanges).
// Run it with
//
//	NAVERSYNC_TEST_DATABASE_URL=postgres://... go test -run '^$' -bench LargeHistory -benchtime 1x ./api/
//
// Each figure at 1,000,000 syncs should be within 2x of the same figure at 1,000.
func BenchmarkLargeHistory(b *testing.B) {
	dbs := storetest.Databases(b)
	if len(dbs) < 2 {
		b.Skip("needs PostgreSQL: set NAVERSYNC_TEST_DATABASE_URL")
	}
	results := map[int]map[string]quantile{}
	sizes := []int{1_000, 1_000_000}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("syncs=%d", n), func(b *testing.B) {
			db := storetest.Databases(b)[1]
			res := measureHistory(b, db, n)
			results[n] = res
			for _, name := range historyOps {
				unit := strings.Trim(strings.NewReplacer(" ", "_", "/", "_", "?", "_", "=", "_", "(", "", ")", "", ",", "").Replace(name), "_")
				b.ReportMetric(ms(res[name].p50), unit+"_p50_ms")
				b.ReportMetric(ms(res[name].p99), unit+"_p99_ms")
			}
		})
	}
	if len(results) != len(sizes) {
		return
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%-40s %10s %10s %10s %10s %7s %7s\n", "operation", "p50 1k", "p99 1k", "p50 1M", "p99 1M", "p50 ×", "p99 ×")
	for _, name := range historyOps {
		s, l := results[sizes[0]][name], results[sizes[1]][name]
		fmt.Fprintf(&sb, "%-40s %8.2fms %8.2fms %8.2fms %8.2fms %6.2fx %6.2fx\n", name, ms(s.p50), ms(s.p99), ms(l.p50), ms(l.p99), ms(l.p50)/ms(s.p50), ms(l.p99)/ms(s.p99))
	}
	fmt.Print(sb.String())
}

// activeAccounts is how many accounts the n syncs belong to: every account for a large
// history; for a small one, few enough that each holds a full page (50) of syncs, so that the
// filtered lists of both sizes answer pages of the same size and only the history differs.
func activeAccounts(n int) int {
	return min(1000, max(1, n/60))
}

// explain prints PostgreSQL's plans of the lists' queries (NAVERSYNC_BENCH_EXPLAIN set).
func explain(b *testing.B, url, account string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`SELECT * FROM syncs ORDER BY created_at DESC, id DESC LIMIT 51`,
		`SELECT * FROM syncs WHERE account_id = '` + account + `' ORDER BY created_at DESC, id DESC LIMIT 51`,
		`SELECT * FROM syncs WHERE customer_id = '100007' ORDER BY created_at DESC, id DESC LIMIT 51`,
		`SELECT * FROM syncs WHERE status = 'failed' ORDER BY created_at DESC, id DESC LIMIT 51`,
	} {
		rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var line string
			_ = rows.Scan(&line)
			fmt.Println(line)
		}
		rows.Close()
	}
}

// historyOps are the measured operations, in the order of the report.
var historyOps = []string{"GET /syncs", "GET /syncs (page 2)", "GET /syncs?account_id", "GET /syncs?account_id (each account)", "GET /syncs?customer_id",
	"GET /syncs?status=failed", "GET /syncs?status=failed,canceled", "GET /accounts", "GET /metrics", "change feed look", "fetch claim"}

type quantile struct{ p50, p99 time.Duration }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func quantiles(ds []time.Duration) quantile {
	slices.Sort(ds)
	at := func(p float64) time.Duration { return ds[min(int(p*float64(len(ds))+0.999999)-1, len(ds)-1)] }
	return quantile{p50: at(0.50), p99: at(0.99)}
}

// measureHistory fills db with 1,000 accounts, n finished syncs spread over a year and 200
// queued ones, and measures every operation of historyOps.
func measureHistory(b *testing.B, db storetest.DB, n int) map[string]quantile {
	ctx := context.Background()
	// The rows below are dated by PostgreSQL's now(), so the engine's clock starts at the real time.
	w := servicetest.NewWorld(b, db, servicetest.WorldOptions{Start: time.Now()})
	e := w.Engine(servicetest.EngineOptions{NoStart: true, LogLevel: slog.LevelError, Log: io.Discard})
	const accounts, queued = 1000, 200
	ids := make([]string, accounts)
	for i := range accounts {
		a, err := e.Service.CreateAccount(ctx, service.AccountInput{Name: fmt.Sprint("account ", i), CustomerID: fmt.Sprint(100000 + i),
			APIKey: "k", SecretKey: "s", SpreadsheetID: fmt.Sprint("sheet", i)})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = a.ID
	}
	start := time.Now()
	fillSyncs(b, db.URL, n, queued)
	b.Logf("%d syncs inserted in %s", n+queued, time.Since(start).Round(time.Millisecond))
	active := activeAccounts(n)
	if os.Getenv("NAVERSYNC_BENCH_EXPLAIN") != "" {
		explain(b, db.URL, ids[7%active])
	}

	srv := httptest.NewServer(api.New(e.Service, api.Options{}))
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func(path string) func(int) error {
		return func(i int) error {
			// The same 16 accounts at both sizes: the working set is the same, the history differs.
			k := i * 7 % 16
			if strings.Contains(path, "{cold}") { // a different account each time, of 1,000 at 1M
				k = i * 7 % active
			}
			p := strings.NewReplacer("{account}", ids[k], "{cold}", ids[k], "{customer}", fmt.Sprint(100000+k)).Replace(path)
			resp, err := client.Get(srv.URL + p)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %d", p, resp.StatusCode)
			}
			return nil
		}
	}
	// The cursor of the unfiltered list's second page.
	_, cursor, err := e.Service.ListSyncs(ctx, service.SyncFilter{Limit: 50})
	if err != nil || cursor == "" {
		b.Fatalf("list: %q %v", cursor, err)
	}
	ops := map[string]func(int) error{
		"GET /syncs":                           get("/syncs?limit=50"),
		"GET /syncs?account_id":                get("/syncs?limit=50&account_id={account}"),
		"GET /syncs?account_id (each account)": get("/syncs?limit=50&account_id={cold}"),
		"GET /syncs?customer_id":               get("/syncs?limit=50&customer_id={customer}"),
		"GET /syncs?status=failed":             get("/syncs?limit=50&status=failed"),
		"GET /syncs?status=failed,canceled":    get("/syncs?limit=50&status=failed,canceled"),
		"GET /syncs (page 2)":                  get("/syncs?limit=50&cursor=" + cursor),
		"GET /accounts":                        get("/accounts?limit=50"),
		"GET /metrics":                         get("/metrics"),
	}
	const samples, warmup = 500, 20
	out := map[string]quantile{}
	for _, name := range historyOps {
		op := ops[name]
		if op == nil {
			if name == "fetch claim" || name == "change feed look" {
				continue // measured below
			}
			b.Fatalf("no operation %q", name)
		}
		var ds []time.Duration
		for i := range samples + warmup {
			t0 := time.Now()
			if err := op(i); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			if i >= warmup {
				ds = append(ds, time.Since(t0))
			}
		}
		out[name] = quantiles(ds)
	}
	// The change feed's look (once a second per replica while event streams are open).
	var ds []time.Duration
	for i := range samples + warmup {
		t0 := time.Now()
		if _, err := e.Store.RecentSyncChanges(ctx, time.Now().Add(-6*time.Second), 5000); err != nil {
			b.Fatal(err)
		}
		if i >= warmup {
			ds = append(ds, time.Since(t0))
		}
	}
	out["change feed look"] = quantiles(ds)
	// The fetch claim: each claim takes the oldest runnable queued sync of a free customer.
	ds = nil
	for i := range queued {
		t0 := time.Now()
		sy, _, err := e.Store.ClaimFetch(ctx, fmt.Sprint("bench-", i), time.Hour)
		if err != nil || sy == nil {
			b.Fatalf("claim %d: %v %v", i, sy, err)
		}
		ds = append(ds, time.Since(t0))
	}
	out["fetch claim"] = quantiles(ds)
	return out
}

// fillSyncs inserts n finished syncs of the first activeAccounts(n) accounts, spread over the
// last year (a sync every ~31 s for a million: daily refreshes of 1,000 accounts and manual
// syncs), about 5% failed and 1% canceled, then one queued sync for each of the first queued
// accounts, and analyzes the table.
func fillSyncs(b *testing.B, url string, n, queued int) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	step := float64(365*24*3600) / float64(n)
	const cols = `id, account_id, customer_id, from_day, to_day, reuse_before, fresh_after, trigger_kind, status, phase,
 idempotency_key, scheduled_for, retry_of, attempts, max_attempts, run_after, reports_total, reports_fetched,
 rows_processed, error_message, error_kind, cancel_requested, worker, lease_token, locked_until, created_at, updated_at,
 fetch_started_at, lock_acquired_at, lock_released_at, processing_started_at, write_started_at, finished_at, lock_wait_ns`
	history := `WITH a AS (SELECT id, customer_id, row_number() OVER (ORDER BY id) - 1 AS k FROM accounts ORDER BY id LIMIT $3),
 g AS (SELECT g, now() - interval '1 hour' - make_interval(secs => ($1 - g) * $2) AS at FROM generate_series(1, $1) g)
INSERT INTO syncs (` + cols + `)
SELECT md5('s' || g)::uuid::text, a.id, a.customer_id, '2026-01-01', '2026-01-07', '', g.at, 'scheduled',
 CASE WHEN g % 100 = 0 THEN 'canceled' WHEN g % 20 = 0 THEN 'failed' ELSE 'succeeded' END, 'done',
 '', '', '', 1, 5, g.at, 14, 14, 1000, CASE WHEN g % 20 = 0 THEN 'boom' ELSE '' END, '', false, '', 0, NULL,
 g.at, g.at + interval '1 minute', g.at, g.at, g.at + interval '10 seconds', g.at + interval '10 seconds',
 g.at + interval '50 seconds', g.at + interval '1 minute', 0
FROM g JOIN a ON a.k = g % (SELECT count(*) FROM a)`
	if _, err := conn.Exec(ctx, history, n, step, activeAccounts(n)); err != nil {
		b.Fatalf("insert history: %v", err)
	}
	pending := `WITH a AS (SELECT id, customer_id, row_number() OVER (ORDER BY id) AS k FROM accounts)
INSERT INTO syncs (` + cols + `)
SELECT md5('q' || a.k)::uuid::text, a.id, a.customer_id, '2026-01-01', '2026-01-07', '', now(), 'manual', 'queued', 'queued',
 '', '', '', 0, 5, now() - interval '1 minute', 0, 0, 0, '', '', false, '', 0, NULL,
 now() - interval '1 minute' + make_interval(secs => a.k), now(), NULL, NULL, NULL, NULL, NULL, NULL, 0
FROM a WHERE a.k <= $1`
	if _, err := conn.Exec(ctx, pending, queued); err != nil {
		b.Fatalf("insert queued: %v", err)
	}
	// As a table of old rows is: vacuumed (hint bits and visibility map set) and analyzed.
	if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) syncs"); err != nil {
		b.Fatal(err)
	}
}
