package api_test

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

const problemSheetAccess = "https://naversync.dev/problems/sheet-not-editable"

// TestSaveAccountSheetNotEditable: POST and PATCH of an account whose spreadsheet naversync
// cannot edit (not shared, view-only, no such spreadsheet) are refused with a 422
// sheet-not-editable problem naming spreadsheet_id, storing and auditing nothing; with
// confirm_sheet_access they are saved, the answer warns, and the audit entry names the
// confirmation. Google unreachable: 503 and nothing stored, or, confirmed, saved with a warning.
func TestSaveAccountSheetNotEditable(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			e := newEnv(t, envOptions{db: &db, noStart: true})
			ok := e.account("3101")
			e.sheets.CreateSpreadsheet("sheet-unshared")
			e.sheets.CreateSpreadsheet("sheet-view")
			e.sheets.ShareReadOnly("sheet-view", sheetstest.DefaultCaller)
			body := func(sheet string, kv ...any) map[string]any {
				m := map[string]any{"name": "n", "customer_id": "3101", "api_key": "key-3101", "secret_key": "secret-3101",
					"spreadsheet_id": sheet, "sheet_tab": "other"}
				for i := 0; i < len(kv); i += 2 {
					m[kv[i].(string)] = kv[i+1]
				}
				return m
			}
			audit := func() int {
				var log auditPage
				e.c.do("GET", "/audit?limit=200", nil, nil).want(http.StatusOK).decode(&log)
				return len(log.Items)
			}
			var was service.Account
			e.c.do("GET", "/accounts/"+ok.ID, nil, nil).want(http.StatusOK).decode(&was)
			for sheet, why := range map[string]string{"sheet-unshared": "not shared", "sheet-view": "viewing only", "sheet-missing": "no spreadsheet"} {
				accounts, entries := e.accountCount(), audit()
				for _, req := range []struct {
					method, path string
					body         map[string]any
				}{{"POST", "/accounts", body(sheet)}, {"PATCH", "/accounts/" + ok.ID, map[string]any{"spreadsheet_id": sheet, "sheet_tab": "other"}}} {
					p := e.c.do(req.method, req.path, req.body, nil).want(http.StatusUnprocessableEntity).problem()
					if p.Type != problemSheetAccess || len(p.Errors) != 1 || p.Errors[0].Field != "spreadsheet_id" ||
						!strings.Contains(p.Errors[0].Reason, why) || !strings.Contains(p.Detail, "confirm_sheet_access") {
						t.Errorf("%s %s on %s: problem %+v; want %s naming spreadsheet_id (%s)", req.method, req.path, sheet, p, problemSheetAccess, why)
					}
				}
				var now service.Account
				e.c.do("GET", "/accounts/"+ok.ID, nil, nil).want(http.StatusOK).decode(&now)
				if e.accountCount() != accounts || audit() != entries || !reflect.DeepEqual(now, was) {
					t.Fatalf("%s: a refused save changed something", sheet)
				}
			}

			var a service.Account
			e.c.do("POST", "/accounts", body("sheet-view", "confirm_sheet_access", true), nil).want(http.StatusCreated).decode(&a)
			if len(a.Warnings) != 1 || a.Warnings[0].Field != "spreadsheet_id" || !strings.Contains(a.Warnings[0].Reason, "viewing only") {
				t.Errorf("confirmed POST: warnings %+v, want the view-only one", a.Warnings)
			}
			var u service.Account
			e.c.do("PATCH", "/accounts/"+ok.ID, map[string]any{"spreadsheet_id": "sheet-unshared", "confirm_sheet_access": true}, nil).
				want(http.StatusOK).decode(&u)
			if u.SpreadsheetID != "sheet-unshared" || len(u.Warnings) != 1 || !strings.Contains(u.Warnings[0].Reason, "not shared") {
				t.Errorf("confirmed PATCH: %+v, want saved with the not-shared warning", u)
			}
			var log auditPage
			e.c.do("GET", "/audit?limit=2", nil, nil).want(http.StatusOK).decode(&log)
			for _, en := range log.Items {
				if !slices.Contains(en.Fields, "confirm_sheet_access") || !strings.Contains(en.Detail, "warnings") {
					t.Errorf("audit %s %v %q: want the confirmation and the warning", en.Action, en.Fields, en.Detail)
				}
			}

			// Google unreachable: no silent save.
			e.sheets.InjectErrors(http.StatusServiceUnavailable, "UNAVAILABLE", 1000)
			accounts := e.accountCount()
			e.c.do("POST", "/accounts", body("sheet3101", "sheet_tab", "third"), nil).want(http.StatusServiceUnavailable)
			if e.accountCount() != accounts {
				t.Fatal("saved without a check while Google was unreachable")
			}
			var c service.Account
			e.c.do("POST", "/accounts", body("sheet3101", "sheet_tab", "third", "confirm_sheet_access", true), nil).want(http.StatusCreated).decode(&c)
			e.sheets.ClearErrors()
			if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Reason, "could not be reached") {
				t.Errorf("confirmed while Google was unreachable: warnings %+v", c.Warnings)
			}
		})
	}
}

