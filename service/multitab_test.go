package service_test

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// The tests of an account with several tabs: one processing writes every tab, each with its own
// sheet state. They need the search terms tab (package report, branch reporttabs) and skip
// until this release builds it.

// needSearchTerms skips t until this release builds the search terms tab.
func needSearchTerms(t *testing.T) {
	t.Helper()
	if _, ok := report.TabOf(report.KindSearchTerms); !ok {
		t.Skip("this release does not build the search terms tab yet")
	}
}

// withSearchTerms gives account a both the performance and the search terms tab.
func withSearchTerms(t *testing.T, e *engine, a service.Account) service.Account {
	t.Helper()
	a, err := e.svc.UpdateAccount(t.Context(), a.ID, service.AccountPatch{Tabs: &[]string{string(report.KindPerformance), string(report.KindSearchTerms)}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// checkTermTotals checks a search terms tab (EXPKEYWORD's or the shopping one's) of customer's days (newest first) against the
// simulator's own figures (navertest.SearchTermRows, not a parse of its files): every day with
// traffic is there with the impressions and clicks its search term rows add up to (no day
// missing, twice, or stale), a pending day is one row, and no other day is there. The tab's
// rows themselves are report's matter (report/terms_test.go); here each tab of an account is
// checked to be written whole and current.
func checkTermTotals(t *testing.T, w *world, customer string, values [][]any, days []string, pending map[string]bool) {
	t.Helper()
	if len(values) == 0 {
		t.Fatal("the search terms tab is empty")
	}
	col := map[string]int{}
	for i, h := range values[0] {
		col[fmt.Sprint(h)] = i
	}
	dateCol, ok := col["Date"]
	imprCol, ok2 := col["Impressions"]
	clickCol, ok3 := col["Clicks"]
	if !ok || !ok2 || !ok3 {
		t.Fatalf("search terms header %v: want Date, Impressions and Clicks", values[0])
	}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	type sums struct{ rows, impr, clicks int64 }
	got := map[float64]*sums{}
	for _, row := range values[1:] {
		d := num(row, dateCol)
		s := got[d]
		if s == nil {
			s = &sums{}
			got[d] = s
		}
		s.rows++
		s.impr += int64(num(row, imprCol))
		s.clicks += int64(num(row, clickCol))
	}
	for _, ds := range days {
		day := mustDay(t, ds)
		serial := float64(day.Sub(epoch).Hours() / 24)
		s := got[serial]
		delete(got, serial)
		if pending[ds] {
			if s == nil || s.rows != 1 {
				t.Errorf("pending day %s: %+v, want one row", ds, s)
			}
			continue
		}
		var impr, clicks int64
		for _, r := range w.naver.SearchTermRows(customer, day) {
			impr += r.Impressions
			clicks += r.Clicks
		}
		if impr == 0 && clicks == 0 && s == nil {
			continue
		}
		if s == nil || s.impr != impr || s.clicks != clicks {
			t.Errorf("day %s: %+v, want impressions %d, clicks %d", ds, s, impr, clicks)
		}
	}
	for d, s := range got {
		t.Errorf("day %v is in the search terms tab (%+v) but not one of the account's", d, s)
	}
}

// num reads a cell as a number (0 for an empty one).
func num(row []any, i int) float64 {
	if i >= len(row) {
		return 0
	}
	switch v := row[i].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	case int:
		return float64(v)
	}
	return 0
}

// checkStatusRows checks that the status tab has one row for each of titles.
func checkStatusRows(t *testing.T, w *world, sheet string, titles ...string) {
	t.Helper()
	rows := w.sheets.Values(sheet, google.DefaultStatusTab)
	for _, title := range titles {
		n := 0
		for _, r := range rows[min(1, len(rows)):] {
			if len(r) > 0 && fmt.Sprint(r[0]) == title {
				n++
			}
		}
		if n != 1 {
			t.Errorf("status tab %v: %d rows for tab %q, want 1", rows, n, title)
		}
	}
}

// An account with the performance and the search terms tab: one sync writes both, each exact,
// with a row each in the status tab; a refresh after one day changed at Naver rewrites only
// that day in each tab; a person's typing in one tab is found and repaired in that tab only.
func TestSyncWritesEveryTab(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			needSearchTerms(t)
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 2, 3, 3)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			a := withSearchTerms(t, e, w.account(e, "A", "1001", "sheet-a", service.LevelKeyword))
			terms := a.TabTitles[string(report.KindSearchTerms)]
			var mu sync.Mutex
			sent, perfSent, perfID := 0, 0, "" // perfSent: bytes of batches naming the performance tab's sheetId
			w.setSheetGate(func(r *http.Request) {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, ":batchUpdate") {
					body, _ := io.ReadAll(r.Body)
					r.Body = io.NopCloser(bytes.NewReader(body))
					mu.Lock()
					sent += len(body)
					if perfID != "" && bytes.Contains(body, []byte(perfID)) {
						perfSent += len(body)
					}
					mu.Unlock()
				}
			})
			bytesOf := func(req service.SyncRequest) (int, service.Sync) {
				t.Helper()
				mu.Lock()
				sent, perfSent = 0, 0
				mu.Unlock()
				req.AccountID = a.ID
				s, _, err := e.svc.EnqueueSync(t.Context(), req)
				if err != nil {
					t.Fatal(err)
				}
				got := waitTerminal(t, e.svc, s.ID)[s.ID]
				if got.Status != service.StatusSucceeded {
					t.Fatalf("sync: %s %+v", got.Status, got.Error)
				}
				mu.Lock()
				defer mu.Unlock()
				return sent, got
			}
			days := dayList(w, 30, 1)
			check := func() {
				t.Helper()
				checkCells(t, w.sheets.Values("sheet-a", "data"), expectedSheet(t, w, "1001", service.LevelKeyword, days, nil))
				checkTermTotals(t, w, "1001", w.sheets.Values("sheet-a", terms), days, nil)
				checkStatusRows(t, w, "sheet-a", "data", terms)
			}
			full, s := bytesOf(service.SyncRequest{Days: 30})
			check()
			if perf, st := len(w.sheets.Values("sheet-a", "data"))-1, len(w.sheets.Values("sheet-a", terms))-1; s.Progress.RowsProcessed != int64(perf+st) {
				t.Errorf("rows_processed %d, want the sum of the tabs' rows %d + %d", s.Progress.RowsProcessed, perf, st)
			}

			w.naver.Revise("1001", mustDay(t, days[2]))
			refresh, _ := bytesOf(service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled})
			check()
			t.Logf("first write of both tabs %d bytes, refresh of one revised day %d bytes", full, refresh)
			if limit := 2 * full / 30; refresh > limit {
				t.Errorf("the refresh sent %d bytes, want at most %d (twice one day's share of the first write of both tabs)", refresh, limit)
			}

			// A person types over the date of a row in the search terms tab: the next refresh
			// writes that tab's moved days again, and leaves the performance tab as it is.
			v := w.sheets.Values("sheet-a", terms)
			if !w.sheets.SetValues("sheet-a", terms, [][]any{v[0], {"typed by a person"}}) {
				t.Fatal("no search terms tab to type in")
			}
			info, _ := w.sheets.Sheet("sheet-a", "data")
			mu.Lock()
			perfID = fmt.Sprintf(`"sheetId":%d`, info.SheetID)
			mu.Unlock()
			bytesOf(service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled})
			check()
			mu.Lock()
			defer mu.Unlock()
			if limit := full / 30; perfSent > limit {
				t.Errorf("after a person typed in the search terms tab, %d bytes were sent about the performance tab, want at most %d (one day's share of the first write)", perfSent, limit)
			}
		})
	}
}

