package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/naversync/naversync/service"
)

// TestHostileInput: malformed, oversized, mistyped and malicious requests are refused with a
// 4xx problem (never a 500), and nothing changes.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	a := e.account("4001")
	var queued service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 1}, nil).want(http.StatusAccepted).decode(&queued)
	unknown := "0192f3c4-0000-7000-8000-000000000000"
	json := http.Header{"Content-Type": {"application/json"}}
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		hdr    http.Header
		status int
		field  string
	}{
		{"malformed json", "POST", "/syncs", `{"account_id":`, nil, 400, ""},
		{"not json", "POST", "/syncs", `account_id=1`, nil, 400, ""},
		{"two values", "POST", "/syncs", `{"account_id":"` + a.ID + `","days":1} {}`, nil, 400, ""},
		{"array body", "POST", "/syncs", `[1,2]`, nil, 400, ""},
		{"empty body", "POST", "/syncs", ``, json, 400, ""},
		{"10 MB body", "POST", "/syncs", `{"account_id":"` + strings.Repeat("a", 10<<20) + `"}`, nil, 413, ""},
		{"10 MB account", "POST", "/accounts", `{"name":"` + strings.Repeat("a", 10<<20) + `"}`, nil, 413, ""},
		{"wrong content type", "POST", "/syncs", `{"account_id":"x"}`, http.Header{"Content-Type": {"text/plain"}}, 415, ""},
		{"days as string", "POST", "/syncs", `{"account_id":"` + a.ID + `","days":"7"}`, nil, 400, "days"},
		{"days fraction", "POST", "/syncs", `{"account_id":"` + a.ID + `","days":1.5}`, nil, 400, "days"},
		{"days huge", "POST", "/syncs", `{"account_id":"` + a.ID + `","days":1e30}`, nil, 400, "days"},
		{"days zero", "POST", "/syncs", `{"account_id":"` + a.ID + `","days":0}`, nil, 400, "days"},
		{"days negative", "POST", "/syncs", `{"account_id":"` + a.ID + `","days":-3}`, nil, 400, "days"},
		{"days too many", "POST", "/syncs", `{"account_id":"` + a.ID + `","days":5000}`, nil, 400, "days"},
		{"full as string", "POST", "/syncs", `{"account_id":"` + a.ID + `","full":"yes"}`, nil, 400, "full"},
		{"unknown field", "POST", "/syncs", `{"account_id":"` + a.ID + `","days":1,"priority":9}`, nil, 400, "priority"},
		{"days and range", "POST", "/syncs", map[string]any{"account_id": a.ID, "days": 2, "from": day(3), "to": day(2)}, nil, 400, "days"},
		{"sql in account id", "POST", "/syncs", map[string]any{"account_id": "x' OR '1'='1", "days": 1}, nil, 400, "account_id"},
		{"unknown account", "POST", "/syncs", map[string]any{"account_id": unknown, "days": 1}, nil, 400, "account_id"},
		{"missing account", "POST", "/syncs", map[string]any{"days": 1}, nil, 400, "account_id"},
		{"invalid date", "POST", "/syncs", map[string]any{"account_id": a.ID, "from": "2026-02-30", "to": day(1)}, nil, 400, "from"},
		{"not a date", "POST", "/syncs", map[string]any{"account_id": a.ID, "from": "yesterday", "to": day(1)}, nil, 400, "from"},
		{"from without to", "POST", "/syncs", map[string]any{"account_id": a.ID, "from": day(3)}, nil, 400, "to"},
		{"reversed range", "POST", "/syncs", map[string]any{"account_id": a.ID, "from": day(2), "to": day(5)}, nil, 400, "to"},
		{"future range", "POST", "/syncs", map[string]any{"account_id": a.ID, "from": day(1), "to": day(-3)}, nil, 400, "to"},
		{"today", "POST", "/syncs", map[string]any{"account_id": a.ID, "from": day(0), "to": day(0)}, nil, 400, "to"},
		{"too old", "POST", "/syncs", map[string]any{"account_id": a.ID, "from": day(400), "to": day(390)}, nil, 400, "from"},
		{"idempotency key control chars", "POST", "/syncs", map[string]any{"account_id": a.ID, "days": 1}, http.Header{"Idempotency-Key": {"a b"}}, 400, "Idempotency-Key"},
		{"sql in account name", "POST", "/accounts", map[string]any{"name": "x'); DROP TABLE accounts;--", "customer_id": "1; DROP", "api_key": "k", "secret_key": "s", "spreadsheet_id": "s"}, nil, 400, "customer_id"},
		{"account unknown field", "POST", "/accounts", map[string]any{"name": "n", "id": unknown}, nil, 400, "id"},
		{"account wrong type", "POST", "/accounts", `{"name":"n","refresh_enabled":"true"}`, nil, 400, "refresh_enabled"},
		{"patch wrong type", "PATCH", "/accounts/" + a.ID, `{"name":5}`, nil, 400, "name"},
		{"patch unknown field", "PATCH", "/accounts/" + a.ID, `{"customer_id":"9"}`, nil, 400, "customer_id"},
		{"dotdot id", "GET", "/accounts/..%2F..%2Fetc%2Fpasswd", nil, nil, 404, ""},
		{"dotdot path", "GET", "/accounts/../../etc/passwd", nil, nil, 404, ""},
		{"sql id", "GET", "/syncs/1%27%20OR%20%271%27=%271", nil, nil, 404, ""},
		{"long id", "GET", "/syncs/" + strings.Repeat("a", 65), nil, nil, 404, ""},
		{"sql id cancel", "POST", "/syncs/x;DROP/cancel", nil, nil, 404, ""},
		{"sql id delete", "DELETE", "/accounts/1%27--", nil, nil, 404, ""},
		{"unknown id patch", "PATCH", "/accounts/" + unknown, map[string]any{"name": "n"}, nil, 404, ""},
	}
	accounts, syncs := e.accountCount(), e.syncCount()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.c.do(tc.method, tc.path, tc.body, tc.hdr).want(tc.status)
			if tc.field != "" {
				p := r.problem()
				found := false
				for _, f := range p.Errors {
					found = found || f.Field == tc.field
				}
				if !found {
					t.Fatalf("problem %+v does not name %s", p, tc.field)
				}
			}
			if p := r.problem(); strings.Contains(p.Detail, "DROP") || bytes.Contains(r.Body, []byte("goroutine")) {
				t.Fatalf("answer echoes input or internals: %s", r.Body)
			}
		})
	}
	if e.accountCount() != accounts || e.syncCount() != syncs {
		t.Fatalf("accounts %d -> %d, syncs %d -> %d", accounts, e.accountCount(), syncs, e.syncCount())
	}
	var got service.Account
	e.c.do("GET", "/accounts/"+a.ID, nil, nil).want(http.StatusOK).decode(&got)
	if got.Name != a.Name || got.UpdatedAt != a.UpdatedAt {
		t.Fatalf("account changed: %+v", got)
	}
}
