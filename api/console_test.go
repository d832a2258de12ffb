package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/api"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// auditPage is the answer of GET /audit.
type auditPage struct {
	Items      []service.AuditEntry `json:"items"`
	NextCursor string               `json:"next_cursor"`
}

// TestRoles: a viewer token reads every resource but every change is refused with 403, before
// anything changes; an operator token and a plain (legacy) token change; /info tells each caller
// its role; the audit log names each change's token by role and fingerprint, never by value.
func TestRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{"plain-token", "viewer:viewer-token", "operator:operator-token"}})
	viewer := newClient(t, e.srv.URL, "viewer-token")
	operator := newClient(t, e.srv.URL, "operator-token")
	legacy := e.c // the plain token: every right, as before roles existed

	for c, want := range map[*client]service.Role{viewer: service.RoleViewer, operator: service.RoleOperator, legacy: service.RoleAdmin} {
		var info struct {
			Role  service.Role
			Actor string
		}
		c.do("GET", "/info", nil, nil).want(http.StatusOK).decode(&info)
		if info.Role != want || !strings.HasPrefix(info.Actor, string(want)+" token ") || strings.Contains(info.Actor, "token-") {
			t.Errorf("%s: info says role %q actor %q", want, info.Role, info.Actor)
		}
	}

	a := e.account("5001") // created with the plain token
	var s service.Sync
	operator.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 2}, nil).want(http.StatusAccepted).decode(&s)
	e.waitTerminal(s.ID)
	before := e.syncCount()

	// The viewer sees everything...
	for _, path := range []string{"/accounts", "/accounts/" + a.ID, "/syncs", "/syncs/" + s.ID, "/syncs/" + s.ID + "/days",
		"/leases", "/scheduler", "/audit", "/info"} {
		viewer.do("GET", path, nil, nil).want(http.StatusOK)
	}
	// ...and changes nothing.
	for _, rq := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/accounts", map[string]any{"name": "x", "customer_id": "5002", "api_key": "k", "secret_key": "s", "spreadsheet_id": "sheet5002"}},
		{"PATCH", "/accounts/" + a.ID, map[string]any{"name": "renamed"}},
		{"DELETE", "/accounts/" + a.ID, nil},
		{"POST", "/syncs", map[string]any{"account_id": a.ID, "days": 1}},
		{"POST", "/syncs/" + s.ID + "/cancel", nil},
		{"POST", "/syncs/" + s.ID + "/retry", nil},
		{"POST", "/scheduler/run", nil},
		{"POST", "/checks/credentials", map[string]any{"account_id": a.ID}},
		{"POST", "/checks/sheet", map[string]any{"spreadsheet": a.SpreadsheetID}},
	} {
		p := viewer.do(rq.method, rq.path, rq.body, nil).want(http.StatusForbidden).problem()
		if p.Type != api.ProblemTypeBase+"forbidden" || !strings.Contains(p.Detail, "viewer") {
			t.Errorf("%s %s: %+v", rq.method, rq.path, p)
		}
	}
	got, err := e.svc.GetAccount(t.Context(), a.ID)
	if err != nil || got.Name != a.Name || e.syncCount() != before || e.accountCount() != 1 {
		t.Fatalf("a viewer changed something: %+v %v, %d syncs (was %d)", got, err, e.syncCount(), before)
	}

	// The operator changes; the audit log says who, by role and fingerprint.
	operator.do("PATCH", "/accounts/"+a.ID, map[string]any{"refresh_time": "07:30", "sheet_language": "ko"}, nil).want(http.StatusOK)
	var log auditPage
	viewer.do("GET", "/audit?account_id="+a.ID, nil, nil).want(http.StatusOK).decode(&log)
	if len(log.Items) != 3 {
		t.Fatalf("audit of the account: %+v; want its creation, the sync and the update", log.Items)
	}
	fp := func(token string) string {
		sum := sha256.Sum256([]byte(token))
		return hex.EncodeToString(sum[:4])
	}
	upd, syn, cre := log.Items[0], log.Items[1], log.Items[2]
	if upd.Action != service.AuditAccountUpdate || upd.Actor != "operator token "+fp("operator-token") || upd.Role != "operator" ||
		!slices.Equal(upd.Fields, []string{"refresh_time", "sheet_language"}) || !strings.Contains(upd.Detail, "07:30") {
		t.Errorf("update entry %+v", upd)
	}
	if syn.Action != service.AuditSyncCreate || syn.SyncID != s.ID || syn.Actor != "operator token "+fp("operator-token") {
		t.Errorf("sync entry %+v", syn)
	}
	if cre.Action != service.AuditAccountCreate || cre.Actor != "admin token "+fp("plain-token") || cre.Role != "admin" {
		t.Errorf("create entry %+v", cre)
	}
	raw := viewer.do("GET", "/audit", nil, nil).want(http.StatusOK).Body
	for _, secret := range []string{"plain-token", "viewer-token", "operator-token", "secret-5001"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the audit log shows %q", secret)
		}
	}
}

