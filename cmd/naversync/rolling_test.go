package main

import (
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/store/storetest"
)

// overlapWatch serves one stand-in to two replicas, each through its own listener, and records
// when requests of both replicas for one key (a customer at Naver, a spreadsheet at Google) were
// in flight at once.
type overlapWatch struct {
	h   http.Handler
	key func(*http.Request) string // "" for requests not watched

	mu       sync.Mutex
	inflight map[string]map[string]int // key -> replica -> requests in flight
	served   map[string]int            // replica -> requests watched
	overlaps []string
}

func newOverlapWatch(h http.Handler, key func(*http.Request) string) *overlapWatch {
	return &overlapWatch{h: h, key: key, inflight: map[string]map[string]int{}, served: map[string]int{}}
}

// listener serves the stand-in to one replica.
func (o *overlapWatch) listener(t *testing.T, replica string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := o.key(r)
		if k == "" {
			o.h.ServeHTTP(w, r)
			return
		}
		o.mu.Lock()
		if o.inflight[k] == nil {
			o.inflight[k] = map[string]int{}
		}
		for other, n := range o.inflight[k] {
			if other != replica && n > 0 {
				o.overlaps = append(o.overlaps, fmt.Sprintf("%s: %s %s by %s while %s had %d in flight", k, r.Method, r.URL.Path, replica, other, n))
			}
		}
		o.inflight[k][replica]++
		o.served[replica]++
		o.mu.Unlock()
		defer func() {
			o.mu.Lock()
			o.inflight[k][replica]--
			o.mu.Unlock()
		}()
		o.h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (o *overlapWatch) report() (overlaps []string, served map[string]int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.overlaps), maps.Clone(o.served)
}

