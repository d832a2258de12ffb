package api_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// TestAccountTabTitles: an account shows the title of each of its tabs (`tab_titles`, the
// performance tab's being `sheet_tab`); a request naming a kind the account does not have, a
// performance title other than sheet_tab, a bad title, two tabs of one title, or a title another
// account of the spreadsheet writes is refused (400 naming the field) and changes nothing;
// renaming a tab is in the audit log.
func TestAccountTabTitles(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			e := newEnv(t, envOptions{db: &db, noStart: true})
			a := e.account("6201")
			get := func(id string) service.Account {
				t.Helper()
				var got service.Account
				e.c.do("GET", "/accounts/"+id, nil, nil).want(http.StatusOK).decode(&got)
				return got
			}
			if got, want := get(a.ID).TabTitles, map[string]string{"performance": a.SheetTab}; !reflect.DeepEqual(got, want) {
				t.Fatalf("tab_titles %v by default, want %v", got, want)
			}
			refused := func(method, path string, body map[string]any, field string, code service.MessageCode) {
				t.Helper()
				was := get(a.ID)
				p := e.c.do(method, path, body, nil).want(http.StatusBadRequest).problem()
				if len(p.Errors) != 1 || p.Errors[0].Field != field || p.Errors[0].Code != code {
					t.Errorf("%s %s %v: problem %+v, want one naming %s (%s)", method, path, body, p, field, code)
				}
				if now := get(a.ID); !reflect.DeepEqual(now, was) {
					t.Fatalf("a refused %s %v changed the account: %+v, was %+v", method, body, now, was)
				}
			}
			e.sheets.CreateSpreadsheet("sheet6202", sheetstest.DefaultCaller)
			create := map[string]any{"name": "n", "customer_id": "6202", "api_key": "k", "secret_key": "s", "spreadsheet_id": "sheet6202", "sheet_tab": "ads"}
			with := func(m map[string]any, kv ...any) map[string]any {
				out := map[string]any{}
				for k, v := range m {
					out[k] = v
				}
				for i := 0; i+1 < len(kv); i += 2 {
					out[kv[i].(string)] = kv[i+1]
				}
				return out
			}
			for _, c := range []struct {
				titles map[string]string
				code   service.MessageCode
			}{
				{map[string]string{"performance": "another"}, service.MsgFieldTabTitlesPerformance},
				{map[string]string{"no_such_tab": "x"}, service.MsgFieldTabTitlesKind},
			} {
				refused("PATCH", "/accounts/"+a.ID, map[string]any{"tab_titles": c.titles}, "tab_titles", c.code)
				refused("POST", "/accounts", with(create, "tab_titles", c.titles), "tab_titles", c.code)
			}
			e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"tab_titles": map[string]string{"performance": a.SheetTab}}, nil).want(http.StatusOK)
			e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"sheet_tab": "renamed"}, nil).want(http.StatusOK)
			if got := get(a.ID).TabTitles; !reflect.DeepEqual(got, map[string]string{"performance": "renamed"}) {
				t.Fatalf("tab_titles %v after sheet_tab was renamed, want the performance tab's to follow", got)
			}

			if _, ok := report.TabOf(report.KindSearchTerms); !ok {
				return // the search terms tab is not built by this release yet
			}
			terms := string(report.KindSearchTerms)
			e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"tabs": []string{"performance", terms}}, nil).want(http.StatusOK)
			if got, want := get(a.ID).TabTitles, map[string]string{"performance": "renamed", terms: "naver_search_terms"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("tab_titles %v after adding the search terms tab, want %v", got, want)
			}
			for _, c := range []struct {
				titles map[string]string
				code   service.MessageCode
			}{
				{map[string]string{terms: "RENAMED"}, service.MsgFieldTabTitlesSame},
				{map[string]string{terms: "a/b"}, service.MsgFieldTabChars},
				{map[string]string{terms: ""}, service.MsgFieldTextRequired},
				{map[string]string{terms: google.DefaultStatusTab}, service.MsgFieldTabReserved},
			} {
				refused("PATCH", "/accounts/"+a.ID, map[string]any{"tab_titles": c.titles}, "tab_titles", c.code)
			}
			refused("PATCH", "/accounts/"+a.ID, map[string]any{"sheet_tab": "Naver_Search_Terms"}, "sheet_tab", service.MsgFieldTabTitlesSame)
			// Another account of the spreadsheet cannot take a title of this one's tabs.
			e.sheets.CreateSpreadsheet(a.SpreadsheetID+"-other", sheetstest.DefaultCaller)
			var b service.Account
			e.c.do("POST", "/accounts", with(create, "customer_id", "6203", "spreadsheet_id", a.SpreadsheetID, "sheet_tab", "b_ads"), nil).want(http.StatusCreated).decode(&b)
			p := e.c.do("PATCH", "/accounts/"+b.ID, map[string]any{"tabs": []string{"performance", terms}}, nil).want(http.StatusBadRequest).problem()
			if len(p.Errors) != 1 || p.Errors[0].Field != "tab_titles" || p.Errors[0].Code != service.MsgFieldTabTaken {
				t.Errorf("a second account of the spreadsheet taking naver_search_terms: problem %+v, want tab_taken naming tab_titles", p)
			}
			e.c.do("PATCH", "/accounts/"+b.ID, map[string]any{"tabs": []string{"performance", terms}, "tab_titles": map[string]string{terms: "b_terms"}}, nil).want(http.StatusOK)

			e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"tab_titles": map[string]string{terms: "terms"}}, nil).want(http.StatusOK)
			if got := get(a.ID).TabTitles[terms]; got != "terms" {
				t.Fatalf("search terms title %q after PATCH, want terms", got)
			}
			var log auditPage
			e.c.do("GET", "/audit?account_id="+a.ID+"&limit=1", nil, nil).want(http.StatusOK).decode(&log)
			if len(log.Items) != 1 || !reflect.DeepEqual(log.Items[0].Fields, []string{"tab_titles"}) || !strings.Contains(log.Items[0].Detail, `"terms"`) ||
				log.Items[0].DetailParams["tab_titles_to"] == "" {
				t.Fatalf("audit of the rename: %+v, want one entry naming tab_titles and the new title", log.Items)
			}
		})
	}
}
