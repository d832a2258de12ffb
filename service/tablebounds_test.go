package service_test

import (
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// tableBound says what bounds one table's size (docs/operations.md, "What bounds each table",
// says the same). keyed tables hold at most one row per key of a bounded set (an account, a
// customer, a day of the window...): repeating a sync must not add rows to them. The others are
// bounded by a retention the maintenance applies, tested where named.
type tableBound struct {
	keyed bool
	how   string
}

var tableBounds = map[string]tableBound{
	"accounts":         {true, "one row per account ever created (deleted ones are kept, secret wiped, so their syncs and audit entries still name them)"},
	"syncs":            {false, "NAVERSYNC_SYNC_RETENTION (store TestRetentionKeepsWhatIsNeeded)"},
	"customer_leases":  {true, "one row per customer id"},
	"report_files":     {true, "one row per customer, report type and day of Naver's window (days past it are deleted: TestExpiredDaysLeaveStorage)"},
	"superseded_files": {false, "NAVERSYNC_FILE_RETENTION (TestPruningNeverListsTheFileStore)"},
	"master_entities":  {true, "one row per entity of the customer's ad account (Naver's master data)"},
	"master_states":    {true, "one row per customer and master item"},
	"scheduler_runs":   {false, "RunRetention (store TestRunRetention, TestTableBounds)"},
	"customer_rates":   {true, "one row per customer id"},
	"sheet_states":     {true, "one row per account with a written tab"},
	"sheet_days":       {true, "one row per account and day its tab shows"},
	"sheet_tab_states": {true, "one row per account and kind of tab written, other than the performance tab (in sheet_states)"},
	"sheet_tab_days":   {true, "one row per account, kind of tab (other than performance, in sheet_days) and day the tab shows"},
	"account_ranges":   {true, "one row per disjoint range of days an account's tab shows (merged)"},
	"sheet_locks":      {true, "one row per spreadsheet"},
	"naver_jobs":       {true, "one row per report job of ours at Naver (at most 100 per customer)"},
	"idempotency_keys": {false, "their TTL, 24 h (store TestIdempotencyKeys)"},
	"audit_entries":    {false, "NAVERSYNC_AUDIT_RETENTION (TestAuditRetentionByMaintenance)"},
	"goose_db_version": {false, "one row per migration applied"},
	"quota_slots":      {true, "two rows per Google identity and two per Google Cloud project (reads and writes)"},
	"webhook_targets":  {true, "one row per webhook target an admin configured"},
	"notify_outbox":    {false, "NAVERSYNC_NOTIFY_RETENTION for delivered and failed deliveries (store TestOutboxClaimLease); pending ones are sent or given up after NotifyConfig.MaxAttempts"},
}

func tableNames(t *testing.T, db storetest.DB, raw *sql.DB) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if db.Name == store.DialectPostgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := raw.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func tableCounts(t *testing.T, raw *sql.DB, tables []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, name := range tables {
		var n int
		if err := raw.QueryRowContext(t.Context(), fmt.Sprintf("SELECT COUNT(*) FROM %s", name)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	return out
}

// Nothing grows without end: every table of the schema has a known bound (a new table fails
// here until its bound is written down); the tables bounded by their keys gain no row when an
// account's sync is repeated; and the scheduler's runs, which grew by a row or two a day
// forever, are deleted by the maintenance once older than RunRetention.
func TestTableBounds(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			w.Customer("9009", 1, 2, 2)
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, ProcessWorkers: 1})
			raw := rawDB(t, db)
			tables := tableNames(t, db, raw)
			for _, name := range tables {
				if _, ok := tableBounds[name]; !ok {
					t.Errorf("table %s: what bounds its size? Say it in docs/operations.md and in tableBounds", name)
				}
			}
			a := w.Account(e, "Bounded", "9009", "sheet-bounded", service.LevelKeyword)
			run := func() {
				t.Helper()
				sy := enqueueEngine(t, e, a.ID, service.SyncRequest{Days: 4})
				if got := servicetest.WaitTerminal(t, e.Service, sy.ID)[sy.ID]; got.Status != service.StatusSucceeded {
					t.Fatalf("sync %s: %+v", got.Status, got.Error)
				}
			}
			run()
			first := tableCounts(t, raw, tables)
			run()
			run()
			again := tableCounts(t, raw, tables)
			for _, name := range tables {
				if b := tableBounds[name]; b.keyed && again[name] != first[name] {
					t.Errorf("table %s (%s) grew from %d to %d rows when the same sync was repeated", name, b.how, first[name], again[name])
				}
			}
			t.Logf("rows after one sync %v, after three %v", first, again)
			if first["sheet_days"] == 0 || first["report_files"] == 0 || first["customer_leases"] == 0 {
				t.Fatalf("the sync wrote nothing: %v", first)
			}

			// The scheduler's runs: two old ones, one of today.
			for _, k := range []string{"refresh:old-1", "refresh:old-2"} {
				if _, err := e.Store.ClaimRun(t.Context(), k, "r1"); err != nil {
					t.Fatal(err)
				}
			}
			w.Clock.Advance(service.RunRetention + 24*time.Hour)
			if _, err := e.Store.ClaimRun(t.Context(), "refresh:today", "r1"); err != nil {
				t.Fatal(err)
			}
			pruned := make(chan struct{}, 1)
			w.Engine(servicetest.EngineOptions{LogHook: func(msg string) {
				if msg == "retention: deleted old records of scheduler runs" {
					select {
					case pruned <- struct{}{}:
					default:
					}
				}
			}}) // its maintenance runs at Start
			select {
			case <-pruned:
			case <-time.After(time.Minute):
				t.Fatal("the maintenance deleted no old run")
			}
			runs, err := e.Store.LastRuns(t.Context(), 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 1 || runs[0].Key != "refresh:today" {
				t.Errorf("runs left: %+v, want today's only", runs)
			}
		})
	}
}
