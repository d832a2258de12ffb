package api_test

import (
	"net/http"
	"testing"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{"token-one", "token-two"}})
	anon := newClient(t, e.srv.URL, "")
	wrong := newClient(t, e.srv.URL, "token-three")
	second := newClient(t, e.srv.URL, "token-two")

	for _, path := range []string{"/accounts", "/syncs", "/leases", "/info", "/scheduler", "/syncs/0192f3c4-0000-7000-8000-000000000000/events", "/syncs/events"} {
		for _, c := range []*client{anon, wrong} {
			r := c.do("GET", path, nil, nil).want(http.StatusUnauthorized)
			if r.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Fatalf("%s: WWW-Authenticate %q", path, r.Header.Get("WWW-Authenticate"))
			}
			if p := r.problem(); p.Detail != "a valid bearer token is required" {
				t.Fatalf("%s: problem %+v", path, p)
			}
		}
	}
	for _, h := range []string{"token-one", "Basic token-one", "Bearer", "Bearer ", "Bearer token-one-and-more"} {
		anon.do("GET", "/accounts", nil, http.Header{"Authorization": {h}}).want(http.StatusUnauthorized)
	}
	if n := e.accountCount(); n != 0 {
		t.Fatalf("%d accounts", n)
	}
	anon.do("POST", "/accounts", map[string]any{"name": "n"}, nil).want(http.StatusUnauthorized)
	anon.do("POST", "/scheduler/run", nil, nil).want(http.StatusUnauthorized)
	if e.accountCount() != 0 || e.syncCount() != 0 {
		t.Fatal("an unauthenticated request changed something")
	}

	e.c.do("GET", "/accounts", nil, nil).want(http.StatusOK)
	second.do("GET", "/accounts", nil, nil).want(http.StatusOK)
	anon.do("GET", "/accounts", nil, http.Header{"Authorization": {"bearer token-one"}}).want(http.StatusOK)

	// Health, readiness and metrics are open.
	anon.do("GET", "/healthz", nil, nil).want(http.StatusOK)
	anon.do("GET", "/readyz", nil, nil).want(http.StatusOK)
	anon.do("GET", "/metrics", nil, nil).want(http.StatusOK)
}

func TestNoTokensIsOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	e.c.do("GET", "/accounts", nil, nil).want(http.StatusOK)
}
