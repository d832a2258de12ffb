package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestConsoleNotifications drives the notification settings in Chromium: an admin adds a Slack
// webhook with two events, sends a test message (the local receiver gets it), and the list shows
// the host but never the URL, in English and in Korean; an operator does not see the section.
func TestConsoleNotifications(t *testing.T) {
	const adminToken = "adm-t0ken"
	e := newEnvWith(t, envOptions{tokens: []string{adminToken, "operator:" + operatorToken}})
	var got atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), `"text"`) {
			got.Add(1)
		}
	}))
	t.Cleanup(rcv.Close)
	secretURL := rcv.URL + "/services/T000/B000/s3cr3tPathPart"

	b := newBrowser(t)
	b.login(e.srv.URL, adminToken)
	b.waitFor("the notifications section", visible("#notifications")+` && !document.getElementById("wh-empty").hidden`)
	b.click("add a webhook", "#wh-add")
	b.waitFor("the webhook form", visible("#wh-name"))
	b.input("#wh-name", "ops")
	b.input("#wh-url", secretURL)
	b.click("untick sync failed", "#wh-ev-sync_failed")
	b.click("untick credentials", "#wh-ev-credentials_refused")
	b.click("untick room waits", "#wh-ev-naver_jobs_wait")
	b.click("save", `#notify-form button[type="submit"]`)
	b.waitFor("the webhook listed", `document.querySelectorAll("#wh-table tbody tr").length === 1`)
	row := b.text("#wh-table tbody tr")
	if !strings.Contains(row, strings.TrimPrefix(rcv.URL, "http://")) || !strings.Contains(row, "Sheet access lost") || strings.Contains(row, "Naver refused") {
		t.Errorf("row %q", row)
	}
	// The save's audit row lands above the panel and moves it down; a click aimed before that
	// lands beside the button (CI saw the test message never sent). Click once the page is still.
	b.waitFor("the addition in the audit log", `document.querySelectorAll('#audit-table tr[data-action="webhook.create"]').length === 1`)
	b.click("send a test message", "#wh-table tbody tr button")
	b.waitFor("the test result", `document.querySelector("#wh-table tbody tr [role=status]").textContent === "Delivered."`)
	if got.Load() != 1 {
		t.Errorf("the receiver got %d messages, want 1", got.Load())
	}
	b.waitFor("the test in the audit log", `document.querySelectorAll('#audit-table tr[data-action="webhook.test"]').length === 1`)
	b.checkLanguage("the notifications in English", "en", []string{"ops", adminToken})
	b.click("switch to Korean", "#lang-switch")
	b.waitFor("the section in Korean", `document.getElementById("notify-title").textContent === "알림" && document.querySelector("#wh-table tbody tr").textContent.includes("시트 접근 권한 없음")`)
	if page := eval[string](b, `document.body.innerHTML`); strings.Contains(page, "s3cr3tPathPart") {
		t.Error("the page holds the webhook's URL")
	}
	hooks, err := e.svc.ListWebhooks(t.Context())
	if err != nil || len(hooks) != 1 || len(hooks[0].Events) != 2 {
		t.Fatalf("webhooks %+v, %v", hooks, err)
	}

	op := newBrowser(t)
	op.login(e.srv.URL, operatorToken)
	op.waitFor("the accounts", `!document.getElementById("app").hidden`)
	if eval[bool](op, visible("#notifications")) {
		t.Error("an operator sees the notification settings")
	}
}

// TestConsoleNotificationsKorean: an admin whose browser is set to Korean opens the notification
// settings, adds a Slack webhook, and sends a test message to a local receiver that refuses it;
// the panel, the form, the refusal and the audit log say it all in Korean (the names Slack and
// Google Chat and the receiver's host excepted). It writes the README's picture of the panel.
func TestConsoleNotificationsKorean(t *testing.T) {
	const adminToken = "adm-t0ken"
	e := newEnvWith(t, envOptions{tokens: []string{adminToken}})
	var got atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		http.Error(w, "no such webhook", http.StatusForbidden)
	}))
	t.Cleanup(rcv.Close)
	host := strings.TrimPrefix(rcv.URL, "http://")
	// Allowed besides the data (the name, the receiver's host, the build's version): the names
	// of Slack and Google Chat, and of the JSON format (the generic kind's body), as written in
	// Korean too.
	userData := []string{"dev", "ops", host, adminToken, "Slack", "Google Chat", "JSON"}

	b := newBrowser(t)
	b.do("larger window", chromedp.EmulateViewport(1280, 1500))
	b.seoul()
	b.browserLanguage("ko-KR")
	b.login(e.srv.URL, adminToken)
	b.waitFor("the notifications section", visible("#notifications")+` && !document.getElementById("wh-empty").hidden`)
	if got := eval[string](b, `document.documentElement.lang`); got != "ko" {
		t.Fatalf("the console started in %q in a browser set to Korean", got)
	}
	b.checkLanguage("the console with the notifications", "ko", userData)

	b.click("add a webhook", "#wh-add")
	b.waitFor("the webhook form", visible("#wh-name"))
	b.checkLanguage("the webhook form", "ko", userData)
	b.input("#wh-name", "ops")
	b.input("#wh-url", rcv.URL+"/services/T000/B000/s3cr3tPathPart")
	b.click("untick room waits", "#wh-ev-naver_jobs_wait")
	b.click("save", `#notify-form button[type="submit"]`)
	b.waitFor("the webhook listed", `!document.getElementById("notify-dialog").open && document.querySelectorAll("#wh-table tbody tr").length === 1`)

	// The save's audit row lands above the panel and moves it down; a click aimed before that
	// lands beside the button (CI saw the test message never sent). Click once the page is still.
	b.waitFor("the addition in the audit log", `document.querySelectorAll('#audit-table tr[data-action="webhook.create"]').length === 1`)
	b.click("send a test message", "#wh-table tbody tr button")
	b.waitFor("the refusal", `document.querySelector("#wh-table tbody tr [role=status]").textContent.startsWith("전달되지 않았습니다")`)
	if got.Load() != 1 {
		t.Errorf("the receiver was asked %d times, want 1", got.Load())
	}
	b.waitFor("the test in the audit log", `document.querySelectorAll('#audit-table tr[data-action="webhook.test"]').length === 1`)
	b.checkLanguage("the notifications with a refused test", "ko", userData)
	b.do("show the panel", chromedp.ScrollIntoView(chromedp.CSS("#notifications")))
	// The README's picture of the notification settings, in Korean.
	b.screenshot("notifications-ko", "#notifications")
	if page := eval[string](b, `document.body.innerHTML`); strings.Contains(page, "s3cr3tPathPart") {
		t.Error("the page holds the webhook's URL")
	}
}