// TestParseToken: roles before a colon, plain tokens with every right, and a mistyped role
// refused rather than turned into a token with every right.
func TestParseToken(t *testing.T) {
	t.Parallel()
	for entry, want := range map[string]api.Token{
		"abc":             {Secret: "abc", Role: service.RoleAdmin},
		" viewer:v1 ":     {Secret: "v1", Role: service.RoleViewer},
		"operator:o:with": {Secret: "o:with", Role: service.RoleOperator},
		"admin:x":         {Secret: "x", Role: service.RoleAdmin},
	} {
		got, err := api.ParseToken(entry)
		if err != nil || got != want {
			t.Errorf("ParseToken(%q) = %+v, %v; want %+v", entry, got, err, want)
		}
	}
	for _, bad := range []string{"veiwer:abc", "viewer:", "", "Viewer:abc"} {
		if _, err := api.ParseToken(bad); err == nil {
			t.Errorf("ParseToken(%q) accepted", bad)
		}
	}
	if _, err := api.ParseTokens([]string{"ok", "veiwer:secret-value"}); err == nil || strings.Contains(err.Error(), "secret-value") || !strings.Contains(err.Error(), "token 2") {
		t.Errorf("ParseTokens: %v; want an error naming token 2 without its value", err)
	}
}

// TestCheckCredentials: Naver's refusal names the field to fix (a secret key that does not sign
// for the key, an API key Naver does not know, a customer the key may not read); an edit form's
// empty secret key means the stored one; nothing is stored by a check.
func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	e.naver.AddCustomer(navertestCustomer("6001"))
	e.naver.AddCustomer(navertestCustomer("6002"))
	check := func(body map[string]any) *response { return e.c.do("POST", "/checks/credentials", body, nil) }
	good := map[string]any{"customer_id": "6001", "api_key": "key-6001", "secret_key": "secret-6001"}
	var ok map[string]bool
	check(good).want(http.StatusOK).decode(&ok)
	if !ok["ok"] {
		t.Fatalf("answer %v", ok)
	}
	for field, body := range map[string]map[string]any{
		"secret_key":  {"customer_id": "6001", "api_key": "key-6001", "secret_key": "wrong"},
		"api_key":     {"customer_id": "6001", "api_key": "key-unknown", "secret_key": "secret-6001"},
		"customer_id": {"customer_id": "6002", "api_key": "key-6001", "secret_key": "secret-6001"},
	} {
		p := check(body).want(http.StatusUnprocessableEntity).problem()
		if p.Type != api.ProblemTypeBase+"invalid-credentials" || len(p.Errors) != 1 || p.Errors[0].Field != field || p.Detail != p.Errors[0].Reason {
			t.Errorf("wrong %s: %+v", field, p)
		}
	}
	p := check(map[string]any{"customer_id": "x"}).want(http.StatusBadRequest).problem()
	if len(p.Errors) != 3 {
		t.Errorf("missing fields: %+v", p)
	}

	a := e.account("6001")
	check(map[string]any{"account_id": a.ID}).want(http.StatusOK)
	if p := check(map[string]any{"account_id": a.ID, "secret_key": "wrong"}).want(http.StatusUnprocessableEntity).problem(); p.Errors[0].Field != "secret_key" {
		t.Errorf("a new secret for a stored account: %+v", p)
	}
	check(map[string]any{"account_id": "0192f3c4-0000-7000-8000-000000000000"}).want(http.StatusBadRequest)
	// Creating with a wrong secret names the field too.
	p = e.c.do("POST", "/accounts", map[string]any{"name": "n", "customer_id": "6002", "api_key": "key-6002", "secret_key": "wrong",
		"spreadsheet_id": "s9", "validate_credentials": true}, nil).want(http.StatusUnprocessableEntity).problem()
	if len(p.Errors) != 1 || p.Errors[0].Field != "secret_key" {
		t.Errorf("create with a wrong secret: %+v", p)
	}
	if e.accountCount() != 1 {
		t.Errorf("%d accounts; checks store nothing", e.accountCount())
	}
}

