package api_test

import (
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// TestAccountValidationRules: POST and PATCH share one set of rules. Lengths are characters,
// not bytes; control characters are refused; a tab is unique in its spreadsheet ignoring case
// (as Google compares tab names); the status tab's name is reserved. A refused request changes
// nothing.
func TestAccountValidationRules(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) { testAccountValidationRules(t, newEnv(t, envOptions{db: &db, noStart: true})) })
	}
}

func testAccountValidationRules(t *testing.T, e *env) {
	a := e.account("6001") // sheet6001, tab naver_ads
	b := e.account("6002") // sheet6002, tab naver_ads
	e.sheets.CreateSpreadsheet("sheet6003", sheetstest.DefaultCaller)
	e.c.do("PATCH", "/accounts/"+b.ID, map[string]any{"sheet_tab": "Übersicht"}, nil).want(http.StatusOK)
	hangul67 := strings.Repeat("한", 67)   // 201 bytes, 67 characters
	hangul201 := strings.Repeat("한", 201) // 201 characters
	body := func(kv ...any) map[string]any {
		m := map[string]any{"name": "n", "customer_id": "6003", "api_key": "k", "secret_key": "s", "spreadsheet_id": "sheet6003"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name  string
		field string // "" = accepted
		post  map[string]any
		patch map[string]any // applied to account b
	}{
		{"tab differs only in case", "sheet_tab", body("spreadsheet_id", "sheet6001", "sheet_tab", "NAVER_ADS"), map[string]any{"spreadsheet_id": "sheet6001", "sheet_tab": "Naver_Ads"}},
		{"tab differs only in case, non-ASCII", "sheet_tab", body("spreadsheet_id", "sheet6002", "sheet_tab", "ÜBERSICHT"), nil},
		{"status tab", "sheet_tab", body("sheet_tab", "naversync status"), map[string]any{"sheet_tab": "naversync status"}},
		{"status tab, other case", "sheet_tab", body("sheet_tab", "NaverSync STATUS"), map[string]any{"sheet_tab": "NAVERSYNC STATUS"}},
		{"60,000-character api key", "api_key", body("api_key", strings.Repeat("k", 60000)), map[string]any{"api_key": strings.Repeat("k", 60000)}},
		{"501-character secret", "secret_key", body("secret_key", strings.Repeat("s", 501)), map[string]any{"secret_key": strings.Repeat("s", 501)}},
		{"201-character name", "name", body("name", hangul201), map[string]any{"name": hangul201}},
		{"101-character tab", "sheet_tab", body("sheet_tab", strings.Repeat("탭", 101)), map[string]any{"sheet_tab": strings.Repeat("탭", 101)}},
		{"NUL in name", "name", body("name", "a\x00b"), map[string]any{"name": "a\x00b"}},
		{"ESC in name", "name", body("name", "a\x1b[31mb"), map[string]any{"name": "a\x1b[31mb"}},
		{"CR LF in name", "name", body("name", "a\r\nb"), map[string]any{"name": "a\r\nb"}},
		{"NUL in api key", "api_key", body("api_key", "k\x00"), map[string]any{"api_key": "k\x00k"}},
		{"line feed in secret", "secret_key", body("secret_key", "s\ns"), map[string]any{"secret_key": "s\ns"}},
		{"bell in tab", "sheet_tab", body("sheet_tab", "t\x07"), map[string]any{"sheet_tab": "t\x07"}},
		{"blank name", "name", body("name", "   "), map[string]any{"name": " "}},
		{"empty api key", "api_key", body("api_key", ""), map[string]any{"api_key": ""}},
		{"history of no day", "history_days", body("history_days", 0), map[string]any{"history_days": 0}},
		{"history longer than Naver serves", "history_days", body("history_days", 366), map[string]any{"history_days": 366}},
		{"negative history", "history_days", body("history_days", -30), map[string]any{"history_days": -30}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(method, path string, m map[string]any) {
				t.Helper()
				before := e.accountCount()
				var was service.Account
				e.c.do("GET", "/accounts/"+b.ID, nil, nil).want(http.StatusOK).decode(&was)
				p := e.c.do(method, path, m, nil).want(http.StatusBadRequest).problem()
				found := false
				for _, f := range p.Errors {
					found = found || f.Field == tc.field
				}
				if !found {
					t.Fatalf("%s %s: problem %+v does not name %s", method, path, p, tc.field)
				}
				var now service.Account
				e.c.do("GET", "/accounts/"+b.ID, nil, nil).want(http.StatusOK).decode(&now)
				if e.accountCount() != before || !reflect.DeepEqual(now, was) {
					t.Fatalf("%s %s: a refused request changed something", method, path)
				}
			}
			check("POST", "/accounts", tc.post)
			if tc.patch != nil {
				check("PATCH", "/accounts/"+b.ID, tc.patch)
			}
		})
	}

	// history_days: the served window by default, 1 to 365 as set.
	var got service.Account
	e.c.do("GET", "/accounts/"+a.ID, nil, nil).want(http.StatusOK).decode(&got)
	if got.HistoryDays != 365 {
		t.Fatalf("history_days %d by default, want 365 (the served window)", got.HistoryDays)
	}
	for _, days := range []int{1, 30, 365} {
		e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"history_days": days}, nil).want(http.StatusOK).decode(&got)
		if got.HistoryDays != days {
			t.Fatalf("history_days %d after setting %d", got.HistoryDays, days)
		}
	}
	// Lengths are counted in characters: 67 Hangul characters (201 bytes) are a valid name.
	e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"name": hangul67}, nil).want(http.StatusOK).decode(&got)
	if got.Name != hangul67 {
		t.Fatalf("name %q", got.Name)
	}
	e.c.do("POST", "/accounts", body("name", hangul67, "sheet_tab", strings.Repeat("탭", 100)), nil).want(http.StatusCreated)
	// The account's own tab in another case is its own: allowed.
	e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"sheet_tab": "NAVER_ADS"}, nil).want(http.StatusOK).decode(&got)
	if got.SheetTab != "NAVER_ADS" {
		t.Fatalf("tab %q", got.SheetTab)
	}
	// Once the tab is freed (the account deleted), another account may take it in any case.
	e.c.do("DELETE", "/accounts/"+a.ID, nil, nil).want(http.StatusNoContent)
	e.c.do("PATCH", "/accounts/"+b.ID, map[string]any{"spreadsheet_id": "sheet6001", "sheet_tab": "naver_ads"}, nil).want(http.StatusOK)
	e.c.do("POST", "/accounts", body("spreadsheet_id", "sheet6002", "sheet_tab", "ÜBERSICHT"), nil).want(http.StatusCreated)
}

