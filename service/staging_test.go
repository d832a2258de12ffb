package service_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// stagingTabsOf are the titles of a spreadsheet's staging tabs.
func stagingTabsOf(w *world, sheet string) []string {
	var out []string
	for _, title := range w.sheets.Sheets(sheet) {
		if strings.Contains(title, "naversync staging") {
			out = append(out, title)
		}
	}
	return out
}

// stagingWorld is a world whose engine writes a 30-day table through a staging tab (small
// requests) and gives up a sync after one attempt, and an account whose first write failed
// after its staging tab was made: the hidden tab is left in the spreadsheet.
func stagingWorld(t *testing.T, db storetest.DB, maintenance time.Duration) (*world, *engine, service.Account) {
	t.Helper()
	w := newWorld(t, db, worldOptions{})
	w.customer("1001", 2, 2, 2)
	se := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, ProcessWorkers: 1, MaxAttempts: 1, SheetsMaxRequestBytes: 32 << 10,
		MaintenanceInterval: maintenance})
	e := &engine{svc: se.Service, store: se.Store}
	a := w.account(e, "A", "1001", "sheet-a", service.LevelAdgroup)
	w.sheets.InjectBatchFault("sheet-a", sheetstest.BatchFault{Nth: 2, Code: http.StatusBadRequest, Status: "FAILED_PRECONDITION"})
	s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 30})
	if err != nil {
		t.Fatal(err)
	}
	if got := waitTerminal(t, e.svc, s.ID)[s.ID]; got.Status != service.StatusFailed {
		t.Fatalf("sync: %s %+v, want failed (the staged write's second batch fails)", got.Status, got.Error)
	}
	if got := stagingTabsOf(w, "sheet-a"); len(got) != 1 {
		t.Fatalf("staging tabs %q, want the one the failed write left", got)
	}
	return w, e, a
}

// A failed big write leaves a hidden staging tab; renaming the account's tab removes it at once
// (it belongs to the account, not to the old title), and the next sync writes the new tab.
func TestRenamingTheAccountsTabRemovesItsStagingTab(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w, e, a := stagingWorld(t, db, 0)
			if _, err := e.svc.UpdateAccount(t.Context(), a.ID, service.AccountPatch{SheetTab: ptr("report")}); err != nil {
				t.Fatal(err)
			}
			if got := stagingTabsOf(w, "sheet-a"); len(got) != 0 {
				t.Errorf("staging tabs after the rename: %q, want none", got)
			}
			s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 30})
			if err != nil {
				t.Fatal(err)
			}
			if got := waitTerminal(t, e.svc, s.ID)[s.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("sync: %s %+v", got.Status, got.Error)
			}
			checkCells(t, w.sheets.Values("sheet-a", "report"), expectedSheet(t, w, "1001", service.LevelAdgroup, dayList(w, 30, 1), nil))
			if got := stagingTabsOf(w, "sheet-a"); len(got) != 0 {
				t.Errorf("staging tabs after the sync: %q, want none", got)
			}
		})
	}
}