// TestCheckSheet: the address of a spreadsheet gives its id and, by its gid, a tab name; edit,
// view-only and no access are told apart, with the address to share with; a tab holding
// someone's data is flagged; nothing visible changes.
func TestCheckSheet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	const book = "1AbCdEfGh-ij_KL"
	e.sheets.CreateSpreadsheet(book, sheetstest.DefaultCaller)
	gid := e.sheets.AddSheet(book, "Ads 2026", 20, 5)
	e.sheets.SetValues(book, "Ads 2026", [][]any{{"our own notes"}})
	check := func(body map[string]any) service.SheetAccess {
		var res service.SheetAccess
		e.c.do("POST", "/checks/sheet", body, nil).want(http.StatusOK).decode(&res)
		return res
	}
	// The message carries a code and its parameters, as every sentence the service says.
	coded := func(body map[string]any, code, email string) {
		t.Helper()
		var res struct {
			Message string            `json:"message"`
			Code    string            `json:"code"`
			Params  map[string]string `json:"params"`
		}
		e.c.do("POST", "/checks/sheet", body, nil).want(http.StatusOK).decode(&res)
		if res.Code != code || res.Params["email"] != email || res.Message == "" {
			t.Errorf("%v: message %q, code %q, params %v; want code %q, email %q", body, res.Message, res.Code, res.Params, code, email)
		}
	}
	url := "https://docs.google.com/spreadsheets/d/" + book + "/edit?usp=sharing#gid=" + itoa(gid)
	coded(map[string]any{"spreadsheet": book}, "sheet_check.edit", "")
	res := check(map[string]any{"spreadsheet": url, "sheet_tab": "Ads 2026"})
	if res.SpreadsheetID != book || res.Access != service.SheetAccessEdit || res.GidTab != "Ads 2026" || len(res.Tabs) != 2 ||
		res.ServiceAccountEmail != sheetstest.DefaultCaller || res.Tab == nil || !res.Tab.Exists || !res.Tab.HasData {
		t.Fatalf("edit access: %+v (tab %+v)", res, res.Tab)
	}
	if tabs := e.sheets.Sheets(book); len(tabs) != 2 {
		t.Errorf("tabs after the check: %q", tabs)
	}
	if res := check(map[string]any{"spreadsheet": book, "sheet_tab": "naver_ads"}); res.Tab == nil || res.Tab.Exists || res.Tab.HasData {
		t.Errorf("a new tab: %+v", res.Tab)
	}
	e.sheets.ShareReadOnly(book, sheetstest.DefaultCaller)
	coded(map[string]any{"spreadsheet": book}, "sheet_check.view_only", sheetstest.DefaultCaller)
	if res := check(map[string]any{"spreadsheet": book}); res.Access != service.SheetAccessRead || !strings.Contains(res.Message, sheetstest.DefaultCaller) {
		t.Errorf("view-only: %+v", res)
	}
	e.sheets.Unshare(book, sheetstest.DefaultCaller)
	coded(map[string]any{"spreadsheet": book}, "sheet_check.not_shared", sheetstest.DefaultCaller)
	coded(map[string]any{"spreadsheet": "no-such-book"}, "sheet_check.not_found", "")
	if res := check(map[string]any{"spreadsheet": url}); res.Access != service.SheetAccessNone || !strings.Contains(res.Message, sheetstest.DefaultCaller) ||
		len(res.Tabs) != 0 {
		t.Errorf("not shared: %+v", res)
	}
	if res := check(map[string]any{"spreadsheet": "no-such-book"}); res.Access != service.SheetAccessNotFound {
		t.Errorf("unknown id: %+v", res)
	}
	for _, bad := range []string{"https://example.com/spreadsheets/d/abc", "https://docs.google.com/spreadsheets/d/e/2PACX-1v/pubhtml", "not an id!"} {
		p := e.c.do("POST", "/checks/sheet", map[string]any{"spreadsheet": bad}, nil).want(http.StatusBadRequest).problem()
		if len(p.Errors) != 1 || p.Errors[0].Field != "spreadsheet" {
			t.Errorf("%q: %+v", bad, p)
		}
	}
}

