package service_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// A tab holding data naversync did not write is never replaced without a person's consent,
// even when the check can only run at the first sync (the sheet was shared after the account
// was saved): the sync fails with the consent_needed kind before writing anything (the tab and
// the spreadsheet's tabs stay cell for cell as they were), the account says consent is needed;
// the consent is audited; the next sync writes the tab. A tab naversync wrote (its layout
// record, here left by a deleted account) is replaced without asking.
func TestForeignTabNeedsConsent(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := t.Context()
			w := newWorld(t, db, worldOptions{})
			w.customer("2301", 1, 1, 1)
			e := w.engine(engineOptions{})
			const sheet = "sheet-foreign"
			w.sheets.CreateSpreadsheet(sheet) // not shared yet: saving needs confirmation
			w.sheets.AddSheet(sheet, "Data", 30, 6)
			w.sheets.SetValues(sheet, "Data", [][]any{{"Budget", "Owner"}, {3e6, "Kim"}, nil, {nil, nil, "note"}})
			a, err := e.svc.CreateAccount(ctx, service.AccountInput{Name: "A", CustomerID: "2301", APIKey: "key-2301", SecretKey: "secret-2301",
				SpreadsheetID: sheet, SheetTab: "data", Level: service.LevelCampaign, ConfirmSheetAccess: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Warnings) != 1 || a.Warnings[0].Field != "spreadsheet_id" {
				t.Errorf("saved with warnings %+v, want one naming spreadsheet_id (not shared)", a.Warnings)
			}
			w.sheets.Share(sheet, sheetstest.DefaultCaller)
			values, tabs := w.sheets.Values(sheet, "Data"), w.sheets.Sheets(sheet)

			sync := func() service.Sync {
				t.Helper()
				s, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 3})
				if err != nil {
					t.Fatal(err)
				}
				return waitTerminal(t, e.svc, s.ID)[s.ID]
			}
			got := sync()
			if got.Status != service.StatusFailed || got.Error == nil || got.Error.Kind != service.SyncErrorConsentNeeded ||
				!strings.Contains(got.Error.Message, `tab "Data"`) || !strings.Contains(got.Error.Message, "A1") {
				t.Fatalf("sync into a person's tab: %s %+v; want failed, kind %s, naming the tab and a value", got.Status, got.Error, service.SyncErrorConsentNeeded)
			}
			if now := w.sheets.Values(sheet, "Data"); !reflect.DeepEqual(now, values) {
				t.Errorf("the person's tab changed without consent:\n got %v\nwant %v", now, values)
			}
			if now := w.sheets.Sheets(sheet); !slices.Equal(now, tabs) {
				t.Errorf("tabs %q after the refused sync, want %q (nothing written)", now, tabs)
			}
			acct, err := e.svc.GetAccount(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			info, _ := w.sheets.Sheet(sheet, "Data")
			if acct.SheetConsent == nil || acct.SheetConsent.State != service.SheetConsentNeeded || acct.SheetConsent.SheetID != info.SheetID {
				t.Fatalf("account after the refused sync: consent %+v, want needed for sheetId %d", acct.SheetConsent, info.SheetID)
			}

			acct, err = e.svc.ConsentToReplaceTab(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if acct.SheetConsent == nil || acct.SheetConsent.State != service.SheetConsentGiven {
				t.Errorf("after consent: %+v, want given", acct.SheetConsent)
			}
			entries, _, err := e.svc.ListAudit(ctx, service.AuditFilter{AccountID: a.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) == 0 || entries[0].Action != service.AuditAccountConsent || !strings.Contains(entries[0].Detail, `"Data"`) {
				t.Errorf("audit log after consent: %+v, want an %s entry first, naming the tab as it is titled (\"Data\")", entries, service.AuditAccountConsent)
			}
			if got := sync(); got.Status != service.StatusSucceeded {
				t.Fatalf("sync after consent: %s %+v", got.Status, got.Error)
			}
			if v := w.sheets.Values(sheet, "Data"); len(v) < 2 || v[0][0] != "Date" || v[1][0] == "3000000" {
				t.Errorf("after consent the tab holds %v, want naversync's table", v)
			}
			if _, err := e.svc.ConsentToReplaceTab(ctx, a.ID); !errors.Is(err, service.ErrConflict) {
				t.Errorf("consent with nothing waiting: %v, want ErrConflict", err)
			}

			// naversync's own tab, left by a deleted account: the next account's first sync writes it.
			if err := e.svc.DeleteAccount(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			b, err := e.svc.CreateAccount(ctx, service.AccountInput{Name: "B", CustomerID: "2301", APIKey: "key-2301", SecretKey: "secret-2301",
				SpreadsheetID: sheet, SheetTab: "Data", Level: service.LevelCampaign})
			if err != nil || len(b.Warnings) != 0 {
				t.Fatalf("account on naversync's tab: %+v, %v; want saved without warnings", b.Warnings, err)
			}
			a = b
			if got := sync(); got.Status != service.StatusSucceeded {
				t.Fatalf("first sync into a tab naversync wrote: %s %+v, want succeeded without consent", got.Status, got.Error)
			}
		})
	}
}