// Deleting an account removes the staging tab its failed write left, and never waits on Google
// for the delete itself: when Google cannot be reached the delete succeeds, the tab stays, and
// the next retention pass removes it.
func TestDeletingAnAccountRemovesItsStagingTab(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w, e, a := stagingWorld(t, db, 200*time.Millisecond)
			if err := e.svc.DeleteAccount(t.Context(), a.ID); err != nil {
				t.Fatal(err)
			}
			if got := stagingTabsOf(w, "sheet-a"); len(got) != 0 {
				t.Errorf("staging tabs after the delete: %q, want none", got)
			}
			// A second account fails the same way, and Google is down when it is deleted.
			w.sheets.CreateSpreadsheet("sheet-b", sheetstest.DefaultCaller)
			b, err := e.svc.CreateAccount(t.Context(), service.AccountInput{Name: "B", CustomerID: "1001", APIKey: "key-1001",
				SecretKey: "secret-1001", SpreadsheetID: "sheet-b", SheetTab: "data", Level: service.LevelAdgroup})
			if err != nil {
				t.Fatal(err)
			}
			w.sheets.InjectBatchFault("sheet-b", sheetstest.BatchFault{Nth: 2, Code: http.StatusBadRequest, Status: "FAILED_PRECONDITION"})
			s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: b.ID, Days: 30})
			if err != nil {
				t.Fatal(err)
			}
			if got := waitTerminal(t, e.svc, s.ID)[s.ID]; got.Status != service.StatusFailed {
				t.Fatalf("sync: %s %+v, want failed", got.Status, got.Error)
			}
			if got := stagingTabsOf(w, "sheet-b"); len(got) != 1 {
				t.Fatalf("staging tabs %q, want one", got)
			}
			w.sheets.InjectErrors(http.StatusServiceUnavailable, "UNAVAILABLE", 1000)
			if err := e.svc.DeleteAccount(t.Context(), b.ID); err != nil {
				t.Fatalf("delete while Google is unreachable: %v", err)
			}
			if got := stagingTabsOf(w, "sheet-b"); len(got) != 1 {
				t.Fatalf("staging tabs %q, want the one Google could not be asked to remove", got)
			}
			// The maintenance (every 200 ms here) removes it once Google answers again, and then
			// forgets the deleted account's tab.
			w.sheets.ClearErrors()
			waitUntil(t, func() bool {
				left, err := e.store.DeletedAccountSheets(t.Context(), 100)
				return err == nil && len(left) == 0 && len(stagingTabsOf(w, "sheet-b")) == 0
			})
		})
	}
}

// When a write leaves the account's spreadsheet at 80% of Google's cell limit or more, the status
// tab's row says so, and the account's answer carries the figures and the tabs taking the room.
func TestAccountSaysWhenItsSpreadsheetIsNearTheCellLimit(t *testing.T) {
	db := storetest.Databases(t)[0]
	w := newWorld(t, db, worldOptions{})
	w.customer("1001", 1, 1, 1)
	// ScrubDays 1: a write folds its reads at most once before one reads the whole spreadsheet.
	e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second, scrubDays: 1})
	a := w.account(e, "A", "1001", "sheet-a", service.LevelCampaign)
	sync := func() {
		t.Helper()
		s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 3})
		if err != nil {
			t.Fatal(err)
		}
		if got := waitTerminal(t, e.svc, s.ID)[s.ID]; got.Status != service.StatusSucceeded {
			t.Fatalf("sync: %s %+v", got.Status, got.Error)
		}
	}
	sync()
	got, err := e.svc.GetAccount(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c := got.SheetCells; c == nil || c.NearLimit || c.Cells != w.sheets.Cells("sheet-a") || c.Limit != google.LimitCells {
		t.Errorf("sheet_cells %+v, want %d cells, not near the limit", c, w.sheets.Cells("sheet-a"))
	}
	w.sheets.AddSheet("sheet-a", "Archive", 9_000_000, 1)
	// A folded read (one request: the tabs the last write recorded) does not see a tab a person
	// added; the next whole read of the spreadsheet does (at the latest after ScrubDays writes,
	// or at once when Google refuses a write for the cell limit).
	sync()
	sync()
	if got, err = e.svc.GetAccount(t.Context(), a.ID); err != nil {
		t.Fatal(err)
	}
	if c := got.SheetCells; c == nil || !c.NearLimit || c.Cells != w.sheets.Cells("sheet-a") || len(c.Tabs) == 0 || c.Tabs[0] != (service.TabCells{Title: "Archive", Cells: 9_000_000}) {
		t.Errorf("sheet_cells %+v, want near the limit with %d cells, Archive first", c, w.sheets.Cells("sheet-a"))
	}
	st := w.sheets.Values("sheet-a", google.DefaultStatusTab)
	if note, _ := st[1][6].(string); !strings.Contains(note, "spreadsheet near Google's cell limit") || !strings.Contains(note, `"Archive" 9,000,000`) {
		t.Errorf("status note %q, want it to say the spreadsheet is near the cell limit, Archive first", note)
	}
}
