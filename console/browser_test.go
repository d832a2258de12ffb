package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// stepTimeout bounds one browser step (a wait for the page to show something).
const stepTimeout = 60 * time.Second

// browser is one headless Chromium tab, with the page's uncaught exceptions and security
// (CSP) violations collected so that a test fails on them.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

// newBrowser starts a fresh headless Chromium (own profile directory). It skips the test when
// Chromium is missing, unless CI is set, where that is a failure.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("chromium not installed (%v); apt-get install -y chromium", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // starts the browser, bound to ctx
		t.Fatalf("start chromium: %v", err)
	}
	if err := chromedp.Listen(ctx, b.watch); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.problems {
			t.Errorf("page: %s", p)
		}
	})
	return b
}

// watch records uncaught exceptions and violations of the Content-Security-Policy.
func (b *browser) watch(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		p = "uncaught exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			p += " " + ev.ExceptionDetails.Exception.Description
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Source == cdplog.EntrySourceSecurity || strings.Contains(ev.Entry.Text, "Content Security Policy") {
			p = "security: " + ev.Entry.Text
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

// do runs steps, failing the test with what if they do not complete within stepTimeout.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// waitFor waits until the JavaScript expression is truthy in the page; the page changes by
// itself (polling, event streams), so this waits on the page's own state, not on time.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(0), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		dump, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText.slice(0, 3000) : ""`))
		b.t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, expr, err, dump)
	}
}