// A kill between the two tabs' writes (the performance tab written and recorded, the search
// terms tab's write held at Google), then a retry by another engine: both tabs exact, and the
// performance tab, whose write was recorded before the kill, is not sent again (recorded only
// with the sync's completion, it would be dirty and written whole).
func TestKillBetweenTabWritesLeavesBothExact(t *testing.T) {
	if isKillChild() {
		t.Skip("this is the child")
	}
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			needSearchTerms(t)
			w := newWorld(t, db, worldOptions{})
			w.customer("9001", 2, 2, 2)
			e := w.relEngine(relOptions{fetchWorkers: 2, processWorkers: 1, leaseTTL: killChildTTL, noStart: true, replica: "survivor"})
			b := withSearchTerms(t, e, w.account(e, "B", "9001", "sheet-b", service.LevelKeyword))
			terms := b.TabTitles[string(report.KindSearchTerms)]
			days := dayList(w, 20, 1)
			sb := enqueueRange(t, e, b.ID, days)
			release := make(chan struct{})
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			t.Cleanup(free)
			var held, firstPerf atomic.Int64
			w.setSheetGate(func(r *http.Request) {
				if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, ":batchUpdate") {
					return
				}
				// Once the performance tab holds its rows, the next write is the search terms tab's.
				if len(w.sheets.Values("sheet-b", "data")) <= 1 {
					body, _ := io.ReadAll(r.Body)
					r.Body = io.NopCloser(bytes.NewReader(body))
					firstPerf.Add(int64(len(body)))
					return
				}
				held.Add(1)
				select {
				case <-release:
				case <-r.Context().Done():
				}
			})
			cmd, out := startKillChild(t, w, db)
			waitUntilLong(t, out, func() bool { return held.Load() > 0 })
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			w.setSheetGate(nil)
			free()
			// What the retry sends about the performance tab (its sheetId in a batch).
			info, _ := w.sheets.Sheet("sheet-b", "data")
			perfID := fmt.Sprintf(`"sheetId":%d`, info.SheetID)
			var perfBytes atomic.Int64
			w.setSheetGate(func(r *http.Request) {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, ":batchUpdate") {
					body, _ := io.ReadAll(r.Body)
					r.Body = io.NopCloser(bytes.NewReader(body))
					if bytes.Contains(body, []byte(perfID)) {
						perfBytes.Add(int64(len(body)))
					}
				}
			})
			startEngine(t, e.svc)
			if got := waitTerminal(t, e.svc, sb.ID)[sb.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("B: %s %+v", got.Status, got.Error)
			}
			checkCells(t, w.sheets.Values("sheet-b", "data"), expectedSheet(t, w, "9001", service.LevelKeyword, days, nil))
			checkTermTotals(t, w, "9001", w.sheets.Values("sheet-b", terms), days, nil)
			checkStatusRows(t, w, "sheet-b", "data", terms)
			if got, first := perfBytes.Load(), firstPerf.Load(); got*10 > first {
				t.Errorf("the retry sent %d bytes about the performance tab, against %d for its first write; its write was recorded before the kill, and nothing of it changed", got, first)
			}
		})
	}
}