// TestRollingUpgrade: during a rolling upgrade today's binary (which migrated the database) and
// release 10e4a02 serve one PostgreSQL database for a while, both taking syncs. The release's
// start leaves the migrated schema as it is (every migration after the baseline only expands
// it: store/migrations/README.md); the two never call Naver for one customer at once (the
// customer lease) nor write one spreadsheet at once (the sheet lock), every sheet is exact, and a
// sync in a state neither knows (as a later release may write) is left alone by both.
func TestRollingUpgrade(t *testing.T) {
	bin := releaseBinary(t)
	customers := []string{"9201", "9202", "9203", "9204"}
	w := newUpgradeWorld(t, customers...)
	w.sheets.CreateSpreadsheet("sheet-shared", sheetstest.DefaultCaller) // two customers' tabs in one spreadsheet
	naverWatch := newOverlapWatch(w.naver, func(r *http.Request) string { return r.Header.Get("X-Customer") })
	sheetWatch := newOverlapWatch(w.sheets, func(r *http.Request) string {
		if r.Method == http.MethodGet {
			return ""
		}
		id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v4/spreadsheets/"), "/")
		id, _, _ = strings.Cut(id, ":")
		return id
	})

	// Today's binary first: it migrates the database.
	newEnv := maps.Clone(w.env)
	newEnv["NAVERSYNC_NAVER_BASE_URL"] = naverWatch.listener(t, "new")
	newEnv["NAVERSYNC_SHEETS_ENDPOINT"] = sheetWatch.listener(t, "new")
	addr, logs, stop := startServe(t, newEnv)
	nbase := "http://" + addr
	migrated := storetest.Schema(t, w.db)

	// A sync in a state a later release may add, which neither binary knows.
	raw, err := sql.Open("pgx", w.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	unknownRow := func() string {
		var row string
		if err := raw.QueryRowContext(t.Context(), `SELECT status || '|' || phase || '|' || worker || '|' || attempts || '|' || lease_token || '|' || updated_at
			FROM syncs WHERE id = 'future-1'`).Scan(&row); err != nil {
			t.Fatalf("the sync in an unknown state: %v", err)
		}
		return row
	}

	// Then the release, beside it.
	w.env["NAVERSYNC_NAVER_BASE_URL"] = naverWatch.listener(t, "old")
	w.env["NAVERSYNC_SHEETS_ENDPOINT"] = sheetWatch.listener(t, "old")
	obase, _, _ := w.startRelease(t, bin)
	if got := storetest.Schema(t, w.db); !slices.Equal(got, migrated) {
		t.Fatalf("the release's start changed the migrated schema:\n%s", diffSchema(migrated, got))
	}

	accounts := map[string]string{} // customer -> account
	tabs := map[string][2]string{}  // customer -> spreadsheet, tab
	for i, c := range customers {
		sheet, tab := "sheet-"+c, ""
		if i < 2 {
			sheet, tab = "sheet-shared", "tab-"+c
		}
		base := nbase
		if i%2 == 1 {
			base = obase
		}
		accounts[c] = createAccountIn(t, base, c, "secret-"+c, sheet, tab)
		tabs[c] = [2]string{sheet, cmpOr(tab, "naver_ads")}
	}
	now := time.Now().UTC()
	if _, err := raw.ExecContext(t.Context(), `INSERT INTO syncs (id, account_id, customer_id, from_day, to_day, reuse_before, fresh_after,
		trigger_kind, status, phase, idempotency_key, scheduled_for, retry_of, attempts, max_attempts, run_after, reports_total,
		reports_fetched, rows_processed, error_message, error_kind, cancel_requested, worker, lease_token, claim_token,
		created_at, updated_at, lock_wait_ns)
		VALUES ('future-1', $1, $2, '2026-11-01', '2026-11-02', '', $3, 'manual', 'awaiting_quota', 'awaiting_quota', '', '', '',
		0, 3, $3, 0, 0, 0, '', '', false, '', 0, 0, $3, $3, 0)`, accounts[customers[2]], customers[2], now); err != nil {
		t.Fatal(err)
	}
	before := unknownRow()

	// Syncs through both APIs, three rounds, the replicas competing for them.
	var ids []string
	for round := range 3 {
		for i, c := range customers {
			base := nbase
			if (i+round)%2 == 1 {
				base = obase
			}
			ids = append(ids, postSync(t, base, accounts[c], 3+round, fmt.Sprintf("roll-%s-%d", c, round)).ID)
		}
	}
	ranges := map[string][2]string{} // customer -> widest range synced
	for _, id := range ids {
		s := waitStatus(t, nbase, id, "succeeded", "failed", "canceled")
		if s.Status != "succeeded" {
			t.Errorf("sync %s: %+v", id, s)
		}
		var full struct {
			CustomerID string `json:"customer_id"`
		}
		getJSON(t, nbase+"/syncs/"+id, &full)
		r := ranges[full.CustomerID]
		if r[0] == "" || s.From < r[0] {
			r[0] = s.From
		}
		if s.To > r[1] {
			r[1] = s.To
		}
		ranges[full.CustomerID] = r
	}
	for _, c := range customers {
		checkTabExact(t, w, c, tabs[c][0], tabs[c][1], ranges[c][0], ranges[c][1])
	}
	overlaps, served := naverWatch.report()
	t.Logf("Naver calls by replica: %v", served)
	for _, o := range overlaps {
		t.Errorf("Naver, one customer from both replicas at once: %s", o)
	}
	if served["old"] == 0 || served["new"] == 0 {
		t.Errorf("Naver calls by replica %v: both should have worked", served)
	}
	overlaps, served = sheetWatch.report()
	t.Logf("Sheets writes by replica: %v", served)
	for _, o := range overlaps {
		t.Errorf("Sheets, one spreadsheet written by both replicas at once: %s", o)
	}
	if served["old"] == 0 || served["new"] == 0 {
		t.Errorf("Sheets writes by replica %v: both should have written", served)
	}
	if after := unknownRow(); after != before {
		t.Errorf("the sync in a state neither knows was changed: %s, was %s", after, before)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, logs.String())
	}
	if got := storetest.Schema(t, w.db); !slices.Equal(got, migrated) {
		t.Errorf("the schema changed while both served:\n%s", diffSchema(migrated, got))
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func diffSchema(want, got []string) string {
	var b strings.Builder
	for _, l := range want {
		if !slices.Contains(got, l) {
			fmt.Fprintln(&b, "-", l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			fmt.Fprintln(&b, "+", l)
		}
	}
	return b.String()
}