// eval evaluates a JavaScript expression and returns its value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// screenshot writes docs/screenshots/<name>.png when NAVERSYNC_UPDATE_SCREENSHOTS=1 (so that
// ordinary runs, CI included, never change the tree); sel "" takes the whole page.
func (b *browser) screenshot(name, sel string) {
	b.t.Helper()
	if os.Getenv("NAVERSYNC_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	var png []byte
	var err error
	if sel == "" {
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	} else {
		png, err = chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	}
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// jsString quotes s as a JavaScript string literal (ids and names of the tests only).
func jsString(s string) string { return fmt.Sprintf("%q", s) }

// syncRow is the selector of a sync's row in the list.
func syncRow(id string) string { return fmt.Sprintf(`#syncs-table tr[data-sync=%q]`, id) }

// login opens the console and gives it the token, then waits for the accounts.
func (b *browser) login(base, token string) {
	b.t.Helper()
	b.do("open the console", chromedp.Navigate(base+"/"))
	b.waitFor("the token prompt", `!document.getElementById("auth").hidden`)
	b.do("give the token",
		chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS(`#auth-form button[type="submit"]`)))
}

// TestConsoleLive drives the console in Chromium against the real service: Sync now (a double
// click makes one sync), the sync's progress up to succeeded without a reload, the customer's
// lock row appearing and disappearing, a queued sync waiting behind the lock and canceled,
// then retried.
func TestConsoleLive(t *testing.T) {
	e := newEnv(t, true)
	shoes := e.account("Acme Shoes", "1001", "acme-shoes-sheet")
	bags := e.account("Acme Bags", "1001", "acme-bags-sheet")
	cafe := e.account("Blue Cafe", "2002", "blue-cafe-sheet")
	if s := e.syncAndWait(cafe.ID, 3); s.Status != service.StatusSucceeded {
		t.Fatalf("warm-up sync: %+v", s)
	}
	b := newBrowser(t)

	b.login(e.srv.URL, testToken)
	b.waitFor("the accounts", fmt.Sprintf(`document.querySelectorAll("#accounts-table tr[data-account]").length === 3 && !!document.querySelector(%s)`,
		jsString(fmt.Sprintf(`#accounts-table tr[data-account=%q] .badge.fresh`, cafe.ID))))
	// A marker that a reload would erase.
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__notReloaded = true`))

	// Hold Naver: the first sync keeps the customer's lease while it waits for Naver.
	e.gate.hold()
	b.do("choose 5 days", chromedp.SetValue(chromedp.CSS("#days"), "5"), chromedp.Click(chromedp.CSS("#range-days")))
	b.do("double-click Sync now", chromedp.DoubleClick(chromedp.CSS(fmt.Sprintf(`#accounts-table tr[data-account=%s] button[data-act="sync"]`, jsString(shoes.ID)))))
	b.waitFor("the new sync fetching", fmt.Sprintf(`[...document.querySelectorAll("#syncs-table tr[data-sync]")].some(r => r.dataset.status === "fetching" && r.textContent.includes("Acme Shoes"))`))
	b.waitFor("the lock row of customer 1001", `!!document.querySelector('#locks-table tr[data-customer="1001"]') && document.getElementById("locks-empty").hidden`)
	shoesSyncs := e.syncsOf(shoes.ID)
	if len(shoesSyncs) != 1 {
		t.Fatalf("a double click made %d syncs, want 1", len(shoesSyncs))
	}
	first := shoesSyncs[0]
	if first.From != dayBefore(5) || first.To != dayBefore(1) {
		t.Errorf("range %s..%s, want the last 5 days %s..%s", first.From, first.To, dayBefore(5), dayBefore(1))
	}
	holder := eval[string](b, `document.querySelector('#locks-table tr[data-customer="1001"] td:nth-child(2) code').title`)
	if holder != first.ID {
		t.Errorf("lock row shows holder %q, want %q", holder, first.ID)
	}

	// A sync of the other account of the same customer waits behind the lease.
	b.do("Sync now for the other account", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#accounts-table tr[data-account=%s] button[data-act="sync"]`, jsString(bags.ID)))))
	b.waitFor("the second sync queued", `[...document.querySelectorAll("#syncs-table tr[data-sync]")].some(r => r.dataset.status === "queued" && r.textContent.includes("Acme Bags"))`)
	bagsSyncs := e.syncsOf(bags.ID)
	if len(bagsSyncs) != 1 {
		t.Fatalf("bags has %d syncs, want 1", len(bagsSyncs))
	}
	waiting := bagsSyncs[0]
	b.waitFor("the waiting sync on the lock row", fmt.Sprintf(`!!document.querySelector('#locks-table tr[data-customer="1001"] code.chip[title=%s]')`, jsString(waiting.ID)))
	b.screenshot("console", "")
	b.screenshot("locks", "#locks")

	b.do("cancel the queued sync", chromedp.Click(chromedp.CSS(syncRow(waiting.ID)+` button[data-act="cancel"]`)))
	b.waitFor("the queued sync canceled", fmt.Sprintf(`document.querySelector(%s).dataset.status === "canceled"`, jsString(syncRow(waiting.ID))))
	if s, err := e.svc.GetSync(t.Context(), waiting.ID); err != nil || s.Status != service.StatusCanceled {
		t.Fatalf("canceled sync in the service: %+v, %v", s, err)
	}

	// Let Naver answer: the first sync finishes and the lease goes away, live.
	e.gate.release()
	b.waitFor("the first sync succeeded", fmt.Sprintf(`document.querySelector(%s).dataset.status === "succeeded"`, jsString(syncRow(first.ID))))
	b.waitFor("the lock row gone", `document.querySelectorAll("#locks-table tbody tr").length === 0 && !document.getElementById("locks-empty").hidden`)
	if s, err := e.svc.GetSync(t.Context(), first.ID); err != nil || s.Status != service.StatusSucceeded {
		t.Fatalf("first sync in the service: %+v, %v", s, err)
	}

	// Retry the canceled one from its row.
	b.do("retry the canceled sync", chromedp.Click(chromedp.CSS(syncRow(waiting.ID)+` button[data-act="retry"]`)))
	b.waitFor("the retry succeeded", fmt.Sprintf(`[...document.querySelectorAll("#syncs-table tr[data-sync]")].some(r => r.dataset.status === "succeeded" && r.cells[0].textContent.includes("retry of " + %s))`, jsString(waiting.ID[len(waiting.ID)-8:])))
	if n := len(e.syncsOf(bags.ID)); n != 2 {
		t.Errorf("bags has %d syncs after one retry, want 2", n)
	}
	b.waitFor("the timeline of customer 1001", `document.querySelectorAll('#timelines figure[data-customer="1001"] svg rect.seg.fetch').length >= 2`)
	if n := eval[string](b, `document.getElementById("syncs").dataset.events || "0"`); n == "0" {
		t.Error("no event arrived on the syncs' event streams")
	}
	if n := eval[string](b, `document.getElementById("syncs").dataset.listEvents || "0"`); n == "0" {
		t.Error("no event arrived on the sync list's event stream")
	}
	if !eval[bool](b, `window.__notReloaded === true`) {
		t.Error("the page was reloaded")
	}
	b.screenshot("timeline", "#timeline")

	// The morning panel: before any scheduled sync it says so; after "Run the refresh now" it
	// counts the 3 accounts' syncs (the buttons' click reloads the scheduler's status).
	if txt := eval[string](b, `document.getElementById("morning-text").textContent`); !strings.Contains(txt, "No scheduled sync") {
		t.Errorf("morning panel before any refresh: %q", txt)
	}
	b.do("run the refresh now", chromedp.Click(chromedp.CSS("#run-refresh")))
	b.waitFor("the morning panel counting 3 syncs", `document.getElementById("morning-text").textContent.includes(" of 3 syncs done") && !document.getElementById("morning-bar").hidden`)
}

// TestConsoleWrongToken checks that a refused token says so clearly, is not kept, and that the
// right one then works.
func TestConsoleWrongToken(t *testing.T) {
	e := newEnv(t, true)
	e.account("Acme Shoes", "1001", "acme-shoes-sheet")
	b := newBrowser(t)

	b.login(e.srv.URL, "not-the-token")
	b.waitFor("the refusal", `!document.getElementById("auth-error").hidden`)
	msg := eval[string](b, `document.getElementById("auth-error").textContent`)
	if !strings.Contains(msg, "token was refused") {
		t.Errorf("message %q does not say the token was refused", msg)
	}
	if kept := eval[string](b, `sessionStorage.getItem("naversync.token") || ""`); kept != "" {
		t.Errorf("the refused token is kept: %q", kept)
	}
	if !eval[bool](b, `document.getElementById("app").hidden`) {
		t.Error("the data view is shown after a refused token")
	}
	b.screenshot("token", "#auth")

	b.do("give the right token",
		chromedp.SendKeys(chromedp.CSS("#token"), testToken),
		chromedp.Click(chromedp.CSS(`#auth-form button[type="submit"]`)))
	b.waitFor("the accounts", `document.querySelectorAll("#accounts-table tr[data-account]").length === 1`)
	if kept := eval[string](b, `sessionStorage.getItem("naversync.token")`); kept != testToken {
		t.Errorf("sessionStorage holds %q, want the token", kept)
	}
}

// TestConsoleNoAuthPhone checks the demo mode (no token asked) at phone width: every view is
// there and nothing is wider than the screen.
func TestConsoleNoAuthPhone(t *testing.T) {
	e := newEnv(t, false)
	a := e.account("Blue Cafe", "2002", "blue-cafe-sheet")
	s := e.syncAndWait(a.ID, 2)
	b := newBrowser(t)
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.do("open the console", chromedp.Navigate(e.srv.URL+"/ui/"))
	b.waitFor("the data without a token prompt", fmt.Sprintf(`!document.getElementById("app").hidden && document.getElementById("auth").hidden && !!document.querySelector(%s)`, jsString(syncRow(s.ID))))
	b.waitFor("the timeline", `!!document.querySelector("#timelines svg rect.seg.write")`)
	if w := eval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("the page is %d px wider than a phone screen", w)
	}
	// The sheet link opens the spreadsheet at the account's tab (its sheetId, once written).
	tab, _ := e.sheets.Sheet("blue-cafe-sheet", "naver_ads")
	b.waitFor("the sheet link at its tab", fmt.Sprintf(`document.querySelector("#accounts-table a").href === %s`,
		jsString(fmt.Sprintf("https://docs.google.com/spreadsheets/d/blue-cafe-sheet/edit#gid=%d", tab.SheetID))))
	b.screenshot("phone", "")

	// Every control has a name a screen reader can say.
	if unnamed := eval[[]string](b, `[...document.querySelectorAll("input, select, button")]
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !(e.tagName === "BUTTON" && e.textContent.trim()))
		.map(e => e.id || e.outerHTML.slice(0, 80))`); len(unnamed) > 0 {
		t.Errorf("controls without a label: %q", unnamed)
	}
	// Sync now works from the keyboard: Enter on the focused button.
	b.do("press Enter on Sync now", chromedp.SendKeys(chromedp.CSS(`#accounts-table button[data-act="sync"]`), "\r"))
	b.waitFor("a second sync", `document.querySelectorAll("#syncs-table tr[data-sync]").length === 2`)
	if n := len(e.syncsOf(a.ID)); n != 2 {
		t.Errorf("%d syncs after Enter on Sync now, want 2", n)
	}
}

// dayBefore is the Naver (KST) day n days before the world's today, as YYYY-MM-DD.
func dayBefore(n int) string { return servicetest.Day(servicetest.DefaultStart(), n) }
