package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// A year's backfill of an account with the performance, search-terms and shopping search-terms
// tabs asks Naver for each report type only on the days Naver serves it (shopping search terms
// 180 days, their conversions 45): each (type, day) is created once, none is refused (10004),
// and while other tools hold 85 of the customer's 100 jobs none of theirs is evicted. The
// sync's days view says, for a day 100 days back, the shopping conversions are not served,
// and the day is fetched all the same; a day for which Naver serves none of a shopping-only
// account's reports has no data.
func TestBackfillAsksEachReportTypeWithinItsServedWindow(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 1, 1)
			w.naver.AddForeignJobs("1001", 85)
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, ProcessWorkers: 1, LeaseTTL: 10 * time.Second})
			a := w.Account(e, "Tabs", "1001", "sheet-tabs", service.LevelCampaign)
			tabs := []string{string(report.KindPerformance), string(report.KindSearchTerms), string(report.KindShoppingTerms)}
			if _, err := e.Service.UpdateAccount(t.Context(), a.ID, service.AccountPatch{Tabs: &tabs}); err != nil {
				t.Fatalf("tabs: %v", err)
			}
			sy := enqueueEngine(t, e, a.ID, service.SyncRequest{}) // the whole served window
			// 1,320 reports through the 15 jobs the other tools leave: longer than waitTerminal's
			// 90 s on a loaded machine.
			if got := waitTerminalThrough(t, e.Service, 4*time.Minute, sy.ID)[sy.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("backfill: %s %+v", got.Status, got.Error)
			}

			// Each tab is filled over its own window: the performance and search-terms tabs a year,
			// the shopping search-terms tab 180 days, its conversions known for the last 45 only.
			acct, err := e.Service.GetAccount(t.Context(), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			start := servicetest.DefaultStart()
			for _, tab := range []struct {
				kind   report.Kind
				served int
			}{{report.KindPerformance, 365}, {report.KindSearchTerms, 365}, {report.KindShoppingTerms, 180}} {
				vals := w.sheets.Values("sheet-tabs", acct.TabTitles[string(tab.kind)])
				if len(vals) < 2 {
					t.Fatalf("%s tab %q: no rows", tab.kind, acct.TabTitles[string(tab.kind)])
				}
				conv := slices.Index(vals[0], any("Conversions"))
				epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
				oldest := ""
				for _, row := range vals[1:] {
					serial, _ := row[0].(float64)
					day := epoch.AddDate(0, 0, int(serial)).Format(time.DateOnly)
					if oldest == "" || day < oldest {
						oldest = day
					}
					if tab.kind == report.KindShoppingTerms && !pendingRow(row) {
						_, known := row[conv].(float64)
						if want := day >= servicetest.Day(start, 45); known != want {
							t.Errorf("shopping tab, day %s: conversions known %v, want %v (Naver serves them 45 days)", day, known, want)
						}
					}
				}
				if first, near := servicetest.Day(start, tab.served), servicetest.Day(start, tab.served-10); oldest < first || oldest > near {
					t.Errorf("%s tab: oldest day %s, want within its %d-day window and near its start (%s..%s)", tab.kind, oldest, tab.served, first, near)
				}
			}

			// A shopping-only account of the customer, over days 200 to 170 back: before day 180
			// Naver serves none of its reports.
			b := w.Account(e, "Shopping", "1001", "sheet-shopping", service.LevelCampaign)
			shopping := []string{string(report.KindShoppingTerms)}
			if _, err := e.Service.UpdateAccount(t.Context(), b.ID, service.AccountPatch{Tabs: &shopping}); err != nil {
				t.Fatalf("tabs: %v", err)
			}
			old := enqueueEngine(t, e, b.ID, service.SyncRequest{From: servicetest.Day(start, 200), To: servicetest.Day(start, 170)})
			if got := waitTerminal(t, e.Service, old.ID)[old.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("shopping sync: %s %+v", got.Status, got.Error)
			}
			// Its tab (the spreadsheet's one tab with rows, whatever its title) shows the days
			// Naver serves shopping search terms for, none of them pending.
			var vals [][]any
			for _, title := range w.sheets.Sheets("sheet-shopping") {
				if v := w.sheets.Values("sheet-shopping", title); len(v) > len(vals) {
					vals = v
				}
			}
			if len(vals) < 2 {
				t.Fatalf("the shopping account's tab has no rows: %v", w.sheets.Sheets("sheet-shopping"))
			}
			epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
			shown := map[string]bool{}
			for i, row := range vals[1:] {
				serial, _ := row[0].(float64)
				day := epoch.AddDate(0, 0, int(serial)).Format(time.DateOnly)
				shown[day] = true
				if pendingRow(row) {
					t.Errorf("shopping tab row %d: day %s pending", i+2, day)
				}
			}
			for back := 170; back <= 200; back++ {
				if day := servicetest.Day(start, back); shown[day] != (back <= 180) {
					t.Errorf("shopping tab shows day %s (%d back): %v, want %v", day, back, shown[day], back <= 180)
				}
			}

			creates := map[string]map[string]int{} // type -> day -> creates
			for _, r := range w.naver.Requests() {
				if r.Method != "POST" || r.Path != "/stat-reports" {
					continue
				}
				if r.Status != 200 {
					t.Errorf("create of %s %s answered %d", r.ReportType, r.StatDate.Format(time.DateOnly), r.Status)
				}
				if creates[r.ReportType] == nil {
					creates[r.ReportType] = map[string]int{}
				}
				creates[r.ReportType][r.StatDate.Format(time.DateOnly)]++
			}
			for _, tp := range []string{naver.ReportAD, naver.ReportADConversion, naver.ReportExpKeyword, naver.ReportShoppingKeyword, naver.ReportShoppingKeywordConversion} {
				served := naver.ServedDays(tp, 365)
				first := servicetest.Day(start, served)
				if n := len(creates[tp]); n != served {
					t.Errorf("%s: %d days created, want %d", tp, n, served)
				}
				for day, n := range creates[tp] {
					if n != 1 {
						t.Errorf("%s %s created %d times, want once", tp, day, n)
					}
					if day < first {
						t.Errorf("%s %s created: older than the %d days Naver serves it", tp, day, served)
					}
				}
			}
			own, foreign := w.naver.Evicted("1001")
			if own != 0 || foreign != 0 {
				t.Errorf("Naver's cap deleted %d of our jobs and %d of other tools'", own, foreign)
			}
			if n := w.naver.ForeignJobs("1001"); n != 85 {
				t.Errorf("other tools hold %d jobs, want their 85", n)
			}
			if n := w.naver.OutstandingJobs("1001"); n != 0 {
				t.Errorf("%d of our jobs left at Naver", n)
			}

			days, err := e.Service.SyncDays(t.Context(), sy.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := servicetest.Day(start, 100)
			i := slices.IndexFunc(days, func(d service.SyncDay) bool { return d.Day == want })
			if i < 0 {
				t.Fatalf("no day %s in the days view", want)
			}
			d := days[i]
			if d.State != service.DayFetched {
				t.Errorf("day %s: %s (%s), want fetched: its served reports are all stored", want, d.State, d.Reason)
			}
			feeds := map[string][]report.Kind{
				naver.ReportAD: {report.KindPerformance}, naver.ReportADConversion: {report.KindPerformance},
				naver.ReportExpKeyword: {report.KindSearchTerms}, naver.ReportShoppingKeyword: {report.KindShoppingTerms},
				naver.ReportShoppingKeywordConversion: {report.KindShoppingTerms},
			}
			if len(d.Reports) != len(feeds) {
				t.Errorf("day %s lists %d reports, want %d: %+v", want, len(d.Reports), len(feeds), d.Reports)
			}
			for _, r := range d.Reports {
				if !slices.Equal(r.Tabs, feeds[r.ReportType]) {
					t.Errorf("day %s %s feeds %v, want %v", want, r.ReportType, r.Tabs, feeds[r.ReportType])
				}
				if r.ReportType != naver.ReportShoppingKeywordConversion {
					if r.State != "built" {
						t.Errorf("day %s %s: %s, want built", want, r.ReportType, r.State)
					}
					continue
				}
				if r.State != service.ReportNotServed || r.Code != service.MsgDayTypeNotServed ||
					r.Params["report_type"] != r.ReportType || r.Params["served_days"] != "45" {
					t.Errorf("day %s shopping conversions: %+v, want not_served with %s (report_type, served_days 45)", want, r, service.MsgDayTypeNotServed)
				}
			}

			days, err = e.Service.SyncDays(t.Context(), old.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range days {
				back := 0
				for servicetest.Day(start, back) != d.Day {
					back++
				}
				for _, r := range d.Reports {
					served := back <= naver.ServedDays(r.ReportType, 365)
					if served != (r.State != service.ReportNotServed) {
						t.Errorf("shopping day %s (%d back) %s: %s", d.Day, back, r.ReportType, r.State)
					}
				}
				switch {
				case back > 180 && (d.State != service.DayNone || d.Code != service.MsgDayTypeNotServed):
					t.Errorf("shopping day %s (%d back): %s %s, want none: Naver serves none of its reports", d.Day, back, d.State, d.Code)
				case back <= 180 && d.State != service.DayFetched:
					t.Errorf("shopping day %s (%d back): %s (%s), want fetched", d.Day, back, d.State, d.Reason)
				}
			}
		})
	}
}

