package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
)

// TestConsoleSheetConsent: the account form refuses to save a spreadsheet naversync cannot
// edit until the operator confirms it (then the status line carries the warning); a sync that
// found the tab holding someone's data says so on its page with a button that records the
// consent (in the audit log) and retries, and the retry writes the tab.
func TestConsoleSheetConsent(t *testing.T) {
	e := newEnvWith(t, envOptions{tokens: []string{"operator:" + operatorToken}})
	e.naver.AddCustomer(navertest.Customer{ID: "5005", APIKey: "key-5005", SecretKey: "secret-5005", Campaigns: 1, AdgroupsPerCampaign: 1, KeywordsPerAdgroup: 1, Seed: 5})
	const book = "sheet-5005"
	e.sheets.CreateSpreadsheet(book) // shared with nobody yet
	e.sheets.SetValues(book, "Sheet1", [][]any{{"our plan"}, {"brand", 1.2e6}})
	before := e.sheets.Values(book, "Sheet1")

	b := newBrowser(t)
	b.login(e.srv.URL, operatorToken)
	b.waitFor("the console", `!document.getElementById("app").hidden`)
	b.click("Add account", "#add-account")
	b.waitFor("the account form", `document.getElementById("account-dialog").open`)
	b.input("#acc-name", "Tea House")
	b.input("#acc-customer_id", "5005")
	b.input("#acc-api_key", "key-5005")
	b.input("#acc-secret_key", "secret-5005")
	b.input("#acc-spreadsheet", book)
	b.input("#acc-sheet_tab", "Sheet1")
	b.click("Save", "#af-save")
	b.waitFor("the refusal beside the spreadsheet, with a confirmation", visible("#access-confirm")+` && `+visible("#err-spreadsheet"))
	if n := len(e.accounts()); n != 0 {
		t.Fatalf("%d accounts saved without the confirmation", n)
	}
	b.click("confirm", "#acc-confirm-access")
	b.click("Save", "#af-save")
	b.waitFor("the form closed and the account listed", `!document.getElementById("account-dialog").open && document.querySelectorAll("#accounts-table tr[data-account]").length === 1`)
	if status := b.text("#status"); !strings.Contains(status, "not shared") {
		t.Errorf("status line %q, want the warning", status)
	}
	accts := e.accounts()
	if len(accts) != 1 {
		t.Fatalf("accounts %+v", accts)
	}
	a := accts[0]

	// Shared afterwards: the sync finds the person's data and asks.
	e.sheets.Share(book, sheetstest.DefaultCaller)
	s := e.syncAndWait(a.ID, 1)
	if s.Status != service.StatusFailed || s.Error == nil || s.Error.Kind != service.SyncErrorConsentNeeded {
		t.Fatalf("sync into the person's tab: %s %+v", s.Status, s.Error)
	}
	b.do("open the sync", chromedp.Navigate(e.srv.URL+"/ui/#sync/"+s.ID))
	b.waitFor("the consent problem", `document.getElementById("sp-problem").dataset.kind === "consent_needed" && !document.getElementById("sp-problem").hidden`)
	if fmt.Sprint(e.sheets.Values(book, "Sheet1")) != fmt.Sprint(before) {
		t.Fatal("the tab changed before consent")
	}
	b.click("consent and retry", "#sp-consent")
	b.waitFor("the retry's page succeeded", `document.getElementById("sync-page").dataset.sync !== `+jsString(s.ID)+
		` && document.getElementById("sync-page").dataset.status === "succeeded"`)
	if v := e.sheets.Values(book, "Sheet1"); len(v) < 2 || v[0][0] != "Date" {
		t.Errorf("the tab after consent: %v", v)
	}
	entries, _, err := e.svc.ListAudit(t.Context(), service.AuditFilter{AccountID: a.ID})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, en := range entries {
		found = found || en.Action == service.AuditAccountConsent && strings.HasPrefix(en.Actor, "operator")
	}
	if !found {
		t.Errorf("no consent by the operator in the audit log: %+v", entries)
	}
}

// TestConsoleSheetConsentNamesTheTab: a sync that found a person's data in the account's
// search terms tab asks on its page about that tab by its title, not the performance tab's;
// the consent and retry write that tab.
func TestConsoleSheetConsentNamesTheTab(t *testing.T) {
	e := newEnvWith(t, envOptions{tokens: []string{"operator:" + operatorToken}})
	a := e.account("Tea House", "5006", "sheet-5006")
	a, err := e.svc.UpdateAccount(t.Context(), a.ID, service.AccountPatch{Tabs: &[]string{"performance", "search_terms"}})
	if err != nil {
		t.Fatal(err)
	}
	terms := a.TabTitles["search_terms"]
	if terms == "" || strings.EqualFold(terms, a.SheetTab) {
		t.Fatalf("tab titles %v, sheet_tab %q", a.TabTitles, a.SheetTab)
	}
	e.sheets.AddSheet("sheet-5006", terms, 20, 4)
	e.sheets.SetValues("sheet-5006", terms, [][]any{{"our list of terms"}, {"green tea", "keep"}})
	s := e.syncAndWait(a.ID, 1)
	if s.Status != service.StatusFailed || s.Error == nil || s.Error.Kind != service.SyncErrorConsentNeeded {
		t.Fatalf("sync into the person's search terms tab: %s %+v", s.Status, s.Error)
	}

	b := newBrowser(t)
	b.login(e.srv.URL, operatorToken)
	b.do("open the sync", chromedp.Navigate(e.srv.URL+"/ui/#sync/"+s.ID))
	b.waitFor("the consent problem", `document.getElementById("sp-problem").dataset.kind === "consent_needed" && !document.getElementById("sp-problem").hidden`)
	if text := b.text("#sp-problem"); !strings.Contains(text, "“"+terms+"”") || strings.Contains(text, "“"+a.SheetTab+"”") {
		t.Errorf("the consent problem says %q; want it to name the tab %q, not %q", text, terms, a.SheetTab)
	}
	b.click("consent and retry", "#sp-consent")
	b.waitFor("the retry's page succeeded", `document.getElementById("sync-page").dataset.sync !== `+jsString(s.ID)+
		` && document.getElementById("sync-page").dataset.status === "succeeded"`)
	if v := e.sheets.Values("sheet-5006", terms); len(v) < 2 || v[0][0] != "Date" {
		t.Errorf("the search terms tab after consent: %v", v)
	}
}