// TestForeignTabConsentThroughAPI: an account on a tab holding a person's data is saved with a
// warning; its sync fails with kind consent_needed and leaves the tab cell for cell as it was;
// the account shows consent needed; the consent (POST /accounts/{id}/sheet-consent) is audited;
// the retry writes the tab. A consent with nothing waiting is a 409.
func TestForeignTabConsentThroughAPI(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.naver.AddCustomer(navertestCustomer("3201"))
	const sheet = "sheet3201"
	e.sheets.CreateSpreadsheet(sheet, sheetstest.DefaultCaller)
	e.sheets.SetValues(sheet, "Sheet1", [][]any{{"Plan", "Q3"}, {"brand", 1.5e6}})
	before := e.sheets.Values(sheet, "Sheet1")
	var a service.Account
	e.c.do("POST", "/accounts", map[string]any{"name": "n", "customer_id": "3201", "api_key": "key-3201", "secret_key": "secret-3201",
		"spreadsheet_id": sheet, "sheet_tab": "sheet1", "level": "campaign"}, nil).want(http.StatusCreated).decode(&a)
	if len(a.Warnings) != 1 || a.Warnings[0].Field != "sheet_tab" {
		t.Errorf("saved on a person's tab: warnings %+v, want one naming sheet_tab", a.Warnings)
	}
	e.c.do("POST", "/accounts/"+a.ID+"/sheet-consent", nil, nil).want(http.StatusConflict) // no sync asked yet

	var s service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 2}, nil).want(http.StatusAccepted).decode(&s)
	s = e.waitTerminal(s.ID)
	if s.Status != service.StatusFailed || s.Error == nil || s.Error.Kind != service.SyncErrorConsentNeeded {
		t.Fatalf("sync into a person's tab: %s %+v; want failed with kind %s", s.Status, s.Error, service.SyncErrorConsentNeeded)
	}
	if now := e.sheets.Values(sheet, "Sheet1"); !reflect.DeepEqual(now, before) {
		t.Fatalf("the tab changed without consent: %v, was %v", now, before)
	}
	var got service.Account
	e.c.do("GET", "/accounts/"+a.ID, nil, nil).want(http.StatusOK).decode(&got)
	if got.SheetConsent == nil || got.SheetConsent.State != service.SheetConsentNeeded || got.SheetConsent.SheetID != 0 || got.SheetConsent.Tab != "Sheet1" {
		t.Fatalf("account after the refused sync: %+v, want consent needed for sheetId 0, tab \"Sheet1\"", got.SheetConsent)
	}

	e.c.do("POST", "/accounts/"+a.ID+"/sheet-consent", nil, nil).want(http.StatusOK).decode(&got)
	if got.SheetConsent == nil || got.SheetConsent.State != service.SheetConsentGiven {
		t.Fatalf("after consent: %+v", got.SheetConsent)
	}
	var log auditPage
	e.c.do("GET", "/audit?account_id="+a.ID, nil, nil).want(http.StatusOK).decode(&log)
	if len(log.Items) == 0 || log.Items[0].Action != service.AuditAccountConsent {
		t.Fatalf("audit after consent: %+v", log.Items)
	}
	var r service.Sync
	e.c.do("POST", "/syncs/"+s.ID+"/retry", nil, nil).want(http.StatusAccepted).decode(&r)
	if r = e.waitTerminal(r.ID); r.Status != service.StatusSucceeded {
		t.Fatalf("retry after consent: %s %+v", r.Status, r.Error)
	}
	if v := e.sheets.Values(sheet, "Sheet1"); len(v) < 2 || v[0][0] != "Date" {
		t.Errorf("after consent the tab holds %v, want naversync's table", v)
	}
}