// Saving an account whose spreadsheet naversync cannot edit (not shared, view-only, no such
// spreadsheet), or changing an account to one, is refused naming spreadsheet_id and changes
// nothing (no account, no audit entry); confirmed, it is saved with a warning and the audit
// entry names the confirmation.
func TestSaveAccountSheetAccess(t *testing.T) {
	db := storetest.Databases(t)[0]
	ctx := t.Context()
	w := newWorld(t, db, worldOptions{})
	w.customer("2302", 1, 1, 1)
	e := w.engine(engineOptions{noStart: true})
	w.sheets.CreateSpreadsheet("sheet-unshared")
	w.sheets.CreateSpreadsheet("sheet-view")
	w.sheets.ShareReadOnly("sheet-view", sheetstest.DefaultCaller)
	ok := w.account(e, "ok", "2302", "sheet-ok", service.LevelCampaign)
	input := func(sheet string, confirm bool) service.AccountInput {
		return service.AccountInput{Name: "n", CustomerID: "2302", APIKey: "key-2302", SecretKey: "secret-2302",
			SpreadsheetID: sheet, SheetTab: "data2", Level: service.LevelCampaign, ConfirmSheetAccess: confirm}
	}
	audit := func() int {
		entries, _, err := e.svc.ListAudit(ctx, service.AuditFilter{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	for _, tc := range []struct{ sheet, access string }{
		{"sheet-unshared", service.SheetAccessNone}, {"sheet-view", service.SheetAccessRead}, {"sheet-missing", service.SheetAccessNotFound},
	} {
		before := audit()
		_, err := e.svc.CreateAccount(ctx, input(tc.sheet, false))
		var serr *service.SheetAccessError
		if !errors.As(err, &serr) || serr.Access != tc.access || len(serr.Fields) != 1 || serr.Fields[0].Field != "spreadsheet_id" {
			t.Fatalf("create on %s: %v, want a SheetAccessError (%s) naming spreadsheet_id", tc.sheet, err, tc.access)
		}
		sheet := tc.sheet
		_, err = e.svc.UpdateAccount(ctx, ok.ID, service.AccountPatch{SpreadsheetID: &sheet})
		if !errors.As(err, &serr) || serr.Access != tc.access {
			t.Fatalf("update to %s: %v, want a SheetAccessError (%s)", tc.sheet, err, tc.access)
		}
		if list, _, _ := e.svc.ListAccounts(ctx, 10, ""); len(list) != 1 || audit() != before {
			t.Fatalf("%s: a refused save changed something (%d accounts, %d audit entries, was %d)", tc.sheet, len(list), audit(), before)
		}
		if got, _ := e.svc.GetAccount(ctx, ok.ID); got.SpreadsheetID != "sheet-ok" {
			t.Fatalf("a refused update changed the spreadsheet to %s", got.SpreadsheetID)
		}
	}
	a, err := e.svc.CreateAccount(ctx, input("sheet-view", true))
	if err != nil || len(a.Warnings) != 1 || a.Warnings[0].Field != "spreadsheet_id" || !strings.Contains(a.Warnings[0].Reason, "viewing only") {
		t.Fatalf("confirmed create: %+v, %v; want saved with a view-only warning", a.Warnings, err)
	}
	sheet := "sheet-unshared"
	u, err := e.svc.UpdateAccount(ctx, ok.ID, service.AccountPatch{SpreadsheetID: &sheet, ConfirmSheetAccess: true})
	if err != nil || u.SpreadsheetID != sheet || len(u.Warnings) != 1 {
		t.Fatalf("confirmed update: %+v, %v; want saved with a warning", u, err)
	}
	entries, _, err := e.svc.ListAudit(ctx, service.AuditFilter{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if !slices.Contains(en.Fields, "confirm_sheet_access") || !strings.Contains(en.Detail, "warning") {
			t.Errorf("audit entry %s %v %q: want the confirmation and the warning", en.Action, en.Fields, en.Detail)
		}
	}
}

// Consent can be given when saving (replace_tab_data, as the console's form asks when its
// sheet check finds the tab holding data): it is audited, and the first sync writes the tab.
// Without it the save warns naming sheet_tab.
func TestReplaceTabDataAtSave(t *testing.T) {
	db := storetest.Databases(t)[0]
	ctx := t.Context()
	w := newWorld(t, db, worldOptions{})
	w.customer("2303", 1, 1, 1)
	e := w.engine(engineOptions{})
	const sheet = "sheet-replace"
	w.sheets.CreateSpreadsheet(sheet, sheetstest.DefaultCaller)
	w.sheets.SetValues(sheet, "Sheet1", [][]any{{"old plan"}})
	in := service.AccountInput{Name: "R", CustomerID: "2303", APIKey: "key-2303", SecretKey: "secret-2303",
		SpreadsheetID: sheet, SheetTab: "Sheet1", Level: service.LevelCampaign}
	other := in
	other.SheetTab, other.Name = "Sheet1-copy", "R2"
	w.sheets.AddSheet(sheet, "Sheet1-copy", 5, 5)
	w.sheets.SetValues(sheet, "Sheet1-copy", [][]any{{"x"}})
	warned, err := e.svc.CreateAccount(ctx, other)
	if err != nil || len(warned.Warnings) != 1 || warned.Warnings[0].Field != "sheet_tab" || warned.SheetConsent != nil {
		t.Fatalf("saved on a person's tab without consent: %+v, %v; want a sheet_tab warning", warned, err)
	}
	in.ReplaceTabData = true
	a, err := e.svc.CreateAccount(ctx, in)
	if err != nil || len(a.Warnings) != 0 || a.SheetConsent == nil || a.SheetConsent.State != service.SheetConsentGiven {
		t.Fatalf("saved with replace_tab_data: %+v, %v; want consent given, no warning", a, err)
	}
	entries, _, err := e.svc.ListAudit(ctx, service.AuditFilter{AccountID: a.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Action != service.AuditAccountConsent || !strings.Contains(entries[0].Detail, `"Sheet1"`) {
		t.Fatalf("audit of the save: %+v, want the creation then the consent", entries)
	}
	s, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := waitTerminal(t, e.svc, s.ID)[s.ID]; got.Status != service.StatusSucceeded {
		t.Fatalf("first sync after consent at save: %s %+v", got.Status, got.Error)
	}
	if v := w.sheets.Values(sheet, "Sheet1"); len(v) < 2 || v[0][0] != "Date" {
		t.Errorf("the tab holds %v, want naversync's table", v)
	}
}

// A person's data found in the search terms tab is asked about by that tab's title, not the
// performance tab's: the account's consent names the tab the sync stopped at
// (SheetConsent.Tab, which the console's prompt shows), the audit entry of the consent names it,
// and after the consent the next sync writes that tab.
func TestForeignSearchTermsTabConsentNamesItsTab(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			needSearchTerms(t)
			ctx := t.Context()
			w := newWorld(t, db, worldOptions{})
			w.customer("2302", 1, 1, 1)
			e := w.engine(engineOptions{})
			a := withSearchTerms(t, e, w.account(e, "A", "2302", "sheet-terms", service.LevelAdgroup))
			title := a.TabTitles[string(report.KindSearchTerms)]
			if title == "" || title == a.SheetTab {
				t.Fatalf("search terms tab title %q (performance %q)", title, a.SheetTab)
			}
			w.sheets.AddSheet("sheet-terms", title, 30, 6)
			w.sheets.SetValues("sheet-terms", title, [][]any{{"Term", "Owner"}, {"coffee", "Lee"}})
			person := w.sheets.Values("sheet-terms", title)
			info, _ := w.sheets.Sheet("sheet-terms", title)

			sync := func() service.Sync {
				t.Helper()
				s, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 3})
				if err != nil {
					t.Fatal(err)
				}
				return waitTerminal(t, e.svc, s.ID)[s.ID]
			}
			got := sync()
			if got.Status != service.StatusFailed || got.Error == nil || got.Error.Kind != service.SyncErrorConsentNeeded ||
				!strings.Contains(got.Error.Message, `"`+title+`"`) {
				t.Fatalf("sync into a person's search terms tab: %s %+v; want failed, kind %s, naming %q", got.Status, got.Error, service.SyncErrorConsentNeeded, title)
			}
			if now := w.sheets.Values("sheet-terms", title); !reflect.DeepEqual(now, person) {
				t.Errorf("the person's tab changed without consent:\n got %v\nwant %v", now, person)
			}
			acct, err := e.svc.GetAccount(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c := acct.SheetConsent; c == nil || c.State != service.SheetConsentNeeded || c.SheetID != info.SheetID || c.Tab != title {
				t.Fatalf("account after the refused sync: consent %+v, want needed for tab %q (sheetId %d)", c, title, info.SheetID)
			}
			acct, err = e.svc.ConsentToReplaceTab(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c := acct.SheetConsent; c == nil || c.State != service.SheetConsentGiven || c.Tab != title {
				t.Errorf("after consent: %+v, want given for tab %q", c, title)
			}
			entries, _, err := e.svc.ListAudit(ctx, service.AuditFilter{AccountID: a.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) == 0 || entries[0].Action != service.AuditAccountConsent ||
				!strings.Contains(entries[0].Detail, `"`+title+`"`) || strings.Contains(entries[0].Detail, `"`+a.SheetTab+`"`) {
				t.Errorf("audit entry of the consent: %+v, want %s naming tab %q only", entries[0], service.AuditAccountConsent, title)
			}
			if got := sync(); got.Status != service.StatusSucceeded {
				t.Fatalf("sync after consent: %s %+v", got.Status, got.Error)
			}
			if v := w.sheets.Values("sheet-terms", title); len(v) < 2 || v[0][0] != "Date" {
				t.Errorf("after consent the search terms tab holds %v, want naversync's table", v)
			}
		})
	}
}

// Saving an account checks each of its tabs, not only the performance tab: a person's data
// under the search terms tab's title is a warning naming that tab (field tab_titles), when the
// account is created and when the tab is added later. replace_tab_data consents to the
// performance tab only (the tab a person saving is shown); the sync asks about the other.
func TestSaveChecksEveryTab(t *testing.T) {
	needSearchTerms(t)
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) { testSaveChecksEveryTab(t, db) })
	}
}

func testSaveChecksEveryTab(t *testing.T, db storetest.DB) {
	ctx := t.Context()
	w := newWorld(t, db, worldOptions{})
	w.customer("2304", 1, 1, 1)
	e := w.engine(engineOptions{})
	const sheet = "sheet-every-tab"
	w.sheets.CreateSpreadsheet(sheet, sheetstest.DefaultCaller)
	const terms = "naver_search_terms"
	w.sheets.AddSheet(sheet, terms, 5, 5)
	w.sheets.SetValues(sheet, terms, [][]any{{"our terms"}, {"green tea"}})
	in := service.AccountInput{Name: "T", CustomerID: "2304", APIKey: "key-2304", SecretKey: "secret-2304",
		SpreadsheetID: sheet, SheetTab: "data", Level: service.LevelCampaign,
		Tabs: []string{string(report.KindPerformance), string(report.KindSearchTerms)}}

	foreignWarning := func(ws []service.FieldError) bool {
		return len(ws) == 1 && ws[0].Field == "tab_titles" && ws[0].Code == service.MsgSheetForeignTab && ws[0].Params["tab"] == terms
	}
	a, err := e.svc.CreateAccount(ctx, in)
	if err != nil || !foreignWarning(a.Warnings) || a.SheetConsent != nil {
		t.Fatalf("created over a person's search terms tab: warnings %+v, consent %+v, %v; want one tab_titles warning naming %q", a.Warnings, a.SheetConsent, err, terms)
	}
	if err := e.svc.DeleteAccount(ctx, a.ID); err != nil {
		t.Fatal(err)
	}

	// Added later: the change of tabs is checked as the account's creation is.
	perf := in
	perf.Tabs = nil
	b, err := e.svc.CreateAccount(ctx, perf)
	if err != nil || len(b.Warnings) != 0 {
		t.Fatalf("performance tab alone: %+v, %v", b.Warnings, err)
	}
	b, err = e.svc.UpdateAccount(ctx, b.ID, service.AccountPatch{Tabs: &in.Tabs})
	if err != nil || !foreignWarning(b.Warnings) {
		t.Fatalf("search terms tab added over a person's tab: warnings %+v, %v; want one tab_titles warning naming %q", b.Warnings, err, terms)
	}
	if err := e.svc.DeleteAccount(ctx, b.ID); err != nil {
		t.Fatal(err)
	}

	// With a person's data in both tabs, replace_tab_data consents to the performance tab, the
	// one a person saving the account is shown; the search terms tab stays a warning, through a
	// later change of tabs too, and the sync asks about it by its title.
	w.sheets.AddSheet(sheet, "data", 5, 5)
	w.sheets.SetValues(sheet, "data", [][]any{{"old plan"}})
	perfInfo, _ := w.sheets.Sheet(sheet, "data")
	in.ReplaceTabData = true
	c, err := e.svc.CreateAccount(ctx, in)
	if err != nil || !foreignWarning(c.Warnings) || c.SheetConsent == nil || c.SheetConsent.State != service.SheetConsentGiven ||
		c.SheetConsent.SheetID != perfInfo.SheetID || c.SheetConsent.Tab != "data" {
		t.Fatalf("created with replace_tab_data: warnings %+v, consent %+v, %v; want consent given for \"data\" (sheetId %d), a warning for %q",
			c.Warnings, c.SheetConsent, err, perfInfo.SheetID, terms)
	}
	all := append(slices.Clone(in.Tabs), string(report.KindShoppingTerms))
	c, err = e.svc.UpdateAccount(ctx, c.ID, service.AccountPatch{Tabs: &all})
	if err != nil || !foreignWarning(c.Warnings) || c.SheetConsent == nil || c.SheetConsent.State != service.SheetConsentGiven || c.SheetConsent.Tab != "data" {
		t.Fatalf("shopping tab added: warnings %+v, consent %+v, %v; want the search terms warning only, the consent kept", c.Warnings, c.SheetConsent, err)
	}
	sync := func() service.Sync {
		t.Helper()
		s, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: c.ID, Days: 2})
		if err != nil {
			t.Fatal(err)
		}
		return waitTerminal(t, e.svc, s.ID)[s.ID]
	}
	if got := sync(); got.Status != service.StatusFailed || got.Error == nil || got.Error.Kind != service.SyncErrorConsentNeeded ||
		!strings.Contains(got.Error.Message, `"`+terms+`"`) {
		t.Fatalf("first sync: %s %+v; want it to stop for consent to replace %q", got.Status, got.Error, terms)
	}
	if _, err := e.svc.ConsentToReplaceTab(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if got := sync(); got.Status != service.StatusSucceeded {
		t.Fatalf("sync after consent: %s %+v", got.Status, got.Error)
	}
	for _, tab := range []string{"data", terms} {
		if v := w.sheets.Values(sheet, tab); len(v) < 2 || v[0][0] != "Date" {
			t.Errorf("tab %q holds %v, want naversync's table", tab, v)
		}
	}
}