// TestSyncDaysAndNextRefresh: a sync's page lists each day of its range newest first (yesterday
// pending when Naver has not made it ready, the rest fetched); an account shows when the
// scheduler refreshes it next, at the service's schedule or at its own time, and none when its
// refresh is off.
func TestSyncDaysAndNextRefresh(t *testing.T) {
	t.Parallel()
	at := servicetest.Instants()[1].At // 03:55 in Seoul: yesterday is not ready at Naver yet
	w := servicetest.NewWorld(t, storetest.Databases(t)[0], servicetest.WorldOptions{Start: at})
	eng := w.Engine(servicetest.EngineOptions{PollInterval: 100 * time.Millisecond, LogLevel: slog.LevelWarn,
		Scheduler: &service.SchedulerConfig{Schedule: "0 6 * * *", PendingRetry: "-"}})
	srv := httptest.NewServer(api.New(eng.Service, api.Options{}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, "")
	w.Customer("7001", 1, 1, 2)
	a := w.Account(eng, "Days", "7001", "sheet-days", service.LevelCampaign)

	var s service.Sync
	c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 3}, nil).want(http.StatusAccepted).decode(&s)
	if got := servicetest.WaitTerminal(t, eng.Service, s.ID)[s.ID]; got.Status != service.StatusSucceeded {
		t.Fatalf("sync %s %+v", got.Status, got.Error)
	}
	var days struct{ Items []service.SyncDay }
	c.do("GET", "/syncs/"+s.ID+"/days", nil, nil).want(http.StatusOK).decode(&days)
	if len(days.Items) != 3 || days.Items[0].Day != servicetest.Day(at, 1) || days.Items[2].Day != servicetest.Day(at, 3) {
		t.Fatalf("days %+v", days.Items)
	}
	if d := days.Items[0]; d.State != service.DayPending || !strings.Contains(d.Reason, "not ready at Naver") || len(d.Reports) != 2 {
		t.Errorf("yesterday: %+v", d)
	}
	for _, d := range days.Items[1:] {
		if d.State != service.DayFetched || d.Reports[0].State != "built" || d.Reports[0].FetchedAt == nil {
			t.Errorf("day %s: %+v", d.Day, d)
		}
	}
	c.do("GET", "/syncs/0192f3c4-0000-7000-8000-000000000000/days", nil, nil).want(http.StatusNotFound)

	seoul := time.FixedZone("KST", 9*3600)
	var acct service.Account
	c.do("GET", "/accounts/"+a.ID, nil, nil).want(http.StatusOK).decode(&acct)
	if want := time.Date(2026, 5, 20, 6, 0, 0, 0, seoul); acct.NextRefreshAt == nil || !acct.NextRefreshAt.Equal(want) {
		t.Errorf("next refresh %v, want the schedule's %v", acct.NextRefreshAt, want)
	}
	if tab, _ := w.Sheets.Sheet("sheet-days", "data"); acct.SheetGID == nil || *acct.SheetGID != tab.SheetID || acct.TabGIDs["performance"] != tab.SheetID {
		t.Errorf("sheet_gid %v, tab_gids %v, want the tab's sheetId %d", acct.SheetGID, acct.TabGIDs, tab.SheetID)
	}
	c.do("PATCH", "/accounts/"+a.ID, map[string]any{"refresh_time": "23:30"}, nil).want(http.StatusOK).decode(&acct)
	if want := time.Date(2026, 5, 20, 23, 30, 0, 0, seoul); acct.NextRefreshAt == nil || !acct.NextRefreshAt.Equal(want) {
		t.Errorf("next refresh %v, want the account's own %v", acct.NextRefreshAt, want)
	}
	c.do("PATCH", "/accounts/"+a.ID, map[string]any{"refresh_time": "02:00"}, nil).want(http.StatusOK).decode(&acct)
	if want := time.Date(2026, 5, 21, 2, 0, 0, 0, seoul); acct.NextRefreshAt == nil || !acct.NextRefreshAt.Equal(want) {
		t.Errorf("next refresh %v, want tomorrow's %v", acct.NextRefreshAt, want)
	}
	var off service.Account
	c.do("PATCH", "/accounts/"+a.ID, map[string]any{"refresh_enabled": false}, nil).want(http.StatusOK).decode(&off)
	if off.RefreshEnabled || off.NextRefreshAt != nil {
		t.Errorf("next refresh %v with the refresh off", off.NextRefreshAt)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
