package console_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
)

// Tokens of the environments with roles.
const (
	operatorToken = "op-t0ken"
	viewerToken   = "view-t0ken"
)

// seoul makes the browser show times in Naver's time zone, whatever the machine's.
func (b *browser) seoul() {
	b.t.Helper()
	b.do("time zone Asia/Seoul", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Seoul"})
		return chromedp.Void{}, err
	})
}

// input sets a field's value as a paste does (one input event).
func (b *browser) input(sel, value string) {
	b.t.Helper()
	b.do("type into "+sel, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const e = document.querySelector(%s); e.value = %s; e.dispatchEvent(new Event("input", {bubbles: true})); })()`,
		jsString(sel), jsString(value))))
}

// click clicks the element sel.
func (b *browser) click(what, sel string) {
	b.t.Helper()
	b.do(what, chromedp.Click(chromedp.CSS(sel)))
}

// text is the text of the element sel ("" when there is none).
func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%s) || {}).textContent || ""`, jsString(sel)))
}

// visible is a JavaScript expression: the element sel is shown.
func visible(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && !e.closest("[hidden]") && e.getClientRects().length > 0; })()`, jsString(sel))
}

// TestConsoleFirstHour walks an operator's first hour with a new advertiser, in a real browser
// against the real service: add the account from a pasted spreadsheet address whose gid names
// the tab (the sheet is not shared yet: the form says with whom to share it, with a copy
// button), a wrong secret key (Check credentials says so beside the field), fix it, check sheet
// access (the tab holds other data: confirm), save, Sync now, follow the sync's page to
// succeeded with each day fetched, see and edit the next refresh time, switch the console to
// Korean, set the sheet to Korean and see Korean headers in the stand-in after the next sync,
// delete the account; every change is in the audit log, with the operator's token named by
// its fingerprint and no secret.
func TestConsoleFirstHour(t *testing.T) {
	e := newEnvWith(t, envOptions{tokens: []string{"operator:" + operatorToken}, scheduler: true})
	e.naver.AddCustomer(navertest.Customer{ID: "3003", APIKey: "key-3003", SecretKey: "secret-3003",
		Campaigns: 2, AdgroupsPerCampaign: 2, KeywordsPerAdgroup: 2, Seed: 11})
	const book = "1Cafe-Seoul_sheet"
	e.sheets.CreateSpreadsheet(book) // shared with nobody yet
	gid := e.sheets.AddSheet(book, "Ads", 50, 10)
	e.sheets.SetValues(book, "Ads", [][]any{{"our own budget notes"}})
	b := newBrowser(t)
	b.do("larger window", chromedp.EmulateViewport(1280, 1500))
	b.seoul()
	b.login(e.srv.URL, operatorToken)
	b.waitFor("the empty console", `!document.getElementById("accounts-empty").hidden && !document.getElementById("app").hidden`)
	if role := b.text("#role"); !strings.Contains(role, "Operator") || strings.Contains(role, operatorToken) {
		t.Errorf("role line %q", role)
	}

	// Add the account: a pasted address, not shared yet, and a wrong secret key.
	b.click("Add account", "#add-account")
	b.waitFor("the account form", `document.getElementById("account-dialog").open`)
	// What the page hides is not drawn: a style that sets display must not undo the hidden
	// attribute (the identity field showed an empty choice with one Google identity).
	if shown := eval[[]string](b, `[...document.querySelectorAll("[hidden]")].filter((e) => getComputedStyle(e).display !== "none").map((e) => e.id || e.className || e.tagName)`); len(shown) > 0 {
		t.Errorf("hidden but drawn: %q", shown)
	}
	b.input("#acc-name", "Cafe Seoul")
	b.input("#acc-customer_id", "3003")
	b.input("#acc-api_key", "key-3003")
	b.input("#acc-secret_key", "wrong-secret")
	b.input("#acc-spreadsheet", fmt.Sprintf("https://docs.google.com/spreadsheets/d/%s/edit#gid=%d", book, gid))
	if hint := b.text("#hint-spreadsheet"); !strings.Contains(hint, book) {
		t.Errorf("the id taken from the address: %q", hint)
	}
	b.waitFor("not shared: the e-mail to share with", visible("#sheet-result input[data-email]"))
	if email := eval[string](b, `document.querySelector("#sheet-result input[data-email]").value`); email != sheetstest.DefaultCaller {
		t.Errorf("share with %q, want %q", email, sheetstest.DefaultCaller)
	}
	b.click("copy the e-mail", "#sheet-result button.copy-email")
	b.waitFor("copied", `document.querySelector("#sheet-result button.copy-email").dataset.copied === "true"`)
	b.click("Check credentials", "#check-credentials")
	b.waitFor("the refused secret beside its field", visible("#err-secret_key"))
	if msg := b.text("#err-secret_key"); !strings.Contains(msg, "secret key") {
		t.Errorf("secret key error %q", msg)
	}
	if !eval[bool](b, `document.getElementById("acc-secret_key").getAttribute("aria-invalid") === "true" && document.getElementById("err-api_key").hidden`) {
		t.Error("the error is not on the secret key's field alone")
	}
	b.screenshot("account-form", "#account-dialog")

	// Fix the secret; share the sheet; check again.
	b.input("#acc-secret_key", "secret-3003")
	b.click("Check credentials", "#check-credentials")
	b.waitFor("the credentials accepted", `document.getElementById("cred-result").classList.contains("ok") && document.getElementById("err-secret_key").hidden`)
	e.sheets.Share(book, sheetstest.DefaultCaller)
	b.click("Check sheet access", "#check-sheet")
	b.waitFor("edit access", `document.getElementById("sheet-result").classList.contains("ok")`)
	if tab := eval[string](b, `document.getElementById("acc-sheet_tab").value`); tab != "Ads" {
		t.Errorf("the tab pre-filled from the gid is %q, want Ads", tab)
	}
	b.waitFor("the confirmation for a tab holding other data", visible("#tab-confirm"))
	// Saving without confirming is refused beside the tab.
	b.click("Save", "#af-save")
	b.waitFor("the tab needs a confirmation", visible("#err-sheet_tab"))
	if n := len(e.accounts()); n != 0 {
		t.Fatalf("%d accounts saved without the confirmation", n)
	}
	b.click("confirm the tab", "#acc-overwrite")
	b.click("Save", "#af-save")
	b.waitFor("the form closed and the account listed", `!document.getElementById("account-dialog").open && document.querySelectorAll("#accounts-table tr[data-account]").length === 1`)
	accts := e.accounts()
	if len(accts) != 1 || accts[0].SpreadsheetID != book || accts[0].SheetTab != "Ads" || accts[0].CustomerID != "3003" {
		t.Fatalf("saved accounts %+v", accts)
	}
	a := accts[0]
	row := fmt.Sprintf(`#accounts-table tr[data-account=%q]`, a.ID)

	// Sync now, then follow the sync's page to succeeded.
	b.click("Sync now", row+` button[data-act="sync"]`)
	b.waitFor("the sync listed", `document.querySelectorAll("#syncs-table tr[data-sync]").length === 1`)
	s := e.syncsOf(a.ID)[0]
	b.click("open the sync's page", syncRow(s.ID)+" a.sync-link")
	b.waitFor("the sync's page", visible("#sync-page")+` && document.getElementById("sync-page").dataset.sync === `+jsString(s.ID))
	b.waitFor("succeeded on its page", `document.getElementById("sync-page").dataset.status === "succeeded"`)
	b.waitFor("its 7 days, each fetched (or without data at Naver)", `document.querySelectorAll('#sp-days tbody tr').length === 7 &&
		[...document.querySelectorAll('#sp-days tbody tr')].every(r => r.dataset.state === "fetched" || r.dataset.state === "none")`)
	b.waitFor("the link that opens the sheet at its tab", fmt.Sprintf(`document.getElementById("sp-sheet").href.endsWith(%s)`,
		jsString(fmt.Sprintf("/d/%s/edit#gid=%d", book, gid))))
	b.screenshot("sync-page", "")
	if vals := e.sheets.Values(book, "Ads"); len(vals) < 2 || vals[0][0] != "Date" {
		t.Fatalf("the tab after the sync: %.3q", vals)
	}

	// The next refresh: at the service's 06:00, then at the account's own time.
	b.click("back to the list", "#sp-back")
	b.waitFor("the next refresh at 06:00", fmt.Sprintf(`document.querySelector(%s).cells[5].textContent.includes("06:00")`, jsString(row)))
	b.click("Edit", row+` button[data-act="edit"]`)
	b.waitFor("the form", `document.getElementById("account-dialog").open`)
	if secret := eval[string](b, `document.getElementById("acc-secret_key").value`); secret != "" {
		t.Errorf("the edit form shows a secret key: %q", secret)
	}
	b.input("#acc-refresh_time", "21:30")
	b.click("Save", "#af-save")
	b.waitFor("the next refresh at 21:30", fmt.Sprintf(`!document.getElementById("account-dialog").open && document.querySelector(%s).cells[5].textContent.includes("21:30")`, jsString(row)))
	if got, _ := e.svc.GetAccount(t.Context(), a.ID); got.RefreshTime != "21:30" || !got.RefreshEnabled {
		t.Errorf("refresh after the edit: %q enabled %v", got.RefreshTime, got.RefreshEnabled)
	}

	// The console in Korean.
	b.click("switch to Korean", "#lang-switch")
	b.waitFor("Korean labels", `document.documentElement.lang === "ko" && document.getElementById("accounts-title").textContent === "계정"`)
	if got := b.text(row + ` button[data-act="sync"]`); got != "지금 동기화" {
		t.Errorf("Sync now in Korean: %q", got)
	}
	if got := b.text("#add-account"); got != "계정 추가" {
		t.Errorf("Add account in Korean: %q", got)
	}
	b.screenshot("console-ko", "")

	// The sheet in Korean: after the next sync the stand-in holds Korean headers.
	b.click("수정", row+` button[data-act="edit"]`)
	b.waitFor("the form", `document.getElementById("account-dialog").open`)
	b.do("choose Korean", chromedp.SetValue(chromedp.CSS("#acc-sheet_language"), "ko"))
	b.click("저장", "#af-save")
	b.waitFor("the form closed", `!document.getElementById("account-dialog").open`)
	b.waitFor("the account's sheet in Korean", fmt.Sprintf(`document.querySelector(%s).cells[0].textContent.includes("한국어")`, jsString(row)))
	b.click("지금 동기화", row+` button[data-act="sync"]`)
	b.waitFor("a second sync succeeded", `[...document.querySelectorAll("#syncs-table tr[data-sync]")].filter(r => r.dataset.status === "succeeded").length === 2`)
	vals := e.sheets.Values(book, "Ads")
	if len(vals) < 2 || vals[0][0] != "일자" || !slices.Contains(vals[0], any("노출수")) || !slices.Contains(vals[0], any("총비용(VAT포함,원)")) {
		t.Fatalf("the header after the next sync: %q", vals[0])
	}

	// Delete the account: the dialog says what happens to the sheet and the files.
	b.click("삭제", row+` button[data-act="delete"]`)
	b.waitFor("the delete dialog", `document.getElementById("delete-dialog").open`)
	if txt := b.text("#del-text"); !strings.Contains(txt, "Ads") || !strings.Contains(txt, "3003") {
		t.Errorf("the delete dialog says %q", txt)
	}
	b.click("confirm", "#del-confirm")
	b.waitFor("the account gone", `document.querySelectorAll("#accounts-table tr[data-account]").length === 0`)
	if n := len(e.accounts()); n != 0 {
		t.Fatalf("%d accounts after the delete", n)
	}

	// Every change is in the audit log, by the operator's token, without a secret.
	entries, _, err := e.svc.ListAudit(t.Context(), service.AuditFilter{AccountID: a.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
		if !strings.HasPrefix(en.Actor, "operator token ") || en.Role != "operator" {
			t.Errorf("entry %+v is not the operator's", en)
		}
	}
	// The tab's confirmation is the operator's consent to replace its data: recorded on saving.
	want := []string{"account.delete", "sync.create", "account.update", "account.update", "sync.create", "account.consent", "account.create"}
	if !slices.Equal(actions, want) {
		t.Errorf("audit actions %q, want %q", actions, want)
	}
	b.waitFor("the audit log in the console", `document.querySelectorAll('#audit-table tr[data-action="account.delete"]').length === 1`)
	page := eval[string](b, `document.body.innerText`)
	for _, secret := range []string{"wrong-secret", "secret-3003", operatorToken} {
		if strings.Contains(page, secret) || strings.Contains(fmt.Sprint(entries), secret) {
			t.Errorf("%q is shown", secret)
		}
	}
}

