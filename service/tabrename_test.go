package service_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"google.golang.org/api/sheets/v4"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// A person renames the account's tab in the spreadsheet: the next sync writes that tab under its
// new title (found by its sheetId; no new tab with the old title appears), the account follows
// it (sheet_tab is the new title, audited as the service's change), and the tab is cell for cell
// what a fresh write gives.
func TestAccountFollowsATabRenamedByAPerson(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 2, 2, 2)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelAdgroup)
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
			days := dayList(w, 30, 1)
			sync(service.SyncRequest{Days: 30})
			const renamed = "Ad groups (team)"
			if !w.sheets.RenameSheet("sheet-a", a.SheetTab, renamed) {
				t.Fatalf("no tab %q to rename", a.SheetTab)
			}
			sync(service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled})

			if tabs := w.sheets.Sheets("sheet-a"); slices.Contains(tabs, a.SheetTab) {
				t.Errorf("tabs %q: a new tab with the old title was made beside the renamed one", tabs)
			}
			checkCells(t, w.sheets.Values("sheet-a", renamed), expectedSheet(t, w, "1001", service.LevelAdgroup, days, nil))
			got, err := e.svc.GetAccount(t.Context(), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.SheetTab != renamed {
				t.Errorf("account's sheet_tab %q, want %q (it follows the renamed tab)", got.SheetTab, renamed)
			}
			entries, _, err := e.svc.ListAudit(t.Context(), service.AuditFilter{AccountID: a.ID})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, en := range entries {
				found = found || en.Action == service.AuditAccountUpdate && slices.Contains(en.Fields, "sheet_tab")
			}
			if !found {
				t.Errorf("no audit entry for the followed rename: %+v", entries)
			}
			// The next refresh finds the tab by its (new) title and stays incremental.
			sync(service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled})
			checkCells(t, w.sheets.Values("sheet-a", renamed), expectedSheet(t, w, "1001", service.LevelAdgroup, days, nil))
		})
	}
}

// A person renames the account's tab and makes a tab of their own under its old title: the
// next sync leaves the person's tab alone and follows the renamed one by its sheetId (the
// account's sheet_tab becomes the new title), which it keeps cell for cell what a fresh write
// gives.
func TestATabTakingTheRenamedTabsTitleIsLeftAlone(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 2, 2, 2)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelAdgroup)
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
			days := dayList(w, 20, 1)
			sync(service.SyncRequest{Days: 20})
			const renamed = "Ad groups (Naver)"
			if !w.sheets.RenameSheet("sheet-a", a.SheetTab, renamed) {
				t.Fatalf("no tab %q to rename", a.SheetTab)
			}
			mine := [][]any{{"My plan", "Budget"}, {"July", 1_000_000.0}}
			if w.sheets.AddSheet("sheet-a", a.SheetTab, 10, 4) < 0 || !w.sheets.SetValues("sheet-a", a.SheetTab, mine) {
				t.Fatal("the person's tab could not be made")
			}
			sync(service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled})

			if got := w.sheets.Values("sheet-a", a.SheetTab); !reflect.DeepEqual(got, mine) {
				t.Errorf("the person's tab %q now holds %d rows (%v...), want theirs untouched", a.SheetTab, len(got), got[:min(len(got), 2)])
			}
			checkCells(t, w.sheets.Values("sheet-a", renamed), expectedSheet(t, w, "1001", service.LevelAdgroup, days, nil))
			got, err := e.svc.GetAccount(t.Context(), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.SheetTab != renamed {
				t.Errorf("account's sheet_tab %q, want %q (it follows the renamed tab)", got.SheetTab, renamed)
			}
		})
	}
}

// A person deletes the account's tab and makes a tab of their own under its title: the next
// sync stops before writing, asks for consent (as for a tab found holding someone's data at the
// first write) and leaves the person's tab alone; once consent is given, the sync after writes
// the table there.
func TestATabTakingADeletedTabsTitleNeedsConsent(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 2, 2, 2)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelAdgroup)
			sync := func(req service.SyncRequest) service.Sync {
				t.Helper()
				req.AccountID = a.ID
				s, _, err := e.svc.EnqueueSync(t.Context(), req)
				if err != nil {
					t.Fatal(err)
				}
				return waitTerminal(t, e.svc, s.ID)[s.ID]
			}
			days := dayList(w, 20, 1)
			if got := sync(service.SyncRequest{Days: 20}); got.Status != service.StatusSucceeded {
				t.Fatalf("first sync: %s %+v", got.Status, got.Error)
			}
			info, _ := w.sheets.Sheet("sheet-a", a.SheetTab)
			w.sheets.Share("sheet-a", person)
			del := &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: info.SheetID}}}}
			if _, err := personClient(t, w.SheetsURL).Spreadsheets.BatchUpdate("sheet-a", del).Context(t.Context()).Do(); err != nil {
				t.Fatalf("the person's delete: %v", err)
			}
			mine := [][]any{{"My plan", "Budget"}, {"July", 1_000_000.0}}
			if w.sheets.AddSheet("sheet-a", a.SheetTab, 10, 4) < 0 || !w.sheets.SetValues("sheet-a", a.SheetTab, mine) {
				t.Fatal("the person's tab could not be made")
			}
			got := sync(service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled})
			if got.Status != service.StatusFailed || got.Error == nil || got.Error.Kind != service.SyncErrorConsentNeeded {
				t.Errorf("sync into the person's tab: %s %+v; want failed, kind %s", got.Status, got.Error, service.SyncErrorConsentNeeded)
			}
			if got := w.sheets.Values("sheet-a", a.SheetTab); !reflect.DeepEqual(got, mine) {
				t.Fatalf("the person's tab %q now holds %d rows, want theirs untouched", a.SheetTab, len(got))
			}
			if _, err := e.svc.ConsentToReplaceTab(t.Context(), a.ID); err != nil {
				t.Fatal(err)
			}
			if got := sync(service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled}); got.Status != service.StatusSucceeded {
				t.Fatalf("sync after consent: %s %+v", got.Status, got.Error)
			}
			checkCells(t, w.sheets.Values("sheet-a", a.SheetTab), expectedSheet(t, w, "1001", service.LevelAdgroup, days, nil))
		})
	}
}