// TestValidateCredentialsNaverUnreachable: when Naver cannot be reached the credentials check is
// a 503 (try again later), not a 500, and nothing is stored.
func TestValidateCredentialsNaverUnreachable(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	e := newEnv(t, envOptions{noStart: true, wrapNaver: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				panic(http.ErrAbortHandler) // the connection is cut: no answer at all
			}
			h.ServeHTTP(w, r)
		})
	}})
	e.naver.AddCustomer(navertestCustomer("6101"))
	e.sheets.CreateSpreadsheet("s1", sheetstest.DefaultCaller)
	down.Store(true)
	in := map[string]any{"name": "n", "customer_id": "6101", "api_key": "key-6101", "secret_key": "secret-6101",
		"spreadsheet_id": "s1", "validate_credentials": true}
	p := e.c.do("POST", "/accounts", in, nil).want(http.StatusServiceUnavailable).problem()
	if !strings.Contains(p.Detail, "Naver") {
		t.Fatalf("problem %+v does not say Naver is unreachable", p)
	}
	if e.accountCount() != 0 {
		t.Fatal("an account was stored")
	}
	down.Store(false)
	e.c.do("POST", "/accounts", in, nil).want(http.StatusCreated)
}

// TestDeleteAccountWipesSecret: a deleted account keeps no encrypted secret in the database.
func TestDeleteAccountWipesSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	a := e.account("6201")
	row, err := e.store.GetAccount(t.Context(), a.ID)
	if err != nil || len(row.SecretEnc) == 0 {
		t.Fatalf("stored secret before delete: %d bytes, %v", len(row.SecretEnc), err)
	}
	e.c.do("DELETE", "/accounts/"+a.ID, nil, nil).want(http.StatusNoContent)
	row, err = e.store.GetAccount(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(row.SecretEnc) != 0 || row.DeletedAt == nil {
		t.Fatalf("after delete: %d bytes of encrypted secret kept, deleted_at %v", len(row.SecretEnc), row.DeletedAt)
	}
}