// TestConsoleSyncPageProblems: a failed sync's page says what to do: credentials Naver refused
// come with a button that opens the account's form, a sheet not shared with the address to
// share it with; both can be retried from the page.
func TestConsoleSyncPageProblems(t *testing.T) {
	e := newEnvWith(t, envOptions{tokens: []string{"operator:" + operatorToken}})
	e.naver.AddCustomer(navertest.Customer{ID: "4004", APIKey: "key-4004", SecretKey: "secret-4004", Campaigns: 1, AdgroupsPerCampaign: 1, KeywordsPerAdgroup: 1, Seed: 3})
	e.sheets.CreateSpreadsheet("sheet-4004", sheetstest.DefaultCaller)
	refused, err := e.svc.CreateAccount(t.Context(), service.AccountInput{Name: "Refused", CustomerID: "4004", APIKey: "key-4004",
		SecretKey: "not-the-secret", SpreadsheetID: "sheet-4004"})
	if err != nil {
		t.Fatal(err)
	}
	e.sheets.CreateSpreadsheet("sheet-unshared") // shared with nobody
	unshared, err := e.svc.CreateAccount(t.Context(), service.AccountInput{Name: "Unshared", CustomerID: "4004", APIKey: "key-4004",
		SecretKey: "secret-4004", SpreadsheetID: "sheet-unshared", ConfirmSheetAccess: true})
	if err != nil {
		t.Fatal(err)
	}
	auth := e.syncAndWait(refused.ID, 1)
	share := e.syncAndWait(unshared.ID, 1)
	if auth.Status != service.StatusFailed || share.Status != service.StatusFailed {
		t.Fatalf("syncs ended %s and %s, want both failed", auth.Status, share.Status)
	}
	b := newBrowser(t)
	b.login(e.srv.URL, operatorToken)
	b.waitFor("the syncs", fmt.Sprintf(`!!document.querySelector(%s) && !!document.querySelector(%s)`, jsString(syncRow(auth.ID)), jsString(syncRow(share.ID))))

	b.click("open the refused sync", syncRow(auth.ID)+" a.sync-link")
	b.waitFor("the credentials problem", `document.getElementById("sp-problem").dataset.kind === "auth" && !document.getElementById("sp-problem").hidden`)
	if !eval[bool](b, visible(`#sp-actions button[data-act="retry"]`)) {
		t.Error("no Retry on a failed sync's page")
	}
	b.click("fix the credentials", "#sp-fix")
	b.waitFor("the account's form", `document.getElementById("account-dialog").open && document.getElementById("af-title").textContent.includes("Refused")`)
	b.click("close the form", "#af-cancel")

	b.do("open the other sync", chromedp.Navigate(e.srv.URL+"/ui/#sync/"+share.ID))
	b.waitFor("the sharing problem", `document.getElementById("sp-problem").dataset.kind === "not_shared"`)
	if email := eval[string](b, `document.querySelector("#sp-problem input[data-email]").value`); email != sheetstest.DefaultCaller {
		t.Errorf("share with %q", email)
	}
	e.sheets.Share("sheet-unshared", sheetstest.DefaultCaller)
	b.click("retry", `#sp-actions button[data-act="retry"]`)
	b.waitFor("the retry listed and succeeded", fmt.Sprintf(`[...document.querySelectorAll("#syncs-table tr[data-sync]")].some(r => r.dataset.status === "succeeded" && r.cells[0].textContent.includes(%s))`, jsString(share.ID[len(share.ID)-8:])))
}