// Every tab of an account is exact at every calendar edge, on both databases: the performance
// tab cell for cell, the search terms and shopping search terms tabs day by day (their
// impressions and clicks: the simulator's search term rows), each with its status row.
func TestEveryTabMatchesNaverAtEveryInstant(t *testing.T) {
	needSearchTerms(t)
	servicetest.EachInstant(t, func(t *testing.T, at time.Time) {
		for _, db := range storetest.Databases(t) {
			t.Run(db.Name, func(t *testing.T) {
				w := newWorld(t, db, worldOptions{start: at})
				quiet, _ := time.Parse(time.DateOnly, servicetest.Day(at, 5)) // a day without traffic
				w.customer("1001", 2, 2, 2, quiet)
				e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
				a, err := e.svc.UpdateAccount(t.Context(), w.account(e, "A", "1001", "sheet-a", service.LevelAdgroup).ID, service.AccountPatch{
					Tabs: &[]string{string(report.KindPerformance), string(report.KindSearchTerms), string(report.KindShoppingTerms)}})
				if err != nil {
					t.Fatal(err)
				}
				s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 12})
				if err != nil {
					t.Fatal(err)
				}
				if got := waitTerminal(t, e.svc, s.ID)[s.ID]; got.Status != service.StatusSucceeded {
					t.Fatalf("sync: %s %+v", got.Status, got.Error)
				}
				var days []string
				for n := 1; n <= 12; n++ {
					days = append(days, servicetest.Day(at, n))
				}
				pending := map[string]bool{}
				if at.In(seoul(t)).Hour() < 4 { // before Naver's morning hour yesterday is not ready
					pending[days[0]] = true
				}
				terms, shopping := a.TabTitles[string(report.KindSearchTerms)], a.TabTitles[string(report.KindShoppingTerms)]
				checkCells(t, w.sheets.Values("sheet-a", "data"), expectedSheet(t, w, "1001", service.LevelAdgroup, days, pending))
				checkCells(t, w.sheets.Values("sheet-a", terms), expectedTermSheet(t, w, "1001", false, days, pending, ""))
				checkCells(t, w.sheets.Values("sheet-a", shopping), expectedTermSheet(t, w, "1001", true, days, pending, ""))
				checkStatusRows(t, w, "sheet-a", "data", terms, shopping)
			})
		}
	})
}

