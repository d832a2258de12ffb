package api_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
)

func TestAccountsCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	a := e.account("1001")
	if a.ID == "" || a.CustomerID != "1001" || a.Level != "campaign" || a.SheetTab != "naver_ads" || !a.RefreshEnabled {
		t.Fatalf("created %+v", a)
	}

	var got service.Account
	e.c.do("GET", "/accounts/"+a.ID, nil, nil).want(http.StatusOK).decode(&got)
	if got.ID != a.ID || got.Name != a.Name {
		t.Fatalf("get %+v, want %+v", got, a)
	}

	r := e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"name": "renamed", "refresh_enabled": false, "secret_key": "new-secret"}, nil).want(http.StatusOK)
	r.decode(&got)
	if got.Name != "renamed" || got.RefreshEnabled || got.Level != "campaign" {
		t.Fatalf("patched %+v", got)
	}
	if bytes.Contains(r.Body, []byte("secret")) {
		t.Fatalf("a response names the secret: %s", r.Body)
	}

	p := e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"level": "brand"}, nil).want(http.StatusBadRequest).problem()
	if len(p.Errors) != 1 || p.Errors[0].Field != "level" {
		t.Fatalf("problem %+v", p)
	}

	e.c.do("DELETE", "/accounts/"+a.ID, nil, nil).want(http.StatusNoContent)
	e.c.do("GET", "/accounts/"+a.ID, nil, nil).want(http.StatusNotFound)
	e.c.do("DELETE", "/accounts/"+a.ID, nil, nil).want(http.StatusNotFound)
	e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"name": "x"}, nil).want(http.StatusNotFound)
}

func TestCreateAccountLocationAndSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	e.sheets.CreateSpreadsheet("s1", sheetstest.DefaultCaller)
	r := e.c.do("POST", "/accounts", map[string]any{
		"name": "n", "customer_id": "42", "api_key": "k", "secret_key": "TOPSECRET-VALUE", "spreadsheet_id": "s1",
	}, nil).want(http.StatusCreated)
	var a service.Account
	r.decode(&a)
	if loc := r.Header.Get("Location"); loc != "/accounts/"+a.ID {
		t.Fatalf("Location %q", loc)
	}
	if bytes.Contains(r.Body, []byte("TOPSECRET")) {
		t.Fatalf("secret echoed: %s", r.Body)
	}
	list := e.c.do("GET", "/accounts", nil, nil).want(http.StatusOK)
	if bytes.Contains(list.Body, []byte("TOPSECRET")) {
		t.Fatalf("secret listed: %s", list.Body)
	}
}

func TestCreateAccountValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	e.account("1001")
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"customer id letters", map[string]any{"name": "n", "customer_id": "abc", "api_key": "k", "secret_key": "s", "spreadsheet_id": "s2"}, "customer_id"},
		{"no secret", map[string]any{"name": "n", "customer_id": "1", "api_key": "k", "spreadsheet_id": "s2"}, "secret_key"},
		{"bad level", map[string]any{"name": "n", "customer_id": "1", "api_key": "k", "secret_key": "s", "spreadsheet_id": "s2", "level": "ad"}, "level"},
		{"bad refresh time", map[string]any{"name": "n", "customer_id": "1", "api_key": "k", "secret_key": "s", "spreadsheet_id": "s2", "refresh_time": "25:00"}, "refresh_time"},
		{"tab already used", map[string]any{"name": "n", "customer_id": "2", "api_key": "k", "secret_key": "s", "spreadsheet_id": "sheet1001"}, "sheet_tab"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.accountCount()
			p := e.c.do("POST", "/accounts", tc.body, nil).want(http.StatusBadRequest).problem()
			found := false
			for _, f := range p.Errors {
				found = found || f.Field == tc.field
			}
			if !found || p.Type != "https://naversync.dev/problems/validation" {
				t.Fatalf("problem %+v, want field %s", p, tc.field)
			}
			if after := e.accountCount(); after != before {
				t.Fatalf("accounts %d -> %d", before, after)
			}
		})
	}
}

func TestCreateAccountInvalidCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	e.naver.AddCustomer(navertestCustomer("777"))
	e.sheets.CreateSpreadsheet("s1", sheetstest.DefaultCaller)
	p := e.c.do("POST", "/accounts", map[string]any{
		"name": "n", "customer_id": "777", "api_key": "key-777", "secret_key": "wrong", "spreadsheet_id": "s1",
		"validate_credentials": true,
	}, nil).want(http.StatusUnprocessableEntity).problem()
	if p.Type != "https://naversync.dev/problems/invalid-credentials" {
		t.Fatalf("problem %+v", p)
	}
	if e.accountCount() != 0 {
		t.Fatal("an account was stored")
	}
	e.c.do("POST", "/accounts", map[string]any{
		"name": "n", "customer_id": "777", "api_key": "key-777", "secret_key": "secret-777", "spreadsheet_id": "s1",
		"validate_credentials": true,
	}, nil).want(http.StatusCreated)
}

func TestListAccountsPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	want := map[string]bool{}
	for _, c := range []string{"11", "12", "13", "14", "15"} {
		want[e.account(c).ID] = true
	}
	seen := map[string]bool{}
	path := "/accounts?limit=2"
	pages := 0
	for {
		var pg struct {
			Items      []service.Account `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		e.c.do("GET", path, nil, nil).want(http.StatusOK).decode(&pg)
		pages++
		if len(pg.Items) > 2 {
			t.Fatalf("page of %d", len(pg.Items))
		}
		for _, a := range pg.Items {
			if seen[a.ID] {
				t.Fatalf("%s twice", a.ID)
			}
			seen[a.ID] = true
		}
		if pg.NextCursor == "" {
			break
		}
		path = "/accounts?limit=2&after=" + pg.NextCursor
	}
	if len(seen) != len(want) || pages != 3 {
		t.Fatalf("saw %d accounts in %d pages, want %d in 3", len(seen), pages, len(want))
	}
	for _, bad := range []string{"/accounts?limit=0", "/accounts?limit=201", "/accounts?limit=x", "/accounts?after=zz'--"} {
		e.c.do("GET", bad, nil, nil).want(http.StatusBadRequest)
	}
}
