package service_test

import (
	"testing"
	"time"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// An account's history_days is the window its morning refresh keeps: an account keeping 30 days
// has only those 30 days fetched by its refresh (never the whole served year), lowering the
// setting trims the tab at the next refresh, and raising it backfills the days added.
func TestHistoryDaysRefreshKeepsTheWindow(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 1, 1)
			e := w.engine(engineOptions{fetchWorkers: 2, processWorkers: 1, leaseTTL: 10 * time.Second})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelCampaign)
			ctx := t.Context()
			if a.HistoryDays != 365 {
				t.Fatalf("a new account keeps %d days, want the served window (365)", a.HistoryDays)
			}
			setHistory := func(days int) {
				t.Helper()
				got, err := e.svc.UpdateAccount(ctx, a.ID, service.AccountPatch{HistoryDays: &days})
				if err != nil {
					t.Fatal(err)
				}
				if got.HistoryDays != days {
					t.Fatalf("history_days is %d after setting %d", got.HistoryDays, days)
				}
			}
			// refresh runs the morning refresh of the account and returns the days its stat
			// report creates asked Naver for.
			refresh := func() map[string]bool {
				t.Helper()
				before := len(w.naver.Requests())
				if n, err := e.svc.RunRefreshNow(ctx); err != nil || n != 1 {
					t.Fatalf("refresh queued %d (%v), want 1", n, err)
				}
				list, _, err := e.svc.ListSyncs(ctx, service.SyncFilter{AccountID: a.ID, Limit: 1})
				if err != nil || len(list) != 1 || list[0].Trigger != service.TriggerScheduled {
					t.Fatalf("the refresh's sync: %+v (%v)", list, err)
				}
				if got := waitTerminal(t, e.svc, list[0].ID)[list[0].ID]; got.Status != service.StatusSucceeded {
					t.Fatalf("refresh: %s %+v", got.Status, got.Error)
				}
				return createdDays(w.naver.Requests()[before:])
			}
			now := w.Clock.Now()
			oldest30 := servicetest.Day(now, 30)

			setHistory(30)
			days := refresh()
			if len(days) != 30 {
				t.Errorf("the refresh of an account keeping 30 days asked Naver for %d days, want 30", len(days))
			}
			for d := range days {
				if d < oldest30 {
					t.Errorf("the refresh asked Naver for %s, older than the account's 30 days (from %s)", d, oldest30)
				}
			}
			if d := distinctDates(w.sheets.Values("sheet-a", "data")); d != 30 {
				t.Errorf("the tab holds %d days, want 30", d)
			}

			// Lowered: the next refresh trims the tab to the new window.
			setHistory(10)
			refresh()
			if d := distinctDates(w.sheets.Values("sheet-a", "data")); d != 10 {
				t.Errorf("after lowering history_days to 10 the tab holds %d days, want 10", d)
			}

			// Raised: the next refresh backfills the days added (the 10 kept are on disk).
			setHistory(60)
			days = refresh()
			oldest60 := servicetest.Day(now, 60)
			for d := range days {
				if d < oldest60 {
					t.Errorf("the refresh asked Naver for %s, older than the account's 60 days (from %s)", d, oldest60)
				}
			}
			for i := 31; i <= 60; i++ {
				if d := servicetest.Day(now, i); !days[d] {
					t.Errorf("raising history_days to 60 did not fetch %s", d)
					break
				}
			}
			if d := distinctDates(w.sheets.Values("sheet-a", "data")); d != 60 {
				t.Errorf("after raising history_days to 60 the tab holds %d days, want 60", d)
			}
		})
	}
}

// createdDays are the days of the stat report creates among reqs.
func createdDays(reqs []navertest.Request) map[string]bool {
	out := map[string]bool{}
	for _, q := range reqs {
		if q.Method == "POST" && q.Path == "/stat-reports" {
			out[q.StatDate.Format("2006-01-02")] = true
		}
	}
	return out
}