// A person renames the search terms tab: the next sync writes it under its new title, and the
// account's tab_titles follow it (audited), the performance tab's title staying as it was.
func TestAccountFollowsARenamedSearchTermsTab(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			needSearchTerms(t)
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 2, 2, 2)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			a := withSearchTerms(t, e, w.account(e, "A", "1001", "sheet-a", service.LevelAdgroup))
			sync := func(req service.SyncRequest) {
				t.Helper()
				req.AccountID = a.ID
				s, _, err := e.svc.EnqueueSync(t.Context(), req)
				if err != nil {
					t.Fatal(err)
				}
				if got := waitTerminal(t, e.svc, s.ID)[s.ID]; got.Status != service.StatusSucceeded {
					t.Fatalf("sync: %s %+v", got.Status, got.Error)
				}
			}
			days := dayList(w, 14, 1)
			sync(service.SyncRequest{Days: 14})
			const renamed = "Search terms (team)"
			if !w.sheets.RenameSheet("sheet-a", a.TabTitles[string(report.KindSearchTerms)], renamed) {
				t.Fatal("no search terms tab to rename")
			}
			sync(service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled})
			checkTermTotals(t, w, "1001", w.sheets.Values("sheet-a", renamed), days, nil)
			checkCells(t, w.sheets.Values("sheet-a", "data"), expectedSheet(t, w, "1001", service.LevelAdgroup, days, nil))
			got, err := e.svc.GetAccount(t.Context(), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.TabTitles[string(report.KindSearchTerms)] != renamed || got.SheetTab != a.SheetTab {
				t.Errorf("account's tabs after the rename: sheet_tab %q, tab_titles %v; want the search terms tab to follow", got.SheetTab, got.TabTitles)
			}
			entries, _, err := e.svc.ListAudit(t.Context(), service.AuditFilter{AccountID: a.ID})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, en := range entries {
				found = found || en.Action == service.AuditAccountUpdate && en.DetailCode == service.MsgAuditTabTitleRenamed
			}
			if !found {
				t.Errorf("no audit entry for the followed rename: %+v", entries)
			}
			checkStatusRows(t, w, "sheet-a", "data", renamed)
		})
	}
}

// The tabs of a spreadsheet share Google's cell limit: with a person's tab taking nearly all
// the room, the performance tab (written first) fits, and the search terms tab, counting the
// performance tab's cells, leaves out its oldest days, which its own status row names; the
// spreadsheet never goes over the limit.
func TestTabsShareTheCellLimit(t *testing.T) {
	needSearchTerms(t)
	var days []string
	run := func(archive int) (*world, string) {
		t.Helper()
		w := newWorld(t, storetest.Databases(t)[0], worldOptions{}) // a database of its own
		days = dayList(w, 10, 1)
		w.customer("1001", 1, 1, 1)
		e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
		a := withSearchTerms(t, e, w.account(e, "A", "1001", "sheet-a", service.LevelCampaign))
		if archive > 0 {
			w.sheets.AddSheet("sheet-a", "Archive", archive, 1)
		}
		s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got := waitTerminal(t, e.svc, s.ID)[s.ID]; got.Status != service.StatusSucceeded {
			t.Fatalf("sync: %s %+v", got.Status, got.Error)
		}
		return w, a.TabTitles[string(report.KindSearchTerms)]
	}
	cells := func(w *world, tab string) int {
		info, ok := w.sheets.Sheet("sheet-a", tab)
		if !ok {
			t.Fatalf("no tab %q", tab)
		}
		return info.Rows * info.Cols
	}
	// The same data in a spreadsheet of its own: how much room each tab takes.
	probe, terms := run(0)
	w, _ := run(int(google.LimitCells-probe.sheets.Cells("sheet-a")) + cells(probe, terms)/2)
	if got := w.sheets.Cells("sheet-a"); got > google.LimitCells {
		t.Errorf("the spreadsheet holds %d cells, over Google's %d", got, google.LimitCells)
	}
	checkCells(t, w.sheets.Values("sheet-a", "data"), expectedSheet(t, w, "1001", service.LevelCampaign, days, nil))
	notes := map[string]string{}
	for _, r := range w.sheets.Values("sheet-a", google.DefaultStatusTab)[1:] {
		if len(r) > 6 {
			notes[fmt.Sprint(r[0])] = fmt.Sprint(r[6])
		}
	}
	if strings.Contains(notes["data"], "left out") {
		t.Errorf("the performance tab's status note %q says days were left out; it was written first and fits", notes["data"])
	}
	if !strings.Contains(notes[terms], "left out for Google's") {
		t.Errorf("the search terms tab's status note %q, want it to name the days left out for the cell limit", notes[terms])
	}
	// What the search terms tab shows is its newest days, each exact.
	values := w.sheets.Values("sheet-a", terms)
	shown := map[float64]bool{}
	for _, r := range values[1:] {
		shown[num(r, 0)] = true
	}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	kept := 0
	for kept < len(days) && shown[float64(mustDay(t, days[kept]).Sub(epoch).Hours()/24)] {
		kept++
	}
	if kept == 0 || kept == len(days) || kept != len(shown) {
		t.Fatalf("the search terms tab shows %d days, its newest %d in a row, of %d; want the newest days only, some left out", len(shown), kept, len(days))
	}
	checkTermTotals(t, w, "1001", values, days[:kept], nil)
}