// The morning's plan counts a day as work only when a report type Naver serves that day is not
// held: after a 100-day backfill of an account with the shopping tab, the 55 days whose shopping
// conversions Naver no longer serves are settled, so the customer (7 settle days to fetch) goes
// after one with 20 days never fetched.
func TestRefreshPlanCountsOnlyServedReports(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 1, 1)
			w.customer("1002", 1, 1, 1)
			e := w.engine(engineOptions{noStart: true, fetchWorkers: 2, processWorkers: 1})
			ctx := t.Context()
			held := w.account(e, "held", "1001", "sheet-held", service.LevelCampaign)
			fresh := w.account(e, "fresh", "1002", "sheet-fresh", service.LevelCampaign)
			tabs := []string{string(report.KindPerformance), string(report.KindShoppingTerms)}
			for a, days := range map[string]int{held.ID: 100, fresh.ID: 20} {
				if _, err := e.svc.UpdateAccount(ctx, a, service.AccountPatch{HistoryDays: &days, Tabs: &tabs}); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.svc.Start(ctx); err != nil {
				t.Fatal(err)
			}
			back, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: held.ID, Trigger: service.TriggerBackfill})
			if err != nil {
				t.Fatal(err)
			}
			if got := waitTerminal(t, e.svc, back.ID)[back.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("backfill: %s %+v", got.Status, got.Error)
			}
			stop, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := e.svc.Stop(stop); err != nil {
				t.Fatal(err)
			}
			if n, err := e.svc.RunRefreshNow(ctx); err != nil || n != 2 {
				t.Fatalf("refresh queued %d (%v), want 2", n, err)
			}
			sy, _, err := e.store.ClaimFetch(ctx, "test", time.Minute)
			if err != nil || sy == nil {
				t.Fatalf("claim: %+v %v", sy, err)
			}
			if sy.AccountID != fresh.ID {
				t.Fatalf("the plan starts with customer %s, want 1002 (20 days to fetch, against 1001's 7 settle days)", sy.CustomerID)
			}
		})
	}
}

