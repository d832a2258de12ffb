package api_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/store/storetest"
)

// TestAccountTabs: an account chooses the kinds of tab its sheet gets (`tabs`): the
// performance tab by default; an unknown kind, none, or one kind twice is refused (400 naming
// `tabs`) and changes nothing.
func TestAccountTabs(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			e := newEnv(t, envOptions{db: &db, noStart: true})
			a := e.account("6101")
			tabs := func(id string) []any {
				t.Helper()
				var got map[string]any
				e.c.do("GET", "/accounts/"+id, nil, nil).want(http.StatusOK).decode(&got)
				l, _ := got["tabs"].([]any)
				return l
			}
			performance := []any{"performance"}
			if got := tabs(a.ID); !reflect.DeepEqual(got, performance) {
				t.Fatalf("tabs %v by default, want %v", got, performance)
			}
			e.sheets.CreateSpreadsheet("sheet6102", sheetstest.DefaultCaller)
			body := map[string]any{"name": "n", "customer_id": "6102", "api_key": "k", "secret_key": "s", "spreadsheet_id": "sheet6102"}
			for _, bad := range [][]string{{}, {"performance", "performance"}, {"no_such_tab"}} {
				body["tabs"] = bad
				p := e.c.do("POST", "/accounts", body, nil).want(http.StatusBadRequest).problem()
				if len(p.Errors) != 1 || p.Errors[0].Field != "tabs" {
					t.Errorf("POST tabs %q: problem %+v, want one naming tabs", bad, p)
				}
				p = e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"tabs": bad}, nil).want(http.StatusBadRequest).problem()
				if len(p.Errors) != 1 || p.Errors[0].Field != "tabs" {
					t.Errorf("PATCH tabs %q: problem %+v, want one naming tabs", bad, p)
				}
				if got := tabs(a.ID); !reflect.DeepEqual(got, performance) {
					t.Fatalf("a refused PATCH of tabs %q left tabs %v", bad, got)
				}
			}
			body["tabs"] = []string{"performance"}
			var created map[string]any
			e.c.do("POST", "/accounts", body, nil).want(http.StatusCreated).decode(&created)
			if !reflect.DeepEqual(created["tabs"], performance) {
				t.Fatalf("created with tabs %v, want %v", created["tabs"], performance)
			}
			e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"tabs": []string{"performance"}}, nil).want(http.StatusOK)
			if got := tabs(a.ID); !reflect.DeepEqual(got, performance) {
				t.Fatalf("tabs %v after PATCH, want %v", got, performance)
			}
		})
	}
}