// An account links to each of its tabs once written (tab_gids: kind -> the tab's sheetId), and
// sheet_gid to its first tab, also when that is not the performance tab (an account of the
// shopping tab alone); a tab a person renames is linked under its new title.
func TestAccountLinksEveryTab(t *testing.T) {
	needSearchTerms(t)
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := t.Context()
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 2, 2, 2)
			e := w.engine(engineOptions{})
			sync := func(id string) {
				t.Helper()
				s, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: id, Days: 3})
				if err != nil {
					t.Fatal(err)
				}
				if got := waitTerminal(t, e.svc, s.ID)[s.ID]; got.Status != service.StatusSucceeded {
					t.Fatalf("sync: %s %+v", got.Status, got.Error)
				}
			}
			gid := func(sheet, title string) int64 {
				t.Helper()
				info, ok := w.sheets.Sheet(sheet, title)
				if !ok {
					t.Fatalf("no tab %q in %s", title, sheet)
				}
				return info.SheetID
			}
			a := withSearchTerms(t, e, w.account(e, "A", "1001", "sheet-a", service.LevelCampaign))
			if a.TabGIDs != nil || a.SheetGID != nil {
				t.Errorf("links before any write: tab_gids %v, sheet_gid %v; want none", a.TabGIDs, a.SheetGID)
			}
			sync(a.ID)
			terms := a.TabTitles[string(report.KindSearchTerms)]
			a, err := e.svc.GetAccount(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int64{string(report.KindPerformance): gid("sheet-a", "data"), string(report.KindSearchTerms): gid("sheet-a", terms)}
			if !maps.Equal(a.TabGIDs, want) || a.SheetGID == nil || *a.SheetGID != want[string(report.KindPerformance)] {
				t.Errorf("after the sync: tab_gids %v, sheet_gid %v; want %v and the performance tab's", a.TabGIDs, a.SheetGID, want)
			}
			const renamed = "terms (team)"
			w.sheets.RenameSheet("sheet-a", terms, renamed)
			sync(a.ID)
			if a, err = e.svc.GetAccount(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if a.TabGIDs[string(report.KindSearchTerms)] != gid("sheet-a", renamed) {
				t.Errorf("after a person renamed the search terms tab: tab_gids %v, want it linked as %d", a.TabGIDs, gid("sheet-a", renamed))
			}

			b := w.account(e, "B", "1001", "sheet-b", service.LevelCampaign)
			b, err = e.svc.UpdateAccount(ctx, b.ID, service.AccountPatch{Tabs: &[]string{string(report.KindShoppingTerms)}})
			if err != nil {
				t.Fatal(err)
			}
			sync(b.ID)
			if b, err = e.svc.GetAccount(ctx, b.ID); err != nil {
				t.Fatal(err)
			}
			shop := gid("sheet-b", b.TabTitles[string(report.KindShoppingTerms)])
			if b.SheetGID == nil || *b.SheetGID != shop || !maps.Equal(b.TabGIDs, map[string]int64{string(report.KindShoppingTerms): shop}) {
				t.Errorf("shopping tab alone: sheet_gid %v, tab_gids %v; want both to link to %d", b.SheetGID, b.TabGIDs, shop)
			}
		})
	}
}
