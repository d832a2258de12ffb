package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver/navertest"
)

// TestConsoleGoogleIdentities: with two Google identities, the account form shows the address
// a new account gets (the least-loaded) and offers the other; the accounts table shows each
// account's address; moving an account to the other identity is refused until the spreadsheet
// is shared with the new address (the form says to share it with that address), and once
// moved, the status line says the spreadsheet must be shared with the new address.
func TestConsoleGoogleIdentities(t *testing.T) {
	const second = "naversync-2@stand-in.iam.gserviceaccount.com"
	e := newEnvWith(t, envOptions{tokens: []string{"operator:" + operatorToken}, identities: []string{second}})
	e.naver.AddCustomer(navertest.Customer{ID: "5101", APIKey: "key-5101", SecretKey: "secret-5101", Campaigns: 1, AdgroupsPerCampaign: 1, KeywordsPerAdgroup: 1, Seed: 5})
	first := e.account("First", "5101", "sheet-5101a") // the default identity, the least-loaded then
	if first.GoogleIdentity != sheetstest.DefaultCaller {
		t.Fatalf("first account's identity %q", first.GoogleIdentity)
	}
	e.sheets.CreateSpreadsheet("sheet-5101b", second)

	b := newBrowser(t)
	b.login(e.srv.URL, operatorToken)
	b.waitFor("the console", `!document.getElementById("app").hidden`)
	b.waitFor("the first account's address in the table", `!!document.querySelector('#accounts-table [data-identity=`+jsString(sheetstest.DefaultCaller)+`]')`)

	// A new account: the least-loaded identity is chosen and its address shown to share with.
	b.click("Add account", "#add-account")
	b.waitFor("the account form", `document.getElementById("account-dialog").open`)
	b.waitFor("the second identity offered and chosen, with the accounts of each", visible("#acc-google_identity")+
		` && document.getElementById("acc-google_identity").options[0].textContent.endsWith(" 1")`+
		` && document.getElementById("acc-google_identity").value === `+jsString(second)+
		` && document.querySelector("#identity-email input").value === `+jsString(second))
	b.input("#acc-name", "Second")
	b.input("#acc-customer_id", "5101")
	b.input("#acc-api_key", "key-5101")
	b.input("#acc-secret_key", "secret-5101")
	b.input("#acc-spreadsheet", "sheet-5101b")
	b.click("Save", "#af-save")
	b.waitFor("two accounts listed", `!document.getElementById("account-dialog").open && document.querySelectorAll("#accounts-table tr[data-account]").length === 2`)
	for _, a := range e.accounts() {
		if a.Name == "Second" && a.GoogleIdentity != second {
			t.Fatalf("new account's identity %q, want %s", a.GoogleIdentity, second)
		}
	}

	// Move the first account to the second identity: not shared with it yet, refused.
	b.click("Edit", `#accounts-table tr[data-account=`+jsString(first.ID)+`] button[data-act="edit"]`)
	b.waitFor("the edit form with the account's identity", `document.getElementById("account-dialog").open && document.getElementById("acc-google_identity").value === `+jsString(sheetstest.DefaultCaller))
	b.do("choose the other identity", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const e = document.querySelector("#acc-google_identity"); e.value = %s; e.dispatchEvent(new Event("change", {bubbles: true})); })()`, jsString(second))))
	b.waitFor("the move's hint naming the new address", `document.getElementById("hint-identity").textContent.includes(`+jsString(second)+`)`)
	b.do("show the identity field", chromedp.Evaluate[chromedp.Void](`document.getElementById("identity-field").scrollIntoView({block: "center"})`))
	b.screenshot("account-move", "#identity-field")
	b.click("Save", "#af-save")
	b.waitFor("the refusal naming the new address", visible("#err-spreadsheet")+` && document.getElementById("err-spreadsheet").textContent.includes(`+jsString(second)+`)`)
	for _, a := range e.accounts() {
		if a.ID == first.ID && a.GoogleIdentity != sheetstest.DefaultCaller {
			t.Fatalf("a refused move changed the identity to %s", a.GoogleIdentity)
		}
	}
	e.sheets.Share("sheet-5101a", second)
	b.click("Save", "#af-save")
	b.waitFor("the form closed", `!document.getElementById("account-dialog").open`)
	if status := b.text("#status"); !strings.Contains(status, second) {
		t.Errorf("status line %q, want it to say to share with %s", status, second)
	}
	for _, a := range e.accounts() {
		if a.ID == first.ID && a.GoogleIdentity != second {
			t.Fatalf("moved account's identity %q", a.GoogleIdentity)
		}
	}
	b.waitFor("the table showing the new address", `!!document.querySelector('#accounts-table tr[data-account=`+jsString(first.ID)+`] [data-identity=`+jsString(second)+`]')`)
}