// TestConsoleViewer: a viewer's token sees every section, a sync's page and the audit log, but
// no control that changes anything is shown; and the API refuses the viewer's changes too.
func TestConsoleViewer(t *testing.T) {
	e := newEnvWith(t, envOptions{tokens: []string{"operator:" + operatorToken, "viewer:" + viewerToken}})
	a := e.account("Blue Cafe", "2002", "blue-cafe-sheet")
	s := e.syncAndWait(a.ID, 2)
	b := newBrowser(t)
	b.seoul()
	b.login(e.srv.URL, viewerToken)
	b.waitFor("the accounts and the sync", fmt.Sprintf(`document.querySelectorAll("#accounts-table tr[data-account]").length === 1 && !!document.querySelector(%s)`, jsString(syncRow(s.ID))))
	if role := b.text("#role"); !strings.Contains(role, "Read only") {
		t.Errorf("role line %q", role)
	}
	hidden := `[...document.querySelectorAll('[data-needs="change"]')].every(e => e.getClientRects().length === 0)`
	if !eval[bool](b, hidden) {
		t.Error("a viewer sees controls that change something")
	}
	for _, sel := range []string{"#add-account", `#accounts-table button[data-act="sync"]`, `#accounts-table button[data-act="edit"]`, "#run-refresh"} {
		if eval[bool](b, visible(sel)) {
			t.Errorf("%s is shown to a viewer", sel)
		}
	}
	b.waitFor("the audit log", `document.querySelectorAll("#audit-table tbody tr").length >= 2`)
	b.do("open the sync's page", chromedp.Navigate(e.srv.URL+"/ui/#sync/"+s.ID))
	b.waitFor("the sync's page", `document.getElementById("sync-page").dataset.status === "succeeded" && document.querySelectorAll("#sp-days tbody tr").length === 2`)
	if !eval[bool](b, hidden) {
		t.Error("a viewer sees controls that change something on a sync's page")
	}
	// The API agrees: the page's own token may not change anything.
	for _, call := range []string{
		`fetch("/syncs", {method: "POST", headers: {Authorization: "Bearer " + sessionStorage.getItem("naversync.token"), "Content-Type": "application/json"}, body: JSON.stringify({account_id: %q, days: 1})}).then(r => r.status)`,
		`fetch("/accounts/" + %q, {method: "DELETE", headers: {Authorization: "Bearer " + sessionStorage.getItem("naversync.token")}}).then(r => r.status)`,
	} {
		status, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf(call, a.ID), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if status != 403 {
			t.Errorf("a viewer's change answered %d, want 403", status)
		}
	}
	if n := len(e.syncsOf(a.ID)); n != 1 || len(e.accounts()) != 1 {
		t.Errorf("a viewer changed something: %d syncs, %d accounts", n, len(e.accounts()))
	}
}
