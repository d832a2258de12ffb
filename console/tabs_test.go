package console_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
)

// TestConsoleTabs: an admin adds an account with the search-terms tab besides the performance
// tab, in a browser set to English and in one set to Korean. A search-terms tab titled like the
// performance tab is refused beside the search-terms tab's title; the accounts list names both
// tabs; after Sync now the sync's page shows each day's reports under the tab they feed (AD and
// AD_CONVERSION under the performance tab, EXPKEYWORD under the search-terms tab), all in the
// page's language; the spreadsheet holds both tabs. A shopping search terms tab synced 47 days
// back shows its oldest days' conversion report as not served, and why, in the page's language.
// An edit renames the search terms tab, and the audit log says so in the page's language.
func TestConsoleTabs(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		t.Run(lang, func(t *testing.T) { tabsIn(t, lang) })
	}
}

func tabsIn(t *testing.T, lang string) {
	const adminToken = "adm-t0ken"
	e := newEnvWith(t, envOptions{tokens: []string{adminToken}})
	e.naver.AddCustomer(navertest.Customer{ID: "5005", APIKey: "key-5005", SecretKey: "secret-5005",
		Campaigns: 1, AdgroupsPerCampaign: 2, KeywordsPerAdgroup: 2, Seed: 5})
	const book = "1Noodle-Daegu_sheet"
	e.sheets.CreateSpreadsheet(book, sheetstest.DefaultCaller)
	const shopBook = "1Noodle-Shop_sheet"
	e.sheets.CreateSpreadsheet(shopBook, sheetstest.DefaultCaller)
	// Slack and Google Chat name products (in the notifications section an admin sees).
	userData := []string{"dev", "Noodle Daegu", "Noodle Shop", "naver_search_terms", "naver_shopping_terms", "naver_ads", "terms_daegu", "5005", "key-5005", book, shopBook, adminToken, "Slack", "Google Chat"}

	b := newBrowser(t)
	b.do("larger window", chromedp.EmulateViewport(1280, 1500))
	b.seoul()
	b.browserLanguage(map[string]string{"ko": "ko-KR", "en": "en-US"}[lang])
	b.login(e.srv.URL, adminToken)
	b.waitFor("the empty console", `!document.getElementById("accounts-empty").hidden && !document.getElementById("app").hidden`)

	// The form: the performance tab is ticked, the search-terms tab's title shows once ticked.
	b.click("Add account", "#add-account")
	b.waitFor("the account form", `document.getElementById("account-dialog").open`)
	// (The titles' boxes take no room: hidden, not merely marked so.)
	if !eval[bool](b, `document.getElementById("acc-tab-performance").checked && !document.getElementById("acc-tab-search_terms").checked &&
		["search_terms", "shopping_terms"].every(k => document.getElementById("acc-tab_title-" + k).getClientRects().length === 0)`) {
		t.Error("a new account's form does not start with the performance tab alone, without the other tabs' titles")
	}
	b.input("#acc-name", "Noodle Daegu")
	b.input("#acc-customer_id", "5005")
	b.input("#acc-api_key", "key-5005")
	b.input("#acc-secret_key", "secret-5005")
	b.input("#acc-spreadsheet", book)
	b.click("tick the search-terms tab", "#acc-tab-search_terms")
	b.waitFor("its title, by default", visible("#acc-tab_title-search_terms")+` && document.getElementById("acc-tab_title-search_terms").value === "naver_search_terms"`)
	if eval[bool](b, `document.getElementById("acc-tab_title-shopping_terms").getClientRects().length > 0`) {
		t.Error("the title of the shopping search terms tab, not chosen, is shown")
	}
	b.checkLanguage("the form with the search-terms tab", lang, userData)
	if lang == "en" {
		b.screenshot("account-form-tabs", "#tabs-field")
	}

	// Its title the performance tab's: refused beside the search-terms tab's title.
	b.input("#acc-tab_title-search_terms", "naver_ads")
	b.click("Save", "#af-save")
	b.waitFor("the title refused beside it", visible("#err-tab_title-search_terms"))
	if n := len(e.accounts()); n != 0 {
		t.Fatalf("%d accounts saved with two tabs of one title", n)
	}
	b.checkLanguage("the form with a title refused", lang, userData)
	b.input("#acc-tab_title-search_terms", "naver_search_terms")
	b.click("Save", "#af-save")
	b.waitFor("the form closed and the account listed", `!document.getElementById("account-dialog").open && document.querySelectorAll("#accounts-table tr[data-account]").length === 1`)
	accts := e.accounts()
	if len(accts) != 1 || !slices.Equal(accts[0].Tabs, []string{"performance", "search_terms"}) {
		t.Fatalf("saved accounts %+v", accts)
	}
	a := accts[0]
	row := fmt.Sprintf(`#accounts-table tr[data-account=%q]`, a.ID)
	b.waitFor("the account's tabs listed", fmt.Sprintf(`document.querySelector(%s).querySelector("[data-tabs]").dataset.tabs === "performance,search_terms"`, jsString(row)))
	if got, want := b.text(row+" [data-tabs]"), map[string]string{"en": "Search terms “naver_search_terms”", "ko": "검색어 “naver_search_terms”"}[lang]; !strings.Contains(got, want) {
		t.Errorf("the account's tabs read %q, without %q", got, want)
	}

	// Sync now, once the save's audit row has moved the page (click once the page is still).
	b.waitFor("the addition in the audit log", `document.querySelectorAll('#audit-table tr[data-action="account.create"]').length === 1`)
	b.click("Sync now", row+` button[data-act="sync"]`)
	b.waitFor("the sync listed", `document.querySelectorAll("#syncs-table tr[data-sync]").length === 1`)
	s := e.syncsOf(a.ID)[0]
	if got := e.waitTerminal(s.ID); got.Status != service.StatusSucceeded {
		t.Fatalf("the sync ended %s: %+v", got.Status, got.Error)
	}

	// The sync's page: every day's reports under the tab they feed.
	b.do("open the sync's page", chromedp.Navigate(e.srv.URL+"/ui/#sync/"+s.ID))
	b.waitFor("its 7 days, each with both tabs", `document.getElementById("sync-page").dataset.status === "succeeded" &&
		document.querySelectorAll('#sp-days tbody tr').length === 7 &&
		[...document.querySelectorAll('#sp-days tbody tr')].every(r => r.querySelectorAll(".day-tab").length === 2)`)
	perDay := eval[[]string](b, `[...document.querySelectorAll('#sp-days tbody tr')].map(r =>
		[...r.querySelectorAll(".day-tab")].map(g => g.dataset.tab + ":" + [...g.querySelectorAll("[data-report]")].map(x => x.dataset.report).join("+")).join(" "))`)
	for i, got := range perDay {
		if want := "performance:AD+AD_CONVERSION search_terms:EXPKEYWORD"; got != want {
			t.Errorf("day %d's reports by tab: %q, want %q", i, got, want)
		}
	}
	if got, want := b.text(`#sp-days tbody tr .day-tab[data-tab="search_terms"] .day-tab-name`), map[string]string{"en": "Search terms", "ko": "검색어"}[lang]; !strings.HasPrefix(got, want) {
		t.Errorf("the search-terms tab's heading on the sync's page: %q, want it to start with %q", got, want)
	}
	b.checkLanguage("the sync's page with its days by tab", lang, userData)

	// The spreadsheet holds both tabs, and the account's row links to each.
	for _, tab := range []string{"naver_ads", "naver_search_terms"} {
		if vals := e.sheets.Values(book, tab); len(vals) < 2 {
			t.Errorf("the tab %q after the sync: %.3q", tab, vals)
		}
	}
	b.click("back to the list", "#sp-back")
	terms, _ := e.sheets.Sheet(book, "naver_search_terms")
	b.waitFor("the search terms tab linked from the account's row", fmt.Sprintf(`(document.querySelector(%s + ' [data-tabs] a[data-tab="search_terms"]') || {}).href === %s`,
		jsString(row), jsString(fmt.Sprintf("https://docs.google.com/spreadsheets/d/%s/edit#gid=%d", book, terms.SheetID))))
	b.do("open the sync's page again", chromedp.Navigate(e.srv.URL+"/ui/#sync/"+s.ID))
	b.waitFor("the sync's page", `document.getElementById("sync-page").dataset.status === "succeeded" && !document.getElementById("sync-page").hidden`)

	// An edit renames the search terms tab; the audit log names the tab by its kind's name.
	b.click("back to the list", "#sp-back")
	b.waitFor("the account's row", visible(row))
	b.click("Edit", row+` button[data-act="edit"]`)
	b.waitFor("the form with the account's tabs", `document.getElementById("account-dialog").open && document.getElementById("acc-tab-search_terms").checked &&
		document.getElementById("acc-tab_title-search_terms").value === "naver_search_terms"`)
	b.input("#acc-tab_title-search_terms", "terms_daegu")
	b.click("Save", "#af-save")
	b.waitFor("the form closed", `!document.getElementById("account-dialog").open`)
	if got, _ := e.svc.GetAccount(t.Context(), a.ID); got.TabTitles["search_terms"] != "terms_daegu" || !slices.Equal(got.Tabs, a.Tabs) {
		t.Errorf("after the edit: tabs %q, titles %q", got.Tabs, got.TabTitles)
	}
	update := `document.querySelector('#audit-table tr[data-action="account.update"]')`
	b.waitFor("the rename in the audit log", update+` !== null`)
	if got, want := eval[string](b, update+`.innerText`), map[string]string{"en": `search_terms "terms_daegu"`, "ko": `검색어 "terms_daegu"`}[lang]; !strings.Contains(got, want) {
		t.Errorf("the rename's audit entry says %q, without %q", got, want)
	}
	b.checkLanguage("the console after renaming the search terms tab", lang, userData)

	// The shopping search terms tab over 47 days: Naver serves its conversions for the last 45
	// only, so the oldest days' conversion report is not served, said in the page's language,
	// and those days are fetched all the same.
	shop, err := e.svc.CreateAccount(t.Context(), service.AccountInput{Name: "Noodle Shop", CustomerID: "5005", APIKey: "key-5005",
		SecretKey: "secret-5005", SpreadsheetID: shopBook, SheetTab: "naver_ads", Tabs: []string{"shopping_terms"}})
	if err != nil {
		t.Fatal(err)
	}
	ss := e.syncAndWait(shop.ID, 47)
	if ss.Status != service.StatusSucceeded {
		t.Fatalf("the shopping sync ended %s: %+v", ss.Status, ss.Error)
	}
	b.do("open the shopping sync's page", chromedp.Navigate(e.srv.URL+"/ui/#sync/"+ss.ID))
	const conv = `[data-report="SHOPPINGKEYWORD_CONVERSION_DETAIL"]`
	b.waitFor("its 47 days under the shopping search terms tab", `document.getElementById("sync-page").dataset.sync === `+jsString(ss.ID)+` &&
		document.querySelectorAll('#sp-days tbody tr').length === 47 &&
		[...document.querySelectorAll('#sp-days tbody tr')].every(r => r.querySelector('.day-tab[data-tab="shopping_terms"] `+conv+`'))`)
	states := eval[[]string](b, `[...document.querySelectorAll('#sp-days tbody tr')].map(r => r.dataset.state + ":" + r.querySelector('`+conv+`').dataset.state)`)
	notServed := 0
	for i, st := range states {
		if strings.HasSuffix(st, ":not_served") {
			notServed++
			if i < len(states)-3 {
				t.Errorf("day %d (newest first) has its conversions not served: %q", i, states)
			}
		}
		if !strings.HasPrefix(st, "fetched:") && !strings.HasPrefix(st, "none:") {
			t.Errorf("day %d (newest first) is %q, want fetched (or no data)", i, st)
		}
	}
	if notServed == 0 || !strings.HasSuffix(states[len(states)-1], ":not_served") {
		t.Errorf("the oldest days' conversions are served: %q", states)
	}
	why := b.text(`#sp-days tbody tr:last-child ` + conv)
	if want := map[string]string{"en": "for the last 45 days only", "ko": "최근 45일 동안만"}[lang]; !strings.Contains(why, want) {
		t.Errorf("the conversions not served say %q, without %q", why, want)
	}
	b.checkLanguage("the shopping sync's page with conversions not served", lang, userData)
	if lang == "ko" {
		b.screenshot("sync-page-tabs-ko", "#sp-days tbody tr:last-child")
	}
}