// NONE for a recent day's shopping conversions is read as for the performance tab's conversions:
// final but provisional (no conversions yet, asked for again), not pending, so that a shopping
// advertiser without conversion tracking sees its recent days; NONE for a recent day's shopping
// search terms (traffic) stays pending.
func TestRecentShoppingConversionsNoneIsProvisional(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 1, 1)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			a := w.account(e, "Shopping", "1001", "sheet-a", service.LevelCampaign)
			tabs := []string{string(report.KindShoppingTerms)}
			if _, err := e.svc.UpdateAccount(t.Context(), a.ID, service.AccountPatch{Tabs: &tabs}); err != nil {
				t.Fatal(err)
			}
			w.naver.SetFault(navertest.Fault{Customer: "1001", Kind: navertest.PrematureNone, Count: 1000})
			sy, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got := waitTerminal(t, e.svc, sy.ID)[sy.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("sync: %s %+v", got.Status, got.Error)
			}
			yesterday := servicetest.Day(w.Clock.Now(), 1)
			for tp, want := range map[string]struct {
				state   string
				recheck bool
			}{
				naver.ReportShoppingKeyword:           {store.FilePending, false},
				naver.ReportShoppingKeywordConversion: {store.FileNone, true},
			} {
				files, err := e.store.ReportFiles(t.Context(), "1001", []string{tp}, yesterday, yesterday)
				if err != nil || len(files) != 1 || files[0].State != want.state || files[0].Recheck != want.recheck {
					t.Errorf("yesterday's %s: %+v %v, want %s (recheck %v)", tp, files, err, want.state, want.recheck)
				}
			}
		})
	}
}
