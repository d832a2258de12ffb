package console_test

import (
	"context"
	"fmt"
	"regexp"
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

// browserLanguage makes the browser prefer the language tag (navigator.languages, the
// Accept-Language header), as a person's browser set to that language does.
func (b *browser) browserLanguage(tag string) {
	b.t.Helper()
	ua := eval[string](b, `navigator.userAgent`)
	b.do("browser language "+tag, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: tag})
		return chromedp.Void{}, err
	})
}

var (
	// hangulRun is Korean text.
	hangulRun = regexp.MustCompile(`[\p{Hangul}]+`)
	// latinWord is a word in Latin letters: English, unless the allow-list excepts it.
	latinWord = regexp.MustCompile(`[A-Za-z][A-Za-z'’]+`)
	// Data that is the same in every language: addresses, e-mails, ids, dates and times.
	urlRE    = regexp.MustCompile(`https?://\S+`)
	emailRE  = regexp.MustCompile(`[\w.+-]+@[\w.-]+`)
	idRE     = regexp.MustCompile(`\b[0-9a-fA-F]{6,}(?:-[0-9a-fA-F]{2,})*\b|\b[0-9a-f]+-[0-9a-f-]+\b`)
	reportRE = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\bAD\b|\bEXPKEYWORD\b`) // Naver's report types (AD, AD_CONVERSION, EXPKEYWORD, ...)
	// A worker's name (replica/fetch-1) and a scheduler run's key (refresh:2026-07-15).
	workerRE = regexp.MustCompile(`\br-[0-9a-f]+/[a-z]+-\d+\b`)
	runKeyRE = regexp.MustCompile(`\b[a-z_]+:\d{4}-\d{2}-\d{2}\S*`)
)

// koreanAllowed are the words in Latin letters a Korean page may show: names (of the product,
// of Google, of a time zone), abbreviations Korean writes in Latin letters as Naver's own Korean
// pages do (API, ID, PC), the format of a time, and the switch to English, written in English.
var koreanAllowed = []string{"naversync", "Google", "API", "ID", "PC", "HH:MM", "Asia/Seoul", "UTC", "English", "gid", "CSV", "OK"}

// englishAllowed are the Korean words an English page may show: the switch to Korean and the
// sheet's Korean language, written in Korean.
var englishAllowed = []string{"한국어"}

// foreignText returns the words of text in the other language than lang: Latin words on a
// Korean page, Hangul on an English one, once the allow-lists and the data (userData: names,
// ids, tabs the test made) are taken out.
func foreignText(text, lang string, userData []string) []string {
	// Longest first, so that "Cafe Seoul 2" goes before "Cafe Seoul".
	data := slices.Clone(userData)
	slices.SortFunc(data, func(a, b string) int { return len(b) - len(a) })
	for _, d := range data {
		text = strings.ReplaceAll(text, d, " ")
	}
	for _, re := range []*regexp.Regexp{urlRE, emailRE, workerRE, runKeyRE, idRE, reportRE} {
		text = re.ReplaceAllString(text, " ")
	}
	var words []string
	if lang == "ko" {
		for _, a := range koreanAllowed {
			text = strings.ReplaceAll(text, a, " ")
		}
		for _, line := range strings.Split(text, "\n") {
			if latinWord.MatchString(line) {
				words = append(words, strings.TrimSpace(line))
			}
		}
		return words
	}
	for _, a := range englishAllowed {
		text = strings.ReplaceAll(text, a, " ")
	}
	for _, line := range strings.Split(text, "\n") {
		if hangulRun.MatchString(line) {
			words = append(words, strings.TrimSpace(line))
		}
	}
	return words
}

// checkLanguage fails the test when the visible text of the page (every open dialog included)
// holds words of the other language.
func (b *browser) checkLanguage(where, lang string, userData []string) {
	b.t.Helper()
	text := eval[string](b, `document.body.innerText`)
	if bad := foreignText(text, lang, userData); len(bad) > 0 {
		b.t.Errorf("%s: the %s page shows text in another language:\n  %s", where, lang, strings.Join(bad, "\n  "))
	}
}

// TestConsoleFirstHourKorean: a Korean marketer's first hour, in a browser set to Korean, sees no
// English anywhere: the console starts in Korean by itself; the form refuses a wrong secret key
// (Naver's terms, Naver's Korean menu), an empty name and a tab another account writes; a new account's sheet
// is Korean by default; a sync's page with its days, a failed sync's page, the scheduler's run
// and the audit log all speak Korean. The same hour in a browser set to English sees no Korean
// (but the switch to Korean).
func TestConsoleFirstHourKorean(t *testing.T) {
	for _, lang := range []string{"ko", "en"} {
		t.Run(lang, func(t *testing.T) { firstHourIn(t, lang) })
	}
}

func firstHourIn(t *testing.T, lang string) {
	e := newEnvWith(t, envOptions{tokens: []string{"operator:" + operatorToken}, scheduler: true})
	e.naver.AddCustomer(navertest.Customer{ID: "3003", APIKey: "key-3003", SecretKey: "secret-3003",
		Campaigns: 1, AdgroupsPerCampaign: 1, KeywordsPerAdgroup: 2, Seed: 11})
	const book = "1Cafe-Seoul_sheet"
	e.sheets.CreateSpreadsheet(book, sheetstest.DefaultCaller)
	// Another account already writes the tab "Ads"; one whose secret Naver refuses has failed.
	if _, err := e.svc.CreateAccount(t.Context(), service.AccountInput{Name: "Bakery Busan", CustomerID: "3003", APIKey: "key-3003",
		SecretKey: "secret-3003", SpreadsheetID: book, SheetTab: "Ads"}); err != nil {
		t.Fatal(err)
	}
	refused, err := e.svc.CreateAccount(t.Context(), service.AccountInput{Name: "Tea Jeju", CustomerID: "3003", APIKey: "key-3003",
		SecretKey: "not-the-secret", SpreadsheetID: book, SheetTab: "Tea"})
	if err != nil {
		t.Fatal(err)
	}
	failed := e.syncAndWait(refused.ID, 1)
	if failed.Status != service.StatusFailed {
		t.Fatalf("the refused account's sync ended %s", failed.Status)
	}
	if _, err := e.svc.RunRefreshNow(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The build's version ("dev") is data too.
	userData := []string{"dev", "Cafe Seoul", "Bakery Busan", "Tea Jeju", "naver_ads", "Ads2", "Ads", "ads", "Tea", "3003", "key-3003", book, operatorToken}

	b := newBrowser(t)
	b.do("larger window", chromedp.EmulateViewport(1280, 1500))
	b.seoul()
	b.browserLanguage(map[string]string{"ko": "ko-KR", "en": "en-US"}[lang])
	b.login(e.srv.URL, operatorToken)
	b.waitFor("the console", `!document.getElementById("app").hidden && document.querySelectorAll("#accounts-table tr[data-account]").length === 2`)
	if got := eval[string](b, `document.documentElement.lang`); got != lang {
		t.Fatalf("the console started in %q in a browser set to %q", got, lang)
	}
	b.waitFor("the scheduler's run and the audit log", `document.querySelectorAll("#runs-table tbody tr").length + document.querySelectorAll("#audit-table tbody tr").length >= 3`)
	b.checkLanguage("the console", lang, userData)

	// Add the account: a wrong secret key first.
	b.click("Add account", "#add-account")
	b.waitFor("the account form", `document.getElementById("account-dialog").open`)
	if got := eval[string](b, `document.getElementById("acc-sheet_language").value`); got != lang {
		t.Errorf("a new account's sheet language is %q in a console in %q", got, lang)
	}
	b.input("#acc-name", "Cafe Seoul")
	b.input("#acc-customer_id", "3003")
	b.input("#acc-api_key", "key-3003")
	b.input("#acc-secret_key", "wrong-secret")
	b.input("#acc-spreadsheet", book)
	b.click("Check credentials", "#check-credentials")
	b.waitFor("the refused secret beside its field", visible("#err-secret_key"))
	secretMsg := b.text("#err-secret_key")
	want := map[string][]string{"ko": {"비밀키", "도구 > API 사용 관리"}, "en": {"secret key", "Tools > API manager"}}[lang]
	for _, w := range want {
		if !strings.Contains(secretMsg, w) {
			t.Errorf("the refused secret key says %q, without %q", secretMsg, w)
		}
	}
	b.checkLanguage("the form with a refused secret key", lang, userData)
	if lang == "ko" {
		// The README's picture of the Korean form: Naver's refusal said in Korean beside the field.
		b.screenshot("account-form-ko", "#account-dialog")
	}

	// The right secret; the tab another account writes is refused beside the tab.
	b.input("#acc-secret_key", "secret-3003")
	b.click("Check credentials", "#check-credentials")
	b.waitFor("the credentials accepted", `document.getElementById("cred-result").classList.contains("ok")`)
	b.click("Check sheet access", "#check-sheet")
	b.waitFor("edit access", `document.getElementById("sheet-result").classList.contains("ok")`)
	// A name left empty: "required" beside it.
	b.input("#acc-name", "")
	b.click("Save", "#af-save")
	b.waitFor("the name required beside it", visible("#err-name"))
	if msg, w := b.text("#err-name"), map[string]string{"ko": "필수", "en": "required"}[lang]; !strings.Contains(msg, w) {
		t.Errorf("the empty name says %q, without %q", msg, w)
	}
	b.checkLanguage("the form with a name required", lang, userData)
	b.input("#acc-name", "Cafe Seoul")
	b.input("#acc-sheet_tab", "ads")
	b.click("Save", "#af-save")
	b.waitFor("the tab in use beside the tab", visible("#err-sheet_tab"))
	b.checkLanguage("the form with a tab in use", lang, userData)
	b.input("#acc-sheet_tab", "Ads2")
	b.click("Save", "#af-save")
	b.waitFor("the form closed and the account listed", `!document.getElementById("account-dialog").open && document.querySelectorAll("#accounts-table tr[data-account]").length === 3`)
	var a service.Account
	for _, x := range e.accounts() {
		if x.Name == "Cafe Seoul" {
			a = x
		}
	}
	if a.SheetLanguage != lang {
		t.Errorf("the new account's sheet is in %q, want %q (the console's)", a.SheetLanguage, lang)
	}
	b.checkLanguage("the console after saving", lang, userData)

	// An edit: rows per keyword, refreshed at 21:30; the audit log says each value before and after.
	row := fmt.Sprintf(`#accounts-table tr[data-account=%q]`, a.ID)
	b.click("Edit", row+` button[data-act="edit"]`)
	b.waitFor("the form", `document.getElementById("account-dialog").open`)
	b.do("rows per keyword", chromedp.SetValue(chromedp.CSS("#acc-level"), "keyword"))
	b.input("#acc-refresh_time", "21:30")
	b.click("Save", "#af-save")
	b.waitFor("the form closed", `!document.getElementById("account-dialog").open`)
	update := `document.querySelector('#audit-table tr[data-action="account.update"]')`
	b.waitFor("the update in the audit log", update+` !== null`)
	wantUpdate := map[string][]string{
		"ko": {"행 단위: 광고그룹 → 키워드", "새로고침: 서비스 일정에 따라 → 매일 21:30"},
		"en": {"level adgroup → keyword", "refresh: refreshed on the service's schedule → refreshed daily at 21:30"},
	}[lang]
	for _, w := range wantUpdate {
		if got := eval[string](b, update+`.innerText`); !strings.Contains(got, w) {
			t.Errorf("the update's audit entry says %q, without %q", got, w)
		}
	}

	// Sync now; the sync's page with its days.
	b.click("Sync now", row+` button[data-act="sync"]`)
	// The failed sync, the refresh's two and the new one.
	b.waitFor("the sync listed", `document.querySelectorAll("#syncs-table tr[data-sync]").length >= 4`)
	syncs := e.syncsOf(a.ID)
	if len(syncs) != 1 {
		t.Fatalf("%d syncs of the new account, want 1", len(syncs))
	}
	s := syncs[0]
	// Finished first on the server (the page's live updates are TestConsoleFirstHour's matter;
	// here its words are): a loaded machine may take longer than a browser step to sync.
	if got := e.waitTerminal(s.ID); got.Status != service.StatusSucceeded {
		t.Fatalf("the sync ended %s: %+v", got.Status, got.Error)
	}
	b.do("open the sync's page", chromedp.Navigate(e.srv.URL+"/ui/#sync/"+s.ID))
	b.waitFor("succeeded on its page, with its day", `document.getElementById("sync-page").dataset.status === "succeeded" && document.querySelectorAll("#sp-days tbody tr").length >= 1`)
	b.checkLanguage("a sync's page", lang, userData)

	// The failed sync's page: Naver refused the credentials.
	b.do("open the failed sync's page", chromedp.Navigate(e.srv.URL+"/ui/#sync/"+failed.ID))
	b.waitFor("the credentials problem", `document.getElementById("sp-problem").dataset.kind === "auth" && !document.getElementById("sp-problem").hidden && document.querySelectorAll("#sp-days tbody tr").length >= 1`)
	b.checkLanguage("a failed sync's page", lang, userData)

	// Back to the list: the failed sync, the scheduler and the audit log, every entry.
	b.click("back to the list", "#sp-back")
	b.waitFor("the audit log with the new account", `document.querySelectorAll('#audit-table tr[data-action="account.create"]').length >= 3 && document.querySelectorAll('#audit-table tr[data-action="sync.create"]').length >= 1`)
	b.checkLanguage("the console with the audit log", lang, userData)

	// The delete dialog.
	b.click("Delete", row+` button[data-act="delete"]`)
	b.waitFor("the delete dialog", `document.getElementById("delete-dialog").open`)
	b.checkLanguage("the delete dialog", lang, userData)
	b.click("keep", "#del-cancel")
}

// TestForeignText: the check finds English on a Korean page and Korean on an English one, and
// lets data, ids and the allow-list through.
func TestForeignText(t *testing.T) {
	ko := "계정 추가\nCafe Seoul · 고객 ID 3003\n2026. 3. 1. 오전 6:00\nhttps://docs.google.com/spreadsheets/d/abc\n0193f1c2-7d4e-7abc-8def-0123456789ab\nAD_CONVERSION 가져옴\nEXPKEYWORD 가져옴\nnaversync@project.iam.gserviceaccount.com\nEnglish"
	if bad := foreignText(ko, "ko", []string{"Cafe Seoul"}); len(bad) != 0 {
		t.Errorf("Korean page: %q", bad)
	}
	if bad := foreignText(ko+"\nrequired: a name for people", "ko", []string{"Cafe Seoul"}); len(bad) != 1 {
		t.Errorf("English on a Korean page: %q", bad)
	}
	en := "Accounts\n한국어\nCafe Seoul"
	if bad := foreignText(en, "en", nil); len(bad) != 0 {
		t.Errorf("English page: %q", bad)
	}
	if bad := foreignText(en+"\n동영상조회수", "en", nil); len(bad) != 1 {
		t.Errorf("Korean on an English page: %q", bad)
	}
}
